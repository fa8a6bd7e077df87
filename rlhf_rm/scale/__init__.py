"""Beyond one machine, on Ray: the reward server as a Ray Serve application, and scoring /
best-of-n reranking of sharded files as Ray Data pipelines over an actor pool.

    ray_serve.py -- ``deploy``: rlhf_rm.serve.app's FastAPI app on replicas batching with ``@serve.batch``
    ray_data.py  -- ``score_files`` / ``rerank_files``: read shards through the data layer, score with
                 actors that each load the reward model once, write JSONL or Parquet shards

rlhf_rm writes no distributed code of its own: placement, autoscaling, batching and retries are
Ray's. Ray is an optional dependency (``pip install rlhf_rm[ray]``) imported only here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


def require_ray() -> None:
    """Raise a sentence naming the extra to install when Ray is missing."""
    try:
        import ray  # noqa: F401
        from ray import data, serve  # noqa: F401
    except ImportError as err:
        raise ImportError(f"--ray needs Ray Serve and Ray Data: pip install 'rlhf_rm[ray]' ({err})") from None


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[bool]:
    """Join the Ray cluster at ``address`` ("auto": the one this machine belongs to), or start a
    local Ray; yields whether it was started here. On exit, disconnects what this call connected
    (a local Ray stops; a cluster keeps running). Reuses a connection that is already open."""
    require_ray()
    import ray

    if ray.is_initialized():
        yield False
        return
    if address is None:
        # The local Ray's processes inherit this environment. Ray starts workers at niceness 15,
        # below every other program: on a busy machine its replicas and actors (our scoring work)
        # then starve, and Serve's proxy misses its start-up checks. Run them like the
        # one-process commands run, and give the proxy longer than 3 x 5 s to start.
        os.environ.setdefault("RAY_worker_niceness", "0")
        os.environ.setdefault("RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S", "30")
        ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level="warning")
    else:
        ray.init(address=address, logging_level="warning")
    try:
        yield address is None
    finally:
        ray.shutdown()
