"""Which schemes fit a profile: one result per scheme, best news first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from services.budget.profile import FIELDS, MAX_AGE, Facts, Profile, facts_from
from services.budget.rules import STATUSES, Decision
from services.budget.schemes import Scheme

__all__ = [
    "MISSING_ANSWER",
    "MISSING_ASK",
    "UNASKED_NEXT_STEP",
    "eligibility_for",
    "missing_texts",
    "result_for",
]

STATUS_ORDER = {status: rank for rank, status in enumerate(STATUSES)}

# The reason given when an answer a rule needs is missing: it names the answer, never guesses.
MISSING_ANSWER = {
    "age": "Wij weten uw leeftijd niet, en die telt mee voor deze regeling.",
    "municipality": "Wij weten niet in welke gemeente u woont.",
    "situation": "Wij weten niet of u werkt, werk zoekt of iets anders doet.",
    "integration_obligation": "Wij weten niet of u moet inburgeren.",
    "goal": "Wij weten niet wat u wilt leren.",
    "low_income": "Deze hulp is alleen voor mensen met een laag inkomen.",
}
UNRECOGNISED_MUNICIPALITY = "Wij herkennen de gemeente die u noemde niet."
# How the next step asks for the missing answers: "Vertel ons ook <a>, <b> en <c>."
MISSING_ASK = {
    "age": "uw leeftijd",
    "municipality": "uw gemeente",
    "situation": "uw situatie",
    "integration_obligation": "of u moet inburgeren",
    "goal": "wat u wilt leren",
}
ASK_TEMPLATE = "Vertel ons ook {answers}."
# Income is never asked (privacy by design): a scheme open on it says first that it depends on
# the income, and where to ask, rather than asking for the other answers.
UNASKED_NEXT_STEP = "Vraag uw gemeente naar hulp bij een laag inkomen, zoals bijzondere bijstand."


ADULT_AGE = 18


def adult_ages(schemes: Iterable[Scheme]) -> list[int]:
    """One age in every band that the schemes' age conditions tell apart, from 18 up."""
    bounds = {ADULT_AGE, MAX_AGE}
    for scheme in schemes:
        for rule in scheme.rules:
            for check in rule.checks:
                if check.field != "age":
                    continue
                values = (
                    check.operand if isinstance(check.operand, (list, tuple)) else [check.operand]
                )
                for value in values:
                    if isinstance(value, int):
                        bounds.update({value, value + 1})
    return sorted(age for age in bounds if ADULT_AGE <= age <= MAX_AGE)


def result_for_adult(scheme: Scheme, facts: Facts, day: date, ages: list[int]) -> dict:
    """The answer for an adult of unknown age: the same at every adult age, or the age is what
    is missing (never a guess)."""
    answers = [result_for(scheme, replace(facts, age=age), day) for age in ages]
    first = answers[0]
    same = all(
        (a["status"], a["reasons"], a["missing"])
        == (first["status"], first["reasons"], first["missing"])
        for a in answers
    )
    if same:
        return first
    return result_for(scheme, facts, day)


def eligibility_for(profile: Profile, schemes: Iterable[Scheme], day: date) -> list[dict]:
    """One result per scheme for this profile on ``day``: eligible, maybe, closed, not_eligible."""
    facts = facts_from(profile)
    schemes = list(schemes)
    if profile.age is None and profile.adult:
        ages = adult_ages(schemes)
        results = [result_for_adult(scheme, facts, day, ages) for scheme in schemes]
    else:
        results = [result_for(scheme, facts, day) for scheme in schemes]
    results.sort(key=lambda result: (STATUS_ORDER[result["status"]], result["name"].casefold()))
    return results


def result_for(scheme: Scheme, facts: Facts, day: date) -> dict:
    decision = scheme.decide(facts, day)
    if decision.missing:
        reasons, next_step = missing_texts(decision, facts)
    else:
        reasons, next_step = list(decision.reasons), decision.next_step
    return {
        "scheme_id": scheme.id,
        "name": scheme.name,
        "status": decision.status,
        "reasons": reasons,
        "next_step": next_step,
        "cost_to_you": scheme.cost_to_you,
        "amount": scheme.amount,
        "apply_url": scheme.apply_url,
        "source_urls": list(scheme.source_urls),
        "checked_on": scheme.checked_on.isoformat(),
        # The answers that would decide a "maybe" (profile field names, in FIELDS order).
        "missing": [name for name in FIELDS if name in decision.missing],
    }


def missing_texts(decision: Decision, facts: Facts) -> tuple[list[str], str]:
    """Reasons that name each missing answer, and a next step that asks for them."""
    missing = [field for field in FIELDS if field in decision.missing]
    missing.sort(key=lambda field: field in MISSING_ASK)  # what is never asked first
    reasons = []
    for field in missing:
        unrecognised = field == "municipality" and facts.municipality_given
        reasons.append(UNRECOGNISED_MUNICIPALITY if unrecognised else MISSING_ANSWER[field])
    if any(field not in MISSING_ASK for field in missing):
        return reasons, UNASKED_NEXT_STEP
    asks = [MISSING_ASK[field] for field in missing]
    answers = asks[0] if len(asks) == 1 else ", ".join(asks[:-1]) + " en " + asks[-1]
    return reasons, ASK_TEMPLATE.format(answers=answers)
