"""Channel test fixtures: a fake Graph API, a real Sanic server in a thread, signed payloads,
and the Socket.IO channel's handlers without a server.

The channel is mounted with Rasa's own `register()` (the code `rasa run` uses), on an app
whose agent is a stub: it records each UserMessage and answers through the message's
output channel, so parsing, signatures, idempotency and the mapping to WhatsApp messages
run over real HTTP without loading a model.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic

from bot.channels.socketio import SocketIOInput
from bot.channels.whatsapp import WhatsAppConfig, WhatsAppInput
from bot.channels.whatsapp_graph import GraphClient
from bot.channels.whatsapp_store import MemoryWhatsAppStore, WhatsAppStore
from tests.bot.channels.fake_graph import FakeGraphApi

FIXTURES = Path(__file__).parent / "fixtures"
PHONE_NUMBER_ID = "106540352242922"
USER = "31612345678"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "test-access-token"
FIXTURE_TIME = 1_750_000_000.0  # the timestamp in the fixtures
WEBHOOK_PATH = "/webhooks/whatsapp/webhook"
# Fixtures of message types the channel cannot read (answered with one sentence).
UNSUPPORTED = ["image", "audio", "video", "document", "location", "sticker", "contacts"]
UNSUPPORTED += ["reaction", "unsupported"]


def payload(name: str, **changes: Any) -> dict:
    """A fixture with its (first) message changed: id=, text=, wa_id=, timestamp=."""
    data = copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))
    value = data["entry"][0]["changes"][0]["value"]
    message = (value.get("messages") or [{}])[0]
    if "id" in changes:
        message["id"] = changes["id"]
    if "text" in changes:
        message["text"] = {"body": changes["text"]}
    if "wa_id" in changes:
        message["from"] = changes["wa_id"]
        value["contacts"][0]["wa_id"] = changes["wa_id"]
    if "timestamp" in changes:
        message["timestamp"] = str(int(changes["timestamp"]))
    return data


def text_payload(text: str, wa_id: str = USER) -> dict:
    return payload("text", id=f"wamid.test{uuid.uuid4().hex}", text=text, wa_id=wa_id)


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Clock:
    def __init__(self, now: float = FIXTURE_TIME + 5) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class StubAgent:
    """Stands in for Rasa's agent: records messages, answers with `reply(message)`."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []
        self.reply: Callable[[UserMessage], list[dict]] = lambda message: [
            {"text": "Dank u. Ik zoek het voor u op."}
        ]
        self.before_reply: Callable[[], None] = lambda: None

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        self.before_reply()
        for answer in self.reply(message):
            await message.output_channel.send_response(message.sender_id, dict(answer))

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]


class ChannelServer:
    """A Sanic app with one input channel, served on 127.0.0.1 in its own thread."""

    def __init__(self, channel: InputChannel, agent: StubAgent | None = None) -> None:
        self.channel = channel
        self.agent = agent or StubAgent()
        # Test mode: Sanic's start-up rewrite of its HTTP code must run once per app, not once
        # per process, when several apps start in one process.
        Sanic.test_mode = True
        self.app = Sanic(f"channel_test_{uuid.uuid4().hex}", configure_logging=False)
        self.app.ctx.agent = self.agent
        register([channel], self.app, route="/webhooks/")
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop

        async def main() -> None:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))  # a free port, held from the start: no race
            self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            server = await self.app.create_server(
                sock=sock, return_asyncio_server=True, access_log=False
            )
            await server.startup()
            await server.before_start()
            await server.after_start()
            self._stop = asyncio.Event()
            self._ready.set()
            await self._stop.wait()
            server.close()
            await server.wait_closed()
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        loop.run_until_complete(main())
        loop.close()

    def __enter__(self) -> ChannelServer:
        self._thread.start()
        assert self._ready.wait(15), "test server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._thread.is_alive():
            return
        self.drain()
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def run(self, coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def drain(self) -> None:
        """Wait until the channel handled everything it accepted."""
        if hasattr(self.channel, "drain"):
            self.run(self.channel.drain())

    def post(
        self, data: dict | bytes, signature: str | None | bool = True, drain: bool = True
    ) -> requests.Response:
        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        headers = {"Content-Type": "application/json", "Connection": "close"}
        if signature is True:
            headers["X-Hub-Signature-256"] = sign(body)
        elif signature:
            headers["X-Hub-Signature-256"] = signature
        answer = requests.post(f"{self.url}{WEBHOOK_PATH}", data=body, headers=headers, timeout=10)
        if drain:
            self.drain()
        return answer

    def verify(self, **params: str) -> requests.Response:
        url = f"{self.url}{WEBHOOK_PATH}"
        return requests.get(url, params=params, headers={"Connection": "close"}, timeout=10)


@pytest.fixture
def fake_graph() -> Iterator[FakeGraphApi]:
    with FakeGraphApi() as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


def channel_config(fake_graph: FakeGraphApi, **overrides: Any) -> WhatsAppConfig:
    values = {
        "phone_number_id": PHONE_NUMBER_ID,
        "access_token": ACCESS_TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
        "api_base_url": fake_graph.base_url,
        "store_url": "memory://",
        **overrides,
    }
    return WhatsAppConfig(**values)


def graph_client(fake_graph: FakeGraphApi, **options: Any) -> GraphClient:
    options = {"backoff_seconds": 0.01, "max_attempts": 3, **options}
    return GraphClient(fake_graph.base_url, PHONE_NUMBER_ID, ACCESS_TOKEN, **options)


@pytest.fixture
def make_server(fake_graph, clock):
    """Start a channel server; keyword arguments go to the channel (store=, config=)."""
    servers: list[ChannelServer] = []

    def start(store: WhatsAppStore | None = None, config: WhatsAppConfig | None = None):
        channel = WhatsAppInput(
            config or channel_config(fake_graph),
            store=store or MemoryWhatsAppStore(),
            graph=graph_client(fake_graph),
            clock=clock,
        )
        server = ChannelServer(channel).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def server(make_server) -> ChannelServer:
    return make_server()


ANSWER = "(the assistant's answer)"


@pytest.fixture
def socketio_channel(clean_settings) -> SocketIOInput:
    """The Socket.IO channel with session persistence, its handlers on a server that is not
    started: `enter_room` and `emit` are recorded in `.calls`, messages for Rasa in
    `.received`. Send events with `trigger`."""
    clean_settings.setenv("CORS_ORIGINS", "https://www.gemeente.example")
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        # Rasa answers every message; a turn without one gets bot/channels/failsafe.py's text.
        await message.output_channel.send_response(message.sender_id, {"text": ANSWER})

    channel = SocketIOInput.from_credentials(
        {"user_message_evt": "user_uttered", "session_persistence": True}
    )
    channel.blueprint(on_new_message)
    calls: list[tuple] = []

    async def record(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs))

    channel.sio.enter_room = lambda *a, **k: record("enter_room", *a, **k)
    channel.sio.emit = lambda *a, **k: record("emit", *a, **k)
    channel.calls, channel.received = calls, received
    return channel


def trigger(channel: SocketIOInput, event: str, data: Any) -> None:
    """Runs the channel's handler for `event` as if socket `sid1` had sent `data`."""
    asyncio.run(channel.sio.handlers["/"][event]("sid1", data))


def point_whatsapp_at(env, graph_base_url: str) -> None:  # noqa: ANN001 - a MonkeyPatch
    """The WhatsApp channel's settings for a stack whose Graph API is a fake at this URL."""
    env.setenv("WHATSAPP_API_BASE_URL", graph_base_url)
    env.setenv("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
    env.setenv("WHATSAPP_ACCESS_TOKEN", "e2e-access-token")
    env.setenv("WHATSAPP_APP_SECRET", APP_SECRET)
    env.setenv("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN)
    for inherited in ("WHATSAPP_SENDER_ID_KEY", "WHATSAPP_STORE_URL"):
        env.delenv(inherited, raising=False)
