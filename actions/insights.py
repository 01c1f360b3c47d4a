"""What an answer found, for the anonymous insights (docs/insights.md).

The actions set the slot `insight` to a flat record of codes and numbers: a course search's
result count, nearest distance and share of free courses; the schemes a budget check showed; the
help shown; why a person was asked for. Rasa's event broker carries that slot event
(bot/event_broker.py keeps codes and numbers only) to services/insights, which turns a finished
conversation into anonymous facts. The record never holds the person's words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.places import is_online

SLOT = "insight"
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback")
MISUNDERSTOOD = "utter_offer_human_after_misunderstanding"
RECENT_EVENTS = 12  # how far back a hand-over looks for what led to it
# Why a person was asked for (handover_reason); bot/event_broker.py passes only these.
REASONS = ("asked", "misunderstood", "no_course", "nothing_fits", "help")


def search_insight(
    subject: str | None, municipality: str | None, found: Sequence[Any], page_size: int
) -> SlotSet:
    """A course search: `found` is the first page plus one (a next page exists when longer)."""
    shown = list(found[:page_size])
    in_person = [
        c.distance_km
        for c in shown
        if getattr(c, "distance_km", None) is not None and not is_online(c)
    ]
    costs = [c.cost_eur for c in shown if getattr(c, "cost_eur", None) is not None]
    return SlotSet(
        SLOT,
        {
            "kind": "search",
            "subject": subject or "any",
            "municipality": municipality,
            "results": len(shown),
            "more": len(found) > page_size,
            "nearest_km": round(min(in_person), 1) if in_person else None,
            "free_share": round(sum(1 for c in costs if c == 0) / len(costs), 2) if costs else None,
        },
    )


def schemes_insight(shown: Iterable[Any], asked: Any | None, nothing_fits: bool) -> SlotSet:
    """A budget check: the schemes shown (eligible or maybe) and the one the person named."""
    checked = [{"scheme": r.scheme_id, "outcome": r.status, "asked": False} for r in shown]
    if asked is not None:
        checked = [c for c in checked if c["scheme"] != asked.scheme_id]
        checked.append({"scheme": asked.scheme_id, "outcome": asked.status, "asked": True})
    return SlotSet(SLOT, {"kind": "schemes", "nothing_fits": nothing_fits, "checked": checked})


def help_insight(help_kind: str, found: int) -> SlotSet:
    return SlotSet(SLOT, {"kind": "help", "help_kind": help_kind, "found": found})


def handover_reason(tracker: Tracker) -> str:
    """Why this person asks for a person: misunderstood (the assistant did not understand them
    twice), no_course (the last search found nothing), nothing_fits (no scheme fit), help (a
    question about help with something), or asked (straight away)."""
    recent = list(tracker.events)[-RECENT_EVENTS:]
    for event in reversed(recent):
        kind = event.get("event")
        if kind == "action" and event.get("name") in FALLBACK_ACTIONS:
            return "misunderstood"
        if kind == "bot" and (event.get("metadata") or {}).get("utter_action") == MISUNDERSTOOD:
            return "misunderstood"
        if kind == "slot" and event.get("name") == SLOT and isinstance(event.get("value"), dict):
            value = event["value"]
            if value.get("kind") == "search" and value.get("results") == 0:
                return "no_course"
            if value.get("kind") == "schemes" and value.get("nothing_fits"):
                return "nothing_fits"
            break
    return "help" if tracker.get_slot("help_kind") else "asked"


def handover_insight(tracker: Tracker, help_kind: str | None) -> SlotSet:
    return SlotSet(
        SLOT, {"kind": "handover", "reason": handover_reason(tracker), "help_kind": help_kind}
    )
