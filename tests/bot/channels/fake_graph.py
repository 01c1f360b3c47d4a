"""A local stand-in for the WhatsApp Cloud API send endpoint, on 127.0.0.1 and a free port.

Records every request, answers 200 with Graph's success body unless told to answer
something else first (`answer_next(429, 500, ...)`), and can be slow (`delay`).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "v21.0"
ERRORS = {
    400: {"message": "(#131047) Re-engagement message", "code": 131047},
    401: {"message": "Invalid OAuth access token.", "code": 190},
    429: {"message": "(#130429) Rate limit hit", "code": 130429},
    500: {"message": "An unknown error occurred", "code": 1},
    503: {"message": "Service temporarily unavailable", "code": 2},
}


@dataclass
class GraphRequest:
    path: str
    headers: dict[str, str]
    body: dict
    status: int

    @property
    def text(self) -> str:
        """Everything a user would read in this message, for assertions."""
        message = self.body
        parts = [message.get("text", {}).get("body", "")]
        interactive = message.get("interactive") or {}
        parts.append((interactive.get("body") or {}).get("text", ""))
        action = interactive.get("action") or {}
        parts += [b["reply"]["title"] for b in action.get("buttons", [])]
        parts += [r["title"] for s in action.get("sections", []) for r in s.get("rows", [])]
        return "\n".join(p for p in parts if p)


class FakeGraphApi:
    def __init__(self) -> None:
        self.requests: list[GraphRequest] = []
        self.delay = 0.0
        self._script: list[int] = []
        self._changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{API_VERSION}"

    def answer_next(self, *statuses: int) -> None:
        with self._changed:
            self._script.extend(statuses)

    @property
    def delivered(self) -> list[GraphRequest]:
        """Requests answered with success: the messages the user would see."""
        with self._changed:
            return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, predicate, timeout: float = 10.0) -> list[GraphRequest]:
        """Wait until `predicate(delivered)` holds; returns the delivered messages."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                delivered = [r for r in self.requests if 200 <= r.status < 300]
                if predicate(delivered):
                    return delivered
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"fake Graph API got {len(delivered)} messages")
                self._changed.wait(remaining)

    def __enter__(self) -> FakeGraphApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if fake.delay:
                    time.sleep(fake.delay)
                with fake._changed:
                    status = fake._script.pop(0) if fake._script else 200
                try:
                    body = json.loads(raw)
                except ValueError:
                    body, status = {}, 400
                if not self.path.endswith("/messages"):
                    status = 404
                if status == 200:
                    answer = {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                        "messages": [{"id": f"wamid.fake{len(fake.requests)}"}],
                    }
                else:
                    error = ERRORS.get(status, {"message": "error", "code": 1})
                    answer = {"error": {**error, "type": "OAuthException", "fbtrace_id": "Afake"}}
                data = json.dumps(answer).encode()
                # Recorded before the answer goes out: once the channel has its answer, a test
                # that reads `delivered` must see the message (it did not under load).
                with fake._changed:
                    fake.requests.append(GraphRequest(self.path, dict(self.headers), body, status))
                    fake._changed.notify_all()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (timeout tests)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
