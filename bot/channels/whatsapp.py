"""Rasa input and output channel for the WhatsApp Business Cloud API.

Registered in credentials.yml as `bot.channels.whatsapp.WhatsAppInput`; Rasa serves it at
`/webhooks/whatsapp/webhook`:

- GET: Meta's verification (`hub.mode=subscribe`, `hub.verify_token`): the challenge
  back as text, 403 otherwise.
- POST: checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app secret)
  before reading anything, answers 200 at once and handles the messages in the background
  (Meta sends a message again when the answer is slow).

The Rasa sender id is a keyed hash of the WhatsApp id (a phone number), so conversations
are stored without it; the reply goes to the WhatsApp id of the message being answered.
See docs/whatsapp.md for the design and how to connect a number.

Live hand-over (docs/desk.md, bot/desk_relay.py): when a turn leaves the conversation paused
for the desk, the WhatsApp id is saved with the user's row (`reply_to`), and the channel's
deliverer sends the desk's messages there, within the 24-hour window only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.i18n import DEFAULT_LANGUAGE, say
from bot import desk_relay
from bot.channels.failsafe import answering
from bot.channels.whatsapp_format import (
    Inbound,
    button_messages,
    choice_for_number,
    inbound_messages,
    text_messages,
)
from bot.channels.whatsapp_graph import DEFAULT_API_BASE_URL, GraphClient
from bot.channels.whatsapp_store import (
    Choice,
    WhatsAppStore,
    default_store_url,
    open_whatsapp_store,
)
from bot.guard import (  # noqa: F401 - MAX_MESSAGE_CHARS re-exported
    MAX_MESSAGE_CHARS,
    Guard,
    guard,
    refusal_text,
    safe_payload,
)

logger = logging.getLogger(__name__)

CHANNEL_NAME = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
SERVICE_WINDOW_SECONDS = 24 * 3600
MESSAGE_IDS_KEPT_SECONDS = 7 * 24 * 3600  # longer than Meta keeps retrying a delivery
PURGE_EVERY_SECONDS = 3600

# What a citizen reads comes from actions/locales/nl.yml (`strings`: `whatsapp`, `refusals`).
UNSUPPORTED_TEXT = say(DEFAULT_LANGUAGE, "whatsapp.unsupported")
TOO_LONG_TEXT = refusal_text("too_long")  # the length cap and rate limit are bot/guard.py's
NOT_CONFIGURED_TEXT = "WhatsApp is not configured on this server."


@dataclass(frozen=True)
class WhatsAppConfig:
    """The channel's settings; credentials.yml fills them from the WHATSAPP_* variables."""

    phone_number_id: str = ""
    access_token: str = ""
    app_secret: str = ""
    verify_token: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    sender_id_key: str = ""  # empty: derived from the app secret
    store_url: str = ""  # empty: sqlite:///<VAR_DIR>/whatsapp.db
    user_retention_seconds: float = 30 * 24 * 3600

    REQUIRED: ClassVar[dict[str, str]] = {
        "phone_number_id": "WHATSAPP_PHONE_NUMBER_ID",
        "access_token": "WHATSAPP_ACCESS_TOKEN",
        "app_secret": "WHATSAPP_APP_SECRET",
        "verify_token": "WHATSAPP_VERIFY_TOKEN",
    }

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WhatsAppConfig:
        from bot.settings import settings  # the var/ directory and retention period

        config = settings()
        known = {f.name for f in fields(cls)}
        values = {
            key: str(value).strip()
            for key, value in (credentials or {}).items()
            if key in known and value is not None and str(value).strip()
        }
        values.setdefault("store_url", default_store_url())
        values["user_retention_seconds"] = max(
            SERVICE_WINDOW_SECONDS, config.retention_days * 24 * 3600
        )
        return cls(**values)

    @property
    def missing(self) -> list[str]:
        return [env for name, env in self.REQUIRED.items() if not getattr(self, name)]

    @property
    def hash_key(self) -> bytes:
        if self.sender_id_key:
            return self.sender_id_key.encode("utf-8")
        return hmac.new(self.app_secret.encode("utf-8"), b"leerwijzer-ids", "sha256").digest()


def signature_is_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Meta's `X-Hub-Signature-256: sha256=<hex>` over the raw body, compared in constant time."""
    if not header or not app_secret:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8"))


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def sender_id_for(wa_id: str, key: bytes) -> str:
    """The Rasa sender id for a WhatsApp id: stable, and not a phone number."""
    return "wa-" + keyed_hash(key, "user", wa_id)[:32]


class WhatsAppOutput(OutputChannel):
    """Sends one turn's answers to the WhatsApp user whose message is being answered."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(
        self,
        graph: GraphClient,
        store: WhatsAppStore,
        wa_id: str,
        sender_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.graph = graph
        self.store = store
        self.wa_id = wa_id
        self.sender_id = sender_id
        self.clock = clock
        self.turn_choices: list[Choice] | None = None  # the last buttons delivered this turn
        self.sent = 0  # messages WhatsApp accepted

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, text_messages(text or ""))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        formatted = button_messages(text, buttons)
        if await self._send(recipient_id, formatted.messages):
            self.turn_choices = formatted.choices

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._send(recipient_id, [{"type": "image", "image": {"link": image}}])

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """`custom: {whatsapp: {...}}` is sent as a WhatsApp message object; other JSON is not."""
        message = json_message.get("whatsapp") if isinstance(json_message, dict) else None
        if isinstance(message, dict) and message.get("type") != "template":
            await self._send(recipient_id, [message])
        else:
            logger.info("WhatsApp: custom message without a 'whatsapp' object not sent")

    async def _send(self, recipient_id: str, messages: list[dict]) -> bool:
        """True when WhatsApp accepted every message."""
        if recipient_id != self.sender_id:
            logger.error("WhatsApp: answer for another conversation dropped")
            return False
        if not messages:
            return False
        last = await asyncio.to_thread(self.store.last_inbound, self.sender_id)
        if last is None or self.clock() - last > SERVICE_WINDOW_SECONDS:
            logger.warning(
                "WhatsApp: user %s last wrote more than 24 h ago; message dropped "
                "(only template messages are allowed then)",
                short(self.sender_id),
            )
            return False
        delivered = True
        for message in messages:
            if await self.graph.send(self.wa_id, message):
                self.sent += 1
            else:
                delivered = False
        return delivered

    async def finish_turn(self) -> None:
        """Remember this turn's last buttons for typed numbers; a turn without any forgets them."""
        if self.turn_choices is not None:
            choices = self.turn_choices
        elif self.sent:
            choices = []
        else:
            return
        await asyncio.to_thread(self.store.save_choices, self.sender_id, choices, self.clock())


class WhatsAppInput(InputChannel):
    """WhatsApp Cloud API webhook: verification, signed messages, one turn per message id."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WhatsAppInput:
        return cls(WhatsAppConfig.from_credentials(credentials))

    def __init__(
        self,
        config: WhatsAppConfig,
        store: WhatsAppStore | None = None,
        graph: GraphClient | None = None,
        clock: Callable[[], float] = time.time,
        message_guard: Guard | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.guard = message_guard or guard()
        self.configured = not config.missing
        self._tasks: set[asyncio.Task] = set()
        self._turns: dict[str, list] = {}  # sender id -> [lock, users]
        self._last_purge = 0.0
        self.store = store
        self.graph = graph
        if not self.configured:
            logger.warning(
                "WhatsApp channel not configured (missing %s); /webhooks/whatsapp/webhook "
                "answers 503. See docs/whatsapp.md.",
                ", ".join(config.missing),
            )
            return
        self.store = store or open_whatsapp_store(config.store_url)
        self.graph = graph or GraphClient(
            config.api_base_url, config.phone_number_id, config.access_token
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)
        if self.configured:
            desk_relay.register(self.name(), self.deliver, self.release)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.text(NOT_CONFIGURED_TEXT, status=503)
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode("utf-8"), self.config.verify_token.encode("utf-8")
            ):
                return response.text(request.args.get("hub.challenge") or "")
            logger.warning("WhatsApp webhook verification refused")
            return response.text("Forbidden", status=403)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.configured:
                return response.text(NOT_CONFIGURED_TEXT, status=503)
            body = request.body or b""
            if not signature_is_valid(
                body, request.headers.get(SIGNATURE_HEADER), self.config.app_secret
            ):
                logger.warning("WhatsApp webhook: missing or wrong signature; refused")
                return response.text("Invalid signature", status=401)
            try:
                payload = json.loads(body)
            except ValueError:
                return response.text("Body is not JSON", status=400)
            for inbound in inbound_messages(payload, self.config.phone_number_id):
                self._spawn(self.handle(inbound, on_new_message))
            return response.text("OK")

        return webhook

    async def handle(
        self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """One user message: at most one turn per message id, answers within 24 hours only."""
        sender_id = sender_id_for(inbound.wa_id, self.config.hash_key)
        message_key = keyed_hash(self.config.hash_key, "message", inbound.message_id)
        now = self.clock()
        written_at = min(now, inbound.timestamp) if inbound.timestamp else now
        await self._purge_now_and_then(now)
        async with self._turn_of(sender_id):
            if not await asyncio.to_thread(self.store.claim_message, message_key, now):
                logger.info("WhatsApp: message %s already handled", message_key[:12])
                return
            if now - written_at > SERVICE_WINDOW_SECONDS:
                logger.warning("WhatsApp: message older than 24 h not answered")
                return
            await asyncio.to_thread(self.store.record_inbound, sender_id, written_at)
            output = WhatsAppOutput(self.graph, self.store, inbound.wa_id, sender_id, self.clock)
            refusal = self.guard.check(self.name(), sender_id, inbound.text)
            if refusal:
                await output.send_text_message(sender_id, refusal)
                return
            if inbound.text is None:
                logger.info("WhatsApp: unsupported message type %r answered", inbound.kind)
                await output.send_text_message(sender_id, UNSUPPORTED_TEXT)
                return
            text = inbound.text
            if inbound.kind == "text":
                choices = await asyncio.to_thread(self.store.choices, sender_id)
                chosen = choice_for_number(text, choices)
                text = chosen.payload if chosen else text
            text = safe_payload(text)
            message = UserMessage(
                text,
                output,
                sender_id,
                input_channel=self.name(),
                message_id=message_key,
                metadata={"whatsapp_type": inbound.kind},
            )
            # A failed or silent turn gets an apology (bot/channels/failsafe.py).
            await answering(on_new_message, self.name())(message)
            turn = desk_relay.current_turn()
            if turn and turn.paused:  # handed over: the desk's messages need the WhatsApp id
                await asyncio.to_thread(
                    self.store.save_reply_to, sender_id, inbound.wa_id, self.clock()
                )
            await output.finish_turn()

    async def release(self, sender_id: str) -> None:
        """The hand-over ended: the citizen's WhatsApp id is no longer kept."""
        await asyncio.to_thread(self.store.save_reply_to, sender_id, None, self.clock())

    async def deliver(self, sender_id: str, message: dict[str, Any]) -> bool:
        """Send a message of the desk (bot/desk_relay.py) to a handed-over conversation. True
        when WhatsApp accepted it; False without a saved WhatsApp id for the sender, outside
        the 24-hour window, or when WhatsApp refused it."""
        wa_id = await asyncio.to_thread(self.store.reply_to, sender_id)
        if not wa_id:
            logger.warning(
                "WhatsApp: no reply address for %s; desk message not sent", short(sender_id)
            )
            return False
        output = WhatsAppOutput(self.graph, self.store, wa_id, sender_id, self.clock)
        text = str(message.get("text") or "")
        if message.get("person"):  # from a person, not the assistant: their label, in bold
            text = f"*{message['person']}*\n{text}"
        buttons = message.get("buttons")
        if buttons:
            # Not during a turn of the same user: its end would overwrite these choices.
            async with self._turn_of(sender_id):
                await output.send_text_with_buttons(sender_id, text, buttons)
                await output.finish_turn()  # a typed number then chooses a button
        else:
            await output.send_text_message(sender_id, text)
        return output.sent > 0

    async def drain(self) -> None:
        """Wait until every message received so far is handled (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception():
            logger.error("WhatsApp: message handling failed: %s", type(task.exception()).__name__)

    @contextlib.asynccontextmanager
    async def _turn_of(self, sender_id: str) -> AsyncIterator[None]:
        """One turn at a time per user in this process, in the order the messages came."""
        entry = self._turns.setdefault(sender_id, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._turns.pop(sender_id, None)

    async def _purge_now_and_then(self, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        try:
            await asyncio.to_thread(
                self.store.purge,
                now - MESSAGE_IDS_KEPT_SECONDS,
                now - self.config.user_retention_seconds,
            )
        except Exception as exc:  # housekeeping: never fatal
            logger.warning("WhatsApp: purging old entries failed: %s", type(exc).__name__)


def short(sender_id: str) -> str:
    """Enough of a hashed id to follow one user through the log."""
    return sender_id[:11]
