"""Which schemes fit a profile: one result per scheme, best news first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from services.budget.profile import FIELDS, Facts, Profile, facts_from
from services.budget.rules import STATUSES, Decision
from services.budget.schemes import Scheme

__all__ = ["MISSING_ANSWER", "MISSING_ASK", "eligibility_for", "missing_texts", "result_for"]

STATUS_ORDER = {status: rank for rank, status in enumerate(STATUSES)}

# The reason given when an answer a rule needs is missing: it names the answer, never guesses.
MISSING_ANSWER = {
    "age": "Wij weten uw leeftijd niet, en die telt mee voor deze regeling.",
    "municipality": "Wij weten niet in welke gemeente u woont.",
    "situation": "Wij weten niet of u werkt, werk zoekt of iets anders doet.",
    "integration_obligation": "Wij weten niet of u moet inburgeren.",
    "goal": "Wij weten niet wat u wilt leren.",
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


def eligibility_for(profile: Profile, schemes: Iterable[Scheme], day: date) -> list[dict]:
    """One result per scheme for this profile on ``day``: eligible, maybe, closed, not_eligible."""
    facts = facts_from(profile)
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
        "amount": scheme.amount,
        "apply_url": scheme.apply_url,
        "source_urls": list(scheme.source_urls),
        "checked_on": scheme.checked_on.isoformat(),
    }


def missing_texts(decision: Decision, facts: Facts) -> tuple[list[str], str]:
    """Reasons that name each missing answer, and a next step that asks for them."""
    missing = [field for field in FIELDS if field in decision.missing]
    reasons = []
    for field in missing:
        unrecognised = field == "municipality" and facts.municipality_given
        reasons.append(UNRECOGNISED_MUNICIPALITY if unrecognised else MISSING_ANSWER[field])
    asks = [MISSING_ASK[field] for field in missing]
    answers = asks[0] if len(asks) == 1 else ", ".join(asks[:-1]) + " en " + asks[-1]
    return reasons, ASK_TEMPLATE.format(answers=answers)
