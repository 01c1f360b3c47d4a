import json

import pytest
import requests
import responses
from rasa_sdk.executor import CollectingDispatcher

from actions.budget import (
    BUDGET_SLOTS,
    ActionCheckBudget,
    ValidateBudgetForm,
    budget_questions,
    profile_from,
)
from actions.clients.budget import BudgetClient
from actions.i18n import say
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


def shown_schemes(slots):
    """The names of the schemes the answer lists, in order."""
    return [m["name"] for m in run_check(slots) if m.get("response") == "budget_scheme"]


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
    # What fits, then what may fit, each with its own words ("Dit past misschien bij u").
    assert [m.get("response") for m in messages] == [
        "budget_results_intro", "budget_scheme", None, "budget_scheme", "budget_results_end",
    ]  # fmt: skip
    assert messages[2]["text"] == say("nl", "budget_maybe_intro")
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


@responses.activate
@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        ("eligible", "verdict_yes"),
        ("maybe", "verdict_maybe"),
        ("not_eligible", "verdict_no"),
        ("closed", "verdict_closed"),
    ],
)
def test_a_named_scheme_gets_a_direct_answer_first(status, verdict):
    answer = result("levenlanglerenkrediet", status, "https://duo.example")
    answer["reasons"] = ["U bent 57 jaar of ouder.", "Een tweede reden."]
    responses.post(
        f"{BASE}/v1/eligibility",
        json={"results": [result("bibliotheek-gratis", "eligible"), answer]},
    )
    [message] = run_check({"age": "60", "scheme_asked": "levenlanglerenkrediet"})
    assert message["text"].startswith(say("nl", verdict) + " Levenlanglerenkrediet: ")
    assert "U bent 57 jaar of ouder." in message["text"]
    assert "Bel het loket." in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/ask_budget", "/human_handoff"]


@responses.activate
def test_a_named_scheme_asks_only_what_it_still_misses():
    import asyncio

    answer = result("levenlanglerenkrediet", "maybe")
    answer["missing"] = ["age"]
    responses.post(f"{BASE}/v1/eligibility", json={"results": [answer]})
    tracker = make_tracker({"scheme_asked": "levenlanglerenkrediet"})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BUDGET_URL", BASE)
        from bot.settings import settings

        settings.cache_clear()
        asked = asyncio.run(
            ValidateBudgetForm().required_slots(
                list(BUDGET_SLOTS), CollectingDispatcher(), tracker, {}
            )
        )
        settings.cache_clear()
    assert asked == ["age"]


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
        (None, ["situation"]),
        ("dutch_language", ["situation", "integration_obligation"]),
        ("vocational", ["situation"]),
        ("career_advice", ["situation"]),
    ],
)
def test_the_situation_is_asked_and_inburgering_only_when_it_matters(goal, asked):
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


@responses.activate
def test_when_the_employer_does_not_pay_the_employers_schemes_are_left_out_or_last():
    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                result("werkgever-studiekosten", "eligible"),
                result("sectorfonds", "eligible"),
                result("verplichte-scholing", "maybe"),
                result("leerwerkloket", "eligible"),
                result("levenlanglerenkrediet", "eligible"),
            ]
        },
    )
    messages = run_check({"situation": "employed", "scheme_asked": "not_employer"})
    shown = [m["name"] for m in messages if m.get("response") == "budget_scheme"]
    # What the person can do alone first; a fund that the employer applies for last.
    assert shown == ["Leerwerkloket", "Levenlanglerenkrediet", "Sectorfonds"]


def with_cost(item, cost):
    return {**item, "cost_to_you": cost}


@responses.activate
def test_what_costs_least_comes_first_and_a_loan_is_called_a_loan_in_every_language():
    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                with_cost(result("levenlanglerenkrediet", "eligible"), "loan"),
                with_cost(result("uwv-scholing", "eligible"), "subsidy"),
                with_cost(result("werkgever-studiekosten", "eligible"), "employer"),
                with_cost(result("leerwerkloket", "eligible"), "free"),
            ]
        },
    )
    messages = run_check({"situation": "employed"})
    shown = [m["name"] for m in messages if m.get("response") == "budget_scheme"]
    assert shown == [
        "Leerwerkloket",
        "Werkgever-Studiekosten",
        "Uwv-Scholing",
        "Levenlanglerenkrediet",
    ]
    loan = next(m for m in messages if m.get("name") == "Levenlanglerenkrediet")
    assert loan["reason"].startswith(say("nl", "loan_note"))
    assert "lening" in loan["reason"] and "rente" in loan["reason"]
    for language in ("en", "ar", "tr", "uk", "pl"):
        [*_, last] = [m for m in run_check({"situation": "employed", "language": language})
                      if m.get("response") == "budget_scheme"]  # fmt: skip
        assert last["reason"].startswith(say(language, "loan_note")), language


@responses.activate
def test_a_direct_answer_about_a_loan_says_it_is_a_loan():
    responses.post(
        f"{BASE}/v1/eligibility",
        json={"results": [with_cost(result("levenlanglerenkrediet", "eligible"), "loan")]},
    )
    [message] = run_check({"age": "40", "scheme_asked": "levenlanglerenkrediet"})
    assert say("nl", "loan_note") in message["text"]


def test_a_scheme_card_shows_three_reasons_so_the_deciding_caveat_is_there():
    from actions.budget import describe_scheme
    from actions.clients.budget import SchemeResult

    item = result("uwv-scholing", "maybe")
    item["reasons"] = ["Eerste.", "Tweede.", "UWV beslist dit per persoon.", "Vierde."]
    card = describe_scheme(SchemeResult.from_json(item), "nl")
    assert card["reason"] == "Eerste. Tweede. UWV beslist dit per persoon."


@responses.activate
def test_who_pays_names_a_scheme_that_may_pay_before_a_loan_that_surely_fits():
    # "Ik ben 45, werkloos en wil kok worden. Wie betaalt dat?": UWV may pay; the loan comes last.
    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                with_cost(result("levenlanglerenkrediet", "eligible"), "loan"),
                with_cost(result("uwv-scholing", "maybe"), "subsidy"),
            ]
        },
    )
    [answer] = run_check({"situation": "job_seeker", "scheme_asked": "best"})
    assert "Uwv-Scholing" in answer["text"] and "Levenlanglerenkrediet" not in answer["text"]
    messages = run_check({"situation": "job_seeker"})
    texts = [m.get("text") or m.get("response") for m in messages]
    assert texts.index(say("nl", "budget_loans_intro")) > texts.index(
        say("nl", "budget_maybe_intro")
    )


@responses.activate
def test_a_long_list_still_names_the_loan_and_puts_open_and_general_schemes_after():
    open_one = with_cost(result("inburgering", "maybe"), "subsidy")
    open_one["missing"] = ["integration_obligation"]
    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                with_cost(result("bibliotheek-gratis", "maybe"), "free"),
                with_cost(result("leerwerkloket", "maybe"), "free"),
                open_one,
                with_cost(result("uwv-scholing", "maybe"), "subsidy"),
                with_cost(result("brabant-leert-jtf", "maybe"), "discount"),
                with_cost(result("sectorfonds", "maybe"), "employer"),
                with_cost(result("levenlanglerenkrediet", "eligible"), "loan"),
            ]
        },
    )
    shown = [m["name"] for m in run_check({"situation": "job_seeker"}) if m.get("name")]
    assert shown[:3] == ["Sectorfonds", "Uwv-Scholing", "Brabant-Leert-Jtf"]
    assert shown[-1] == "Levenlanglerenkrediet" and len(shown) == 6
    assert "Inburgering" not in shown  # open, and the list is full


@responses.activate
def test_something_the_person_pays_alone_is_never_the_answer_to_who_pays():
    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                with_cost(result("open-universiteit", "eligible"), "own_cost"),
                with_cost(result("leerwerkloket", "maybe"), "free"),
            ]
        },
    )
    [answer] = run_check({"situation": "employed", "scheme_asked": "best"})
    assert "Leerwerkloket" in answer["text"] and "Open-Universiteit" not in answer["text"]


@responses.activate
def test_inburgering_is_not_brought_up_with_someone_who_gave_no_sign_of_it():
    open_on_integration = {**result("inburgering", "maybe"), "missing": ["integration_obligation"]}
    responses.post(
        f"{BASE}/v1/eligibility",
        json={"results": [result("uwv-scholing", "maybe"), open_on_integration]},
    )

    shown = shown_schemes
    # A Dutch job seeker of 58 who asks what there is: UWV, not inburgering.
    assert shown({"situation": "job_seeker", "age": "58"}) == ["Uwv-Scholing"]
    # Writing another language, or wanting to learn Dutch: it may matter, so it is named.
    assert "Inburgering" in shown({"situation": "job_seeker", "language": "ar"})
    assert "Inburgering" in shown({"situation": "job_seeker", "goal": "dutch_language"})
    assert "Inburgering" in shown({"situation": "job_seeker", "integration_obligation": "unknown"})


@responses.activate
def test_what_the_person_pays_alone_comes_after_everything_else_under_its_own_heading():
    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                with_cost(result("open-universiteit", "eligible"), "own_cost"),
                with_cost(result("levenlanglerenkrediet", "eligible"), "loan"),
                with_cost(result("uwv-scholing", "maybe"), "subsidy"),
                with_cost(result("bibliotheek-gratis", "eligible"), "free"),
            ]
        },
    )
    messages = run_check({"situation": "job_seeker"})
    order = [m.get("name") or m.get("text") or m.get("response") for m in messages]
    own_intro = say("nl", "budget_own_cost_intro")
    assert order.index("Bibliotheek-Gratis") < order.index("Uwv-Scholing")
    assert order.index("Uwv-Scholing") < order.index("Levenlanglerenkrediet")
    assert order.index("Levenlanglerenkrediet") < order.index(own_intro)
    assert order.index(own_intro) + 1 == order.index("Open-Universiteit")


def test_while_the_situation_is_asked_what_surely_fits_is_said_first(monkeypatch):
    from actions import budget
    from actions.budget import sure_first
    from actions.clients.budget import SchemeResult

    found = [
        SchemeResult.from_json(with_cost(result("levenlanglerenkrediet", "eligible"), "loan")),
        SchemeResult.from_json(with_cost(result("uwv-scholing", "maybe"), "subsidy")),
        SchemeResult.from_json(with_cost(result("bibliotheek-gratis", "eligible"), "free")),
    ]
    monkeypatch.setattr(budget, "_results", lambda tracker: found)
    dispatcher = CollectingDispatcher()
    sure_first(dispatcher, make_tracker({"language": "uk"}))  # "в мене нема грошей на курси"
    assert dispatcher.messages[0]["text"] == say("uk", "budget_sure_intro")
    assert [m.get("name") for m in dispatcher.messages[1:]] == ["Bibliotheek-Gratis"]
    # Nothing sure (only a loan, or a maybe): nothing before the question.
    monkeypatch.setattr(budget, "_results", lambda tracker: found[:2])
    dispatcher = CollectingDispatcher()
    sure_first(dispatcher, make_tracker({}))
    assert dispatcher.messages == []
    # The situation known: the whole answer follows at once, no preview.
    monkeypatch.setattr(budget, "_results", lambda tracker: found)
    dispatcher = CollectingDispatcher()
    sure_first(dispatcher, make_tracker({"situation": "retired"}))
    assert dispatcher.messages == []


@responses.activate
def test_a_scheme_open_on_several_facts_is_left_out_when_closer_ones_exist():
    def open_on(item, *facts):
        return {**item, "missing": list(facts)}

    responses.post(
        f"{BASE}/v1/eligibility",
        json={
            "results": [
                result("uwv-scholing", "maybe"),
                open_on(result("studiefinanciering", "maybe"), "age", "goal"),
                open_on(result("bibliotheek-gratis", "maybe"), "goal"),
            ]
        },
    )
    assert shown_schemes({"situation": "job_seeker"}) == ["Uwv-Scholing", "Bibliotheek-Gratis"]


@responses.activate
def test_when_every_scheme_is_open_on_several_facts_they_are_still_named():
    responses.post(
        f"{BASE}/v1/eligibility",
        json={"results": [{**result("studiefinanciering", "maybe"), "missing": ["age", "goal"]}]},
    )
    assert shown_schemes({}) == ["Studiefinanciering"]


def test_a_low_income_is_only_what_the_person_said_never_asked():
    def said(*texts, language="nl"):
        events = [{"event": "user", "text": text} for text in texts]
        tracker = make_tracker({"language": language}, text=texts[-1], events=events)
        return profile_from(tracker)["low_income"]

    assert said("Ik heb weinig geld. Kan ik een cursus doen?") is True
    assert said("Ik zit krap bij kas", "Breda") is True  # said earlier, still known
    assert said("param yok, kurs istiyorum", language="tr") is True
    assert said("Ik wil een computercursus in Breda") is None  # nothing said: not guessed
    assert said("") is None


@responses.activate
def test_help_for_a_low_income_is_named_only_to_someone_who_said_money_is_short():
    open_on_income = {**result("gemeente-laag-inkomen", "maybe"), "missing": ["low_income"]}
    responses.post(
        f"{BASE}/v1/eligibility",
        json={"results": [result("uwv-scholing", "maybe"), open_on_income]},
    )
    assert shown_schemes({"situation": "job_seeker"}) == ["Uwv-Scholing"]
    assert "low_income" not in json.loads(responses.calls[0].request.body)

    responses.replace(
        responses.POST,
        f"{BASE}/v1/eligibility",
        json={
            "results": [result("uwv-scholing", "maybe"), result("gemeente-laag-inkomen", "maybe")]
        },
    )
    dispatcher = CollectingDispatcher()
    text = "Ik heb weinig geld, wie betaalt mijn cursus?"
    tracker = make_tracker(
        {"situation": "job_seeker"}, text=text, events=[{"event": "user", "text": text}]
    )
    ActionCheckBudget(BudgetClient(BASE, timeout=0.5)).run(dispatcher, tracker, {})
    assert json.loads(responses.calls[-1].request.body)["low_income"] is True
    names = [m["name"] for m in dispatcher.messages if m.get("response") == "budget_scheme"]
    assert "Gemeente-Laag-Inkomen" in names


@responses.activate
def test_a_question_about_help_for_a_low_income_is_answered_at_once():
    # Open on the situation and the income: the income decides and is never asked, so the
    # situation is not asked either; the answer says where to ask.
    open_ = {**result("gemeente-laag-inkomen", "maybe"), "missing": ["situation", "low_income"]}
    responses.post(f"{BASE}/v1/eligibility", json={"results": [open_]})
    tracker = make_tracker({"scheme_asked": "gemeente-laag-inkomen"})
    assert budget_questions(tracker) == []
