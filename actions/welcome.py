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
CHOSEN_SLOT = "language_chosen"  # a language the person chose: detection no longer switches


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
        from actions.repair import route_if_it_has_facts

        # "Goedemorgen, ik ben 74 en wil leren appen": the question is answered at once.
        routed = route_if_it_has_facts(dispatcher, tracker, domain)
        if routed is not None:
            return routed
        dispatcher.utter_message(response="greeting", **message_placeholders())
        return []


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        from actions.repair import route_if_it_has_facts

        routed = route_if_it_has_facts(dispatcher, tracker, domain)
        if routed is not None:
            return routed
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
            from actions.repair import route_if_it_has_facts

            # A request in another language, read as "another language please": answer it
            # (the conversation already speaks the language of the message).
            routed = route_if_it_has_facts(dispatcher, tracker, domain)
            if routed is not None:
                return routed
            dispatcher.utter_message(response="language_choice")
            return []
        chosen = [SlotSet(SLOT, language), SlotSet(CHOSEN_SLOT, True)]
        from actions.repair import route_if_it_has_facts

        # "ik kan niet goed lezen, ook niet in het Arabisch": the request, in that language.
        routed = route_if_it_has_facts(dispatcher, tracker, domain)
        if routed is not None:
            return chosen + routed
        # The response is rendered with the slot as it is now: already the new language.
        dispatcher.utter_message(response="language_changed")
        return chosen


def asks_for_a_language(tracker: Tracker) -> bool:
    """change_language, or a bare language name answering "Welke taal?" outside a form."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "change_language":
        return True
    return intent == "inform" and not tracker.active_loop.get("name")


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
