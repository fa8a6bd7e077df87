"""Dynamic batching for the reward server: one worker thread scores every queued request together.

Used by the one-process server (``rlhf_rm.serve.app``); ``score_together`` also splits the Ray
Serve replicas' ``@serve.batch`` batches (``rlhf_rm.scale.ray_serve``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the batcher itself needs no torch
    from rlhf_rm.reward import RewardScores

logger = logging.getLogger("rlhf_rm.serve")


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


def score_together(score: Callable[[list, list], RewardScores],
                   requests: list[tuple[list, list]]) -> list[RewardScores | BaseException]:
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
