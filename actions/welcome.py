"""Welcome, what the assistant is for, questions it cannot answer, and languages."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contacts import message_placeholders
from actions.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    NATIVE_NAMES,
    SLOT,
    language_of,
    strings,
)

# Questions for the municipality, not for a learning assistant: (pattern, subject id). The
# subject in words is in actions/locales/<language>.yml (municipal_subjects).
MUNICIPAL_SUBJECTS = (
    (r"paspoort|id-?kaart|identiteitskaart|passport", "passport"),
    (r"afval|vuilnis|container|kliko|grofvuil|milieustraat|garbage|rubbish", "waste"),
    (r"parkeer|parkeren|parking", "parking"),
    (r"rijbewijs|driving licen[cs]e|driver'?s licen[cs]e", "driving_licence"),
    (r"verhuiz|adres wijzigen|inschrijven", "moving"),
    (r"bouwvergunning|omgevingsvergunning|vergunning|permit", "permit"),
    (r"uittreksel|geboorteakte|trouwen|huwelijk|birth certificate", "certificate"),
)
SUPPORTED_LANGUAGES = LANGUAGES
# Where detection comes from: bot.components.language_detection adds this to the parse data.
DETECTED = "detected_language"
OFFERED_SLOT = "language_offered"


def municipal_subject(text: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    lowered = text.lower()
    for pattern, subject in MUNICIPAL_SUBJECTS:
        if re.search(pattern, lowered):
            return strings(language)["municipal_subjects"][subject]
    return None


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="greeting", **message_placeholders())
        return []


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        subject = municipal_subject(tracker.latest_message.get("text") or "", language_of(tracker))
        if subject:
            dispatcher.utter_message(response="municipal_question", subject=subject)
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


def said_language(tracker: Tracker) -> str | None:
    """The language named in the latest message ("English please", a language button)."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == SLOT and entity.get("value") in LANGUAGES:
            return entity["value"]
    return None


class ActionChangeLanguage(Action):
    """Switch when a language is named (the slot is already set by its mapping); else ask."""

    def name(self) -> str:
        return "action_change_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        language = said_language(tracker)
        if language is None:
            dispatcher.utter_message(response="language_choice")
            return []
        # The response is rendered with the slot as it is now: already the new language.
        dispatcher.utter_message(response="language_changed")
        return [SlotSet(SLOT, language), SlotSet(OFFERED_SLOT, language)]


def asks_for_a_language(tracker: Tracker) -> bool:
    """change_language, or a bare language name answering "Welke taal?" outside a form."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "change_language":
        return True
    return intent == "inform" and not tracker.active_loop.get("name")


def offer_text(current: str, offered: str) -> str:
    """'Would you like to continue in English?' in that language, then in the current one."""
    first = strings(offered)["continue_in"][offered]
    second = strings(current)["continue_in"][offered]
    return f"{first}\n{second}"


def language_before(tracker: Tracker) -> str:
    """The conversation's language before the latest message changed any slot."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    language = DEFAULT_LANGUAGE
    for event in events[: users[-1] if users else len(events)]:
        if event.get("event") == "slot" and event.get("name") == SLOT:
            value = event.get("value")
            language = value if value in LANGUAGES else DEFAULT_LANGUAGE
    return language


class ActionDetectLanguage(Action):
    """Runs after every message, as Rasa's action_validate_slot_mappings.

    When someone writes in another supported language than the conversation's, ask once, in
    both languages, whether to continue in theirs. Detection is done offline by
    bot.components.language_detection; this action only compares and asks. It also undoes a
    switch by a language named in passing ("ik wil Engels leren").
    """

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        detected = (message.get(DETECTED) or {}).get("language")
        current = language_of(tracker)
        text = message.get("text") or ""
        if said_language(tracker) and not asks_for_a_language(tracker):
            # The slot's entity mapping has just set it: put back the language from before.
            return [SlotSet(SLOT, language_before(tracker))]
        if (
            detected not in LANGUAGES
            or detected == current
            or detected == tracker.get_slot(OFFERED_SLOT)
            or text.startswith("/")
            or said_language(tracker)
            or (message.get("intent") or {}).get("name") == "change_language"
        ):
            return []
        dispatcher.utter_message(
            text=offer_text(current, detected),
            buttons=[
                {
                    "title": NATIVE_NAMES[detected],
                    "payload": f'/change_language{{"language": "{detected}"}}',
                },
                {
                    "title": NATIVE_NAMES[current],
                    "payload": f'/change_language{{"language": "{current}"}}',
                },
            ],
        )
        return [SlotSet(OFFERED_SLOT, detected)]
