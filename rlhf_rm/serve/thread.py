"""A reward server in a background thread, for tests, notebooks and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any


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
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]

