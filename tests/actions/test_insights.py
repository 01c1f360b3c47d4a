"""What the actions note for the anonymous insights (actions/insights.py, docs/insights.md)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from actions.insights import handover_reason, schemes_insight, search_insight
from tests.actions.conftest import make_tracker


def course(place: str, km: float | None, cost: float | None, online: bool = False):
    return SimpleNamespace(place=place, distance_km=km, cost_eur=cost, online=online)


def test_a_search_notes_the_nearest_in_person_offering_and_the_free_share():
    found = [
        course("online", None, 0.0, online=True),
        course("Etten-Leur", 12.34, 40.0),
        course("Breda", 3.0, 0.0),
        course("Zundert", 1.0, 0.0),  # a fourth: only says that there is a next page
    ]
    event = search_insight("digital", "Breda", found, page_size=3)
    assert event["name"] == "insight"
    assert event["value"] == {
        "kind": "search",
        "subject": "digital",
        "municipality": "Breda",
        "results": 3,
        "more": True,
        "nearest_km": 3.0,
        "free_share": 0.67,
    }


def test_a_search_without_results_or_only_online_has_no_nearest_offering():
    assert search_insight(None, "Breda", [], page_size=3)["value"] == {
        "kind": "search",
        "subject": "any",
        "municipality": "Breda",
        "results": 0,
        "more": False,
        "nearest_km": None,
        "free_share": None,
    }
    online = [course("online", None, 25.0, online=True)]
    assert search_insight("dutch", "online", online, 3)["value"]["nearest_km"] is None


def test_a_budget_check_notes_what_was_shown_and_the_scheme_asked_about():
    shown = [SimpleNamespace(scheme_id="stap", status="eligible")]
    asked = SimpleNamespace(scheme_id="llo_krediet", status="not_eligible")
    assert schemes_insight(shown, asked, nothing_fits=False)["value"] == {
        "kind": "schemes",
        "nothing_fits": False,
        "checked": [
            {"scheme": "stap", "outcome": "eligible", "asked": False},
            {"scheme": "llo_krediet", "outcome": "not_eligible", "asked": True},
        ],
    }


def insight(value):
    return {"event": "slot", "name": "insight", "value": value}


@pytest.mark.parametrize(
    ("events", "slots", "reason"),
    [
        ([], {}, "asked"),
        ([], {"help_kind": "letters"}, "help"),
        ([{"event": "action", "name": "action_fallback"}], {}, "misunderstood"),
        ([insight({"kind": "search", "results": 0})], {}, "no_course"),
        ([insight({"kind": "schemes", "nothing_fits": True})], {}, "nothing_fits"),
        # What came last decides: a search that found courses after an earlier misunderstanding.
        (
            [
                {"event": "action", "name": "action_fallback"},
                insight({"kind": "search", "results": 2}),
            ],
            {},
            "asked",
        ),
    ],
)
def test_why_a_person_was_asked_for(events, slots, reason):
    assert handover_reason(make_tracker(slots=slots, events=events)) == reason
