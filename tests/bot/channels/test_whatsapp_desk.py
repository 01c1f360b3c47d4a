"""The live hand-over over WhatsApp (docs/desk.md): the reply address and the desk's messages.

The real channel and the desk's relay endpoint (bot/channels/desk.py) on one Sanic app over
real HTTP, the fake Graph API behind them (tests/bot/channels/conftest.py). The stub agent
does what the paused-relay patch of bot/desk_relay.py does when a turn hands the conversation
over: it marks the channel's turn as paused. Only then may the channel keep the WhatsApp id.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from rasa.core.channels.channel import UserMessage, register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain

from actions.i18n import say
from bot import desk_relay
from bot.channels.desk import DeskRelayInput
from bot.channels.whatsapp import WhatsAppConfig, WhatsAppInput, sender_id_for
from bot.channels.whatsapp_store import MemoryWhatsAppStore, SqlWhatsAppStore
from bot.settings import settings
from tests.bot.channels.conftest import (
    APP_SECRET,
    USER,
    ChannelServer,
    StubAgent,
    channel_config,
    graph_client,
    text_payload,
)

OTHER_USER = "31687654321"
DESK_TOKEN = "test-desk-token"  # noqa: S105 - a test value
HAND_OVER = "ik wil een medewerker spreken"
QUEUED = "U staat nu in de wachtrij van Taalhuis Breda."
ANSWER = "Dank u. Ik zoek het voor u op."
COURSES = [
    {"title": "Computercursus voor beginners", "payload": '/course_details{"course_id": "a"}'},
    {"title": "Nederlands leren in de bibliotheek", "payload": '/course_details{"course_id": "b"}'},
    {"title": "Omgaan met geld en formulieren", "payload": '/course_details{"course_id": "c"}'},
    {"title": "Een mens spreken", "payload": "/human_handoff"},
]


class HandOverAgent(StubAgent):
    """Hands the conversation over on HAND_OVER (as action_start_live_chat does, seen by the
    channel through bot/desk_relay.py's turn); answers every other message as usual. Has the
    lock and tracker store the relay endpoint uses to resume a conversation."""

    def __init__(self) -> None:
        super().__init__()
        self.lock_store = InMemoryLockStore()
        self.tracker_store = InMemoryTrackerStore(Domain.empty())
        self.reply = self.answer

    @staticmethod
    def answer(message: UserMessage) -> list[dict]:
        if message.text == HAND_OVER:
            desk_relay.current_turn().paused = True
            return [{"text": QUEUED}]
        return [{"text": ANSWER}]


@pytest.fixture(autouse=True)
def deliverers(monkeypatch) -> dict:
    """Each test starts without registered deliverers and leaves none behind."""
    registered: dict = {}
    monkeypatch.setattr(desk_relay, "_deliverers", registered)
    return registered


@pytest.fixture
def desk_settings(clean_settings):
    clean_settings.setenv("DESK_SERVICE_TOKEN", DESK_TOKEN)
    clean_settings.setenv("CALLBACK_DESK_NAME", "het Leerwerkloket")
    clean_settings.setenv("CALLBACK_DESK_PHONE", "076 123 45 67")
    clean_settings.setenv("CALLBACK_DESK_WORKING_DAYS", "2")
    settings.cache_clear()
    return clean_settings


@pytest.fixture
def make_desk_server(desk_settings, fake_graph, clock):
    """The WhatsApp channel and the desk's relay endpoint on one app (store= optional)."""
    servers: list[ChannelServer] = []

    def start(store=None) -> ChannelServer:
        channel = WhatsAppInput(
            channel_config(fake_graph),
            store=store or MemoryWhatsAppStore(),
            graph=graph_client(fake_graph),
            clock=clock,
        )
        server = ChannelServer(channel, HandOverAgent())
        register([DeskRelayInput()], server.app, route="/webhooks/")
        servers.append(server.__enter__())
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def server(make_desk_server) -> ChannelServer:
    return make_desk_server()


def sender(server: ChannelServer, wa_id: str = USER) -> str:
    return sender_id_for(wa_id, server.channel.config.hash_key)


def relay(server: ChannelServer, conversation: str, kind: str, **values: Any):
    """The desk's call, as services/desk/assistant.py makes it."""
    body = {"conversation": conversation, "channel": "whatsapp", "language": "nl", "kind": kind}
    return requests.post(
        f"{server.url}/webhooks/desk/relay",
        json={**body, **values},
        headers={"Authorization": f"Bearer {DESK_TOKEN}", "Connection": "close"},
        timeout=10,
    )


def advisor_message(server: ChannelServer, conversation: str, text: str, message_id: int = 1):
    return relay(
        server,
        conversation,
        "message",
        text=text,
        author="Anna",
        desk_name="Taalhuis Breda",
        message_id=message_id,
    )


def texts_to(fake_graph, wa_id: str) -> list[str]:
    return [r.text for r in fake_graph.delivered if r.body["to"] == wa_id]


# --- the reply address ------------------------------------------------------------------


def test_the_whatsapp_id_is_kept_only_when_the_turn_hands_the_conversation_over(server, fake_graph):
    store = server.channel.store
    server.post(text_payload("hallo"))
    server.post(text_payload("hallo", wa_id=OTHER_USER))
    assert store.reply_to(sender(server)) is None  # an ordinary turn: nothing kept
    server.post(text_payload(HAND_OVER))
    assert store.reply_to(sender(server)) == USER
    server.post(text_payload("nog een vraag", wa_id=OTHER_USER))
    assert store.reply_to(sender(server, OTHER_USER)) is None
    assert texts_to(fake_graph, USER) == [ANSWER, QUEUED]  # the turns were answered as usual


def test_a_refused_message_does_not_keep_the_whatsapp_id(server):
    server.post(text_payload("x" * 5000))  # too long: no turn at all
    assert server.channel.store.reply_to(sender(server)) is None


# --- the desk's messages ----------------------------------------------------------------


def test_an_advisors_message_reaches_the_right_citizen_under_their_label(server, fake_graph):
    for wa_id in (USER, OTHER_USER):
        server.post(text_payload(HAND_OVER, wa_id=wa_id))
    answer = advisor_message(server, sender(server, OTHER_USER), "Goedemiddag, ik ben Anna.")
    assert answer.status_code == 200 and answer.json() == {"delivered": True}
    label = say("nl", "desk.person_label", name="Anna", desk="Taalhuis Breda")
    assert "Anna" in label
    last = fake_graph.delivered[-1]
    assert last.body["to"] == OTHER_USER
    assert last.body["text"]["body"] == f"*{label}*\nGoedemiddag, ik ben Anna."
    assert texts_to(fake_graph, USER) == [QUEUED]  # nothing for the other citizen


def test_a_message_without_a_person_is_sent_as_it_is(server, fake_graph):
    server.post(text_payload(HAND_OVER))
    deliver = desk_relay.deliverer("whatsapp")
    assert server.run(deliver(sender(server), {"text": "Een medewerker komt zo."}))
    assert fake_graph.delivered[-1].body["text"]["body"] == "Een medewerker komt zo."


def test_the_desks_buttons_become_choices_a_typed_number_picks(server, fake_graph):
    server.post(text_payload(HAND_OVER))
    deliver = desk_relay.deliverer("whatsapp")
    message = {"text": "Welke cursus bedoelt u?", "person": "Anna", "buttons": COURSES}
    assert server.run(deliver(sender(server), message))
    numbered = fake_graph.delivered[-1].body["text"]["body"]
    assert numbered.startswith("*Anna*\nWelke cursus bedoelt u?")
    assert "2. Nederlands leren in de bibliotheek" in numbered
    assert numbered.endswith("Typ 1, 2, 3 of 4.")
    server.post(text_payload("2"))
    assert server.agent.texts[-1] == '/course_details{"course_id": "b"}'


def test_nobody_answered_offers_a_call_back_the_citizen_can_choose_by_number(server, fake_graph):
    server.post(text_payload(HAND_OVER))
    answer = relay(
        server,
        sender(server),
        "unanswered",
        desk_name="Taalhuis Breda",
        desk_phone="076 765 43 21",
    )
    assert answer.status_code == 200
    offer = fake_graph.delivered[-1]
    assert offer.body["to"] == USER and offer.body["type"] == "interactive"
    assert "het Leerwerkloket" in offer.text
    server.post(text_payload("1"))
    assert server.agent.texts[-1] == "/request_callback"


def test_when_the_hand_over_ends_the_whatsapp_id_is_forgotten(server, fake_graph):
    server.post(text_payload(HAND_OVER))
    assert server.channel.store.reply_to(sender(server)) == USER
    assert relay(server, sender(server), "handed_back").status_code == 200
    assert "weer met Leerwijzer" in fake_graph.delivered[-1].text
    assert server.channel.store.reply_to(sender(server)) is None
    assert advisor_message(server, sender(server), "Nog iets?").status_code == 502


def test_an_unknown_conversation_cannot_be_delivered(server, fake_graph):
    deliver = desk_relay.deliverer("whatsapp")
    assert server.run(deliver("wa-" + "0" * 32, {"text": "Hallo?"})) is False
    server.post(text_payload("hallo"))  # wrote, but was never handed over
    assert server.run(deliver(sender(server), {"text": "Hallo?"})) is False
    answer = advisor_message(server, sender(server), "Hallo?")
    assert answer.status_code == 502
    assert texts_to(fake_graph, USER) == [ANSWER]


def test_after_24_hours_the_desk_cannot_write_any_more(server, fake_graph, clock):
    server.post(text_payload(HAND_OVER))
    clock.advance(24 * 3600 + 60)
    assert advisor_message(server, sender(server), "Bent u er nog?").status_code == 502
    assert texts_to(fake_graph, USER) == [QUEUED]


def test_a_refusal_of_whatsapp_is_not_delivered(server, fake_graph):
    server.post(text_payload(HAND_OVER))
    fake_graph.answer_next(400)
    assert advisor_message(server, sender(server), "Hallo").status_code == 502


def test_forgetting_the_user_forgets_the_reply_address(server, fake_graph):
    server.post(text_payload(HAND_OVER))
    server.channel.store.forget_user(sender(server))  # "wis mijn gegevens"
    assert server.channel.store.reply_to(sender(server)) is None
    assert advisor_message(server, sender(server), "Hallo").status_code == 502
    assert texts_to(fake_graph, USER) == [QUEUED]


def test_another_rasa_server_sharing_the_store_delivers_too(make_desk_server, fake_graph, tmp_path):
    """Behind nginx the desk's call may reach a server that did not take the hand-over."""
    url = f"sqlite:///{tmp_path / 'whatsapp.db'}"
    first = make_desk_server(store=SqlWhatsAppStore(url))
    first.post(text_payload(HAND_OVER))
    second = make_desk_server(store=SqlWhatsAppStore(url))  # registered last: it delivers
    assert advisor_message(second, sender(second), "Hallo, ik ben Anna.").status_code == 200
    assert fake_graph.delivered[-1].body["to"] == USER


def test_only_a_configured_channel_offers_to_deliver(deliverers):
    unconfigured = WhatsAppInput(WhatsAppConfig(app_secret=APP_SECRET))
    unconfigured.blueprint(lambda message: None)
    assert desk_relay.deliverer("whatsapp") is None and deliverers == {}
