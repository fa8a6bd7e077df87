"""The HTTP reward server (FastAPI + uvicorn): OpenRLHF's remote-reward protocol and a JSON API.

Endpoints:
    POST /get_reward  {"query": [full texts], "prompts": [prompt texts] (optional)}
                      -> {"rewards": [...], "scores": [...], "extra_logs": {}}
        OpenRLHF's protocol: each query is the policy's decoded text, its prompt rendered by the
        POLICY's chat template. A transcript in a known markup (ChatML, Llama-3, Gemma, [INST],
        Phi-3, HH "Human:/Assistant:"; see rlhf_rm.serve.transcripts) is turned back into chat messages,
        which the reward model renders with its own template. With ``prompts``, each query must
        start with its prompt and the rest is the reply; a recognised prompt (ending in an open
        assistant turn) becomes its messages. Without ``prompts``, a recognised query splits at its
        last assistant turn. Trailing end-of-turn/EOS/pad tokens are cut from the reply. Text in an
        unknown markup is scored as before: the prompt string as one user turn (an empty one
        without ``prompts``), the rest as the reply. ``raw_queries`` turns all of this off.
        "rewards" are the shaped rewards, "scores" the raw model scores (equal unless shaping is on).
    POST /score       {"prompts": [str | messages], "completions": [str | messages]} -> {"rewards": [...]}
    GET  /health      -> {"status": "ok"}  (no token needed)
    GET  /metrics     -> requests, batches, mean batch size

Concurrent requests are batched together: the handlers put each request on a queue, and one
worker thread takes everything queued (up to ``max_batch`` replies) into one reward call, so
while one batch is scored the next one gathers. The routes reach the model through a small
``Scorer`` interface, so Ray Serve (``rlhf_rm.scale.ray_serve``) deploys this same app with replicas
that batch by ``@serve.batch`` instead. Errors are JSON ``{"error": ...}``: 400 for a
body that is not JSON, 422 for missing or malformed fields, 401 for a wrong token, 413 for a
body over the limit (refused from Content-Length before reading when the client sends it).
"""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations at runtime
import gc
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from rlhf_rm.data.messages import is_message
from rlhf_rm.reward import RewardScores, reward_scorer
from rlhf_rm.serve.batcher import DynamicBatcher

logger = logging.getLogger("rlhf_rm.serve")

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ServeSettings:
    host: str = "127.0.0.1"  # loopback unless told otherwise: the server has no TLS
    port: int = 8000
    token: str | None = None  # when set, requests need "Authorization: Bearer <token>"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch: int = 64  # replies per reward call, gathered from concurrent requests
    max_wait_ms: float = 2.0  # under concurrency, wait up to this long for the last batch's clients
    raw_queries: bool = False  # /get_reward: score the texts as sent, without parsing chat markup


# ---- the app -------------------------------------------------------------------------------

class Scorer(Protocol):
    """What the app's routes call: the one-process server backs it with a ``DynamicBatcher``,
    a Ray Serve replica (``rlhf_rm.scale.ray_serve``) with ``@serve.batch``."""

    async def score_async(self, prompts: list, completions: list) -> RewardScores: ...

    def stats(self) -> dict[str, Any]: ...


class RequestError(Exception):
    """A request the server refuses: ``status`` is the HTTP status, the message the JSON error."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def create_app(reward_fn: Callable, settings: ServeSettings = ServeSettings()):
    """A FastAPI app serving ``reward_fn`` (any ``(prompts, completions) -> list[float]``) in this
    process: concurrent requests are batched by a ``DynamicBatcher`` thread."""
    from contextlib import asynccontextmanager

    batcher = DynamicBatcher(reward_scorer(reward_fn), settings.max_batch, settings.max_wait_ms)

    @asynccontextmanager
    async def lifespan(app):
        batcher.start()
        try:
            yield
        finally:
            batcher.stop()

    app = build_app(batcher, settings, lifespan)
    app.state.batcher = batcher
    return app


def build_app(scorer: Scorer, settings: ServeSettings, lifespan=None):
    """The FastAPI app: routes, tokens, body limits and request validation, scoring through ``scorer``."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from rlhf_rm.serve.transcripts import openrlhf_pairs

    app = FastAPI(title="rlhf_rm reward server", lifespan=lifespan)
    app.state.settings = settings

    def error(err: RequestError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=err.status)

    async def score(prompts: list, completions: list) -> RewardScores:
        if not completions:
            return [], []
        try:
            return await scorer.score_async(prompts, completions)
        except Exception as err:  # noqa: BLE001
            raise RequestError(500, f"scoring failed: {type(err).__name__}: {err}") from err

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics(request: Request):
        try:
            _check_token(request, settings.token)
        except RequestError as err:
            return error(err)
        return scorer.stats()

    @app.post("/get_reward")
    async def get_reward(request: Request):
        try:
            queries, prompts = _openrlhf_request(await _read_json(request, settings))
            rewards, scores = await score(*openrlhf_pairs(queries, prompts, settings.raw_queries))
        except RequestError as err:
            return error(err)
        return JSONResponse({"rewards": rewards, "scores": scores, "extra_logs": {}})

    @app.post("/score")
    async def score_endpoint(request: Request):
        try:
            data = await _read_json(request, settings)
            prompts, completions = _turns(data, "prompts"), _turns(data, "completions")
            if len(prompts) != len(completions):
                raise RequestError(422, f"got {len(prompts)} prompts but {len(completions)} completions")
            rewards, _ = await score(prompts, completions)
        except RequestError as err:
            return error(err)
        return JSONResponse({"rewards": rewards})

    return app


def _check_token(request, token: str | None) -> None:
    if token is not None and not secrets.compare_digest(
        request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
    ):
        raise RequestError(401, "missing or wrong bearer token (Authorization: Bearer <token>)")


async def _read_json(request, settings: ServeSettings) -> dict:
    _check_token(request, settings.token)
    return await read_json_body(request, settings.max_body_bytes)


async def read_json_body(request, limit: int) -> dict:
    """A request's body as a JSON object, or ``RequestError``: over ``limit`` bytes -> 413, refused
    from Content-Length before reading when the client sends it, else cut off while streaming;
    not JSON -> 400; not an object -> 422."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise RequestError(400, f"bad Content-Length header {length!r}")
        if int(length) > limit:
            raise RequestError(413, f"request body of {length} bytes is over the limit of {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise RequestError(413, f"request body is over the limit of {limit} bytes")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, absurd nesting
        raise RequestError(400, f"request body is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise RequestError(422, "request body must be a JSON object")
    return data


def _openrlhf_request(data: dict) -> tuple[list[str], list[str] | None]:
    """(queries, prompts or None) of a /get_reward body; each query must start with its prompt."""
    queries = _texts(data, "query")
    prompts = None if data.get("prompts") is None else _texts(data, "prompts")
    if prompts is not None:
        if len(prompts) != len(queries):
            raise RequestError(422, f"got {len(queries)} queries but {len(prompts)} prompts")
        for i, (q, p) in enumerate(zip(queries, prompts)):
            if not q.startswith(p):
                raise RequestError(422, f"query[{i}] does not start with prompts[{i}]")
    return queries, prompts


def _texts(data: dict, key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        raise RequestError(422, f"missing field '{key}' (a list of strings)")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(422, f"field '{key}' must be a list of strings")
    return value


def _turns(data: dict, key: str) -> list:
    """Strings or chat message lists, as TRL passes prompts and completions."""
    value = data.get(key)
    if value is None:
        raise RequestError(422, f"missing field '{key}' (a list of strings or message lists)")
    if not isinstance(value, list):
        raise RequestError(422, f"field '{key}' must be a list")
    for i, item in enumerate(value):
        if isinstance(item, str):
            continue
        if not (isinstance(item, list) and all(is_message(m) for m in item)):
            raise RequestError(422, f"{key}[{i}] must be a string or a list of {{'role', 'content'}} messages")
    return value


# ---- running -------------------------------------------------------------------------------

def serve(reward_fn: Callable, settings: ServeSettings = ServeSettings(), log_level: str = "info") -> None:
    """Serve until interrupted."""
    import uvicorn

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # no line per request (it costs the event loop on every small request): the batcher logs its
    # totals every 10 s; --log-level debug brings the access log back
    app = create_app(reward_fn, settings)
    # what is loaded lives as long as the server: out of the garbage collector, whose first full
    # pass over it (~200k objects) otherwise stalls every request for ~0.2 s once the server is busy
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level, access_log=log_level == "debug")
