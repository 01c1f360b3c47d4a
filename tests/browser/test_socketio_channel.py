"""The Socket.IO protocol the widget and kiosk rely on, checked with python-socketio's client.

Rasa's socketio channel with session persistence: `session_request` joins the session's
room, answers reach every socket of that session, and only the configured web origins may
connect (browsers always send Origin).
"""

from __future__ import annotations

import queue

import pytest
import socketio

from tests.browser.conftest import wait_for

pytestmark = pytest.mark.no_browser


def connect(stack, origin: str) -> tuple[socketio.Client, queue.Queue]:
    # websocket-client sends its own Origin unless told which one to send.
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    events: queue.Queue = queue.Queue()
    client.on("session_confirm", lambda data: events.put(("session_confirm", data)))
    client.on("bot_uttered", lambda data: events.put(("bot_uttered", data)))
    client.connect(
        stack.config.rasa_url, socketio_path="/socket.io", transports=["websocket"], wait_timeout=10
    )
    return client, events


def next_event(events: queue.Queue, name: str, timeout: float = 30.0):
    while True:
        event, data = events.get(timeout=timeout)
        if event == name:
            return data


def test_answers_reach_the_session_room_after_a_reconnect(stack):
    session_id = "browsertest0123456789abcdef"
    first, events = connect(stack, stack.config.web_url)
    try:
        first.emit("session_request", {"session_id": session_id})
        assert next_event(events, "session_confirm") == session_id
        first.emit("user_uttered", {"message": "/greet", "session_id": session_id,
                                    "metadata": {"language": "nl"}})  # fmt: skip
        assert "computerprogramma" in next_event(events, "bot_uttered")["text"]
    finally:
        first.disconnect()
    # A new socket (a page load) joins the same conversation.
    second, events = connect(stack, stack.config.web_url)
    try:
        second.emit("session_request", {"session_id": session_id})
        next_event(events, "session_confirm")
        second.emit("user_uttered", {"message": "/find_course", "session_id": session_id})
        wait_for(lambda: "leren" in next_event(events, "bot_uttered")["text"], timeout=30)
    finally:
        second.disconnect()


def test_a_bad_session_id_gets_a_fresh_one(stack):
    client, events = connect(stack, stack.config.web_url)
    try:
        client.emit("session_request", {"session_id": "../../etc"})
        confirmed = next_event(events, "session_confirm")
        assert confirmed != "../../etc" and len(confirmed) == 32
    finally:
        client.disconnect()


def test_other_web_sites_cannot_connect(stack):
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(stack, "https://evil.example")
