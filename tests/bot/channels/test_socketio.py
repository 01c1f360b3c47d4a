"""bot/channels/socketio.py: the handlers it puts on Rasa's Socket.IO server, without a server.

The protocol over a real socket is tested in tests/browser/test_socketio_channel.py.
"""

from __future__ import annotations

import pytest

from bot.channels.sender import valid_sender_id
from bot.settings import settings
from tests.bot.channels.conftest import ANSWER, trigger

BOT_UTTERED = ("emit", "bot_uttered")


@pytest.fixture
def channel(socketio_channel):
    return socketio_channel


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0123456789abcdef0123456789abcdef", True),
        ("browsertest_0123-456", True),
        ("short", True),
        ("x" * 128, True),
        ("../../etc/passwd/0123456789", False),
        ("x" * 129, False),
        (None, False),
        (123456789012345678, False),
    ],
)
def test_session_ids_follow_the_sender_id_rule(value, valid):
    """The rule is bot/channels/sender.py's, tested in full in test_sender_ids.py."""
    assert valid_sender_id(value) is valid


def test_session_request_awaits_enter_room_and_confirms(channel):
    trigger(channel, "session_request", {"session_id": "0123456789abcdef0123456789abcdef"})
    assert channel.calls == [
        (("enter_room", "sid1", "0123456789abcdef0123456789abcdef"), {"namespace": "/"}),
        (
            ("emit", "session_confirm", "0123456789abcdef0123456789abcdef"),
            {"room": "sid1", "namespace": "/"},
        ),
    ]


@pytest.mark.parametrize("data", [None, {}, {"session_id": "../../etc"}, ["x"]])
def test_a_bad_or_missing_session_id_gets_a_fresh_one(channel, data):
    trigger(channel, "session_request", data)
    (_, sid, room), _ = channel.calls[0]
    assert sid == "sid1" and len(room) == 32 and valid_sender_id(room)
    assert channel.calls[1][0] == ("emit", "session_confirm", room)


def test_messages_reach_rasa_only_with_a_valid_session_id(channel):
    trigger(channel, "user_uttered", {"message": "hallo", "session_id": "../../etc"})
    trigger(channel, "user_uttered", "not a dict")
    assert channel.received == []
    trigger(
        channel,
        "user_uttered",
        {"message": "hallo", "session_id": "a" * 32, "metadata": {"language": "nl"}},
    )
    (message,) = channel.received
    assert (message.text, message.sender_id, message.input_channel) == (
        "hallo",
        "a" * 32,
        "socketio",
    )
    assert message.metadata == {"language": "nl"}


def test_only_the_configured_web_origins_may_connect(channel):
    assert channel.sio.eio.cors_allowed_origins == ["https://www.gemeente.example"]


def test_the_guard_refuses_long_messages_and_too_many(channel, clean_settings):
    clean_settings.setenv("RATE_LIMIT_MESSAGES", "2")
    settings.cache_clear()
    channel._guard = None  # built again from the settings above
    session = "b" * 32
    trigger(channel, "user_uttered", {"message": "x" * 2001, "session_id": session})
    trigger(channel, "user_uttered", {"message": "hallo", "session_id": session})
    trigger(channel, "user_uttered", {"message": "nog eens", "session_id": session})
    assert [m.text for m in channel.received] == ["hallo"]
    uttered = [(a[2]["text"], kw["room"]) for (a, kw) in channel.calls if a[:2] == BOT_UTTERED]
    assert [text for text, _ in uttered].count(ANSWER) == 1  # the answer to "hallo"
    refusals = [(text, room) for text, room in uttered if text != ANSWER]
    assert len(refusals) == 2
    assert all(text for text, _ in refusals)
    assert [room for _, room in refusals] == [session, session]


def test_typed_payloads_keep_only_plain_entity_values(channel):
    trigger(
        channel,
        "user_uttered",
        {"message": '/inform{"topic": {"x": 1}, "age": "40"}', "session_id": "c" * 32},
    )
    (message,) = channel.received
    assert '{"x"' not in message.text and '"age": "40"' in message.text


def test_only_the_metadata_the_assistant_uses_is_passed_on(channel):
    metadata = {"language": "nl", "client": "kiosk", "place": "Roosendaal", "email": "a@b.nl"}
    trigger(
        channel, "user_uttered", {"message": "hoi", "session_id": "d" * 32, "metadata": metadata}
    )
    (message,) = channel.received
    assert message.metadata == {"language": "nl", "client": "kiosk", "place": "Roosendaal"}
