"""Rasa's REST channel with the rate limit and length cap of bot/guard.py.

Registered in credentials.yml as `bot.channels.rest.GuardedRestInput` instead of `rest:`;
same name and URL (`/webhooks/rest/webhook`) and the same answers. Before Rasa sees a
message:

- a body that is not a JSON object with a text `message` is refused with 400 (Rasa's own
  channel would fail on it with a 500);
- so is a missing or unsafe `sender` (bot/channels/sender.py: a string of 1 to 128 letters,
  digits and `-_.:@+=`, the first a letter or digit), before the guard counts it. Rasa
  would answer a message without one in a conversation called "default", shared by every
  client that leaves it out;
- a message over the length cap, or over the sender's rate limit, is answered with the
  guard's friendly refusal, as a normal bot message, without reaching Rasa;
- `input_channel` in the body is ignored: a client cannot pose as another channel;
- `metadata` is passed on, kept to the language, the kind of client and its place;
- in a typed payload (`/intent{...}`) only entities with plain values are kept
  (bot/guard.py `safe_payload`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.failsafe import answering
from bot.channels.sender import SENDER_ID_RULE, valid_sender_id
from bot.guard import Guard, client_metadata, guard, safe_payload

SENDER_ERROR = f"'sender' is required: {SENDER_ID_RULE}."


def _language(body: dict[str, Any]) -> str | None:
    metadata = body.get("metadata")
    language = metadata.get("language") if isinstance(metadata, dict) else None
    return language if isinstance(language, str) else None


class GuardedRestInput(RestInput):
    def __init__(self, message_guard: Guard | None = None) -> None:
        self.guard = message_guard or guard()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls()

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, str]:
        """Rasa's REST channel passes no metadata; this one passes what the assistant uses
        (bot/guard.py client_metadata), so a kiosk or a site can say where it stands."""
        body = request.json if isinstance(request.json, dict) else {}
        return client_metadata(body.get("metadata"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(answering(on_new_message, self.name()))

        @webhook.middleware("request")
        async def check_message(request: Request) -> HTTPResponse | None:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - Sanic raises its own error for bad JSON
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("message"), str):
                return response.json({"error": "Send a JSON object with a text 'message'."}, 400)
            sender = body.get("sender")
            if not valid_sender_id(sender):
                return response.json({"error": SENDER_ERROR}, 400)
            refusal = self.guard.check(self.name(), sender, body["message"], _language(body))
            if refusal is None:
                body["message"] = safe_payload(body["message"])  # what Rasa's handler reads
                return None
            return response.json([{"recipient_id": sender, "text": refusal}])

        return webhook
