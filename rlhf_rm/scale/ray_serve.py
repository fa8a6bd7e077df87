"""Ray Serve: the reward server's FastAPI app (``rlhf_rm.serve.app.build_app``: the same routes,
tokens, body limits and validation) on replicas that each hold the reward model.

Each replica is the app's ``Scorer``: a request's replies go through ``@serve.batch``, which
gathers concurrent requests (up to ``max_batch`` replies, waiting ``max_wait_ms``) into one reward
call run off the event loop, so the next batch gathers while one is scored. Ray Serve routes
requests across replicas and, with ``min_replicas``/``max_replicas``, adds or removes replicas
by load. ``/metrics`` reports the replica that answered.

    with ray_session():
        url = deploy({"path_or_paths": "runs/rm"}, ServeSettings(port=8000), Replicas(num_replicas=2))
"""

# no `from __future__ import annotations`: Ray Serve and FastAPI read annotations at runtime
import asyncio
import time
from dataclasses import dataclass
from typing import Any

from ray import serve

from rlhf_rm.reward import RewardScores, reward_scorer
from rlhf_rm.serve.app import ServeSettings, build_app
from rlhf_rm.serve.batcher import BatchStats, score_together

APP_NAME = "rlhf_rm"


@dataclass(frozen=True)
class Replicas:
    """How many replicas, and what each reserves.

    num_replicas: a fixed count; or min_replicas..max_replicas, scaled by Ray Serve to keep about
        ``target_ongoing_requests`` requests on each replica.
    num_cpus / num_gpus: reserved per replica (fractions share a device); torch uses
        ``max(1, int(num_cpus))`` threads in each.
    """

    num_replicas: int | None = 1
    min_replicas: int | None = None
    max_replicas: int | None = None
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    target_ongoing_requests: int = 16


def _replies(requests: list[tuple[list, list]]) -> int:
    """``@serve.batch`` counts a batch's size in replies, as the one-process batcher does."""
    return sum(len(completions) for _, completions in requests)


@serve.deployment
@serve.ingress()
class RewardReplica:
    """One replica: the reward model, its batch queue and the shared app."""

    def __init__(self, reward_kwargs: dict[str, Any], settings: ServeSettings, num_threads: int):
        import torch

        from rlhf_rm.reward import RewardFunction

        torch.set_num_threads(num_threads)
        self.settings = settings
        self._score = reward_scorer(RewardFunction.from_pretrained(**reward_kwargs))
        self._stats = BatchStats()
        self._batched.set_max_batch_size(settings.max_batch)
        self._batched.set_batch_wait_timeout_s(settings.max_wait_ms / 1000)

    def __serve_build_asgi_app__(self):
        return build_app(self, self.settings)

    async def score_async(self, prompts: list, completions: list) -> RewardScores:
        """A request's (rewards, scores); one larger than ``max_batch`` replies goes as several parts."""
        step = self.settings.max_batch
        parts = await asyncio.gather(*(
            self._batched((prompts[i : i + step], completions[i : i + step])) for i in range(0, len(prompts), step)
        ))
        rewards, scores = [], []
        for part in parts:
            if isinstance(part, BaseException):
                raise part
            rewards += part[0]
            scores += part[1]
        return rewards, scores

    def stats(self) -> dict[str, Any]:
        return {**self._stats.as_dict(), "replica": serve.get_replica_context().replica_id.unique_id}

    @serve.batch(max_batch_size=64, batch_wait_timeout_s=0.002, batch_size_fn=_replies)
    async def _batched(self, requests: list[tuple[list, list]]) -> list[RewardScores | BaseException]:
        start = time.perf_counter()
        # in a thread: the replica's event loop keeps taking requests into the next batch
        results = await asyncio.to_thread(score_together, self._score, requests)
        self._stats.record(len(requests), _replies(requests), time.perf_counter() - start)
        return results


def deploy(reward_kwargs: dict[str, Any], settings: ServeSettings, replicas: Replicas = Replicas(),
           name: str = APP_NAME) -> str:
    """Deploy (or update) the reward server on the connected Ray cluster; returns its URL once
    every replica is ready. ``reward_kwargs`` are ``RewardFunction.from_pretrained``'s arguments,
    each replica loads the model from them (paths must exist on every node). Serve's HTTP proxy
    binds ``settings.host:settings.port`` (127.0.0.1 unless told otherwise)."""
    serve.start(http_options={"host": settings.host, "port": settings.port})
    options: dict[str, Any] = {
        "ray_actor_options": {"num_cpus": replicas.num_cpus, "num_gpus": replicas.num_gpus},
        # enough requests in flight per replica to fill a batch (Ray's default is 5)
        "max_ongoing_requests": max(2 * replicas.target_ongoing_requests, settings.max_batch),
        # no log line per request, as in the one-process server (it costs every small request)
        "logging_config": {"enable_access_log": False},
    }
    if replicas.min_replicas is not None or replicas.max_replicas is not None:
        low = replicas.min_replicas if replicas.min_replicas is not None else 1
        high = replicas.max_replicas if replicas.max_replicas is not None else low
        if not 0 <= low <= high or high < 1:
            raise ValueError(f"expected 0 <= min_replicas <= max_replicas and max_replicas >= 1, got {low}..{high}")
        options["autoscaling_config"] = {"min_replicas": low, "max_replicas": high, "initial_replicas": max(low, 1),
                                         "target_ongoing_requests": replicas.target_ongoing_requests}
    else:
        if replicas.num_replicas is None or replicas.num_replicas < 1:
            raise ValueError(f"num_replicas must be at least 1, got {replicas.num_replicas}")
        options["num_replicas"] = replicas.num_replicas
    threads = max(1, int(replicas.num_cpus))
    app = RewardReplica.options(**options).bind(reward_kwargs, settings, threads)
    serve.run(app, name=name, route_prefix="/", blocking=False)
    return f"http://{settings.host}:{settings.port}"


def undeploy(name: str = APP_NAME, stop_serve: bool = False) -> None:
    """Remove the application; with ``stop_serve``, also Serve's controller and proxies."""
    if stop_serve:
        serve.shutdown()
    else:
        serve.delete(name)
