"""An answer without a question ("computer", "in Breda") starts the flow it fits."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FLOW_BY_ENTITY = (
    ("topic", "course_form"),
    ("time_of_day", "course_form"),
    ("cost", "course_form"),
    ("support_language", "course_form"),
    ("help_kind", "support_form"),
    ("situation", "budget_form"),
    ("goal", "budget_form"),
    ("age", "budget_form"),
    ("municipality", "course_form"),
)


class ActionRouteAnswer(Action):
    def name(self) -> str:
        return "action_route_answer"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        said = {entity.get("entity") for entity in tracker.latest_message.get("entities", [])}
        if "language" in said:
            # "engels" answering "Welke taal?": the slot is set by its mapping; confirm.
            dispatcher.utter_message(response="language_changed")
            return []
        for entity, form in FLOW_BY_ENTITY:
            if entity in said:
                events: list[EventType] = []
                if form == "course_form":
                    events.append(SlotSet("results_page", 1))
                if form == "budget_form":
                    dispatcher.utter_message(response="budget_intro")
                # The form runs next: an active loop is what the rule policy continues.
                return [*events, ActiveLoop(form)]
        dispatcher.utter_message(response="utter_menu")
        return []
