"""After every message: take in its facts and its language, before the dialogue goes on.

Runs as Rasa's `action_validate_slot_mappings`, right after Rasa's own slot extraction (it may
set slots and speak, nothing else). It

- answers in the language of the message at once: the detected language becomes the
  conversation's language unless the person chose one (a button offers Dutch);
- reads every fact of the whole message with actions.understanding and sets the slots to
  canonical values; raw values from Rasa's own mappings are mapped or dropped, so an unknown
  value never reaches a service;
- takes a short answer ("74", "evet", "так", "weet ik niet") as the answer to the question
  that is open;
- counts unclear answers to the same question: the second one in a row gets an offer of a
  person, and the question is not asked a third time (the answer counts as unknown).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.i18n import (
    DEFAULT_LANGUAGE,
    ISO_639_2,
    LANGUAGES,
    NATIVE_NAMES,
    SLOT,
    language_of,
    say,
    strings,
)
from actions.places import ONLINE, canonical_municipality
from actions.understanding import (
    SPECIAL_ASSISTANCE,
    Facts,
    fuzzy_place,
    guess_language,
    normalize,
    understand,
)
from actions.vocabulary import (
    GOALS,
    HELP_KINDS,
    SITUATIONS,
    UNKNOWN,
    canonical_age,
    known_topics,
)

DETECTED = "detected_language"
CHOSEN_SLOT = "language_chosen"  # a language the person chose: detection no longer switches
_NON_LATIN = re.compile(r"[\u0600-\u06FF\u0400-\u04FF]")
CONTEXT_PLACE_SLOT = "place_from_context"  # municipality is where the kiosk or site stands
UNCLEAR_SLOT = "unclear_answers"  # unclear answers in a row to the open question
FREE_TEXT_TOPIC = "any"
# Slots a form asks, and which fact answers them.
FACT_SLOTS = {
    "age": "age",
    "municipality": "municipality",
    "situation": "situation",
    "goal": "goal",
    "topic": "topic",
    "help_kind": "help_kind",
    "integration_obligation": "integration",
}
ASKED_BY_FORMS = set(FACT_SLOTS) | {"callback_name", "callback_phone", "callback_daypart"}


# Words needed (besides a place name) before the conversation changes language; more to go
# back to Dutch, whose words newcomers mix into their own language.
MIN_WORDS_TO_SWITCH = 2
MIN_WORDS_TO_DUTCH = 4


def enough_to_switch(text: str, facts: Facts, detected: str) -> bool:
    """Whether a message says enough in its language to switch: "Bergen op Zoom" or "DigiD"
    typed in a Polish conversation is not Dutch."""
    words = text.split()
    if facts.municipality:
        place_words = set(facts.municipality.lower().replace("-", " ").split())
        words = [w for w in words if w.lower().strip(".,!?") not in place_words]
    needed = MIN_WORDS_TO_DUTCH if detected == DEFAULT_LANGUAGE else MIN_WORDS_TO_SWITCH
    if _NON_LATIN.search(text):
        needed = 1  # Arabic or Cyrillic script says it alone
    return len(words) >= needed


def text_of(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def detected_language(tracker: Tracker) -> str | None:
    """The NLU's detection, else a guess from script, letters and everyday words. Dutch names
    ("levenlanglerenkrediet", "DigiD") in an English or Turkish sentence make the NLU's
    detector say Dutch: then the guess, made without those names, decides."""
    message = tracker.latest_message or {}
    detected = (message.get(DETECTED) or {}).get("language")
    if detected in LANGUAGES and detected != DEFAULT_LANGUAGE:
        return detected
    return guess_language(message.get("text") or "") or detected


def read_facts(tracker: Tracker) -> Facts:
    detected = detected_language(tracker)
    languages = [code for code in (detected, language_of(tracker)) if code in LANGUAGES]
    return understand(latest_text(tracker), languages or [DEFAULT_LANGUAGE])


def canonical(slot: str, value: Any) -> Any:
    """The canonical form of a slot value from Rasa's own mappings, or None when unknown."""
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None or value == UNKNOWN:
        return value
    if slot == "age":
        return canonical_age(value)
    if slot == "municipality":
        return canonical_municipality(value)
    if slot == "situation":
        return value if value in SITUATIONS else None
    if slot == "goal":
        return value if value in GOALS else None
    if slot == "help_kind":
        return value if value in HELP_KINDS else None
    if slot == "topic":
        return value if value in known_topics() or value == FREE_TEXT_TOPIC else None
    if slot == "integration_obligation":
        return value if value in ("yes", "no", "unknown") else None
    return value


def fact_events(facts: Facts, requested: str | None, text: str = "") -> dict[str, Any]:
    """Slot values from the facts of one message."""
    text_words = len(text.split())
    values: dict[str, Any] = {}
    if facts.age is not None:
        values["age"] = str(facts.age)
    if facts.municipality:
        values["municipality"] = facts.municipality
    elif facts.online and requested in (None, "municipality"):
        values["municipality"] = "online"
    for slot in ("situation", "goal", "topic", "help_kind"):
        value = getattr(facts, slot)
        if value:
            values[slot] = value
    if facts.topic:
        # What exactly within the subject ("videobellen"): the catalog ranks it first.
        values["course_query"] = facts.topic_term
    if facts.integration:
        values["integration_obligation"] = facts.integration
    if facts.scheme:
        values["scheme_asked"] = facts.scheme
    # A short answer to the open question.
    if requested == "municipality" and "municipality" not in values and text_words <= 4:
        place = fuzzy_place(text)
        if place:
            values["municipality"] = place
    if requested == "age" and facts.age is None and facts.number is not None:
        age = canonical_age(facts.number)
        if age:
            values["age"] = age
    if requested == "integration_obligation" and facts.answer in ("yes", "no"):
        values["integration_obligation"] = facts.answer
    if requested in FACT_SLOTS and facts.answer == "dont_know":
        values[requested] = UNKNOWN
    return values


def canonical_slots(
    tracker: Tracker, requested: str | None, skip: set[str] | None = None
) -> list[EventType]:
    """Raw values that Rasa's own mappings put in slots this turn: mapped, or dropped."""
    events: list[EventType] = []
    for slot in FACT_SLOTS:
        value = tracker.get_slot(slot)
        if slot in (skip or set()) or value is None:
            continue
        if slot == "topic" and requested == "topic" and value not in known_topics():
            continue  # free text answering "Wat wilt u leren?": validate_course_form
        fixed = canonical(slot, value)
        if fixed != value:
            events.append(SlotSet(slot, fixed))
    return events


class ActionReadMessage(Action):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        if text.startswith("/"):
            return self._payload(tracker)
        events: list[EventType] = []
        facts = read_facts(tracker)
        language_events = self._language(dispatcher, tracker, facts)
        events += language_events
        requested = tracker.get_slot("requested_slot") if tracker.active_loop.get("name") else None
        found = fact_events(facts, requested, text)
        events += canonical_slots(tracker, requested, skip=set(found))
        events += stray_online(tracker, facts, requested)
        events += stray_situation(tracker, facts, requested)
        if facts.learn_language and facts.learn_language != "nl" and "topic" not in found:
            # "I want to learn English": a subject, never a switch of language.
            names = strings(DEFAULT_LANGUAGE)["language_names"]
            query = names.get(ISO_639_2[facts.learn_language], facts.learn_language)
            events += [SlotSet("course_query", query), SlotSet("topic", FREE_TEXT_TOPIC)]
        events += [SlotSet(slot, value) for slot, value in found.items()]
        if any(e.get("name") == "municipality" and e.get("value") for e in events):
            # The person's own place (read or mapped this turn), no longer the kiosk's.
            events.append(SlotSet(CONTEXT_PLACE_SLOT, False))
        events += self._unclear(dispatcher, tracker, requested, found)
        return events

    def _payload(self, tracker: Tracker) -> list[EventType]:
        """A button (or a typed payload): its values are checked like typed ones; a language
        button is a choice of language."""
        requested = tracker.get_slot("requested_slot") if tracker.active_loop.get("name") else None
        events = [*canonical_slots(tracker, requested), SlotSet(UNCLEAR_SLOT, 0)]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "change_language" and tracker.get_slot(SLOT) in LANGUAGES:
            events.append(SlotSet(CHOSEN_SLOT, True))
        return events

    def _language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, facts: Facts
    ) -> list[EventType]:
        current = language_before(tracker)
        if facts.speak_language:
            # "speak English to me": a choice.
            return [SlotSet(SLOT, facts.speak_language), SlotSet(CHOSEN_SLOT, True)]
        events: list[EventType] = []
        if tracker.get_slot(SLOT) != current:
            if asks_for_a_language(tracker) and not facts.learn_language:
                return [SlotSet(CHOSEN_SLOT, True)]
            # A language named in passing ("ik wil Engels leren") set the slot: undo.
            events.append(SlotSet(SLOT, current))
        detected = detected_language(tracker)
        if detected not in LANGUAGES or detected == current or tracker.get_slot(CHOSEN_SLOT):
            return events
        if not enough_to_switch(text_of(tracker), facts, detected):
            return events
        dispatcher.utter_message(
            text=say(detected, "answering_in_language"),
            buttons=[
                {
                    "title": NATIVE_NAMES[DEFAULT_LANGUAGE],
                    "payload": f'/change_language{{"language": "{DEFAULT_LANGUAGE}"}}',
                }
            ]
            if detected != DEFAULT_LANGUAGE
            else [],
        )
        return [SlotSet(SLOT, detected)]

    def _unclear(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        requested: str | None,
        found: dict[str, Any],
    ) -> list[EventType]:
        """The second unclear answer to one question: offer a person, do not ask a third time."""
        if requested not in FACT_SLOTS:
            return [SlotSet(UNCLEAR_SLOT, 0)]
        answered = requested in found or canonical(requested, tracker.get_slot(requested))
        if answered or found:
            return [SlotSet(UNCLEAR_SLOT, 0)]
        if requested == "topic" and tracker.get_slot("topic"):
            return [SlotSet(UNCLEAR_SLOT, 0)]  # free text: a search query
        count = int(tracker.get_slot(UNCLEAR_SLOT) or 0) + 1
        if count < 2:
            return [SlotSet(UNCLEAR_SLOT, count)]
        language = language_of(tracker)
        dispatcher.utter_message(
            text=say(language, "unclear_twice"),
            buttons=[{"title": say(language, "talk_to_person"), "payload": "/human_handoff"}],
        )
        return [SlotSet(requested, UNKNOWN), SlotSet(UNCLEAR_SLOT, 0)]


def said_language(tracker: Tracker) -> str | None:
    """The language named in the latest message ("English please", a language button)."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == SLOT and entity.get("value") in LANGUAGES:
            return entity["value"]
    return None


def asks_for_a_language(tracker: Tracker) -> bool:
    """change_language, or a bare language name answering "Welke taal?" outside a form."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "change_language":
        return True
    return intent == "inform" and not tracker.active_loop.get("name")


def slot_before(tracker: Tracker, name: str) -> Any:
    """A slot's value before the latest message changed any slot."""
    events = list(tracker.events)
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    value = None
    for event in events[: users[-1] if users else len(events)]:
        if event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
    return value


def language_before(tracker: Tracker) -> str:
    """The conversation's language before the latest message changed any slot."""
    value = slot_before(tracker, SLOT)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def stray_online(tracker: Tracker, facts: Facts, requested: str | None) -> list[EventType]:
    """The model's "online" for a message that wishes for nothing online ("ik moet online
    solliciteren", "online formulieren invullen"): the place stays what it was. Only the
    understanding of the whole message decides that someone wants to learn from home."""
    if requested == "municipality" or facts.online or facts.municipality:
        return []
    if canonical_municipality(tracker.get_slot("municipality")) != ONLINE:
        return []
    return restored(tracker, "municipality")


def stray_situation(tracker: Tracker, facts: Facts, requested: str | None) -> list[EventType]:
    """The model's "bijstand" in "Kan ik bijzondere bijstand krijgen?": a scheme asked about,
    not the person's situation; the situation stays what it was."""
    if requested == "situation" or facts.situation:
        return []
    if not SPECIAL_ASSISTANCE.search(normalize(latest_text(tracker))):
        return []
    return restored(tracker, "situation")


def restored(tracker: Tracker, slot: str) -> list[EventType]:
    """The slot back to its value before the latest message, if the message changed it."""
    before = slot_before(tracker, slot)
    return [] if before == tracker.get_slot(slot) else [SlotSet(slot, before)]
