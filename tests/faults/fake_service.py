"""A stand-in for the catalog or budget service that can be switched to fail.

It listens on 127.0.0.1 and, in mode `ok`, passes every request on to the real service
(so conversations work as usual). The other modes are the faults under test:

- `slow`: waits `slow_seconds` (longer than the 2 s client timeout) before answering;
- `error`: answers 500;
- `down`: the port is closed (connection refused).

`hits` counts the requests that reached it, to see the circuit breaker stop the calls.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "slow", "error", "down")


class FakeService:
    def __init__(self, upstream: str, port: int, slow_seconds: float = 3.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = port
        self.slow_seconds = slow_seconds
        self.mode = "ok"
        self.hits = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        assert mode in MODES, mode
        self.mode = mode
        if mode == "down":
            self._close()
        elif self._server is None:
            self._open()

    def _open(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake._lock:
                    fake._connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self._answer()

            def _answer(self) -> None:
                with fake._lock:
                    fake.hits += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if fake.mode == "slow":
                    time.sleep(fake.slow_seconds)
                if fake.mode == "error":
                    self._send(500, b'{"title": "Internal Server Error"}')
                    return
                request = urllib.request.Request(
                    fake.upstream + self.path,
                    data=body,
                    method=self.command,
                    headers={
                        "Content-Type": self.headers.get("Content-Type") or "application/json"
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                        self._send(answer.status, answer.read())
                except urllib.error.HTTPError as exc:
                    self._send(exc.code, exc.read())

            def _send(self, status: int, payload: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout): nothing to answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _close(self) -> None:
        """Stop listening and drop the open (keep-alive) connections, like a dead process."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FakeService:
        self.set_mode("ok")
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()
