"""Welcome, what the assistant is for, questions it cannot answer, and languages."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contacts import message_placeholders

# Questions for the municipality, not for a learning assistant: (pattern, subject in Dutch).
MUNICIPAL_SUBJECTS = (
    (r"paspoort|id-?kaart|identiteitskaart", "een paspoort of ID-kaart"),
    (r"afval|vuilnis|container|kliko|grofvuil|milieustraat", "afval"),
    (r"parkeer|parkeren", "parkeren"),
    (r"rijbewijs", "een rijbewijs"),
    (r"verhuiz|adres wijzigen|inschrijven", "een verhuizing"),
    (r"bouwvergunning|omgevingsvergunning|vergunning", "een vergunning"),
    (r"uittreksel|geboorteakte|trouwen|huwelijk", "een akte of uittreksel"),
)
SUPPORTED_LANGUAGES = ("nl",)


def municipal_subject(text: str) -> str | None:
    lowered = text.lower()
    for pattern, subject in MUNICIPAL_SUBJECTS:
        if re.search(pattern, lowered):
            return subject
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
        subject = municipal_subject(tracker.latest_message.get("text") or "")
        if subject:
            dispatcher.utter_message(response="municipal_question", subject=subject)
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionChangeLanguage(Action):
    def name(self) -> str:
        return "action_change_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_language_not_yet")
        return [SlotSet("language", "nl")]
