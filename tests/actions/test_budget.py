import json

import pytest
import requests
import responses
from rasa_sdk.executor import CollectingDispatcher

from actions.budget import ActionBudgetIntro, ActionCheckBudget, ValidateBudgetForm, profile_from
from actions.clients.budget import BudgetClient
from tests.actions.conftest import make_tracker

BASE = "http://budget.test"


def result(scheme_id, status, url=None):
    return {
        "scheme_id": scheme_id,
        "name": scheme_id.title(),
        "status": status,
        "reasons": [f"Reden voor {scheme_id}."],
        "next_step": "Bel het loket.",
        "amount": None,
        "apply_url": url,
        "source_urls": ["https://example.org"],
        "checked_on": "2026-11-27",
    }


def run_check(slots):
    dispatcher = CollectingDispatcher()
    ActionCheckBudget(BudgetClient(BASE, timeout=0.5)).run(dispatcher, make_tracker(slots), {})
    return dispatcher.messages


@responses.activate
def test_sends_only_what_the_rules_need_and_shows_eligible_and_maybe():
    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                result("bibliotheek-gratis", "eligible", "https://example.org/bieb"),
                result("uwv-scholing", "maybe"),
                result("stap-budget", "closed"),
                result("levenlanglerenkrediet", "not_eligible"),
            ]
        },
    )
    slots = {
        "age": "67", "situation": "retired", "goal": "basic_skills",
        "integration_obligation": "no", "municipality": "Breda", "callback_phone": "+3161",
    }  # fmt: skip
    messages = run_check(slots)
    sent = json.loads(responses.calls[0].request.body)
    assert sent == {
        "age": 67, "situation": "retired", "goal": "basic_skills",
        "integration_obligation": False, "municipality": "Breda",
    }  # fmt: skip
    assert [m["response"] for m in messages] == [
        "budget_results_intro", "budget_scheme", "budget_scheme", "budget_results_end",
    ]  # fmt: skip
    assert messages[1]["name"] == "Bibliotheek-Gratis"
    assert messages[1]["next_step"] == "Bel het loket. Kijk op https://example.org/bieb"


def test_unknown_answers_are_left_out_not_guessed():
    profile = profile_from(make_tracker({"age": None, "integration_obligation": "unknown"}))
    assert profile["integration_obligation"] is None
    assert profile["age"] is None
    assert profile_from(make_tracker({"municipality": "online"}))["municipality"] is None


@responses.activate
def test_nothing_fits_says_so():
    responses.post(f"{BASE}/v1/eligibility", json={"results": [result("x", "not_eligible")]})
    responses_ = [m["response"] for m in run_check({"age": "30"})]
    assert responses_ == ["budget_nothing_fits", "budget_results_end"]


@responses.activate
@pytest.mark.parametrize(
    "failure",
    [{"status": 500}, {"status": 422, "json": {}}, {"body": requests.Timeout()}, {"json": {}}],
)
def test_budget_service_failure_gives_a_phone_number(failure):
    responses.post(f"{BASE}/v1/eligibility", **failure)
    [message] = run_check({"age": "30"})
    assert message["response"] == "budget_unavailable"
    assert message["phone"]


def test_stap_is_said_to_have_ended():
    dispatcher = CollectingDispatcher()
    ActionBudgetIntro().run(dispatcher, make_tracker(text="kan ik STAP budget krijgen"), {})
    assert [m["response"] for m in dispatcher.messages] == ["stap_ended", "budget_intro"]


async def required(goal):
    return await ValidateBudgetForm().required_slots(
        ["age", "situation", "goal", "integration_obligation", "municipality"],
        CollectingDispatcher(),
        make_tracker({"goal": goal}),
        {},
    )


@pytest.mark.parametrize(
    ("goal", "asked"),
    [
        (None, ["age", "situation", "goal"]),
        ("dutch_language", ["age", "situation", "goal", "integration_obligation"]),
        ("vocational", ["age", "situation", "goal", "municipality"]),
        ("career_advice", ["age", "situation", "goal"]),
    ],
)
def test_inburgering_and_place_are_asked_only_when_they_matter(goal, asked):
    import asyncio

    assert asyncio.run(required(goal)) == asked


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("67", "67"), ("zevenenzestig", "67"), ("ik ben 18 jaar", "18"), ("geen idee", None)],
)
def test_age_as_digits_or_words(typed, stored):
    dispatcher = CollectingDispatcher()
    result_ = ValidateBudgetForm().validate_age(typed, dispatcher, make_tracker(), {})
    assert result_ == {"age": stored}
    assert bool(dispatcher.messages) == (stored is None)
