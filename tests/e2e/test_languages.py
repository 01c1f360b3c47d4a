"""One conversation per language through the REST channel against the real running stack.

Greet, switch language, search a course, who pays, a person: what the widget and the kiosk
do (they send `/change_language{"language": "<code>"}` when a visitor picks a language).
The session's shared stack (tests/support/stack.py).
"""

from __future__ import annotations

import pytest
import yaml

from actions.i18n import DOMAIN_FILE, locale
from tests.e2e.test_stack import stack  # noqa: F401 - the fixture
from tests.support.stack import Citizen, buttons, texts

pytestmark = pytest.mark.stack
RESPONSES = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["responses"]

# What a citizen types in each language: a greeting, a course with a place, a person.
TYPED = {
    "en": ("hello", "I am looking for a computer course in Breda", "I want to talk to a person"),
    "ar": ("مرحبا", "أبحث عن دورة حاسوب في Breda", "أريد التحدث مع شخص"),
    "tr": ("merhaba", "Breda şehrinde bilgisayar kursu arıyorum", "bir insanla konuşmak istiyorum"),
    "uk": ("привіт", "шукаю комп'ютерний курс у Breda", "я хочу поговорити з людиною"),
    "pl": ("dzień dobry", "szukam kursu komputerowego w Breda", "chcę rozmawiać z człowiekiem"),
}


def response_text(name: str, language: str) -> str:
    """The text of a response in a language, up to its first placeholder."""
    entry = locale(language)["responses"][name]["text"]
    return entry.split("{")[0].strip()


def search_course(citizen: Citizen, typed: str, language: str) -> list[dict]:
    """Type a course search; answer by button what the course form still asks."""
    answers = citizen.say(typed)
    for _ in range(2):
        if response_text("utter_ask_topic", language) in texts(answers):
            answers = citizen.say('/inform{"topic": "digital"}')
        elif response_text("utter_ask_course_form_municipality", language) in texts(answers):
            answers = citizen.say('/inform{"municipality": "Breda"}')
    return answers


def switch(citizen: Citizen, language: str) -> list[dict]:
    return citizen.say(f'/change_language{{"language": "{language}"}}')


@pytest.mark.parametrize("language", sorted(TYPED))
def test_a_conversation_in_each_language(stack, language):  # noqa: F811
    greeting, course, person = TYPED[language]
    citizen = Citizen(stack)

    # Switch as the widget does, then greet: both answers in the language.
    confirmation = switch(citizen, language)
    assert response_text("language_changed", language) in texts(confirmation)
    assert response_text("greeting", language) in texts(citizen.say(greeting))

    # A course in the language's own words; the course names stay Dutch.
    results = search_course(citizen, course, language)
    found = (response_text(name, language) for name in ("courses_found", "courses_nearby_instead"))
    assert any(text and text in texts(results) for text in found)
    labels = locale(language)["strings"]
    assert labels["where"].split("{")[0] in texts(results)
    assert labels["more_about_course"] in [b["title"] for b in buttons(results)]

    # Who pays: the question is asked in the language (buttons send the answers).
    assert response_text("utter_ask_situation", language) in texts(citizen.say("/ask_budget"))
    answers = citizen.say('/inform{"situation": "retired"}')
    if response_text("utter_ask_integration_obligation", language) in texts(answers):
        answers = citizen.say('/inform{"integration": "no"}')
    assert response_text("budget_results_intro", language) in texts(answers)

    # A person: a phone number and the offer of a call-back, in the language.
    offer = citizen.say(person)
    assert any(ch.isdigit() for ch in texts(offer))
    assert response_text("offer_callback", language) in texts(offer)


def test_the_language_choice_offers_all_six_languages(stack):  # noqa: F811
    answers = Citizen(stack).say("andere taal")
    payloads = [b["payload"] for b in buttons(answers)]
    assert len(payloads) == 6
    assert '/change_language{"language": "ar"}' in payloads


def test_writing_in_another_language_is_answered_in_it_with_dutch_as_a_button(stack):  # noqa: F811
    citizen = Citizen(stack)
    answers = citizen.say("Szukam kursu komputerowego w Bredzie")
    text = texts(answers)
    assert locale("pl")["strings"]["answering_in_language"] in text
    assert locale("pl")["strings"]["where"].split("{")[0] in text  # the courses, in Polish
    assert '/change_language{"language": "nl"}' in [b["payload"] for b in buttons(answers)]
    switched = citizen.say('/change_language{"language": "nl"}')
    assert response_text_nl("language_changed") in texts(switched)
    # Chosen: a Polish message no longer switches.
    assert "Odpowiem" not in texts(citizen.say("Szukam kursu komputerowego w Bredzie"))


def test_a_turkish_place_with_its_case_ending_is_understood(stack):  # noqa: F811
    # "Breda'da" is "in Breda": the tokenizer splits the ending off (bot/spacy_pipeline.py),
    # so the place is found and the course form does not ask for it.
    citizen = Citizen(stack)
    switch(citizen, "tr")
    answers = citizen.say("Breda'da bilgisayar kursu arıyorum")
    assert response_text("utter_ask_course_form_municipality", "tr") not in texts(answers)
    assert response_text("utter_ask_topic", "tr") not in texts(answers)


def test_back_to_dutch(stack):  # noqa: F811
    citizen = Citizen(stack)
    switch(citizen, "en")
    answers = switch(citizen, "nl")
    assert response_text_nl("language_changed") in texts(answers)
    assert "Hallo!" in texts(citizen.say("hallo"))


def response_text_nl(name: str) -> str:
    dutch = next(v for v in RESPONSES[name] if not v.get("condition"))
    return dutch["text"].split("{")[0].strip()
