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
while one batch is scored the next one gathers. Errors are JSON ``{"error": ...}``: 400 for a
body that is not JSON, 422 for missing or malformed fields, 401 for a wrong token, 413 for a
body over the limit (refused from Content-Length before reading when the client sends it).
"""

# no `from __future__ import annotations`: FastAPI reads the handlers' annotations at runtime
import asyncio
import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

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
        self._lock = threading.Lock()
        self.requests = self.batches = self.replies = 0
        self._expect = 1  # requests in the last batch: how many clients are likely to come back
        self._last_log = time.monotonic()

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
        with self._lock:
            b = max(self.batches, 1)
            return {"requests": self.requests, "batches": self.batches, "replies": self.replies,
                    "mean_batch_requests": self.requests / b, "mean_batch_replies": self.replies / b}

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
        try:
            prompts = [p for job in batch for p in job.prompts]
            rewards, scores = self.score(prompts, [c for job in batch for c in job.completions])
        except Exception as err:  # noqa: BLE001 -- one bad request must not fail the others
            if len(batch) == 1:
                _resolve([(batch[0], None, err)])
            else:
                for job in batch:
                    self._score([job])
            return
        done, pos = [], 0
        for job in batch:
            n = len(job.prompts)
            done.append((job, (rewards[pos : pos + n], scores[pos : pos + n]), None))
            pos += n
        _resolve(done)
        with self._lock:
            self.requests += len(batch)
            self.batches += 1
            self.replies += pos
        ms = 1000 * (time.perf_counter() - start)
        logger.debug("batch of %d requests / %d replies in %.1f ms", len(batch), pos, ms)
        if time.monotonic() - self._last_log > 10:
            self._last_log = time.monotonic()
            s = self.stats()
            logger.info("served %d requests in %d batches (mean batch %.1f requests, %.1f replies)",
                        s["requests"], s["batches"], s["mean_batch_requests"], s["mean_batch_replies"])


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


def _scorer(reward_fn: Callable) -> Callable[[list, list], tuple[list[float], list[float]]]:
    """(rewards, raw scores): a RewardFunction gives both in one pass; any other callable, rewards twice."""
    details = getattr(reward_fn, "score_details", None)
    if details is not None:
        def score(prompts, completions):
            d = details(prompts, completions)
            return d.rewards, d.raw_mean
        return score

    def score_plain(prompts, completions):
        rewards = [float(r) for r in reward_fn(prompts, completions)]
        return rewards, rewards
    return score_plain


# ---- the app -------------------------------------------------------------------------------

class _RequestError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def create_app(reward_fn: Callable, settings: ServeSettings = ServeSettings()):
    """A FastAPI app serving ``reward_fn`` (any ``(prompts, completions) -> list[float]``)."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from rlhf_rm.transcripts import openrlhf_pairs

    batcher = DynamicBatcher(_scorer(reward_fn), settings.max_batch, settings.max_wait_ms)

    @asynccontextmanager
    async def lifespan(app):
        batcher.start()
        try:
            yield
        finally:
            batcher.stop()

    app = FastAPI(title="rlhf_rm reward server", lifespan=lifespan)
    app.state.batcher = batcher
    app.state.settings = settings

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def check_token(request: Request) -> None:
        if settings.token is not None and not secrets.compare_digest(
            request.headers.get("authorization", "").encode(), f"Bearer {settings.token}".encode()
        ):
            raise _RequestError(401, "missing or wrong bearer token (Authorization: Bearer <token>)")

    async def read_json(request: Request) -> dict:
        check_token(request)
        limit = settings.max_body_bytes
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise _RequestError(400, f"bad Content-Length header {length!r}")
            if int(length) > limit:
                raise _RequestError(413, f"request body of {length} bytes is over the limit of {limit} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise _RequestError(413, f"request body is over the limit of {limit} bytes")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as err:  # JSONDecodeError, bad UTF-8, absurd nesting
            raise _RequestError(400, f"request body is not valid JSON: {err}") from err
        if not isinstance(data, dict):
            raise _RequestError(422, "request body must be a JSON object")
        return data

    async def score(prompts: list, completions: list) -> tuple[list[float], list[float]]:
        if not completions:
            return [], []
        try:
            return await batcher.score_async(prompts, completions)
        except Exception as err:  # noqa: BLE001
            raise _RequestError(500, f"scoring failed: {type(err).__name__}: {err}") from err

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics(request: Request):
        try:
            check_token(request)
        except _RequestError as err:
            return error(err.status, str(err))
        return batcher.stats()

    @app.post("/get_reward")
    async def get_reward(request: Request):
        try:
            data = await read_json(request)
            queries = _texts(data, "query")
            prompts = None if data.get("prompts") is None else _texts(data, "prompts")
            if prompts is not None:
                if len(prompts) != len(queries):
                    raise _RequestError(422, f"got {len(queries)} queries but {len(prompts)} prompts")
                for i, (q, p) in enumerate(zip(queries, prompts)):
                    if not q.startswith(p):
                        raise _RequestError(422, f"query[{i}] does not start with prompts[{i}]")
            rewards, scores = await score(*openrlhf_pairs(queries, prompts, settings.raw_queries))
        except _RequestError as err:
            return error(err.status, str(err))
        return JSONResponse({"rewards": rewards, "scores": scores, "extra_logs": {}})

    @app.post("/score")
    async def score_endpoint(request: Request):
        try:
            data = await read_json(request)
            prompts = _turns(data, "prompts")
            completions = _turns(data, "completions")
            if len(prompts) != len(completions):
                raise _RequestError(422, f"got {len(prompts)} prompts but {len(completions)} completions")
            rewards, _ = await score(prompts, completions)
        except _RequestError as err:
            return error(err.status, str(err))
        return JSONResponse({"rewards": rewards})

    return app


def _texts(data: dict, key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        raise _RequestError(422, f"missing field '{key}' (a list of strings)")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _RequestError(422, f"field '{key}' must be a list of strings")
    return value


def _turns(data: dict, key: str) -> list:
    """Strings or chat message lists, as TRL passes prompts and completions."""
    value = data.get(key)
    if value is None:
        raise _RequestError(422, f"missing field '{key}' (a list of strings or message lists)")
    if not isinstance(value, list):
        raise _RequestError(422, f"field '{key}' must be a list")
    for i, item in enumerate(value):
        if isinstance(item, str):
            continue
        if not (isinstance(item, list) and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in item
        )):
            raise _RequestError(422, f"{key}[{i}] must be a string or a list of {{'role', 'content'}} messages")
    return value


# ---- running -------------------------------------------------------------------------------

def serve(reward_fn: Callable, settings: ServeSettings = ServeSettings(), log_level: str = "info") -> None:
    """Serve until interrupted."""
    import uvicorn

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # no line per request (it costs the event loop on every small request): the batcher logs its
    # totals every 10 s; --log-level debug brings the access log back
    uvicorn.run(create_app(reward_fn, settings), host=settings.host, port=settings.port, log_level=log_level,
                access_log=log_level == "debug")


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

