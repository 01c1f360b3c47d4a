""" "Wis mijn gegevens" over WhatsApp: the channel's row for the sender goes and stays gone.

The real channel over HTTP (tests/bot/channels/conftest.py) with its store on SQLite where the
settings put it, and an agent that does what Rasa does in a turn: it sends the answer through
the channel, then saves the conversation in the real privacy tracker store. When that turn
ran `action_forget_me`, the store deletes the conversation and the sender's WhatsApp row; the
channel's end of the turn (remembering the buttons just sent) must not write the row again.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.whatsapp import WhatsAppInput, sender_id_for
from bot.channels.whatsapp_store import configured_store_url, open_whatsapp_store
from bot.settings import settings
from bot.tracker_store import PrivacyTrackerStore
from services.callbacks import CallbackRequest, CallbackStore
from tests.bot.channels.conftest import (
    USER,
    ChannelServer,
    StubAgent,
    channel_config,
    graph_client,
    text_payload,
)

OTHER_USER = "31687654321"
ANSWER = {"text": "Wilt u nog iets weten?", "buttons": [{"title": "Ja", "payload": "/affirm"}]}


class RasaLikeAgent(StubAgent):
    """Answers with buttons, then saves the turn; "wis mijn gegevens" runs action_forget_me."""

    def __init__(self, tracker_store: PrivacyTrackerStore) -> None:
        super().__init__()
        self.tracker_store = tracker_store
        self.reply = lambda message: [ANSWER]

    async def handle_message(self, message: UserMessage) -> None:
        await super().handle_message(message)  # the answer is sent before the save
        tracker = await self.tracker_store.retrieve(message.sender_id)
        if tracker is None:
            tracker = DialogueStateTracker.from_events(message.sender_id, [], [])
        intent = "forget_me" if message.text == "wis mijn gegevens" else "greet"
        tracker.update(UserUttered(message.text, intent={"name": intent, "confidence": 1.0}))
        if intent == "forget_me":
            tracker.update(ActionExecuted("action_forget_me"))
        tracker.update(BotUttered(ANSWER["text"]))
        await self.tracker_store.save(tracker)


@pytest.fixture
def stores(clean_settings, tmp_path):
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    (tmp_path / "var").mkdir()
    tracker_store = PrivacyTrackerStore(
        domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "var" / "tracker.db")
    )
    whatsapp = open_whatsapp_store(configured_store_url())  # where the channel keeps it
    callbacks = CallbackStore(settings().callback_database_url)
    return tracker_store, whatsapp, callbacks


@pytest.fixture
def server(stores, fake_graph, clock):
    tracker_store, whatsapp, _ = stores
    channel = WhatsAppInput(
        channel_config(fake_graph), store=whatsapp, graph=graph_client(fake_graph), clock=clock
    )
    with ChannelServer(channel, RasaLikeAgent(tracker_store)) as running:
        yield running


def senders(tracker_store: PrivacyTrackerStore) -> set[str]:
    with sqlite3.connect(tracker_store.engine.url.database) as db:
        return {sender for (sender,) in db.execute("SELECT DISTINCT sender_id FROM events")}


def test_forgetting_deletes_the_senders_row_and_the_end_of_the_turn_does_not_bring_it_back(
    server, stores, fake_graph
):
    tracker_store, whatsapp, callbacks = stores
    config = server.channel.config
    me, other = (sender_id_for(user, config.hash_key) for user in (USER, OTHER_USER))
    for user in (USER, OTHER_USER):
        server.post(text_payload("hallo", wa_id=user))
    request = CallbackRequest("Fatima", "+31612345678", "morning", "Taalhuis Breda")
    mine, theirs = (callbacks.add(request, sender_id=sender) for sender in (me, other))
    assert whatsapp.choices(me) and whatsapp.choices(other)
    assert senders(tracker_store) == {me, other}

    server.post(text_payload("wis mijn gegevens"))

    # The answer still reached the citizen; then everything under the sender id went.
    assert fake_graph.delivered[-1].body["to"] == USER
    assert senders(tracker_store) == {other}
    assert callbacks.get(mine.reference) is None
    assert whatsapp.last_inbound(me) is None and whatsapp.choices(me) == []
    with sqlite3.connect(configured_store_url().removeprefix("sqlite:///")) as db:
        rows = db.execute("SELECT user_key, choices FROM whatsapp_users").fetchall()
    assert rows == [(other, json.dumps([["Ja", "/affirm"]]))]
    assert callbacks.get(theirs.reference) is not None

    # Writing again starts afresh: a new row, a new conversation.
    server.post(text_payload("hallo"))
    assert whatsapp.last_inbound(me) is not None and senders(tracker_store) == {me, other}
