"""Repair: say it again, say it simpler, misunderstandings, leaving a form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contacts import message_placeholders
from actions.i18n import DEFAULT_LANGUAGE, SLOT, language_of
from actions.router import RequestFirst

FALLBACK_INTENTS = ("nlu_fallback",)
PLAIN_SLOT = "plain_language"


def previous_bot_turn(tracker: Tracker) -> list[dict[str, Any]]:
    """The bot messages sent between the citizen's previous message and the current one."""
    messages: list[dict[str, Any]] = []
    users_seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users_seen += 1
            if users_seen == 2:
                break
        elif event.get("event") == "bot" and users_seen == 1:
            messages.append(event)
    return list(reversed(messages))


def asks_a_form_question(event: dict[str, Any]) -> bool:
    response = (event.get("metadata") or {}).get("utter_action", "")
    return response.startswith("utter_ask_") or response.endswith("_question")


def resend(dispatcher: CollectingDispatcher, event: dict[str, Any]) -> None:
    data = event.get("data") or {}
    dispatcher.utter_message(text=event.get("text"), buttons=data.get("buttons") or [])


def plain_variation(
    domain: DomainDict, response: str, language: str = DEFAULT_LANGUAGE
) -> dict[str, Any] | None:
    """The variation of a response meant for plain_language = true, if it has one.

    Only Dutch has simpler variations; the other languages are short and plain already, so
    their one variation is said again.
    """
    for variation in domain.get("responses", {}).get(response, []):
        conditions = variation.get("condition") or []
        if language == DEFAULT_LANGUAGE:
            if any(c.get("name") == PLAIN_SLOT and c.get("value") is True for c in conditions):
                return variation
        elif any(c.get("name") == SLOT and c.get("value") == language for c in conditions):
            return variation
    return None


def fill(text: str, values: dict[str, Any]) -> str:
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


class ActionRepeat(Action):
    def name(self) -> str:
        return "action_repeat"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        previous = previous_bot_turn(tracker)
        if tracker.active_loop.get("name"):
            # The form asks its open question again by itself.
            previous = [e for e in previous if not asks_a_form_question(e)]
        elif not previous:
            dispatcher.utter_message(response="utter_help")
        for event in previous:
            resend(dispatcher, event)
        return []


class ActionSimplify(Action):
    """Say the last turn again in simpler words, and keep speaking simply from now on."""

    def name(self) -> str:
        return "action_simplify"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        values = {**message_placeholders(), **tracker.current_slot_values()}
        form_active = bool(tracker.active_loop.get("name"))
        sent = 0
        for event in previous_bot_turn(tracker):
            if form_active and asks_a_form_question(event):
                continue  # the form asks its question again, in the simple variation
            response = (event.get("metadata") or {}).get("utter_action", "")
            variation = plain_variation(domain, response, language_of(tracker))
            if variation:
                dispatcher.utter_message(
                    text=fill(variation.get("text", ""), values),
                    buttons=variation.get("buttons") or [],
                )
                sent += 1
        if not sent and not form_active:
            dispatcher.utter_message(response="utter_help")
        return [SlotSet(PLAIN_SLOT, True)]


class ActionFallback(RequestFirst, Action):
    """Not understood: ask again; after two misunderstandings in a row, offer a person."""

    def name(self) -> str:
        return "action_fallback"

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intents = [
            (e.get("parse_data") or {}).get("intent", {}).get("name")
            for e in tracker.events
            if e.get("event") == "user"
        ]
        if len(intents) >= 2 and all(i in FALLBACK_INTENTS for i in intents[-2:]):
            dispatcher.utter_message(response="utter_offer_human_after_misunderstanding")
        else:
            dispatcher.utter_message(response="utter_default")
        return []


class ActionStopForm(Action):
    def name(self) -> str:
        return "action_stop_form"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.active_loop.get("name"):
            dispatcher.utter_message(response="stopped_questions")
            dispatcher.utter_message(response="utter_menu")
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        dispatcher.utter_message(response="utter_menu")
        return []
