"""The assistant always answers (bot/channels/failsafe.py): a turn that raises or stays silent
gets a short apology with a phone number, in the citizen's language; the log names the fault
and holds no personal data. REST over real HTTP with a stub agent (conftest ChannelServer);
the WhatsApp channel is in test_whatsapp_webhook.py, faults of the real stack in tests/faults.
"""

from __future__ import annotations

import logging
import sqlite3

import pytest
import requests
import sqlalchemy.exc

from actions.contacts import fallback_contact
from bot.channels.failsafe import apology, describe
from bot.channels.rest import GuardedRestInput
from bot.guard import Guard, MemoryLimiter
from tests.bot.channels.conftest import ChannelServer


@pytest.fixture(scope="module")
def server():
    with ChannelServer(GuardedRestInput(Guard(MemoryLimiter(1000, 60)))) as running:
        yield running


def post(server: ChannelServer, message: str, language: str | None = None) -> list[dict]:
    body: dict = {"sender": "failsafe-1", "message": message}
    if language:
        body["metadata"] = {"language": language}
    response = requests.post(f"{server.url}/webhooks/rest/webhook", json=body, timeout=10)
    assert response.status_code == 200
    return response.json()


def test_a_failing_turn_is_answered_and_the_log_names_the_fault_without_the_text(server, caplog):
    def disk_full(message):
        raise sqlalchemy.exc.OperationalError(
            "INSERT INTO events (data) VALUES (?)",
            ('{"text": "mijn BSN is 111222333"}',),
            sqlite3.OperationalError("database or disk is full"),
        )

    server.agent.reply = disk_full
    with caplog.at_level(logging.ERROR):
        answers = post(server, "mijn BSN is 111222333")
    assert [a["text"] for a in answers] == [apology("failed")]
    assert fallback_contact().phone in answers[0]["text"]
    assert "database or disk is full" in caplog.text
    assert "111222333" not in caplog.text and "INSERT" not in caplog.text


def test_a_turn_without_an_answer_gets_one_in_the_citizens_language(server, caplog):
    server.agent.reply = lambda message: []  # Rasa's answer when the action server is gone
    with caplog.at_level(logging.ERROR):
        answers = post(server, "Where can I learn Dutch?", language="en")
    assert [a["text"] for a in answers] == [apology("silent", "en")]
    assert apology("silent", "en").startswith("Sorry, I cannot answer")
    assert "without an answer" in caplog.text and "learn Dutch" not in caplog.text


def test_a_normal_turn_is_left_alone(server):
    server.agent.reply = lambda message: [{"text": "Dit heb ik voor u gevonden:"}]
    assert [a["text"] for a in post(server, "hallo")] == ["Dit heb ik voor u gevonden:"]


def test_describe_names_the_driver_error_only():
    wrapped = sqlalchemy.exc.OperationalError(
        "SELECT 1", {"sender": "x"}, sqlite3.OperationalError("disk I/O error")
    )
    assert describe(wrapped) == "OperationalError (sqlite3.OperationalError: disk I/O error)"
    assert describe(ConnectionError("redis at 10.0.0.1 refused")) == "ConnectionError"


def test_a_chain_of_causes_is_named_without_the_sql():
    from bot.tracker_store import ConversationStoreUnavailable

    try:
        try:
            raise sqlalchemy.exc.OperationalError(
                "SELECT data FROM events WHERE sender_id = ?",
                ("citizen-1",),
                sqlite3.OperationalError("database or disk is full"),
            )
        except sqlalchemy.exc.OperationalError as error:
            raise ConversationStoreUnavailable("the conversation store failed") from error
    except ConversationStoreUnavailable as failure:
        named = describe(failure)
    assert named == (
        "ConversationStoreUnavailable <- OperationalError "
        "(sqlite3.OperationalError: database or disk is full)"
    )
    assert "citizen-1" not in named and "SELECT" not in named
