"""The HTTP reward server (FastAPI + uvicorn): OpenRLHF's remote-reward protocol and a JSON API.

Endpoints:
    POST /get_reward  {"query": [full texts], "prompts": [prompt texts] (optional)}
                      -> {"rewards": [...], "scores": [...], "extra_logs": {}}
        OpenRLHF's protocol: each query is the policy's decoded text, its prompt rendered by the
        POLICY's chat template. A transcript in a known markup (ChatML, Llama-3, Gemma, [INST],
        Phi-3, HH "Human:/Assistant:"; see rlhf_rm.transcripts) is turned back into chat messages,
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
``Scorer`` interface, so Ray Serve (``rlhf_rm.scale.serve``) deploys this same app with replicas
that batch by ``@serve.batch`` instead. Errors are JSON ``{"error": ...}``: 400 for a
body that is not JSON, 422 for missing or malformed fields, 401 for a wrong token, 413 for a
body over the limit (refused from Content-Length before reading when the client sends it).
"""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations at runtime
import asyncio
import gc
import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from rlhf_rm.scoring import Scores, reward_scorer

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


# ---- dynamic batching ----------------------------------------------------------------------

class BatchStats:
    """Requests, batches and replies scored (``/metrics``), logged every 10 s; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = self.batches = self.replies = 0
        self._last_log = time.monotonic()

    def record(self, requests: int, replies: int, seconds: float) -> None:
        with self._lock:
            self.requests += requests
            self.batches += 1
            self.replies += replies
        logger.debug("batch of %d requests / %d replies in %.1f ms", requests, replies, 1000 * seconds)
        if time.monotonic() - self._last_log > 10:
            self._last_log = time.monotonic()
            s = self.as_dict()
            logger.info("served %d requests in %d batches (mean batch %.1f requests, %.1f replies)",
                        s["requests"], s["batches"], s["mean_batch_requests"], s["mean_batch_replies"])

    def as_dict(self) -> dict[str, float]:
        with self._lock:
            b = max(self.batches, 1)
            return {"requests": self.requests, "batches": self.batches, "replies": self.replies,
                    "mean_batch_requests": self.requests / b, "mean_batch_replies": self.replies / b}


@dataclass
class _Job:
    prompts: list
    completions: list
    future: Future | asyncio.Future
    loop: asyncio.AbstractEventLoop | None = None  # set for an asyncio future: resolved on its loop


class DynamicBatcher:
    """One worker thread that scores queued requests together.

    ``score(prompts, completions) -> (rewards, scores)``. The worker takes the first queued
    request and everything else already queued, up to ``max_batch`` replies. Clients that were
    just answered usually send their next request at once, so when the last batch held several
    requests the worker waits up to ``max_wait_ms`` until as many have come back; a lone client
    never waits. Results reach an event loop once per batch (one wake-up, not one per request).
    """

    def __init__(self, score: Callable[[list, list], tuple[list[float], list[float]]],
                 max_batch: int = 64, max_wait_ms: float = 2.0):
        self.score = score
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stats = BatchStats()
        self._expect = 1  # requests in the last batch: how many clients are likely to come back

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rlhf_rm-reward-batcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def submit(self, prompts: list, completions: list) -> Future:
        """Queue one request from any thread; the future holds (rewards, scores)."""
        future: Future = Future()
        self._queue.put(_Job(prompts, completions, future))
        return future

    async def score_async(self, prompts: list, completions: list) -> tuple[list[float], list[float]]:
        """Queue one request from a coroutine and wait for its (rewards, scores)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put(_Job(prompts, completions, future, loop))
        return await future

    def stats(self) -> dict[str, float]:
        return self._stats.as_dict()

    def _run(self) -> None:
        carry: _Job | None = None
        while True:
            job = carry or self._queue.get()
            carry = None
            if job is None:
                return
            batch, size = [job], len(job.prompts)
            deadline = time.monotonic() + self.max_wait_s
            while size < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()  # everything already queued, without waiting
                except queue.Empty:
                    timeout = deadline - time.monotonic()
                    if len(batch) >= self._expect or timeout <= 0:
                        break
                    try:  # the clients answered last time are on their way back
                        nxt = self._queue.get(timeout=timeout)
                    except queue.Empty:
                        break
                if nxt is None:
                    self._queue.put(None)  # stop after this batch
                    break
                if size + len(nxt.prompts) > self.max_batch:
                    carry = nxt  # the next batch starts with it
                    break
                batch.append(nxt)
                size += len(nxt.prompts)
            self._expect = len(batch)
            self._score(batch)

    def _score(self, batch: list[_Job]) -> None:
        start = time.perf_counter()
        results = score_together(self.score, [(job.prompts, job.completions) for job in batch])
        _resolve([(job, None, r) if isinstance(r, BaseException) else (job, r, None)
                  for job, r in zip(batch, results)])
        self._stats.record(len(batch), sum(len(job.prompts) for job in batch), time.perf_counter() - start)


def score_together(score: Callable[[list, list], Scores],
                   requests: list[tuple[list, list]]) -> list[Scores | BaseException]:
    """Score several requests' (prompts, completions) in one call, and split the results back.

    If the joint call fails, each request is scored alone, so one bad request fails only itself:
    its entry is the exception. Used by ``DynamicBatcher`` and by the Ray Serve replicas' batches.
    """
    try:
        rewards, scores = score([p for ps, _ in requests for p in ps], [c for _, cs in requests for c in cs])
    except Exception as err:  # noqa: BLE001 -- one bad request must not fail the others
        if len(requests) == 1:
            return [err]
        return [score_together(score, [request])[0] for request in requests]
    out, pos = [], 0
    for prompts, _ in requests:
        out.append((rewards[pos : pos + len(prompts)], scores[pos : pos + len(prompts)]))
        pos += len(prompts)
    return out


def _resolve(done: list[tuple[_Job, Any, BaseException | None]]) -> None:
    """Set each job's result or error: thread futures here, asyncio futures in one call per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for job, result, err in done:
        if job.loop is None:
            if err is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(err)
        else:
            by_loop.setdefault(job.loop, []).append((job.future, result, err))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_set_futures, items)
        except RuntimeError:  # the loop has closed: nobody is waiting
            pass


def _set_futures(items: list) -> None:
    for future, result, err in items:
        if future.done():  # the request was cancelled (client gone)
            continue
        if err is None:
            future.set_result(result)
        else:
            future.set_exception(err)


# ---- the app -------------------------------------------------------------------------------

class Scorer(Protocol):
    """What the app's routes call: the one-process server backs it with a ``DynamicBatcher``,
    a Ray Serve replica (``rlhf_rm.scale.serve``) with ``@serve.batch``."""

    async def score_async(self, prompts: list, completions: list) -> Scores: ...

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

    from rlhf_rm.transcripts import openrlhf_pairs

    app = FastAPI(title="rlhf_rm reward server", lifespan=lifespan)
    app.state.settings = settings

    def error(err: RequestError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=err.status)

    async def score(prompts: list, completions: list) -> Scores:
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
        if not (isinstance(item, list) and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in item
        )):
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


class ServerThread:
    """A server in a background thread (tests, notebooks, benchmarks): ``with ServerThread(app, port): ...``."""

    def __init__(self, app, port: int, host: str = "127.0.0.1"):
        import uvicorn

        self.url = f"http://{host}:{port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, name="rlhf_rm-server", daemon=True)

    def __enter__(self) -> "ServerThread":
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the reward server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]

