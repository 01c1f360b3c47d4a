"""A call-back request: name, phone number, part of the day and explicit consent.

Only on behalf of the desk that has agreed to call back (settings CALLBACK_DESK_*): its name
and within how many working days it calls are in the question and the confirmation. Without
such a desk nothing is asked or stored: the person gets a number to call. The request is written
to the call-back store before the confirmation is sent, so a confirmed request is never lost.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.desk import LIVE_CHANNELS, DeskClient
from actions.clients.errors import ServiceUnavailable
from actions.contacts import callback_desk, fallback_contact, message_placeholders
from actions.dutch import format_wait
from actions.i18n import language_of, say
from bot.privacy import mask_personal_numbers, normalize_phone
from bot.settings import settings
from services.callbacks import CallbackRequest, CallbackStore

logger = logging.getLogger(__name__)
DAYPARTS = ("morning", "afternoon", "any")
DAYPART_WORDS = {"ochtend": "morning", "morgen": "morning", "middag": "afternoon"}
CALLBACK_SLOTS = (
    "callback_name", "callback_phone", "callback_daypart", "callback_consent",
    "callback_organization", "callback_subject",
)  # fmt: skip
# A first name: letters (any script), spaces, hyphens and apostrophes, 1 to 40 characters.
FIRST_NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ '\-’]){0,39}$")


@lru_cache(maxsize=1)
def callback_store() -> CallbackStore:
    config = settings()
    return CallbackStore(config.callback_database_url, config.retention_days)


def organization_of(tracker: Tracker) -> str:
    """The desk that calls back: the configured one (the slot is only a fallback name)."""
    desk = callback_desk()
    return (
        desk.name if desk else tracker.get_slot("callback_organization") or fallback_contact().name
    )


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # No desk that calls back: nothing to ask (action_submit_callback says whom to call).
        return domain_slots if callback_desk() else []

    def validate_callback_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        for prefix in ("ik heet ", "mijn naam is ", "ik ben ", "my name is ", "i am ", "i'm "):
            if text.lower().startswith(prefix):
                text = text[len(prefix) :].strip()
        if FIRST_NAME.match(text):
            return {"callback_name": text[:1].upper() + text[1:]}
        dispatcher.utter_message(response="invalid_name")
        return {"callback_name": None}

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = normalize_phone(str(value or ""))
        if phone:
            return {"callback_phone": phone}
        dispatcher.utter_message(response="invalid_phone")
        return {"callback_phone": None}

    def validate_callback_daypart(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in DAYPARTS:
            return {"callback_daypart": value}
        mapped = {"daytime": "any", "evening": "any"}.get(value) or DAYPART_WORDS.get(
            str(value).lower()
        )
        return {"callback_daypart": mapped}

    def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # Only an explicit yes (the affirm intent while this question is open) counts.
        return {"callback_consent": value if isinstance(value, bool) else None}


class ActionAskCallbackConsent(Action):
    def name(self) -> str:
        return "action_ask_callback_consent"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="callback_consent_question",
            name=organization_of(tracker),
            **{k: v for k, v in message_placeholders().items() if k != "name"},
        )
        return []


class ActionSubmitCallback(Action):
    def __init__(self, store: CallbackStore | None = None) -> None:
        self._store = store

    def name(self) -> str:
        return "action_submit_callback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        cleared = [SlotSet(slot, None) for slot in CALLBACK_SLOTS]
        placeholders = message_placeholders()
        desk = callback_desk()
        if desk is None:
            # No desk has agreed to call back: never promise a call; name a number to call.
            contact = fallback_contact()
            dispatcher.utter_message(
                text=say(
                    language_of(tracker), "callback_no_desk", name=contact.name, phone=contact.phone
                )  # fmt: skip
            )
            return cleared
        if tracker.get_slot("callback_consent") is not True:
            dispatcher.utter_message(response="callback_declined", **placeholders)
            return cleared
        request = CallbackRequest(
            first_name=tracker.get_slot("callback_name"),
            phone=tracker.get_slot("callback_phone"),
            daypart=tracker.get_slot("callback_daypart") or "any",
            organization=organization_of(tracker),
            subject=tracker.get_slot("callback_subject"),
        )
        try:
            # Linked to this conversation, so "wis mijn gegevens" deletes it too.
            stored = (self._store or callback_store()).add(request, sender_id=tracker.sender_id)
        except Exception as exc:  # noqa: BLE001 - any storage failure: tell, promise nothing
            # Only the type: the message of a database error can contain the phone number.
            logger.error("Storing a call-back request failed: %s", type(exc).__name__)
            dispatcher.utter_message(response="callback_failed", **placeholders)
            return cleared
        dispatcher.utter_message(
            response="callback_confirmed",
            name=stored.organization,
            reference=stored.reference,
            days=desk.working_days,
            phone=desk.phone,
        )
        return cleared


# -- live chat with a desk (services/desk, docs/desk.md) -------------------------------------

TRANSCRIPT_LINES = 40  # the advisor sees the conversation so far, its last lines


def live_chat_offer(tracker: Tracker, topic: str | None) -> dict[str, Any] | None:
    """The desk whose advisors can chat now, with the queue: on a channel that can show their
    messages (widget, kiosk, WhatsApp) and while someone of that desk is signed in."""
    if tracker.get_latest_input_channel() not in LIVE_CHANNELS:
        return None
    try:
        found = DeskClient.from_settings().availability(topic)
    except ServiceUnavailable as exc:
        logger.warning("Desk availability unknown: %s", exc.reason)
        return None
    return found if found.get("available") else None


def transcript(tracker: Tracker) -> list[tuple[str, str, datetime | None]]:
    """The conversation so far, personal numbers masked, for the advisor."""
    lines: list[tuple[str, str, datetime | None]] = []
    for event in tracker.events:
        kind = event.get("event")
        text = event.get("text")
        if kind not in ("user", "bot") or not text or str(text).startswith("/"):
            continue
        at = event.get("timestamp")
        when = datetime.fromtimestamp(at, timezone.utc) if isinstance(at, (int, float)) else None
        sender = "citizen" if kind == "user" else "assistant"
        lines.append((sender, mask_personal_numbers(str(text))[:2000], when))
    return lines[-TRANSCRIPT_LINES:]


class ActionStartLiveChat(Action):
    """Join the desk's queue and pause the conversation: from here the desk answers
    (bot/desk_relay.py) until the advisor hands back or nobody answers in time."""

    def __init__(self, client: DeskClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_start_live_chat"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = language_of(tracker)
        channel = tracker.get_latest_input_channel()
        client = self._client or DeskClient.from_settings()
        contact = fallback_contact()
        done = [SlotSet("live_chat_desk", None)]
        desk_id = tracker.get_slot("live_chat_desk")
        joined = None
        try:
            if not desk_id and channel in LIVE_CHANNELS:
                offer = client.availability(tracker.get_slot("callback_subject"))
                desk_id = offer["desk"]["id"] if offer.get("available") else None
            if desk_id and channel in LIVE_CHANNELS:
                joined = client.start(
                    tracker.sender_id, channel, desk_id, language, transcript(tracker)
                )
        except ServiceUnavailable as exc:
            logger.warning("Joining a desk's queue failed: %s", exc.reason)
        if joined is None:
            # Closed in the meantime, no desk, or a channel without live chat: a number to call.
            dispatcher.utter_message(
                text=say(language, "desk.closed", desk=contact.name, phone=contact.phone)
            )
            return done
        dispatcher.utter_message(
            text=say(
                language,
                "desk.queued",
                desk=joined["desk"]["name"],
                position=joined["position"],
                wait=format_wait(joined["expected_wait_minutes"], language),
            )
        )
        return [*done, ConversationPaused()]
