"""The HTTP reward server, one stage: the FastAPI app and ``serve`` (``app``), dynamic batching
(``batcher``), policy transcripts back into chat messages (``transcripts``), a server in a
background thread (``thread``). Ray Serve deploys the same app: ``rlhf_rm.scale.ray_serve``.

The public names load on first use, so ``import rlhf_rm.serve`` stays cheap.
"""

from __future__ import annotations

import importlib

_HOME = {
    "ServeSettings": "app", "RequestError": "app", "build_app": "app", "create_app": "app", "serve": "app",
    "BatchStats": "batcher", "DynamicBatcher": "batcher", "score_together": "batcher",
    "ServerThread": "thread", "free_port": "thread",
}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"rlhf_rm.serve.{_HOME[name]}"), name)
    raise AttributeError(f"module 'rlhf_rm.serve' has no attribute {name!r}")
