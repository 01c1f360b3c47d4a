"""The whole stack as real processes: services, action server, Rasa server and web page.

The session's shared stack (tests/support/stack.py): free ports, its own var/ directory, the
trained model. Checks what a citizen sees through the REST channel.
"""

from __future__ import annotations

import json

import pytest
import requests

from services.callbacks import CallbackStore
from tests.support.stack import Citizen, buttons, texts

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack(shared_stack):
    """The session's stack (tests/conftest.py); it must stay whole for the other packages."""
    return shared_stack


def course_names(answers: list[dict]) -> list[str]:
    return [a["text"].splitlines()[0] for a in answers if "\nWaar:" in (a.get("text") or "")]


def test_welcome_says_computer_program_person_and_privacy(stack):
    answers = Citizen(stack).say("hallo")
    text = texts(answers)
    assert "computerprogramma" in text
    assert "mens" in text
    assert stack.config.privacy_url in text
    titles = [b["title"] for b in buttons(answers)]
    assert 3 <= len(titles) <= 4
    assert "Andere taal" in titles


def test_course_search_shows_courses_from_the_catalog(stack):
    catalog = requests.get(
        f"{stack.config.catalog_url}/courses",
        # The assistant's own search: the subject and the word the person used for it.
        params={"topic": "digital", "q": "computercursus", "municipality": "Breda", "pageSize": 10},
        timeout=5,
    ).json()
    expected = [c["name"][0]["value"] for c in catalog["items"]][:3]
    assert expected, "the example catalog has computer courses near Breda"

    citizen = Citizen(stack)
    answers = citizen.say("Ik zoek een computercursus in Breda")
    assert course_names(answers) == expected
    payloads = [b["payload"] for b in buttons(answers)]
    assert any(p.startswith("/course_details") for p in payloads)
    assert "/more_results" in payloads

    details = citizen.say(next(p for p in payloads if p.startswith("/course_details")))
    assert expected[0] in texts(details)
    more = citizen.say("/more_results")
    # Other courses (a course of the same name may be given in another place).
    shown = {p for p in payloads if p.startswith("/course_details")}
    more_shown = {b["payload"] for b in buttons(more) if b["payload"].startswith("/course_details")}
    assert course_names(more) and more_shown and more_shown.isdisjoint(shown)


def test_at_a_kiosk_a_course_near_the_kiosk_comes_on_the_first_reply(stack):
    kiosk = Citizen(stack, metadata={"client": "kiosk", "place": "Roosendaal"})
    answers = kiosk.say("ik wil leren werken met de computer")
    text = texts(answers)
    assert "in de buurt van Roosendaal" in text and "Woont u ergens anders?" in text
    assert course_names(answers), text  # the courses themselves, without a question first
    # The person lives elsewhere: the search follows, and the kiosk's place is not theirs.
    answers = kiosk.say("ik woon in Zundert")
    assert "Zundert" in texts(answers) or course_names(answers)
    slots = {e["name"]: e["value"] for e in kiosk.stored_events() if e["event"] == "slot"}
    assert slots["municipality"] == "Zundert" and slots["place_from_context"] is False


def test_course_form_asks_one_question_at_a_time(stack):
    citizen = Citizen(stack)
    first = citizen.say("ik wil iets leren")
    assert "Wat wilt u leren?" in texts(first)
    assert "ken ik niet" not in texts(first), "no error message before the first answer"
    second = citizen.say('/inform{"topic": "dutch"}')
    assert "plaats" in texts(second)
    third = citizen.say("Roosendaal")
    assert course_names(third)


def test_who_pays_asks_only_what_is_needed_and_names_schemes(stack):
    citizen = Citizen(stack)
    # A question about one scheme: the direct answer, nothing asked.
    stap = texts(citizen.say("kan ik nog STAP budget krijgen"))
    assert stap.startswith("Nee, deze regeling bestaat niet meer.")
    assert "?" not in stap.split("\n")[0]
    # Who pays in general: the age was said; only the situation is asked.
    intro = citizen.say("ik ben zevenenzestig, wie betaalt mijn cursus?")
    assert "Wat doet u nu?" in texts(intro)
    assert "Hoe oud bent u?" not in texts(intro)
    answers = citizen.say('/inform{"situation": "retired"}')
    schemes = requests.post(
        f"{stack.config.budget_url}/v1/eligibility",
        json={"age": 67, "situation": "retired"},
        timeout=5,
    ).json()["results"]
    fitting = {s["name"] for s in schemes if s["status"] in ("eligible", "maybe")}
    eligible = {s["name"] for s in schemes if s["status"] == "eligible"}
    named = {s["name"] for s in schemes if s["name"] in texts(answers)}
    assert named and named <= fitting
    assert eligible <= named
    for question in ("BSN", "inkomen", "nationaliteit", "geloof"):
        assert question not in texts(intro)


def test_help_nearby_lists_organizations(stack):
    citizen = Citizen(stack)
    citizen.say('/find_support{"help_kind": "dutch"}')
    answers = citizen.say("Roosendaal")
    assert "Taalhuis" in texts(answers)
    assert "Adres:" in texts(answers)


def test_a_person_then_a_stored_call_back_request(stack):
    citizen = Citizen(stack)
    offer = citizen.say("ik wil een mens spreken")
    assert any(ch.isdigit() for ch in texts(offer)), "a phone number is given"
    assert "/request_callback" in [b["payload"] for b in buttons(offer)]
    assert "voornaam" in texts(citizen.say("/request_callback"))
    assert "telefoonnummer" in texts(citizen.say("Fatima"))
    assert "klopt niet" in texts(citizen.say("12345"))
    citizen.say("06-12345678")
    consent = citizen.say('/inform{"daypart": "morning"}')
    assert "bewaren" in texts(consent)
    confirmation = texts(citizen.say("/affirm"))
    # The desk that agreed to call back, when it calls, and its number.
    assert "Leerwerkloket West-Brabant belt u binnen 2 werkdagen terug" in confirmation
    assert "076 000 0000" in confirmation
    reference = next(word.strip(".") for word in confirmation.split() if word.startswith("LW-"))
    store = CallbackStore(stack.config.callback_database_url)
    stored = store.get(reference)
    assert stored is not None and stored.phone == "+31612345678"
    assert stored.first_name == "Fatima"


def test_forget_me_deletes_the_conversation(stack):
    citizen = Citizen(stack)
    citizen.say("hallo")
    assert citizen.stored_events()
    answers = citizen.say("wis mijn gegevens")
    assert "gewist" in texts(answers)
    assert citizen.stored_events() == []


def test_personal_numbers_are_masked_in_the_stored_tracker(stack):
    citizen = Citizen(stack)
    warning = citizen.say("mijn bsn is 111222333")
    assert "BSN" in texts(warning)
    citizen.say("mijn mail is jan.jansen@example.nl en bel 0612345678")
    stored = json.dumps(citizen.stored_events())
    for secret in ("111222333", "jan.jansen@example.nl", "0612345678"):
        assert secret not in stored


@pytest.mark.parametrize(
    "message",
    ["", " ", "😀😀😀", "x" * 5000, "x" * 2000, "<script>alert(1)</script>", "مرحبا كيف حالك",
     '/inform{"callback_consent": true}', "' OR 1=1 --", "74", "0", "99999999",
     "hallo I need a kurs bilgisayar in Breda please", "Привіт, ik zoek taalles"],
)  # fmt: skip
def test_odd_input_always_gets_an_answer(stack, message):
    answers = Citizen(stack).say(message)
    assert texts(answers).strip()
    assert "<script>" not in texts(answers)


def test_repeat_and_simpler(stack):
    citizen = Citizen(stack)
    greeting = citizen.say("hallo")
    assert texts(citizen.say("wat zei u")) == texts(greeting)
    simpler = texts(citizen.say("ik snap het niet"))
    assert simpler and simpler != texts(greeting)


def test_restart_forgets_the_answers_and_offers_the_menu(stack):
    citizen = Citizen(stack)
    tracker_url = f"{stack.config.rasa_url}/conversations/{{}}/tracker"
    token = {"token": stack.config.rasa_auth_token}
    found = citizen.say("Ik woon in Roosendaal en zoek een computercursus")
    assert "Waar: Roosendaal" in texts(found)
    before = requests.get(tracker_url.format(citizen.sender), params=token, timeout=5).json()
    assert before["slots"]["municipality"] == "Roosendaal"

    restarted = citizen.say("opnieuw beginnen")
    assert "opnieuw" in texts(restarted)
    assert {"/find_course", "/ask_budget", "/human_handoff"} <= {
        b["payload"] for b in buttons(restarted)
    }
    after = requests.get(tracker_url.format(citizen.sender), params=token, timeout=5).json()
    fresh = requests.get(tracker_url.format(f"{citizen.sender}-new"), params=token, timeout=5)
    assert after["slots"] == fresh.json()["slots"]
    assert not after["active_loop"]
    # The place is asked again: nothing of before the restart is used.
    assert "In welke plaats woont u?" in texts(citizen.say("ik zoek een computercursus"))


def test_web_page_is_served_with_the_rasa_address(stack):
    page = requests.get(f"{stack.config.web_url}/", timeout=5)
    assert page.status_code == 200 and "Leerwijzer" in page.text
    config_js = requests.get(f"{stack.config.web_url}/config.js", timeout=5).text
    assert f'"rasaPort": {stack.config.rasa_port}' in config_js


def test_http_api_needs_the_token(stack):
    citizen = Citizen(stack)
    citizen.say("hallo")
    url = f"{stack.config.rasa_url}/conversations/{citizen.sender}/tracker"
    assert requests.get(url, timeout=5).status_code == 401
    authorised = requests.get(url, params={"token": stack.config.rasa_auth_token}, timeout=5)
    assert authorised.status_code == 200


# A service that is down, slow or failing: tests/faults (a stack of its own).
