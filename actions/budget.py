"""Who pays: the budget form and the answer from the budget service."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import ServiceUnavailable
from actions.clients.budget import PROFILE_FIELDS, BudgetClient, SchemeResult
from actions.contacts import message_placeholders
from actions.dutch import parse_age
from actions.i18n import DEFAULT_LANGUAGE, language_of, say, strings
from actions.insights import schemes_insight
from actions.places import canonical_municipality
from actions.understanding import understand
from actions.vocabulary import GOALS, SITUATIONS, UNKNOWN, known
from bot.settings import settings

logger = logging.getLogger(__name__)
# Whether someone must do inburgering decides who pays for learning Dutch or basic skills.
GOALS_WHERE_INTEGRATION_MATTERS = ("basic_skills", "dutch_language")
INTEGRATION_ANSWERS = {"yes": True, "no": False, UNKNOWN: None}
BUDGET_SLOTS = ("age", "situation", "goal", "integration_obligation", "municipality")
# Answers the assistant never asks for (a low income: only what the person said).
NEVER_ASKED = tuple(field for field in PROFILE_FIELDS if field not in BUDGET_SLOTS)
SCHEME_SLOT = "scheme_asked"
# scheme_asked for "do I have to pay this myself?" about a subject: the scheme that fits best.
BEST = "best"
# scheme_asked when the employer does not pay ("mijn werkgever betaalt het niet"): everything
# that fits, without the schemes that go through the employer.
BEST_NOT_EMPLOYER = "not_employer"
EMPLOYER_PAYS = ("werkgever-studiekosten", "verplichte-scholing")
# Schemes that the employer applies for (a sector fund, a subsidy to the employer): after what the
# person can do alone, when the employer does not pay.
THROUGH_EMPLOYER = ("sectorfonds", "slim-scholing")
# What a scheme costs the person, least first (services/budget/schemes.py COSTS): the chat
# shows them in this order, loans last; a loan is always called a loan.
COST_ORDER = ("free", "employer", "subsidy", "discount", "loan", "own_cost")
# Help for everyone (the library, free advice): named after a scheme for the person's own
# situation when neither is sure.
GENERAL_HELP = ("bibliotheek-gratis", "leerwerkloket")
SHOWN_STATUSES = ("eligible", "maybe")
MAX_SCHEMES_SHOWN = 5
MAX_LOANS_SHOWN = 1
MAX_OWN_COST_SHOWN = 1
MAX_OPEN_FACTS = 1  # in the list of everything: a scheme open on more facts is a guess
REASONS_SHOWN = 3


def profile_from(tracker: Tracker) -> dict[str, Any]:
    """Only what the budget service needs; nothing is asked or sent beyond these fields.

    Without an age the person counts as an adult (Leerwijzer serves adults; someone who gives an
    age under 18 gets the answer for that age): the service then answers what holds at every
    adult age, and says when the age decides the matter.
    """
    age = parse_age(known(tracker.get_slot("age")))
    municipality = known(tracker.get_slot("municipality"))
    if tracker.get_slot("place_from_context"):
        municipality = None  # where the kiosk stands, not where the person lives
    return {
        "age": age,
        "adult": True if age is None else None,
        "situation": known(tracker.get_slot("situation")),
        "goal": known(tracker.get_slot("goal")),
        "integration_obligation": INTEGRATION_ANSWERS.get(
            tracker.get_slot("integration_obligation") or "unknown"
        ),
        "municipality": None if municipality in (None, "online") else municipality,
        "low_income": said_low_income(tracker),
    }


def said_low_income(tracker: Tracker) -> bool | None:
    """True when the person said in this conversation that money is short ("ik heb weinig
    geld", "param yok"). Income is never asked and no figure is kept: only this yes, read again
    from the messages each time (docs/budget.md); otherwise unknown."""
    languages = [language_of(tracker)]
    texts = [
        event.get("text") or ""
        for event in tracker.events_after_latest_restart()
        if event.get("event") == "user"
    ]
    texts.append((tracker.latest_message or {}).get("text") or "")  # also in events when real
    said = any(understand(text, languages).no_money for text in dict.fromkeys(texts))
    return True if said else None


def income_beside_the_point(result: SchemeResult) -> bool:
    """Help for a low income, for someone who said nothing about money: never brought up (an
    advisor does not ask about income unprompted); named once the person says money is short."""
    return result.status == "maybe" and any(f in result.missing for f in NEVER_ASKED)


def budget_questions(tracker: Tracker) -> list[str]:
    """The questions the answer depends on, in the order they are asked.

    One named scheme: only the answers its rules still miss (the budget service says which).
    Everything that fits: see below.
    """
    scheme = tracker.get_slot(SCHEME_SLOT)
    if scheme == BEST:
        # "Moet ik zelf betalen?": answered now when a scheme that is no loan surely fits; else
        # the situation first (it decides what else may pay before a loan is named).
        best = best_result(_results(tracker))
        if (best is not None and not is_loan(best)) or tracker.get_slot("situation"):
            return []
        return ["situation"]
    if scheme and scheme != BEST_NOT_EMPLOYER:
        results = _results(tracker)
        result = next((r for r in results if r.scheme_id == scheme), None)
        if result and any(f in result.missing for f in NEVER_ASKED):
            return []  # what is never asked decides: the answer says where to ask, at once
        return [slot for slot in BUDGET_SLOTS if result and slot in result.missing]
    # Everything that may fit: the situation decides most schemes, and is the one question asked
    # before the answer (which says what else would make it surer). Whether someone must do
    # inburgering decides who pays for Dutch or basic skills.
    asked = ["situation"]
    if tracker.get_slot("goal") in GOALS_WHERE_INTEGRATION_MATTERS:
        asked.append("integration_obligation")
    return asked


def integration_beside_the_point(result: SchemeResult, tracker: Tracker) -> bool:
    """A scheme that may fit only if the person must do inburgering, for someone who gave no
    sign of it: writing Dutch, not asked (their goal is no language or basic skills) and not
    said. An advisor would not bring up inburgering with a Dutch job seeker of 58."""
    if result.status != "maybe" or "integration_obligation" not in result.missing:
        return False
    if tracker.get_slot("integration_obligation") is not None or language_of(tracker) != "nl":
        return False
    return tracker.get_slot("goal") not in GOALS_WHERE_INTEGRATION_MATTERS


@cache
def _client_for(base_url: str) -> BudgetClient:
    return BudgetClient(base_url)


def shared_client() -> BudgetClient:
    """One client per process (and address): its session keeps the connection open."""
    return _client_for(settings().budget_url)


def _results(tracker: Tracker) -> list[SchemeResult]:
    try:
        return shared_client().eligibility(profile_from(tracker))
    except ServiceUnavailable:
        return []  # the answer step says that the service cannot answer


def budget_missing(tracker: Tracker) -> list[str]:
    """The questions still open: asked for and neither answered nor unknown."""
    return [slot for slot in budget_questions(tracker) if tracker.get_slot(slot) is None]


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
        return budget_questions(tracker)

    def validate_age(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == UNKNOWN:
            return {"age": UNKNOWN}
        age = parse_age(value[-1] if isinstance(value, list) and value else value)
        if age is None or not 10 <= age <= 110:
            dispatcher.utter_message(response="invalid_age")
            return {"age": None}
        return {"age": str(age)}

    def validate_situation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"situation": value if value in (*SITUATIONS, UNKNOWN) else None}

    def validate_goal(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"goal": value if value in (*GOALS, UNKNOWN) else None}

    def validate_integration_obligation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"integration_obligation": value if value in INTEGRATION_ANSWERS else None}

    def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == UNKNOWN:
            return {"municipality": UNKNOWN}
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
        # Three reasons: the caveats that decide the matter come right after the first one in
        # the scheme files ("niet voor bbl", "het geld is beperkt", "UWV beslist per persoon").
        reason = " ".join(result.reasons[:REASONS_SHOWN])
        next_step = f"{result.next_step} {apply_at}".strip()
    else:
        reason = strings(language)["schemes"].get(result.scheme_id, "")
        next_step = apply_at
    return {
        "name": result.name,
        "reason": with_cost(reason, result, language),
        "next_step": next_step,
    }


def with_cost(reason: str, result: SchemeResult, language: str) -> str:
    """The reason, and for a loan, in every language: that it is a loan, repaid with interest."""
    if result.cost_to_you == "loan":
        return f"{say(language, 'loan_note')} {reason}".strip()
    return reason


def cost_rank(result: SchemeResult) -> int:
    cost = result.cost_to_you
    return COST_ORDER.index(cost) if cost in COST_ORDER else len(COST_ORDER)


def is_loan(result: SchemeResult) -> bool:
    """Borrowed money, repaid with interest: named after everything that costs less."""
    return result.cost_to_you == "loan"


def pays_nothing(result: SchemeResult) -> bool:
    """The person pays it all (an exam fee, a course of their own): never the answer to "who
    pays?", only listed, after everything else."""
    return result.cost_to_you == "own_cost"


def best_result(results: list[SchemeResult], decided_only: bool = True) -> SchemeResult | None:
    """The scheme that costs the person least: loans last (a scheme that may pay comes before a
    loan that surely fits), then eligible before maybe, decided before open."""
    ranked = sorted(
        (
            r
            for r in results
            if (r.status == "eligible" or (not decided_only and r.status == "maybe"))
            and not pays_nothing(r)
            and not income_beside_the_point(r)
        ),
        key=lambda r: (
            is_loan(r),
            r.status != "eligible",
            bool(r.missing),
            r.status != "eligible" and r.scheme_id in GENERAL_HELP,
            cost_rank(r),
        ),
    )
    return ranked[0] if ranked else None


VERDICTS = {"eligible": "verdict_yes", "maybe": "verdict_maybe", "closed": "verdict_closed"}


def scheme_result(tracker: Tracker) -> SchemeResult | None:
    """The budget service's answer for the scheme asked about, with what is known now."""
    asked = tracker.get_slot(SCHEME_SLOT)
    if not asked or asked in (BEST, BEST_NOT_EMPLOYER):
        return None
    return next((r for r in _results(tracker) if r.scheme_id == asked), None)


def sure_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Who pays, while a fact is still to be asked ("Wat doet u nu?"): what surely fits whatever
    the answer (free help for everyone), at once, so the first reply already answers; the
    question then finds what else may pay."""
    if tracker.get_slot(SCHEME_SLOT) or not budget_missing(tracker):
        return
    sure = sorted(
        (
            r
            for r in _results(tracker)
            if r.status == "eligible"
            and not r.missing
            and not is_loan(r)
            and not pays_nothing(r)
            and not integration_beside_the_point(r, tracker)
        ),
        key=cost_rank,
    )
    if not sure:
        return
    language = language_of(tracker)
    dispatcher.utter_message(text=say(language, "budget_sure_intro"))
    dispatcher.utter_message(response="budget_scheme", **describe_scheme(sure[0], language))


def answer_one(
    dispatcher: CollectingDispatcher, result: SchemeResult, language: str, buttons: bool = True
) -> None:
    """A direct answer about one scheme: yes, no or maybe, the reason that decides it, the next
    step; then an offer to look at everything else."""
    verdict = say(language, VERDICTS.get(result.status, "verdict_no"))
    described = describe_scheme(result, language)
    reason = result.reasons[0] if language == DEFAULT_LANGUAGE and result.reasons else ""
    reason = with_cost(reason, result, language) if reason else described["reason"]
    next_step = described["next_step"]
    if language == DEFAULT_LANGUAGE:
        next_step = (
            f"{result.next_step} {say(language, 'apply_at', url=result.apply_url)}"
            if (result.apply_url and result.status != "not_eligible")
            else result.next_step
        )
    dispatcher.utter_message(
        text=say(
            language,
            "scheme_answer",
            verdict=verdict,
            name=result.name,
            reason=reason,
            next_step=next_step,
        ).strip(),
        buttons=[
            {"title": say(language, "all_schemes"), "payload": "/ask_budget"},
            {"title": say(language, "talk_to_person"), "payload": "/human_handoff"},
        ]
        if buttons
        else [],
    )


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
        asked = tracker.get_slot(SCHEME_SLOT)
        last: tuple[str, ...] = ()
        if asked == BEST_NOT_EMPLOYER:
            results = [r for r in results if r.scheme_id not in EMPLOYER_PAYS]
            asked, last = None, THROUGH_EMPLOYER
        if asked == BEST:
            result = best_result(results, decided_only=False)
        else:
            result = next((r for r in results if r.scheme_id == asked), None) if asked else None
        if result is not None:
            answer_one(dispatcher, result, language_of(tracker))
            fits = result.status in SHOWN_STATUSES
            return [SlotSet(SCHEME_SLOT, None), schemes_insight([], result, nothing_fits=not fits)]
        # What fits ("Dit past bij u"), then what may fit ("Dit past misschien bij u"), then
        # loans ("U kunt ook lenen"), then what the person pays alone ("Dit kan ook, maar dan
        # betaalt u zelf"); in each, what costs the person least first.
        shown = [
            r
            for r in results
            if r.status in SHOWN_STATUSES
            and not integration_beside_the_point(r, tracker)
            and not income_beside_the_point(r)
        ]
        # A scheme that still depends on two or more facts the person did not give is a guess:
        # left out when something depends on one fact at most (the answer ends with what
        # would make it surer).
        closer = [r for r in shown if len(r.missing) <= MAX_OPEN_FACTS]
        shown = closer or shown
        # Among what may fit: the decided before the open ones, help for everyone after a
        # scheme for the person's own situation.
        shown.sort(
            key=lambda r: (
                is_loan(r), SHOWN_STATUSES.index(r.status), r.scheme_id in last, bool(r.missing),
                r.status == "maybe" and r.scheme_id in GENERAL_HELP, cost_rank(r),
            )
        )  # fmt: skip
        # At most MAX_SCHEMES_SHOWN that pay, then a loan that fits (always named), then what
        # the person would pay alone (an exam fee, a course of their own).
        paying = [r for r in shown if not is_loan(r) and not pays_nothing(r)][:MAX_SCHEMES_SHOWN]
        loans = [r for r in shown if is_loan(r)][:MAX_LOANS_SHOWN]
        own = [r for r in shown if pays_nothing(r)][:MAX_OWN_COST_SHOWN]
        fitting = paying + loans + own
        language = language_of(tracker)
        groups = (
            ("budget_results_intro", [r for r in paying if r.status == "eligible"]),
            ("budget_maybe_intro", [r for r in paying if r.status == "maybe"]),
            ("budget_loans_intro", loans),
            ("budget_own_cost_intro", own),
        )
        for intro, group in groups:
            if not group:
                continue
            if intro == "budget_results_intro":
                dispatcher.utter_message(response="budget_results_intro")
            else:
                dispatcher.utter_message(text=say(language, intro))
            for result in group:
                dispatcher.utter_message(
                    response="budget_scheme", **describe_scheme(result, language)
                )
        if not fitting:
            dispatcher.utter_message(response="budget_nothing_fits")
        open_facts = [f for f in BUDGET_SLOTS if any(f in r.missing for r in fitting)]
        if open_facts:
            # Answered with what is known; say what would make the answer surer.
            names = strings(language)["fact_names"]
            listed = ", ".join(names[f] for f in open_facts)
            dispatcher.utter_message(text=say(language, "tell_more", facts=listed))
        dispatcher.utter_message(response="budget_results_end")
        return [schemes_insight(fitting, None, nothing_fits=not fitting)]
