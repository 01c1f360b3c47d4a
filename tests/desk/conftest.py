"""The desk application with its own SQLite files and a stand-in assistant over real HTTP.

The desk's relay calls (services/desk/assistant.py) go to `FakeAssistant`, a small HTTP server
on loopback that records what the assistant would show the citizen.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.settings import settings
from services.callbacks.store import CallbackStore
from services.desk.accounts import hash_password
from services.desk.app import CSRF_COOKIE, create_app
from services.desk.store import Desk, DeskStore

TOKEN = "desk-test-token"  # noqa: S105 - a test value
PASSWORD = "een lang wachtwoord"  # noqa: S105 - a test value
ALWAYS = "ma-zo 00:00-24:00"


class FakeAssistant:
    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.status = 200
        calls, fake = self.calls, self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                calls.append({"path": self.path, "auth": self.headers.get("Authorization"),
                              **json.loads(body)})  # fmt: skip
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"delivered": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def kinds(self) -> list[str]:
        return [c["kind"] for c in self.calls]

    def close(self) -> None:
        self.server.shutdown()


@dataclasses.dataclass
class DeskWorld:
    client: TestClient
    store: DeskStore
    callbacks: CallbackStore
    assistant: FakeAssistant
    app: object

    def desks(self):
        return self.app.other_asgi_app.state.desks  # type: ignore[attr-defined]

    def sign_in(self, username: str, password: str = PASSWORD) -> TestClient:
        """A browser of its own for this advisor, signed in through the API."""
        browser = TestClient(self.app)
        browser.get("/desk/login")
        response = browser.post(
            "/desk/api/login",
            json={"username": username, "password": password},
            headers={"X-CSRF-Token": browser.cookies.get(CSRF_COOKIE) or ""},
        )
        assert response.status_code == 200, response.text
        return browser

    def handover(self, conversation: str, desk: str = "taalhuis", channel: str = "socketio") -> int:
        response = self.client.post(
            "/desk/internal/handovers",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"conversation": conversation, "channel": channel, "desk": desk,
                  "language": "nl", "transcript": [{"from": "citizen", "text": "een mens graag"}]},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        return response.json()["id"]


def socket_connect(browser: TestClient) -> str:
    """Open a Socket.IO connection over Engine.IO polling; the server's answer to the connect
    packet ("40..." connected, "44..." refused)."""
    response = browser.get("/desk/socket.io/", params={"EIO": "4", "transport": "polling"})
    session = json.loads(response.text[response.text.index("{") :])["sid"]
    browser.post(f"/desk/socket.io/?EIO=4&transport=polling&sid={session}", content="40")
    params = {"EIO": "4", "transport": "polling", "sid": session}
    return browser.get("/desk/socket.io/", params=params).text


def csrf(browser: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": browser.cookies.get(CSRF_COOKIE) or ""}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DeskWorld]:
    assistant = FakeAssistant()
    config = dataclasses.replace(
        settings(),
        desk_database_url=f"sqlite:///{tmp_path / 'desk.db'}",
        callback_database_url=f"sqlite:///{tmp_path / 'callbacks.db'}",
        insights_database_url=f"sqlite:///{tmp_path / 'insights.db'}",
        insights_every_minutes=0,  # no insights job in the background of these tests
        desk_service_token=TOKEN,
        assistant_url=assistant.url,
        desk_cookie_secure=False,
    )
    store = DeskStore(config.desk_database_url)
    callbacks = CallbackStore(config.callback_database_url)
    store.save_desk(Desk("taalhuis", "Taalhuis Breda", "076 111 1111", ALWAYS, ("dutch",), 5))
    store.save_desk(Desk("werkloket", "Leerwerkloket", "076 222 2222", ALWAYS, ("*",), 5))
    hashed = hash_password(PASSWORD)
    store.add_user("anna", "Anna", "advisor", hashed, ["taalhuis"])
    store.add_user("bram", "Bram", "advisor", hashed, ["taalhuis"])
    store.add_user("wim", "Wim", "advisor", hashed, ["werkloket"])
    store.add_user("beheer", "Beheer", "admin", hashed, [])
    app = create_app(config, store, callbacks)
    with TestClient(app) as client:
        yield DeskWorld(client, store, callbacks, assistant, app)
    assistant.close()
