"""Rasa's Twilio channel with Twilio's request signature checked.

Rasa 3.6's `twilio` channel (rasa/core/channels/twilio.py) accepts any POST to its
webhook, so anyone who knows the URL can talk as any phone number. This subclass checks
`X-Twilio-Signature` with Twilio's own `RequestValidator` before Rasa sees the request.
Use it in credentials.yml instead of `twilio:` (docs/whatsapp.md):

    bot.channels.twilio_signed.SignedTwilioInput:
      account_sid: ${TWILIO_ACCOUNT_SID}
      auth_token: ${TWILIO_AUTH_TOKEN}
      twilio_number: ${TWILIO_NUMBER}
      webhook_url: ${TWILIO_WEBHOOK_URL}

After the signature, the rate limit and length cap of bot/guard.py: a refused message is
answered with TwiML (Twilio sends that text back) and does not reach Rasa.

Twilio signs the URL it called. Behind a reverse proxy the server sees another URL, so set
`webhook_url` to the exact public URL entered in the Twilio console.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from xml.sax.saxutils import escape

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.channels.failsafe import answering
from bot.guard import Guard, guard, safe_payload

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"


class SignedTwilioInput(TwilioInput):
    """Twilio input channel (same name and URL as Rasa's) that refuses unsigned requests."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("account_sid"),
            credentials.get("auth_token"),
            credentials.get("twilio_number"),
            webhook_url=credentials.get("webhook_url") or None,
        )

    def __init__(
        self,
        account_sid: str | None,
        auth_token: str | None,
        twilio_number: str | None,
        debug_mode: bool = False,
        webhook_url: str | None = None,
        message_guard: Guard | None = None,
    ) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=debug_mode)
        self.webhook_url = webhook_url
        self.guard = message_guard or guard()
        if not auth_token:
            logger.warning("Twilio channel has no auth token; its webhook answers 503")

    def request_is_signed(self, request: Request) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature or not self.auth_token:
            return False
        url = self.webhook_url or request.url
        return RequestValidator(self.auth_token).validate(url, request.form, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(answering(on_new_message, self.name()))

        @webhook.middleware("request")
        async def check_signature(request: Request) -> HTTPResponse | None:
            if request.method != "POST" or not request.path.rstrip("/").endswith("/webhook"):
                return None
            if not self.auth_token:
                return response.text("Twilio is not configured on this server.", status=503)
            if not self.request_is_signed(request):
                logger.warning("Twilio webhook: missing or wrong signature; refused")
                return response.text("Invalid signature", status=403)
            refusal = self.guard.check(
                self.name(), request.form.get("From"), request.form.get("Body")
            )
            if refusal:
                return response.text(twiml_message(refusal), content_type="text/xml")
            body = request.form.get("Body")
            if body:
                request.form["Body"] = [safe_payload(body)]  # what Rasa's handler reads
            return None

        return webhook


def twiml_message(text: str) -> str:
    """A TwiML answer that makes Twilio send `text` back to the sender."""
    message = f"<Message>{escape(text)}</Message>"
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
