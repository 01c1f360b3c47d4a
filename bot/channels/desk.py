"""The desk's way into the assistant: POST /webhooks/desk/relay (docs/desk.md).

Registered in credentials.yml as `bot.channels.desk.DeskRelayInput`. The desk
(services/desk/assistant.py) calls it with the shared bearer token (DESK_SERVICE_TOKEN) when
an advisor joins, writes, hands back, or when nobody answered in time. This endpoint writes
the citizen's text in their language (actions/locales/, `strings.desk`), resumes the paused
Rasa conversation when the hand-over ends, and hands the message to the conversation's own
channel (bot/desk_relay.py). Any Rasa server behind nginx can take the call.
"""

from __future__ import annotations

import hmac
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.events import ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.contacts import callback_desk, fallback_contact
from actions.i18n import DEFAULT_LANGUAGE, LANGUAGES, say
from bot import desk_relay
from bot.settings import settings

logger = logging.getLogger(__name__)
KINDS = ("joined", "message", "handed_back", "unanswered")
SEEN_KEPT = 2000  # message ids already delivered by this process: a retried one is not sent twice


def citizen_message(body: dict[str, Any]) -> dict[str, Any]:
    """The message the citizen sees for a relay call, in their language."""
    language = body.get("language") if body.get("language") in LANGUAGES else DEFAULT_LANGUAGE
    kind = body["kind"]
    desk = str(body.get("desk_name") or "")
    author = str(body.get("author") or "")
    if kind == "message":
        label = say(language, "desk.person_label", name=author, desk=desk)
        return {"text": str(body.get("text") or ""), "person": label}
    if kind == "joined":
        return {"text": say(language, "desk.joined", name=author, desk=desk)}
    if kind == "handed_back":
        return {"text": say(language, "desk.handed_back")}
    callback = callback_desk()
    phone = str(body.get("desk_phone") or "") or fallback_contact().phone
    if callback is None:
        return {"text": say(language, "desk.unanswered_call", desk=desk, phone=phone)}
    return {
        "text": say(language, "desk.unanswered", desk=desk, phone=phone, callback=callback.name),
        "buttons": [
            {"title": say(language, "desk.callback_button"), "payload": "/request_callback"},
            {"title": say(language, "desk.no_button"), "payload": "/deny"},
        ],
    }


class DeskRelayInput(InputChannel):
    """Not a channel citizens use: the desk's messages into existing conversations."""

    @classmethod
    def name(cls) -> str:
        return "desk"

    def __init__(self) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()

    def _first_time(self, message_id: Any) -> bool:
        if message_id is None:
            return True
        key = str(message_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > SEEN_KEPT:
            self._seen.popitem(last=False)
        return True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        relay = Blueprint("desk_relay", __name__)

        @relay.route("/relay", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            header = request.headers.get("Authorization", "")
            expected = f"Bearer {settings().desk_service_token}"
            if not hmac.compare_digest(header.encode(), expected.encode()):
                return response.json({"detail": "A valid desk token is required."}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            conversation, channel = body.get("conversation"), body.get("channel")
            if not isinstance(conversation, str) or body.get("kind") not in KINDS:
                return response.json({"detail": "conversation and kind are required"}, 400)
            deliver = desk_relay.deliverer(str(channel))
            if deliver is None:
                return response.json({"detail": f"channel {channel!r} cannot deliver"}, 409)
            if body["kind"] in ("handed_back", "unanswered"):
                await resume(request.app.ctx.agent, conversation)
            if body["kind"] == "message" and not self._first_time(body.get("message_id")):
                return response.json({"delivered": True, "repeated": True})
            delivered = await deliver(conversation, citizen_message(body))
            if body["kind"] in ("handed_back", "unanswered"):
                await desk_relay.release(str(channel), conversation)
            if not delivered:
                return response.json({"detail": "the channel could not deliver"}, 502)
            return response.json({"delivered": True})

        return relay


async def resume(agent: Any, conversation: str) -> None:
    """Resume the paused conversation, under the conversation's lock like a message."""
    async with agent.lock_store.lock(conversation):
        tracker = await agent.tracker_store.retrieve(conversation)
        if tracker is not None and tracker.is_paused():
            tracker.update(ConversationResumed())
            await agent.tracker_store.save(tracker)
