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


@contextlib.contextmanager
def redis_server(folder: Path, port: int | None = None) -> Iterator[str]:
    """redis-server on 127.0.0.1 (a free port unless given), without persistence, its files
    in `folder`; yields its URL once it accepts connections and stops it afterwards.
    Skips, or fails under `make test`, when redis-server is not installed."""
    binary = require_binary("redis-server", "install it with `make scale-bin`")
    port = port or free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_listening(server, port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


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
