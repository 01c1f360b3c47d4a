"""Languages in the actions: switching, the offer to switch, and results in the chosen language."""

from __future__ import annotations

import pytest
import responses
from rasa_sdk.executor import CollectingDispatcher

from actions.budget import describe_scheme
from actions.clients.budget import SchemeResult
from actions.clients.catalog import CatalogClient, CourseSearch, CourseSummary, Organization
from actions.courses import ActionSearchCourses, describe_course, wish_buttons
from actions.i18n import LANGUAGES, say
from actions.reading import ActionReadMessage
from actions.repair import ActionSimplify
from actions.support import describe_organization
from actions.welcome import ActionChangeLanguage, ActionOutOfScope
from tests.actions.conftest import make_tracker
from tests.actions.test_courses import BASE, ooapi_course, page


def run(action, domain=None, latest=None, **tracker_args):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(**tracker_args)
    if latest:
        tracker.latest_message.update(latest)
    events = action.run(dispatcher, tracker, domain=domain or {})
    return dispatcher.messages, events


def language_entity(code):
    return [{"entity": "language", "value": code}]


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_named_language_is_confirmed(code):
    messages, events = run(
        ActionChangeLanguage(),
        slots={"language": code},
        intent="change_language",
        entities=language_entity(code),
    )
    assert [m["response"] for m in messages] == ["language_changed"]
    assert {"event": "slot", "name": "language", "value": code, "timestamp": None} in events


def test_without_a_language_the_choice_is_offered():
    messages, events = run(ActionChangeLanguage(), intent="change_language")
    assert [m["response"] for m in messages] == ["language_choice"]
    assert events == []


def slot_values(events, name):
    return [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]


def test_writing_in_another_language_is_answered_in_it_at_once():
    messages, events = run(
        ActionReadMessage(),
        slots={"language": "nl"},
        text="I am looking for a course",
        latest={"detected_language": {"language": "en", "confidence": 0.9}},
    )
    [note] = messages
    assert note["text"] == say("en", "answering_in_language")
    assert [b["payload"] for b in note["buttons"]] == ['/change_language{"language": "nl"}']
    assert [b["title"] for b in note["buttons"]] == ["Nederlands"]
    assert slot_values(events, "language") == ["en"]


def test_a_chosen_language_is_kept_when_detection_disagrees():
    messages, events = run(
        ActionReadMessage(),
        slots={"language": "nl", "language_chosen": True},
        text="I am looking for a course",
        latest={"detected_language": {"language": "en", "confidence": 0.9}},
    )
    assert messages == [] and slot_values(events, "language") == []


@pytest.mark.parametrize(
    ("slots", "latest", "text", "entities"),
    [
        ({"language": "en"}, {"language": "en", "confidence": 0.9}, "a course", None),
        ({"language": "nl"}, None, "hallo", None),
        ({"language": "nl"}, {"language": "ar"}, '/change_language{"language": "ar"}', None),
    ],
)
def test_no_switch_when_nothing_to_switch(slots, latest, text, entities):
    messages, events = run(
        ActionReadMessage(),
        slots=slots,
        text=text,
        entities=entities,
        latest={"detected_language": latest} if latest else None,
    )
    assert messages == [] and slot_values(events, "language") == []


def test_speak_english_to_me_is_a_choice():
    _, events = run(ActionReadMessage(), slots={"language": "nl"}, text="please speak English")
    assert slot_values(events, "language") == ["en"]
    assert slot_values(events, "language_chosen") == [True]


def course(**overrides):
    values = {
        "course_id": "c-1",
        "name": "Klik & Tik",
        "place": "online",
        "start_date": "2027-01-12",
        "schedule": "dinsdag 10:00-12:00",
        "cost_eur": 0,
        "provider": "Bibliotheek Breda",
        "teaching_languages": ("nld",),
        "support_languages": ("ara", "eng"),
    }
    return CourseSummary(**{**values, **overrides})


def test_a_course_in_english_keeps_its_dutch_name_and_shows_its_languages():
    assert describe_course(course(), "en").splitlines() == [
        "Klik & Tik",
        "Where: online, from home",
        "Start: Tuesday, 12 January 2027",
        "When: Tuesday 10:00-12:00",
        "Cost: free",
        "By: Bibliotheek Breda",
        "Taught in: Dutch",
        "Also help in: Arabic, English",
        "Sign up: ask Bibliotheek Breda",
    ]


def test_a_course_in_dutch_shows_its_languages_too():
    lines = describe_course(course(), "nl").splitlines()
    assert "Lestaal: Nederlands" in lines
    assert "Ook hulp in: Arabisch, Engels" in lines


def test_support_languages_come_from_the_catalog():
    item = ooapi_course()
    item["ext"]["languagesOfInstruction"] = ["nld"]
    item["ext"]["supportLanguages"] = ["tur"]
    summary = CourseSummary.from_ooapi(item)
    assert summary.teaching_languages == ("nld",)
    assert summary.support_languages == ("tur",)


def test_other_languages_get_a_button_for_help_in_their_language():
    titles = {b["title"]: b["payload"] for b in wish_buttons(CourseSearch(), "tr")}
    assert titles[say("tr", "only_my_language")] == '/inform{"support_language": "tr"}'
    assert all("support_language" not in p for p in map(str, wish_buttons(CourseSearch(), "nl")))


@responses.activate
def test_the_language_wish_filters_on_support_language():
    responses.get(
        f"{BASE}/courses",
        json=page([ooapi_course()]),
        match=[
            responses.matchers.query_param_matcher(
                {"topic": "digital", "municipality": "Breda", "supportLanguage": "ara"},
                strict_match=False,
            )
        ],
    )
    slots = {"topic": "digital", "municipality": "Breda", "language": "ar"}
    messages, events = run(
        ActionSearchCourses(CatalogClient(BASE, timeout=0.5)),
        slots={**slots, "support_language": "ar"},
    )
    assert messages[0]["response"] == "courses_found"
    assert any("المكان: Breda" in (m.get("text") or "") for m in messages)
    assert {e["name"]: e["value"] for e in events}["support_language"] == "ar"


def test_organizations_show_the_languages_spoken_there():
    place = Organization("Taalhuis Breda", "Molenstraat 6, Breda", "076 123", "ma 10-12", "Breda",
                         ("nld", "eng", "ara"))  # fmt: skip
    assert describe_organization(place, "uk").splitlines()[-1] == (
        "Мови: нідерландська, англійська, арабська"
    )
    assert describe_organization(place, "nl").splitlines()[-1] == (
        "Talen: Nederlands, Engels, Arabisch"
    )


def scheme(**overrides):
    values = {
        "scheme_id": "bibliotheek-gratis",
        "name": "Gratis hulp en cursussen in de bibliotheek",
        "status": "eligible",
        "reasons": ["U kunt gratis terecht in de bibliotheek."],
        "next_step": "Loop binnen bij de bibliotheek.",
        "amount": None,
        "apply_url": "https://example.org",
        "source_urls": [],
    }
    return SchemeResult(**{**values, **overrides})


def test_schemes_keep_their_dutch_name_with_an_explanation_in_the_language():
    described = describe_scheme(scheme(), "pl")
    assert described["name"] == "Gratis hulp en cursussen in de bibliotheek"
    assert described["reason"].startswith("Bezpłatna pomoc")
    assert described["next_step"] == "Więcej: https://example.org"
    dutch = describe_scheme(scheme(), "nl")
    assert dutch["reason"] == "U kunt gratis terecht in de bibliotheek."
    assert dutch["next_step"] == "Loop binnen bij de bibliotheek. Kijk op https://example.org"


def test_municipal_questions_are_answered_in_the_language():
    messages, _ = run(ActionOutOfScope(), slots={"language": "en"}, text="I need a new passport")
    assert messages[0]["subject"] == "a passport or ID card"


def test_simpler_in_another_language_says_that_language_again():
    domain = {
        "responses": {
            "utter_help": [
                {"condition": [{"type": "slot", "name": "language", "value": "nl"},
                               {"type": "slot", "name": "plain_language", "value": True}],
                 "text": "Simpel."},
                {"text": "Normaal."},
                {"condition": [{"type": "slot", "name": "language", "value": "en"}],
                 "text": "In English."},
            ]
        }
    }  # fmt: skip
    events = [
        {"event": "user", "text": "help"},
        {"event": "bot", "text": "x", "metadata": {"utter_action": "utter_help"}},
        {"event": "user", "text": "what?"},
    ]
    messages, _ = run(ActionSimplify(), domain=domain, slots={"language": "en"}, events=events)
    assert messages[0]["text"] == "In English."
    messages, _ = run(ActionSimplify(), domain=domain, slots={"language": "nl"}, events=events)
    assert messages[0]["text"] == "Simpel."


@pytest.mark.parametrize(
    ("intent", "active_loop", "kept"),
    [
        ("find_course", None, False),
        ("inform", "course_form", False),
        ("inform", None, False),
        ("change_language", "course_form", False),
    ],
)
def test_a_language_named_in_passing_does_not_switch(intent, active_loop, kept):
    # "ik wil Engels leren": the entity mapping set the slot; the detect action puts it back.
    before = [
        {"event": "slot", "name": "language", "value": "tr"},
        {"event": "user", "text": "ik wil Engels leren"},
        {"event": "slot", "name": "language", "value": "en"},
    ]
    _, events = run(
        ActionReadMessage(),
        events=before,
        slots={"language": "en", "language_chosen": True},
        intent=intent,
        entities=language_entity("en"),
        active_loop=active_loop,
        text="ik wil Engels leren",
    )
    reverted = [e for e in events if e.get("name") == "language"]
    assert reverted == ([] if kept else [reverted[0]])
    if not kept:
        assert reverted[0]["value"] == "tr"
