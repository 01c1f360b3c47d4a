"""From a conversation's minimised events to its anonymous facts.

The events are the ones bot/event_broker.py publishes: event type, time, intent name, channel,
action names, and a few checked slot values, among them the `insight` records the actions set
(actions/insights.py). One Rasa session is one conversation. What comes out
(services/insights/store.ConversationFacts) has no text, no sender id and no time finer than the
week.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from services.budget.rules import STATUSES
from services.insights.store import (
    ConversationFacts,
    Handover,
    HelpShown,
    SchemeCheck,
    Search,
    week_of,
)

TIMEZONE = ZoneInfo("Europe/Amsterdam")
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback")
ROUTES = {"action_start_live_chat": "live_chat", "action_submit_callback": "callback"}
OUTCOMES = STATUSES  # the budget service's verdicts


def sessions(events: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The events split at each `session_started`; sessions without a message are left out."""
    found: list[list[dict[str, Any]]] = [[]]
    for event in events:
        if event.get("event") == "session_started" and found[-1]:
            found.append([])
        found[-1].append(event)
    return [s for s in found if any(e.get("event") == "user" for e in s)]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _code(value: Any, limit: int = 40) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def conversation_facts(events: list[dict[str, Any]]) -> ConversationFacts:
    """The facts of one conversation (one session's events, oldest first)."""
    slots: dict[str, Any] = {}
    searches: list[Search] = []
    schemes: list[SchemeCheck] = []
    help_shown: list[HelpShown] = []
    handovers: list[Handover] = []
    channel = None
    turns = fallbacks = 0
    budget_checked, nothing_fits = False, None
    for event in events:
        kind = event.get("event")
        if kind == "user":
            turns += 1
            channel = channel or _code(event.get("input_channel"), 20)
        elif kind == "action":
            name = event.get("name")
            if name in FALLBACK_ACTIONS:
                fallbacks += 1
            elif name in ROUTES and handovers:
                handovers[-1] = Handover(
                    handovers[-1].reason, handovers[-1].help_kind, ROUTES[name]
                )
        elif kind == "slot" and event.get("name") != "insight":
            slots[event["name"]] = event.get("value")
        elif kind == "slot" and isinstance(event.get("value"), dict):
            insight = event["value"]
            what = insight.get("kind")
            if what == "search":
                searches.append(
                    Search(
                        subject=_code(insight.get("subject")) or "any",
                        municipality=_code(insight.get("municipality"), 80),
                        results=int(_number(insight.get("results")) or 0),
                        more=bool(insight.get("more")),
                        nearest_km=_number(insight.get("nearest_km")),
                        free_share=_number(insight.get("free_share")),
                    )
                )
            elif what == "schemes":
                budget_checked = True
                nothing_fits = bool(insight.get("nothing_fits"))
                for checked in insight.get("checked") or []:
                    scheme, outcome = _code(checked.get("scheme"), 60), checked.get("outcome")
                    if scheme and outcome in OUTCOMES:
                        schemes.append(SchemeCheck(scheme, outcome, bool(checked.get("asked"))))
            elif what == "help" and _code(insight.get("help_kind")):
                help_shown.append(
                    HelpShown(insight["help_kind"][:40], int(_number(insight.get("found")) or 0))
                )
            elif what == "handover" and _code(insight.get("reason")):
                handovers.append(
                    Handover(insight["reason"][:40], _code(insight.get("help_kind")), "offered")
                )
    municipality = slots.get("municipality")
    return ConversationFacts(
        week=week_of(_day(events)),
        language=_code(slots.get("language"), 8) or "nl",
        municipality=_code(municipality, 80) if municipality != "online" else None,
        age_band=_code(slots.get("age"), 8),
        situation=_code(slots.get("situation")),
        goal=_code(slots.get("goal")),
        channel=channel or "unknown",
        turns=turns,
        fallbacks=fallbacks,
        budget_checked=budget_checked,
        nothing_fits=nothing_fits,
        searches=tuple(searches),
        schemes=tuple(schemes),
        help=tuple(help_shown),
        handovers=tuple(handovers),
    )


def _day(events: list[dict[str, Any]]) -> Any:
    """The day (Europe/Amsterdam) of the conversation's first message."""
    stamp = next(
        (
            e["timestamp"]
            for e in events
            if e.get("event") == "user" and _number(e.get("timestamp"))
        ),
        None,
    )
    moment = datetime.fromtimestamp(stamp, tz=timezone.utc) if stamp else datetime.now(timezone.utc)
    return moment.astimezone(TIMEZONE).date()


def facts_of(events: Iterable[dict[str, Any]]) -> list[ConversationFacts]:
    """The facts of every conversation in one sender's events (oldest first)."""
    return [conversation_facts(session) for session in sessions(events)]
