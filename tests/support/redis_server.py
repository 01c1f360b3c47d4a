"""A throwaway redis-server (Debian's package, `make scale-bin`) on a loopback port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.binaries import require_binary
from tests.support.ports import free_port

START_TIMEOUT_SECONDS = 10


class RedisServer:
    """redis-server on 127.0.0.1 (a free port unless given), without persistence, its files in
    `folder`. `start` and `stop` may be repeated on the same port: a Redis restart. Skips, or
    fails under `make test`, when redis-server is not installed."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.binary = require_binary("redis-server", "install it with `make scale-bin`")
        self.folder = folder
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.server = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_until_listening(self.server, self.port)
        return self

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(10)


@contextlib.contextmanager
def redis_server(folder: Path, port: int | None = None) -> Iterator[str]:
    """A RedisServer for the `with` block; yields its URL once it accepts connections."""
    server = RedisServer(folder, port).start()
    try:
        yield server.url
    finally:
        server.stop()


def _wait_until_listening(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if server.poll() is not None:
            raise AssertionError(f"redis-server exited with {server.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError("redis-server did not start")
        time.sleep(0.05)
