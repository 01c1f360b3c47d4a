"""Who pays: the budget form and the answer from the budget service."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import ServiceUnavailable
from actions.clients.budget import BudgetClient, SchemeResult
from actions.contacts import message_placeholders
from actions.dutch import parse_age
from actions.i18n import DEFAULT_LANGUAGE, language_of, say, strings
from actions.places import canonical_municipality

logger = logging.getLogger(__name__)
SITUATIONS = (
    "employed", "self_employed", "job_seeker", "social_assistance", "retired", "student", "other",
)  # fmt: skip
GOALS = (
    "basic_skills", "dutch_language", "vocational", "higher_education", "short_course",
    "career_advice",
)  # fmt: skip
# Whether someone must do inburgering decides who pays for learning Dutch or basic skills.
GOALS_WHERE_INTEGRATION_MATTERS = ("basic_skills", "dutch_language")
# Regional schemes (e.g. Brabant Leert) depend on where someone lives.
GOALS_WHERE_MUNICIPALITY_MATTERS = ("vocational", "short_course")
INTEGRATION_ANSWERS = {"yes": True, "no": False, "unknown": None}
STAP = re.compile(r"\bstap\b|stap-?budget", re.IGNORECASE)
SHOWN_STATUSES = ("eligible", "maybe")
MAX_SCHEMES_SHOWN = 5


def profile_from(tracker: Tracker) -> dict[str, Any]:
    """Only what the budget service needs; nothing is asked or sent beyond these fields."""
    age = parse_age(tracker.get_slot("age"))
    municipality = tracker.get_slot("municipality")
    return {
        "age": age,
        "situation": tracker.get_slot("situation"),
        "goal": tracker.get_slot("goal"),
        "integration_obligation": INTEGRATION_ANSWERS.get(
            tracker.get_slot("integration_obligation") or "unknown"
        ),
        "municipality": None if municipality in (None, "online") else municipality,
    }


class ActionBudgetIntro(Action):
    def name(self) -> str:
        return "action_budget_intro"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if STAP.search(tracker.latest_message.get("text") or ""):
            dispatcher.utter_message(response="stap_ended")
        dispatcher.utter_message(response="budget_intro")
        return []


class ValidateBudgetForm(FormValidationAction):
    def name(self) -> str:
        return "validate_budget_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        goal = tracker.get_slot("goal")
        skipped = set()
        if goal not in GOALS_WHERE_INTEGRATION_MATTERS:
            skipped.add("integration_obligation")
        if goal not in GOALS_WHERE_MUNICIPALITY_MATTERS:
            skipped.add("municipality")
        return [slot for slot in domain_slots if slot not in skipped]

    def validate_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        age = parse_age(value[-1] if isinstance(value, list) and value else value)
        if age is None or not 10 <= age <= 110:
            dispatcher.utter_message(response="invalid_age")
            return {"age": None}
        return {"age": str(age)}

    def validate_situation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"situation": value if value in SITUATIONS else None}

    def validate_goal(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"goal": value if value in GOALS else None}

    def validate_integration_obligation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"integration_obligation": value if value in INTEGRATION_ANSWERS else None}

    def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        place = canonical_municipality(value)
        if place:
            return {"municipality": place}
        dispatcher.utter_message(response="unknown_municipality")
        return {"municipality": None}


def describe_scheme(result: SchemeResult, language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Dutch: the budget service's reasons. Other languages: the scheme's Dutch name with a
    short explanation from actions/locales (the service explains in Dutch only)."""
    apply_at = say(language, "apply_at", url=result.apply_url) if result.apply_url else ""
    if language == DEFAULT_LANGUAGE:
        reason = " ".join(result.reasons[:2])
        next_step = f"{result.next_step} {apply_at}".strip()
        return {"name": result.name, "reason": reason, "next_step": next_step}
    explanation = strings(language)["schemes"].get(result.scheme_id, "")
    return {"name": result.name, "reason": explanation, "next_step": apply_at}


class ActionCheckBudget(Action):
    def __init__(self, client: BudgetClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_check_budget"

    @property
    def client(self) -> BudgetClient:
        if self._client is None:
            self._client = BudgetClient()
        return self._client

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            results = self.client.eligibility(profile_from(tracker))
        except ServiceUnavailable as exc:
            logger.warning("Budget call failed: %s", exc.reason)
            dispatcher.utter_message(response="budget_unavailable", **message_placeholders())
            return []
        fitting = [r for r in results if r.status in SHOWN_STATUSES][:MAX_SCHEMES_SHOWN]
        if fitting:
            dispatcher.utter_message(response="budget_results_intro")
            for result in fitting:
                dispatcher.utter_message(
                    response="budget_scheme", **describe_scheme(result, language_of(tracker))
                )
        else:
            dispatcher.utter_message(response="budget_nothing_fits")
        dispatcher.utter_message(response="budget_results_end")
        return []
