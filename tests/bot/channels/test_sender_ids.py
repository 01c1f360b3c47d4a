"""Sender ids (bot/channels/sender.py): one rule for the REST `sender` and the Socket.IO
`session_id`.

The REST channel runs over real HTTP with Rasa's own channel registration and a stub agent
(tests/bot/channels/conftest.py `ChannelServer`), as in tests/security/test_channel_guards.py;
the Socket.IO handlers run without a server, as in test_socketio.py.
"""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.channels.rest import SENDER_ERROR, GuardedRestInput
from bot.channels.sender import MAX_SENDER_ID_CHARS, SENDER_ID, valid_sender_id
from bot.channels.whatsapp import sender_id_for
from bot.guard import Guard, MemoryLimiter
from tests.bot.channels.conftest import ChannelServer, trigger

ANSWER = "Dank u. Ik zoek het voor u op."
MISSING = object()  # a body without a "sender" key

# What real clients send: the widget and kiosk (web/widget/conversation.js newSessionId),
# tests/support/stack.py Citizen, tests/personas/driver.py, tools/bench_load.py,
# tools/scale.py, tools/shell.py, the Twilio channel's sender, UUIDs and e-mail addresses.
REAL_IDS = [
    "0123456789abcdef0123456789abcdef",
    "citizen-3f9c0a1b2c",
    "persona-nl-001-3f9c0a1b",
    "persona-kiosk-uk-022-3f9c0a1b",
    "scaled-20-0042",
    "floor-warmup-1-0000",
    "scale-0007",
    "shell-1a2b3c4d",
    "fuzz-399",
    "whatsapp:+31612345678",
    "6f1c2a3e-9b4d-4c1a-8e2f-0a1b2c3d4e5f",
    "someone@example.org",
    "a=b+c",
    "demo",
    "a",
    "x" * MAX_SENDER_ID_CHARS,
]
BAD_IDS = [
    MISSING,
    None,
    "",
    "x" * (MAX_SENDER_ID_CHARS + 1),
    "x" * 5000,
    "../x",
    "..",
    ".",
    "a/b",
    "a b",
    " a",
    "a\n",
    "a\x00",
    "<script>",
    "a'b",
    'a"b',
    "a%2e",
    "a?b",
    "a#b",
    "a\\b",
    "=1+1",
    "-rf",
    "@home",
    "+316",
    "émile",
    "١٢٣",  # Arabic-Indic digits: digits, but not ASCII
    42,
    0,
    4.5,
    True,
    ["x"],
    {"id": "x"},
]


def shown(value: object) -> str:
    """A short test id for a parameter."""
    return "MISSING" if value is MISSING else repr(value)[:24]


def rest_guard() -> Guard:
    return Guard(MemoryLimiter(1000, 60))


def rest_post(server: ChannelServer, sender: object, message: str = "hallo") -> requests.Response:
    body: dict = {"message": message}
    if sender is not MISSING:
        body["sender"] = sender
    url = f"{server.url}/webhooks/rest/webhook"
    return requests.post(url, json=body, headers={"Connection": "close"}, timeout=10)


@pytest.fixture(scope="module")
def rest_server():
    with ChannelServer(GuardedRestInput(rest_guard())) as server:
        yield server


@pytest.fixture
def rest(rest_server):
    """The module's REST server, its stub agent and guard emptied for each test."""
    rest_server.agent.messages.clear()
    rest_server.channel.guard = rest_guard()
    return rest_server


# --- the rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", REAL_IDS, ids=shown)
def test_what_real_clients_send_is_valid(sender):
    assert valid_sender_id(sender)


@pytest.mark.parametrize("sender", BAD_IDS, ids=shown)
def test_unsafe_missing_or_non_string_ids_are_invalid(sender):
    assert not valid_sender_id(None if sender is MISSING else sender)


def test_the_whatsapp_channels_own_sender_ids_are_valid():
    for wa_id in ("31612345678", "4915112345678", "1"):
        assert valid_sender_id(sender_id_for(wa_id, b"key"))


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(max_size=MAX_SENDER_ID_CHARS + 5))
def test_a_valid_id_never_holds_anything_that_needs_escaping(text):
    if valid_sender_id(text):
        assert 1 <= len(text) <= MAX_SENDER_ID_CHARS and text.isascii()
        assert not set(text) & set(" /\\?#%&<>'\"`\t\r\n\x00")
        assert text[0].isalnum() and text not in (".", "..")


# --- REST ---------------------------------------------------------------------------------------


def test_rest_without_a_sender_is_refused_and_nothing_is_stored_or_counted(rest):
    answer = rest_post(rest, MISSING)
    assert answer.status_code == 400
    assert answer.json() == {"error": SENDER_ERROR}
    assert SENDER_ERROR.startswith("'sender' is required: 1 to 128 characters")
    assert rest.agent.messages == [], "the message never reached Rasa"
    assert len(rest.channel.guard.limiter) == 0, "and the guard did not count it"


@pytest.mark.parametrize("sender", BAD_IDS, ids=shown)
def test_rest_refuses_every_bad_sender_with_a_clear_400(rest, sender):
    answer = rest_post(rest, sender)
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": SENDER_ERROR}
    assert rest.agent.messages == []


@pytest.mark.parametrize("sender", REAL_IDS, ids=shown)
def test_rest_answers_valid_senders_in_their_own_conversation(rest, sender):
    answer = rest_post(rest, sender)
    assert answer.status_code == 200
    assert answer.json() == [{"recipient_id": sender, "text": ANSWER}]
    (message,) = rest.agent.messages
    assert message.sender_id == sender


def test_rest_128_characters_pass_and_129_do_not(rest):
    assert rest_post(rest, "s" * 128).status_code == 200
    assert rest_post(rest, "s" * 129).status_code == 400
    assert [m.sender_id for m in rest.agent.messages] == ["s" * 128]


def test_rest_clients_without_a_sender_no_longer_share_one_conversation(rest):
    for _ in range(3):
        assert rest_post(rest, MISSING).status_code == 400
    assert not [m for m in rest.agent.messages if m.sender_id == "default"]


def test_rest_guard_refusals_still_name_the_sender(rest):
    refused = rest_post(rest, "citizen-1", "x" * 2001)
    assert refused.status_code == 200
    assert refused.json()[0]["recipient_id"] == "citizen-1"
    assert refused.json()[0]["text"] != ANSWER


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(
    st.one_of(
        st.text(max_size=140),
        st.from_regex(SENDER_ID, fullmatch=True),
        st.integers() | st.none() | st.booleans() | st.lists(st.text(max_size=3), max_size=2),
    )
)
def test_rest_generated_senders_get_an_answer_or_a_clear_400(rest_server, sender):
    before = len(rest_server.agent.messages)
    answer = rest_post(rest_server, sender)
    if valid_sender_id(sender):
        assert answer.status_code == 200, (sender, answer.text)
        assert rest_server.agent.messages[-1].sender_id == sender
    else:
        assert (answer.status_code, answer.json()) == (400, {"error": SENDER_ERROR}), sender
        assert len(rest_server.agent.messages) == before


# --- Socket.IO ----------------------------------------------------------------------------------


@pytest.mark.parametrize("session_id", [s for s in BAD_IDS if s is not MISSING], ids=shown)
def test_socketio_refuses_messages_with_a_bad_session_id(socketio_channel, session_id):
    trigger(socketio_channel, "user_uttered", {"message": "hallo", "session_id": session_id})
    assert socketio_channel.received == []
    assert socketio_channel.calls == [], "no answer, no room"


def test_socketio_refuses_messages_without_a_session_id(socketio_channel):
    trigger(socketio_channel, "user_uttered", {"message": "hallo"})
    assert socketio_channel.received == []


@pytest.mark.parametrize("session_id", [s for s in BAD_IDS if s is not MISSING], ids=shown)
def test_socketio_gives_a_bad_session_id_a_fresh_valid_one(socketio_channel, session_id):
    trigger(socketio_channel, "session_request", {"session_id": session_id})
    (_, sid, room), _ = socketio_channel.calls[0]
    assert sid == "sid1" and room != session_id and valid_sender_id(room) and len(room) == 32
    assert socketio_channel.calls[1][0] == ("emit", "session_confirm", room)


@pytest.mark.parametrize("session_id", REAL_IDS, ids=shown)
def test_socketio_keeps_and_uses_a_valid_session_id(socketio_channel, session_id):
    trigger(socketio_channel, "session_request", {"session_id": session_id})
    assert socketio_channel.calls[1][0] == ("emit", "session_confirm", session_id)
    trigger(socketio_channel, "user_uttered", {"message": "hallo", "session_id": session_id})
    (message,) = socketio_channel.received
    assert message.sender_id == session_id
