"""Rasa's `socketio` channel for the website widget and the library kiosk, made to work.

A thin subclass of rasa.core.channels.socketio.SocketIOInput (Rasa 3.6.21) that changes
three things and keeps Rasa's protocol (`session_request`, `session_confirm`,
`user_uttered`, `bot_uttered`):

1. `session_request` awaits python-socketio's `enter_room`. Rasa 3.6 calls it without
   `await` (RasaHQ/rasa#13027); in python-socketio 5 it is a coroutine, so the socket never
   joins the session's room and with `session_persistence: true` no answer arrives.
2. Session ids are checked with the rule of the REST channel's `sender`
   (bot/channels/sender.py: 1 to 128 letters, digits and `-_.:@+=`, the first a letter or
   digit; the widget and the kiosk send 32 hex digits). Any other id gets a fresh one in
   `session_confirm`, and messages with such an id are dropped. The id is the
   conversation's key in the tracker store.
3. Only the web origins in CORS_ORIGINS (bot/settings.py) may open a socket. Rasa creates
   its Socket.IO server with `cors_allowed_origins=[]`, which lets every web site in.
   Clients that send no Origin (not browsers) are let in, as before.

credentials.yml names it `bot.channels.socketio.SocketIOInput`; Rasa calls it `socketio`.
Messages go on to Rasa through `handle_user_message`, the one place to hook a check into.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from actions.clients.errors import ServiceUnavailable
from bot import desk_relay
from bot.channels.failsafe import answering
from bot.channels.sender import valid_sender_id
from bot.guard import Guard, client_metadata, guard, safe_payload
from bot.settings import settings

logger = logging.getLogger(__name__)

EventHandler = Callable[..., Awaitable[Any]]


def share_rooms(sio: Any) -> None:
    """With several Rasa servers (REDIS_URL set), a message for a session's room reaches the
    server that holds its socket through Redis (python-socketio's AsyncRedisManager): the
    desk's relay call may land on any server."""
    url = settings().redis_url
    if not url:
        return
    import socketio

    manager = socketio.AsyncRedisManager(url, channel="leerwijzer-socketio")
    manager.set_server(sio)
    sio.manager = manager


class SocketIOInput(RasaSocketIOInput):
    """Rasa's Socket.IO channel with rooms that work, checked session ids and origins."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    _guard: Guard | None = None
    sessions: dict[str, str]  # socket id -> session id, for the desk's "the citizen left"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions = {}

    def deliverer(self, sio: Any, namespace: str) -> desk_relay.Deliverer:
        """Sends the desk's messages to the session's room (bot/desk_relay.py)."""

        async def deliver(session_id: str, message: dict[str, Any]) -> bool:
            if "buttons" in message:
                output = SocketIOOutput(sio, self.bot_message_evt)
                await output.send_text_with_buttons(session_id, message["text"], message["buttons"])
            else:
                await sio.emit(self.bot_message_evt, message, room=session_id, namespace=namespace)
            return True

        return deliver

    async def tell_desk(self, session_id: str, present: bool) -> None:
        """The desk shows an advisor whether the citizen is still there."""
        with contextlib.suppress(ServiceUnavailable):  # no desk, or it is down: only a hint
            await asyncio.to_thread(desk_relay.desk_client().presence, session_id, present)

    @property
    def guard(self) -> Guard:
        """Rate limit and length cap (bot/guard.py), made when the first message comes."""
        if self._guard is None:
            self._guard = guard()
        return self._guard

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(answering(on_new_message, self.name()))
        sio = self.sio
        assert sio is not None  # set by super().blueprint
        namespace = self.namespace or "/"
        sio.eio.cors_allowed_origins = list(settings().cors_origins) or ["null"]
        rasa_message_handler: EventHandler = sio.handlers[namespace][self.user_message_evt]
        share_rooms(sio)
        desk_relay.register(self.name(), self.deliverer(sio, namespace))

        async def session_request(sid: str, data: dict | None) -> None:
            requested = (data or {}).get("session_id") if isinstance(data, dict) else None
            session_id = requested if valid_sender_id(requested) else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=namespace)
                self.sessions[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            if self.session_persistence:
                await self.tell_desk(session_id, present=True)

        async def disconnect(sid: str) -> None:
            session_id = self.sessions.pop(sid, None)
            if session_id and session_id not in self.sessions.values():
                await self.tell_desk(session_id, present=False)

        async def user_message(sid: str, data: dict | None) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence and not valid_sender_id(data.get("session_id")):
                logger.debug("Dropped a Socket.IO message without a valid session id.")
                return
            await self.handle_user_message(rasa_message_handler, sid, data)

        sio.on("session_request", session_request, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on(self.user_message_evt, user_message, namespace=namespace)
        return blueprint

    async def handle_user_message(
        self, rasa_message_handler: EventHandler, sid: str, data: dict[str, Any]
    ) -> None:
        """Passes a message on to Rasa's own handler, unless the guard refuses it.

        A refusal (too many messages, too long) is sent back like a bot message; in a typed
        payload only plain entity values are kept, and of the metadata only what the assistant
        uses (bot/guard.py).
        """
        text = data.get("message")
        room = data.get("session_id") if self.session_persistence else sid
        metadata = data.get("metadata")
        language = metadata.get("language") if isinstance(metadata, dict) else None
        refusal = self.guard.check(
            self.name(),
            room,
            text if isinstance(text, str) else None,
            language if isinstance(language, str) else None,
        )
        if refusal is not None:
            assert self.sio is not None
            await self.sio.emit(
                self.bot_message_evt, {"text": refusal}, room=room, namespace=self.namespace
            )
            return
        data = {**data, "metadata": client_metadata(metadata)}
        if isinstance(text, str):
            data["message"] = safe_payload(text)
        await rasa_message_handler(sid, data)
