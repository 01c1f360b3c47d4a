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
    SLOT,
    language_of,
    strings,
)
from actions.reading import CHOSEN_SLOT, said_language
from actions.router import RequestFirst

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


def municipal_subject(text: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    lowered = text.lower()
    for pattern, subject in MUNICIPAL_SUBJECTS:
        if re.search(pattern, lowered):
            return strings(language)["municipal_subjects"][subject]
    return None


class ActionGreet(RequestFirst, Action):
    """A greeting; "Goedemorgen, ik ben 74 en wil leren appen" is answered at once."""

    def name(self) -> str:
        return "action_greet"

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="greeting", **message_placeholders())
        return []


class ActionGoodbye(RequestFirst, Action):
    """Goodbye. A short request the model took for a goodbye ("career advice") is answered:
    only a subject, a kind of help, a scheme, a goal or a question about paying counts, so
    "bedankt, ik woon in Breda, tot ziens" still gets a goodbye."""

    REQUEST_FACTS = ("topic", "help_kind", "scheme", "goal", "learn_language", "pay_question")

    def name(self) -> str:
        return "action_goodbye"

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_goodbye")
        return []


class ActionOutOfScope(RequestFirst, Action):
    def name(self) -> str:
        return "action_out_of_scope"

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        subject = municipal_subject(tracker.latest_message.get("text") or "", language_of(tracker))
        if subject:
            dispatcher.utter_message(response="municipal_question", subject=subject)
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionChangeLanguage(RequestFirst, Action):
    """Switch when a language is named (the slot is already set by its mapping); else ask. A
    request read as "another language" ("ik kan niet goed lezen, ook niet in het Arabisch")
    is answered, in the language named or in the language of the message."""

    def name(self) -> str:
        return "action_change_language"

    def before_route(self, tracker: Tracker) -> list[EventType]:
        return chosen_language(tracker)

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        chosen = chosen_language(tracker)
        # The response is rendered with the slot as it is now: already the new language.
        if chosen:
            dispatcher.utter_message(response="language_changed")
        else:
            dispatcher.utter_message(response="language_choice")
        return chosen


def chosen_language(tracker: Tracker) -> list[EventType]:
    language = said_language(tracker)
    return [SlotSet(SLOT, language), SlotSet(CHOSEN_SLOT, True)] if language else []
