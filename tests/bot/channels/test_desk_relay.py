"""The assistant's side of the live hand-over: the desk's relay endpoint (bot/channels/desk.py)
served by Sanic on loopback, what the citizen reads, and the fail-safe that lets a relayed turn
be silent (bot/desk_relay.py, docs/desk.md)."""

from __future__ import annotations

import asyncio

import pytest
import requests
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused
from rasa.shared.core.trackers import DialogueStateTracker

from bot import desk_relay
from bot.channels.desk import DeskRelayInput, citizen_message
from bot.channels.rest import GuardedRestInput
from bot.guard import Guard, MemoryLimiter
from bot.settings import settings
from tests.bot.channels.conftest import ChannelServer, StubAgent

TOKEN = "desk-relay-test-token"  # noqa: S105 - a test value


@pytest.fixture(autouse=True)
def desk_token(monkeypatch):
    """The shared token as the stack sets it (read by the endpoint at every call)."""
    monkeypatch.setenv("DESK_SERVICE_TOKEN", TOKEN)
    settings.cache_clear()


class Agent(StubAgent):
    """Rasa's agent as far as the relay uses it: a lock store and a tracker store."""

    def __init__(self) -> None:
        super().__init__()
        self.lock_store = InMemoryLockStore()
        self.tracker_store = InMemoryTrackerStore(Domain.empty())


@pytest.fixture(scope="module")
def relay():
    with ChannelServer(DeskRelayInput(), Agent()) as running:
        yield running


@pytest.fixture
def delivered(monkeypatch):
    sent: list[tuple[str, dict]] = []

    async def deliver(sender_id: str, message: dict) -> bool:
        sent.append((sender_id, message))
        return True

    monkeypatch.setitem(desk_relay._deliverers, "socketio", deliver)
    return sent


def post(relay: ChannelServer, body: dict, token: str = TOKEN) -> requests.Response:
    return requests.post(f"{relay.url}/webhooks/desk/relay", json=body, timeout=10,
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip


def body(kind: str, **values) -> dict:
    return {"conversation": "widget-1", "channel": "socketio", "language": "nl", "kind": kind,
            **values}  # fmt: skip


def test_only_the_desk_may_call_the_relay(relay, delivered):
    assert post(relay, body("joined"), token="wrong").status_code == 401
    assert post(relay, {"kind": "joined"}).status_code == 400
    assert post(relay, {**body("joined"), "channel": "rest"}).status_code == 409
    assert delivered == []


def test_an_advisors_message_is_marked_as_from_a_person_and_sent_once(relay, delivered):
    message = body("message", text="Goedemiddag", author="Anna", desk_name="Taalhuis Breda",
                   message_id=41)  # fmt: skip
    assert post(relay, message).status_code == 200
    assert post(relay, message).json() == {"delivered": True, "repeated": True}
    assert delivered == [
        ("widget-1", {"text": "Goedemiddag", "person": "Anna, medewerker Taalhuis Breda"})
    ]
    english = body("message", text="Hello", author="Anna", desk_name="Taalhuis", language="en",
                   message_id=42)  # fmt: skip
    post(relay, english)
    assert delivered[-1][1]["person"] == "Anna, staff member of Taalhuis"


def test_handing_back_resumes_the_paused_conversation(relay, delivered):
    tracker = DialogueStateTracker("widget-1", slots=[])
    tracker.update(ConversationPaused())
    asyncio.run(relay.agent.tracker_store.save(tracker))
    assert post(relay, body("handed_back")).status_code == 200
    stored = asyncio.run(relay.agent.tracker_store.retrieve("widget-1"))
    assert not stored.is_paused()
    assert "weer met Leerwijzer" in delivered[-1][1]["text"]


def test_nobody_answered_offers_a_call_back_or_the_phone_number(monkeypatch, clean_settings):
    unanswered = body("unanswered", desk_name="Taalhuis Breda", desk_phone="076 111 1111")
    without = citizen_message(unanswered)
    assert "076 111 1111" in without["text"] and "buttons" not in without
    clean_settings.setenv("CALLBACK_DESK_NAME", "Leerwerkloket West-Brabant")
    clean_settings.setenv("CALLBACK_DESK_PHONE", "076 000 0000")
    clean_settings.setenv("CALLBACK_DESK_WORKING_DAYS", "2")
    settings.cache_clear()
    offered = citizen_message(unanswered)
    assert "Leerwerkloket West-Brabant u terugbelt" in offered["text"]
    assert "076 111 1111" in offered["text"]
    assert [b["payload"] for b in offered["buttons"]] == ["/request_callback", "/deny"]
    polish = citizen_message({**unanswered, "language": "pl"})
    assert polish["buttons"][0]["title"] != offered["buttons"][0]["title"]


def test_a_relayed_turn_is_silent_on_purpose():
    agent = StubAgent()

    def relayed(message):
        desk_relay.current_turn().relayed = True  # what the paused-conversation hook does
        return []

    agent.reply = relayed
    with ChannelServer(GuardedRestInput(Guard(MemoryLimiter(1000, 60))), agent) as server:
        answer = requests.post(
            f"{server.url}/webhooks/rest/webhook",
            json={"sender": "paused-1", "message": "hallo"},
            timeout=10,
        )
        assert answer.json() == []  # no apology: the advisor answers
        agent.reply = lambda message: []
        answer = requests.post(
            f"{server.url}/webhooks/rest/webhook",
            json={"sender": "paused-2", "message": "hallo"},
            timeout=10,
        )
        assert answer.json() and answer.json()[0]["text"].startswith("Sorry")
