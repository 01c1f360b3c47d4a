"""What happens after every message (actions/reading.py): canonical slots only, short answers
to the open question, and no third time the same question."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.i18n import say
from actions.reading import ActionReadMessage
from actions.vocabulary import UNKNOWN
from tests.actions.conftest import make_tracker


def read(text, slots=None, active_loop=None, intent="inform"):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots=slots, text=text, intent=intent, active_loop=active_loop)
    events = ActionReadMessage().run(dispatcher, tracker, {})
    values = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return values, dispatcher.messages


def test_every_fact_of_the_first_message_goes_to_its_slot():
    values, _ = read("Ik ben 45, werkloos, woon in Etten-Leur en wil kok worden. Wie betaalt dat?")
    assert values["age"] == "45"
    assert values["situation"] == "job_seeker"
    assert values["municipality"] == "Etten-Leur"
    assert values["topic"] == "hospitality"
    assert values["goal"] == "vocational"


def test_a_raw_entity_value_never_stays_in_a_slot():
    # Rasa's own mapping put the raw text in the slot; it is mapped or dropped.
    values, _ = read("mijn DigiD aanvragen", slots={"topic": "mijn DigiD aanvragen"})
    assert values["topic"] == "digital-government"
    values, _ = read("iets vaags", slots={"situation": "iets vaags", "municipality": "Atlantis"})
    assert values["situation"] is None
    assert values["municipality"] is None


def test_a_bare_number_answers_the_age_question():
    values, _ = read("74", slots={"requested_slot": "age"}, active_loop="budget_form")
    assert values["age"] == "74"


def test_yes_and_no_in_other_languages_answer_the_open_question():
    for text, language, answer in (("evet", "tr", "yes"), ("ні", "uk", "no"), ("tak", "pl", "yes")):
        values, _ = read(
            text,
            slots={"requested_slot": "integration_obligation", "language": language},
            active_loop="budget_form",
        )
        assert values["integration_obligation"] == answer, text


def test_a_misspelled_place_answers_the_place_question():
    values, _ = read(
        "rosendaal", slots={"requested_slot": "municipality"}, active_loop="course_form"
    )
    assert values["municipality"] == "Roosendaal"


def test_i_do_not_know_is_an_answer():
    values, _ = read("weet ik niet", slots={"requested_slot": "age"}, active_loop="budget_form")
    assert values["age"] == UNKNOWN


def test_the_second_unclear_answer_offers_a_person_and_ends_the_question():
    slots = {"requested_slot": "topic", "unclear_answers": 0}
    values, messages = read("blub", slots=slots, active_loop="course_form")
    assert values["unclear_answers"] == 1 and not messages
    slots["unclear_answers"] = 1
    values, messages = read("blub", slots=slots, active_loop="course_form")
    assert values["topic"] == UNKNOWN
    assert messages[0]["text"] == say("nl", "unclear_twice")
    assert messages[0]["buttons"][0]["payload"] == "/human_handoff"


def test_learning_english_does_not_switch_the_conversation():
    values, _ = read("ik wil Engels leren", slots={"language": "nl"})
    assert values.get("language", "nl") == "nl"
    assert values["course_query"] == "Engels"


def _with_model_place(text, value, before=None, requested=None):
    events = []
    if before is not None:
        events.append({"event": "slot", "name": "municipality", "value": before})
    events += [
        {"event": "user", "text": text},
        {"event": "slot", "name": "municipality", "value": value},
    ]
    slots = {"municipality": value}
    if requested:
        slots["requested_slot"] = requested
    tracker = make_tracker(slots=slots, text=text, events=events,
                           active_loop="course_form" if requested else None)  # fmt: skip
    events = ActionReadMessage().run(CollectingDispatcher(), tracker, {})
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_online_in_passing_is_no_wish_to_learn_from_home():
    # The model tagged "online" as the place; the whole message wishes for nothing online.
    text = "ik moet van het uwv online solliciteren maar ik kan niet goed met de computer"
    assert _with_model_place(text, "online")["municipality"] is None
    assert _with_model_place(text, "online", before="Breda")["municipality"] == "Breda"


def test_a_wish_for_online_learning_stays():
    assert _with_model_place("ik zoek een online cursus", "online")["municipality"] == "online"
    # Answering "Waar woont u?" with "thuis": the model's "online" is kept (no change).
    values = _with_model_place("thuis", "online", requested="municipality")
    assert values.get("municipality", "online") == "online"


def test_the_exact_word_within_the_subject_goes_with_the_search():
    values, _ = read("Ik ben 67 en wil leren videobellen met mijn kleinkinderen")
    assert values["topic"] == "digital" and values["course_query"] == "videobellen"
    # A word the catalog does not know within the subject: the topic alone.
    values, _ = read("بدي اتعلم واتساب واحكي فيديو مع اهلي")
    assert values["topic"] == "digital" and values["course_query"] is None
