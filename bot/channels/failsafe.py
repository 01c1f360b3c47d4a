"""The assistant always answers: a turn that fails, or ends without a word, gets an apology.

Rasa catches a failing custom action (the action server killed, say) and then simply says
nothing; a failing tracker or lock store (PostgreSQL restarting, Redis gone, a full disk)
raises, and Rasa's channels then answer with nothing at all, logging the citizen's text. Each
channel of this project hands Rasa `answering(on_new_message, channel)` instead of
`on_new_message`. When the turn raises, or sends no message, the citizen gets a short text
in their language with the phone number of the Leerwerkloket (`strings.refusals.failed` and
`.silent` in actions/locales/), within the time Rasa took to fail. The log names the fault
(the exception's type and, for a database error, the driver's own message: never the SQL,
its parameters or the citizen's text).

A turn relayed to an advisor (a paused conversation, bot/desk_relay.py) is silent on purpose.

A turn that failed before Rasa stored it is not in the conversation; the text asks the
citizen to send it again, so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage

from actions.contacts import fallback_contact
from actions.i18n import DEFAULT_LANGUAGE, LANGUAGES, strings
from bot.desk_relay import begin_turn

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]


def apology(kind: str, language: str | None = None) -> str:
    """`failed` (something broke) or `silent` (no answer came), in the citizen's language."""
    code = language if language in LANGUAGES else DEFAULT_LANGUAGE
    contact = fallback_contact()
    return strings(code)["refusals"][kind].format(contact_name=contact.name, phone=contact.phone)


def describe(exc: BaseException) -> str:
    """What broke, without personal data: SQLAlchemy's text carries the SQL and parameters,
    so of a database error only the driver's first line is named; of other errors the type.
    A chain of causes is followed ("ConversationStoreUnavailable <- OperationalError (...)")."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 4:
        original = getattr(seen, "orig", None)  # a DB-API error wrapped by SQLAlchemy
        if original is not None:
            first_line = (str(original).strip().splitlines() or [""])[0]
            driver = f"{type(original).__module__}.{type(original).__name__}"
            parts.append(f"{type(seen).__name__} ({driver}: {first_line})")
        else:
            parts.append(type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(parts)


def answering(on_new_message: Handler, channel: str) -> Handler:
    """`on_new_message` that always leaves the citizen with an answer (see above)."""

    async def handle(message: UserMessage) -> Any:
        output = message.output_channel
        sent = 0
        original_send = output.send_response

        async def counted(recipient_id: str, reply: dict[str, Any]) -> None:
            nonlocal sent
            sent += 1
            await original_send(recipient_id, reply)

        output.send_response = counted  # type: ignore[method-assign]
        language = (message.metadata or {}).get("language")
        turn = begin_turn()
        try:
            result = await on_new_message(message)
        except Exception as exc:  # noqa: BLE001 - whatever broke, the citizen gets an answer
            logger.error("%s: a turn failed: %s", channel, describe(exc))
            logger.debug("%s: the failed turn", channel, exc_info=True)
            await original_send(message.sender_id, {"text": apology("failed", language)})
            return None
        finally:
            output.send_response = original_send  # type: ignore[method-assign]
        if sent == 0 and not turn.relayed:  # a relayed turn is the advisor's to answer
            logger.error(
                "%s: a turn ended without an answer (see the error above: action server or "
                "a service)",
                channel,
            )
            await original_send(message.sender_id, {"text": apology("silent", language)})
        return result

    return handle
