"""WhatsApp Cloud API message formats: webhook payloads in, Graph API message bodies out.

Pure functions, no I/O. Limits are WhatsApp's: 4,096 characters for a text message,
1,024 for the body of an interactive message, reply buttons (at most 3, titles at most
20 characters, ids at most 256) and list messages (at most 10 rows, titles at most 24,
descriptions at most 72, ids at most 200). Rasa buttons that fit neither become a
numbered text list; a typed number then maps back to the button.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from actions.i18n import DEFAULT_LANGUAGE, say
from bot.channels.whatsapp_store import Choice

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
REPLY_BUTTONS_MAX = 3
REPLY_TITLE_LIMIT = 20
REPLY_ID_LIMIT = 256
LIST_ROWS_MAX = 10
LIST_TITLE_LIMIT = 24
LIST_DESCRIPTION_LIMIT = 72
LIST_ID_LIMIT = 200

# The channel's own texts, from actions/locales/nl.yml (`strings`: `whatsapp`).
LIST_BUTTON_LABEL = say(DEFAULT_LANGUAGE, "whatsapp.list_button")  # at most 20 characters
DEFAULT_BODY = say(DEFAULT_LANGUAGE, "whatsapp.default_body")

SUPPORTED_TYPES = ("text", "interactive", "button")
# Notices, not messages from a person: nothing to answer.
IGNORED_TYPES = ("system", "request_welcome")

# "2", " 2 ", "2." or "2)"; nothing else counts as choosing by number.
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
# Where a long text may be cut, best first; the number says how much stays with the head.
_BREAKS = (("\n\n", 0), ("\n", 0), (". ", 1), ("? ", 1), ("! ", 1), (" ", 0))


@dataclass(frozen=True)
class Inbound:
    """One message from a WhatsApp user. `text` is None for types we cannot read."""

    wa_id: str
    message_id: str
    kind: str
    text: str | None
    timestamp: float | None


def inbound_messages(payload: Any, phone_number_id: str) -> list[Inbound]:
    """The user messages in a webhook payload for our number; statuses are skipped."""
    found: list[Inbound] = []
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return found
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            receiver = str((value.get("metadata") or {}).get("phone_number_id", ""))
            if receiver != phone_number_id:
                if value.get("messages"):
                    logger.warning("WhatsApp: messages for another phone number id ignored")
                continue
            for error in _dicts(value.get("errors")):
                logger.warning("WhatsApp webhook error code %s", error.get("code"))
            for message in _dicts(value.get("messages")):
                inbound = _inbound(message)
                if inbound:
                    found.append(inbound)
    return found


def _inbound(message: dict) -> Inbound | None:
    wa_id, message_id, kind = message.get("from"), message.get("id"), message.get("type")
    if not (isinstance(wa_id, str) and isinstance(message_id, str) and isinstance(kind, str)):
        return None
    if kind in IGNORED_TYPES:
        return None
    text: str | None = None
    if kind == "text":
        text = _string((message.get("text") or {}).get("body"))
    elif kind == "interactive":
        interactive = message.get("interactive") or {}
        kind = str(interactive.get("type") or "interactive")
        if kind in ("button_reply", "list_reply"):
            reply = interactive.get(kind) or {}
            text = _string(reply.get("id")) or _string(reply.get("title"))
    elif kind == "button":  # a quick-reply button of a template message
        button = message.get("button") or {}
        text = _string(button.get("payload")) or _string(button.get("text"))
    try:
        timestamp: float | None = float(message.get("timestamp"))
    except (TypeError, ValueError):
        timestamp = None
    return Inbound(wa_id, message_id, kind, text, timestamp)


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def choice_for_number(text: str, choices: list[Choice]) -> Choice | None:
    """The choice a typed number stands for ("2" is the second), or None."""
    match = _NUMBER.match(text or "")
    if not match:
        return None
    number = int(match.group(1))
    return choices[number - 1] if 1 <= number <= len(choices) else None


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a text into pieces of at most `limit` characters, at paragraphs if possible."""
    pieces: list[str] = []
    text = text.strip()
    while len(text) > limit:
        cut, keep = _cut_before(text, limit)
        pieces.append(text[: cut + keep].rstrip())
        text = text[cut + keep :].lstrip()
    if text:
        pieces.append(text)
    return pieces


def _cut_before(text: str, limit: int) -> tuple[int, int]:
    """Where to cut so that the head fits in `limit`: a late break, else any break."""
    for minimum in (limit // 2, 1):
        for separator, keep in _BREAKS:
            index = text.rfind(separator, 0, limit - keep + len(separator))
            if index >= minimum and index + keep <= limit:
                return index, keep
    return limit, 0


def split_for_body(text: str, limit: int = BODY_LIMIT) -> tuple[list[str], str]:
    """A long text as (texts to send first, the longest last part that fits in `limit`)."""
    text = text.strip()
    if len(text) <= limit:
        return [], text
    earliest = len(text) - limit  # where the last part may start at the earliest
    for separator, keep in _BREAKS:
        index = text.find(separator, max(0, earliest - len(separator)))
        if index > 0 and text[index + len(separator) :].strip():
            return split_text(text[: index + keep]), text[index + len(separator) :].strip()
    return split_text(text[:earliest]), text[earliest:]


def text_messages(text: str) -> list[dict]:
    return [
        {"type": "text", "text": {"preview_url": False, "body": piece}}
        for piece in split_text(text)
    ]


@dataclass(frozen=True)
class ButtonMessages:
    """Graph API message objects for one Rasa message with buttons, and its choices."""

    messages: list[dict]
    choices: list[Choice]
    form: str  # "buttons", "list" or "numbered"


def button_messages(text: str | None, buttons: list[dict]) -> ButtonMessages:
    """Reply buttons when they fit, else a list message, else a numbered text list."""
    choices = [_choice(button) for button in buttons]
    descriptions = [str(button.get("description") or "").strip() for button in buttons]
    text = (text or "").strip()
    if not choices:
        return ButtonMessages(text_messages(text), [], "text")
    distinct = len({c.payload for c in choices}) == len({c.title for c in choices}) == len(choices)
    if (
        distinct
        and not any(descriptions)
        and _fits(choices, REPLY_BUTTONS_MAX, REPLY_TITLE_LIMIT, REPLY_ID_LIMIT)
    ):
        heads, body = split_for_body(text or DEFAULT_BODY)
        buttons_action = [
            {"type": "reply", "reply": {"id": c.payload, "title": c.title}} for c in choices
        ]
        message = _interactive("button", body, {"buttons": buttons_action})
        return ButtonMessages([*_texts(heads), message], choices, "buttons")
    if (
        distinct
        and _fits(choices, LIST_ROWS_MAX, LIST_TITLE_LIMIT, LIST_ID_LIMIT)
        and all(len(d) <= LIST_DESCRIPTION_LIMIT for d in descriptions)
    ):
        heads, body = split_for_body(text or DEFAULT_BODY)
        rows = [
            {"id": c.payload, "title": c.title, **({"description": d} if d else {})}
            for c, d in zip(choices, descriptions, strict=True)
        ]
        action = {"button": LIST_BUTTON_LABEL, "sections": [{"rows": rows}]}
        message = _interactive("list", body, action)
        return ButtonMessages([*_texts(heads), message], choices, "list")
    return ButtonMessages(text_messages(numbered_text(text, choices)), choices, "numbered")


def numbered_text(text: str, choices: list[Choice]) -> str:
    lines = [f"{number}. {choice.title}" for number, choice in enumerate(choices, start=1)]
    return "\n\n".join(
        part for part in (text, "\n".join(lines), how_to_choose(len(choices))) if part
    )


def how_to_choose(count: int) -> str:
    """Dutch instruction for a numbered list: "Typ 1, 2 of 3."."""
    if count == 1:
        return say(DEFAULT_LANGUAGE, "whatsapp.type_one")
    if count <= 5:
        numbers = [str(n) for n in range(1, count + 1)]
        return say(
            DEFAULT_LANGUAGE,
            "whatsapp.type_some",
            numbers=", ".join(numbers[:-1]),
            last=numbers[-1],
        )
    return say(DEFAULT_LANGUAGE, "whatsapp.type_any", count=count)


def _choice(button: dict) -> Choice:
    title = str(button.get("title") or "").strip()
    payload = str(button.get("payload") or title).strip()
    return Choice(title, payload)


def _fits(choices: list[Choice], most: int, title_limit: int, id_limit: int) -> bool:
    return len(choices) <= most and all(
        len(c.title) <= title_limit and 0 < len(c.payload) <= id_limit for c in choices
    )


def _interactive(kind: str, body: str, action: dict) -> dict:
    return {
        "type": "interactive",
        "interactive": {"type": kind, "body": {"text": body}, "action": action},
    }


def _texts(pieces: list[str]) -> list[dict]:
    return [message for piece in pieces for message in text_messages(piece)]
