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

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint

from bot.channels.failsafe import answering
from bot.channels.sender import valid_sender_id
from bot.guard import Guard, client_metadata, guard, safe_payload
from bot.settings import settings

logger = logging.getLogger(__name__)

EventHandler = Callable[..., Awaitable[Any]]


class SocketIOInput(RasaSocketIOInput):
    """Rasa's Socket.IO channel with rooms that work, checked session ids and origins."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    _guard: Guard | None = None

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

        async def session_request(sid: str, data: dict | None) -> None:
            requested = (data or {}).get("session_id") if isinstance(data, dict) else None
            session_id = requested if valid_sender_id(requested) else uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        async def user_message(sid: str, data: dict | None) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence and not valid_sender_id(data.get("session_id")):
                logger.debug("Dropped a Socket.IO message without a valid session id.")
                return
            await self.handle_user_message(rasa_message_handler, sid, data)

        sio.on("session_request", session_request, namespace=namespace)
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
