""" "Wis mijn gegevens" on the whole stack: everything linked to the person goes, nothing else.

Two conversations through the REST channel each ask for a call-back (name and phone). Then
one of them says "wis mijn gegevens": its conversation, its call-back request and its rows in
the WhatsApp channel's store are gone; the other conversation's are all still there.

The shared stack has no WhatsApp number, so no turn writes the channel's store here. The rows
a WhatsApp conversation leaves (the time of the last message, the last buttons) are written as
the channel writes them, under each conversation's sender id, in the store the Rasa server is
configured with (WHATSAPP_STORE_URL, by default SQLite in VAR_DIR). The WhatsApp turn itself
is tested in tests/bot/channels/test_whatsapp_forget.py.
"""

from __future__ import annotations

import time

import pytest

from bot.channels.whatsapp_store import Choice, SqlWhatsAppStore
from services.callbacks import CallbackStore
from tests.support.stack import Citizen, buttons, texts

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack(shared_stack):
    return shared_stack


@pytest.fixture(scope="module")
def whatsapp(stack) -> SqlWhatsAppStore:
    """The WhatsApp channel's store where the stack's Rasa server looks for it."""
    store = SqlWhatsAppStore(f"sqlite:///{stack.config.var_dir / 'whatsapp.db'}")
    yield store
    store.engine.dispose()


def ask_for_a_call_back(citizen: Citizen, name: str, phone: str) -> str:
    """The call-back form from the offer of a person to the confirmation; the reference."""
    offer = citizen.say("ik wil een mens spreken")
    assert "/request_callback" in [button["payload"] for button in buttons(offer)]
    assert "voornaam" in texts(citizen.say("/request_callback"))
    assert "telefoonnummer" in texts(citizen.say(name))
    citizen.say(phone)
    assert "bewaren" in texts(citizen.say('/inform{"daypart": "morning"}'))
    confirmation = texts(citizen.say("/affirm"))
    return next(word.strip(".") for word in confirmation.split() if word.startswith("LW-"))


def test_forget_me_deletes_the_conversation_call_back_request_and_whatsapp_rows(stack, whatsapp):
    callbacks = CallbackStore(stack.config.callback_database_url)
    me, other = Citizen(stack), Citizen(stack)
    mine = ask_for_a_call_back(me, "Fatima", "06-12345678")
    theirs = ask_for_a_call_back(other, "Jan", "06-87654321")
    assert callbacks.get(mine).phone == "+31612345678"
    assert callbacks.get(theirs).phone == "+31687654321"
    for citizen in (me, other):
        whatsapp.record_inbound(citizen.sender, time.time())
        whatsapp.save_choices(citizen.sender, [Choice("Ja", "/affirm")], time.time())
    assert me.stored_events() and other.stored_events()

    answer = texts(me.say("wis mijn gegevens"))

    # What the citizen reads is unchanged.
    assert "Ik heb dit gesprek gewist. Er staat niets meer van u bij mij." in answer
    # Everything under this conversation's sender id is gone ...
    assert me.stored_events() == []
    assert callbacks.get(mine) is None
    assert whatsapp.last_inbound(me.sender) is None and whatsapp.choices(me.sender) == []
    # ... and nothing of the other conversation.
    assert other.stored_events()
    assert callbacks.get(theirs) is not None and callbacks.get(theirs).first_name == "Jan"
    assert whatsapp.last_inbound(other.sender) is not None
    assert whatsapp.choices(other.sender) == [Choice("Ja", "/affirm")]

    # Saying it again (a fresh conversation under the same sender id) is harmless.
    assert "gewist" in texts(me.say("wis mijn gegevens"))
    assert callbacks.get(theirs) is not None and other.stored_events()
