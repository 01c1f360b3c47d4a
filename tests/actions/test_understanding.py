"""Facts read from whole messages in six languages (actions/understanding.py), and the router's
choice of task (actions/router.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.i18n import say
from actions.router import BUDGET, COURSE, MENU, SCHEME, SUPPORT, choose_task
from actions.understanding import (
    _guess_language,
    _understand,
    fuzzy_place,
    normalize,
    understand,
)


def test_the_issue_example_gives_every_fact():
    facts = understand(
        "Ik ben 45, werkloos, woon in Etten-Leur en wil kok worden. Wie betaalt dat?", ["nl"]
    )
    assert facts.age == 45
    assert facts.situation == "job_seeker"
    assert facts.municipality == "Etten-Leur"
    assert facts.topic == "hospitality"
    assert facts.goal == "vocational"
    assert facts.pay_question


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("Kan ik op mijn 60e nog levenlanglerenkrediet krijgen?", 60),
        ("ik ben 74 jaar", 74),
        ("I am 52 years old", 52),
        ("52 yaşındayım", 52),
        ("мені 45 років", 45),
        ("mam 45 lat", 45),
        ("عمري ٤٥ سنة", 45),
        ("ik ben zevenenzestig jaar", 67),
    ],
)
def test_ages_in_every_language(text, age):
    assert understand(text, ["nl", "en", "tr", "uk", "pl", "ar"]).age == age


@pytest.mark.parametrize(
    ("text", "not_an_age"),
    [("de cursus kost 45 euro", 45), ("om 10 uur", 10), ("postcode 4811 AB", 4811)],
)
def test_numbers_that_are_not_ages(text, not_an_age):
    assert understand(text, ["nl"]).age is None


def test_a_bare_number_is_a_number():
    facts = understand("74", ["nl"])
    assert facts.number == 74


def test_a_named_scheme():
    assert understand("kan ik levenlanglerenkrediet krijgen", ["nl"]).scheme == (
        "levenlanglerenkrediet"
    )


def test_the_employer_and_paying_myself():
    facts = understand("Mijn baas wil dat ik een cursus doe; moet ik die zelf betalen?", ["nl"])
    assert facts.employer and facts.pay_question


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("mijn werkgever betaalt mijn opleiding niet, wat nu", "nl"),
        ("My employer won't pay for the course.", "en"),
        ("صاحب العمل ما بيدفع الدورة", "ar"),
        ("İşverenim kursu ödemiyor", "tr"),
        ("Роботодавець не оплачує курс", "uk"),
        ("Pracodawca nie chce zapłacić za kurs", "pl"),
    ],
)
def test_an_employer_who_does_not_pay_in_every_language(text, language):
    facts = understand(text, [language])
    assert facts.employer_declines
    assert choose_task("inform", facts, {}, learn=False) == BUDGET
    assert facts.scheme is None  # not "Studiekosten betaald door uw werkgever"


@pytest.mark.parametrize(
    "text",
    [
        "ik weet niet of mijn baas betaalt",  # the negation is about something else
        "Mijn baas wil dat ik een cursus doe; moet ik die zelf betalen?",
        "Mój szef mówi, że muszę zrobić kurs. Kto płaci?",
        "Patronum kurs yapmamı istiyor, kendim mi ödeyeceğim?",
    ],
)
def test_an_employer_who_asks_is_not_an_employer_who_declines(text):
    assert not understand(text, ["nl", "pl", "tr"]).employer_declines


def test_who_pays_for_my_inburgering_course_does_not_ask_whether_i_must_integrate():
    for text, language in [
        ("Do I have to pay for my inburgering course myself?", "en"),
        ("هل يجب أن أدفع تكاليف دورة الاندماج بنفسي؟", "ar"),
        ("moet ik mijn inburgeringscursus zelf betalen?", "nl"),
    ]:
        facts = understand(text, [language])
        assert choose_task("ask_budget", facts, {}, learn=False) == SCHEME, text
        assert facts.scheme == "inburgering" and facts.integration == "yes", text


@pytest.mark.parametrize(
    ("text", "place"),
    [("رزندال", "Roosendaal"), ("بريده", "Breda"), ("розендаль", "Roosendaal"),
     ("rosendaal", "Roosendaal"), ("مرحبا", None), ("не знаю", None), ("hallo", None)],
)  # fmt: skip
def test_a_short_answer_with_a_place_misspelled_in_any_script(text, place):
    assert fuzzy_place(text) == place


@pytest.mark.parametrize(
    ("text", "language"),
    [("evet", "tr"), ("так", "uk"), ("tak", "pl"), ("نعم", "ar"), ("ja hoor", "nl"), ("yes", "en")],
)
def test_yes_in_every_language(text, language):
    assert understand(text, [language]).answer == "yes"


@pytest.mark.parametrize(
    ("text", "language"),
    [("hayır", "tr"), ("ні", "uk"), ("nie", "pl"), ("لا", "ar"), ("nee", "nl"), ("no", "en")],
)
def test_no_in_every_language(text, language):
    assert understand(text, [language]).answer == "no"


def test_learning_a_language_is_not_speaking_it():
    learn = understand("I want to learn English", ["en"])
    assert learn.learn_language == "en" and learn.speak_language is None
    dutch = understand("ik wil Engels leren", ["nl"])
    assert dutch.learn_language == "en" and dutch.speak_language is None
    speak = understand("can you speak English please", ["en"])
    assert speak.speak_language == "en" and speak.learn_language is None


def test_learning_dutch_is_a_subject():
    facts = understand("I want to learn Dutch, I live in Breda", ["en"])
    assert facts.topic == "dutch"
    assert facts.municipality == "Breda"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ik wil mijn DigiD aanvragen", "digital-government"),
        ("ik schaam me dat ik niet goed kan lezen", "reading-writing"),
    ],
)
def test_everyday_needs_are_kinds_of_help(text, kind):
    assert understand(text, ["nl"]).help_kind == kind


def test_whatsapp_on_my_phone_is_digital():
    assert understand("ik wil leren whatsappen op mijn telefoon", ["nl"]).topic == "digital"


def test_places_with_turkish_endings_and_other_scripts():
    assert understand("Breda'da bilgisayar kursu arıyorum", ["tr"]).municipality == "Breda"
    assert understand("Oudenbosch", ["nl"]).municipality == "Halderberge"
    assert understand("ik heb dorst", ["nl"]).municipality is None


def test_normalize_folds_latin_only():
    assert normalize("Hollandaca ÖĞRENMEK") == "hollandaca ogrenmek"
    assert normalize("Київ") == "київ"


def test_nothing_from_nothing():
    for text in ("", "   ", "🙂", "/greet", "x" * 5000):
        facts = understand(text, ["nl"])
        assert facts.said() == {} or text.startswith("x")


@pytest.mark.parametrize(
    ("intent", "text", "task"),
    [
        ("ask_budget", "Kan ik op mijn 60e nog levenlanglerenkrediet krijgen?", SCHEME),
        ("ask_budget", "Mijn baas wil dat ik een cursus doe; moet ik die zelf betalen?", SCHEME),
        ("find_course", "Ik ben 45, werkloos en wil kok worden. Wie betaalt dat?", BUDGET),
        ("find_course", "ik wil mijn DigiD aanvragen", SUPPORT),
        ("inform", "een brief van de gemeente begrijpen", SUPPORT),
        ("out_of_scope", "ik schaam me dat ik niet goed kan lezen", SUPPORT),
        ("find_course", "ik wil leren whatsappen op mijn telefoon", COURSE),
        ("find_course", "ik zoek een computercursus in Breda", COURSE),
        ("inform", "ik woon in Breda", COURSE),
        ("inform", "ik ben 67", BUDGET),
        ("greet", "hallo", MENU),
    ],
)
def test_the_router_chooses_the_task(intent, text, task):
    facts = understand(text, ["nl"])
    assert choose_task(intent, facts, {}, learn="cursus" in text or "leren" in text) == task


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ik wil mijn DigiD aanvragen", "digital-government"),
        ("een brief van de gemeente begrijpen", "digital-government"),
        ("ik schaam me dat ik niet goed kan lezen", "reading-writing"),
    ],
)
def test_everyday_needs_go_to_the_desk_that_helps(text, kind):
    assert understand(text, ["nl"]).help_kind == kind


@pytest.mark.parametrize(
    ("text", "language", "scheme"),
    [
        ("I lost my job and I'm on WW now. Can UWV pay for an Excel course?", "en", "uwv-scholing"),
        ("Ik zit in de bijstand. Betaalt de gemeente dat?", "nl", "gemeente-werk-scholing"),
        ("Kan ik bijzondere bijstand krijgen voor een cursus?", "nl", "gemeente-laag-inkomen"),
        ("Is there a meedoenregeling for courses?", "en", "gemeente-laag-inkomen"),
        ("Ik heb weinig geld. Betaalt de gemeente mijn cursus?", "nl", "gemeente-laag-inkomen"),
        ("Czy STAP budżet jeszcze istnieje?", "pl", "stap-budget"),
    ],
)
def test_a_payer_or_a_scheme_named_in_a_question(text, language, scheme):
    assert understand(text, [language]).scheme == scheme


def test_a_pay_question_about_a_subject_asks_for_the_best_scheme():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.router import BEST, ActionRoute
    from tests.actions.conftest import make_tracker

    tracker = make_tracker(
        text="is lezen en schrijven leren gratis? ik ben 52", intent="ask_budget"
    )
    events = ActionRoute().run(CollectingDispatcher(), tracker, {})
    assert {"event": "slot", "timestamp": None, "name": "scheme_asked", "value": BEST} in events
    assert events[-1]["name"] == "budget_form"


def test_not_having_to_integrate_is_not_a_question_about_inburgering():
    facts = understand("ik hoef niet in te burgeren. is nederlandse les gratis?", ["nl"])
    assert choose_task("ask_budget", facts, {}, learn=True) == BUDGET
    assert facts.scheme is None


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), language=st.sampled_from(["nl", "en", "ar", "tr", "uk", "pl"]))
def test_any_text_is_read_without_an_error(text, language):
    # The inner functions: a crash must be fixed, not only caught by understand().
    facts = _understand(text, [language])
    assert facts.age is None or 14 <= facts.age <= 110
    assert facts.municipality is None or isinstance(facts.municipality, str)
    _guess_language(text)


def _at_a_kiosk(text: str, place: str, slots: dict | None = None):
    from tests.actions.conftest import make_tracker

    user = {"event": "user", "text": text, "metadata": {"client": "kiosk", "place": place}}
    return make_tracker(slots=slots, text=text, intent="find_course", events=[user])


def test_at_a_kiosk_a_course_is_searched_near_the_kiosk_and_the_person_is_told():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.router import ActionRoute

    dispatcher = CollectingDispatcher()
    events = ActionRoute().run(dispatcher, _at_a_kiosk("computercursus", "Oudenbosch"), {})
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["municipality"] == "Halderberge" and slots["place_from_context"] is True
    assert "Halderberge" in dispatcher.messages[0]["text"]
    assert events[-1]["name"] == "course_form"


def test_a_place_the_person_names_wins_over_the_kiosk_and_an_unknown_kiosk_place_is_ignored():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.router import ActionRoute

    for tracker in (
        _at_a_kiosk("computercursus", "Roosendaal", slots={"municipality": "Breda"}),
        _at_a_kiosk("computercursus", "Atlantis"),
    ):
        dispatcher = CollectingDispatcher()
        events = ActionRoute().run(dispatcher, tracker, {})
        assert "place_from_context" not in {e.get("name") for e in events}
        assert not any("Atlantis" in (m.get("text") or "") for m in dispatcher.messages)
        assert not any("Roosendaal" in (m.get("text") or "") for m in dispatcher.messages)


def test_the_kiosks_place_is_never_used_for_who_pays():
    from actions.budget import profile_from
    from tests.actions.conftest import make_tracker

    slots = {"municipality": "Roosendaal", "place_from_context": True}
    assert profile_from(make_tracker(slots))["municipality"] is None
    assert (
        profile_from(make_tracker({"municipality": "Roosendaal"}))["municipality"] == "Roosendaal"
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [("курс excel", "uk"), ("كورس excel", "ar"), ("ik woon in Київ en wil leren", "nl")],
)
def test_the_script_of_most_words_decides_next_to_a_product_name(text, language):
    assert (_guess_language(text) or "nl") == language


@pytest.mark.parametrize(
    ("text", "routed"),
    [
        ("career advice", True),  # a request the model took for a goodbye
        ("doei", False),
        ("bedankt, ik woon in Breda, tot ziens", False),  # a place alone is no request
    ],
)
def test_a_goodbye_says_goodbye_unless_it_asks_for_something(text, routed):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.welcome import ActionGoodbye
    from tests.actions.conftest import make_tracker

    dispatcher = CollectingDispatcher()
    events = ActionGoodbye().run(dispatcher, make_tracker(text=text, intent="goodbye"), {})
    said_goodbye = [m.get("response") for m in dispatcher.messages] == ["utter_goodbye"]
    assert said_goodbye is not routed
    assert bool(events) is routed


def test_a_place_taken_for_find_a_course_keeps_the_subject():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.router import ActionRoute
    from tests.actions.conftest import make_tracker

    tracker = make_tracker(
        slots={"topic": "reading-writing"}, text="Etten-Leur", intent="find_course"
    )
    events = ActionRoute().run(CollectingDispatcher(), tracker, {})
    assert not [e for e in events if e.get("name") == "topic"]
    new_search = make_tracker(
        slots={"topic": "digital"}, text="ik zoek een cursus", intent="find_course"
    )
    events = ActionRoute().run(CollectingDispatcher(), new_search, {})
    assert {"event": "slot", "timestamp": None, "name": "topic", "value": None} in events


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("وصلتني رسالة من البلدية وما فهمت شي", "ar"),
        ("Belediyeden bir mektup geldi, anlamadım", "tr"),
        ("Я отримала лист від гемеенте і нічого не розумію", "uk"),
        ("Dostałam pismo z gminy i nic nie rozumiem", "pl"),
        ("I got a letter from the municipality and I don't understand it", "en"),
    ],
)
def test_a_letter_from_the_municipality_in_every_language_is_help_nearby(text, language):
    assert understand(text, [language]).help_kind == "digital-government"


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("wat is de eerste stap als ik wil leren?", None),  # the everyday word
        ("stap voor stap leren werken met de computer", None),
        ("kan ik nog stap-budget aanvragen?", "stap-budget"),
        ("bestaat de stap subsidie nog", "stap-budget"),
    ],
)
def test_stap_is_the_scheme_only_when_the_scheme_is_meant(text, scheme):
    assert understand(text, ["nl"]).scheme == scheme


def _route(text: str, slots: dict | None = None, intent: str = "find_course", language="nl"):
    from rasa_sdk.executor import CollectingDispatcher

    from actions.router import ActionRoute
    from tests.actions.conftest import make_tracker

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"language": language, **(slots or {})}, text=text, intent=intent)
    events = ActionRoute().run(dispatcher, tracker, {})
    return [m.get("text") or m.get("response") for m in dispatcher.messages], events


@pytest.mark.parametrize(
    ("text", "language", "key"),
    [
        ("digid aanvragen", "nl", "where_government"),
        ("computercursus", "nl", "where_digital"),
        ("ik wil leren mailen", "nl", "where_digital"),
        ("ik wil knm leren voor examen inburgering", "nl", "where_integration"),
        ("cursus boekhouden", "nl", None),  # home papers or a trade: no one answer
        ("how do i get a digid", "en", "where_government"),
        ("хочу навчитися користуватися смартфоном", "uk", "where_digital"),
        ("بدي اتعلم اكتب", "ar", "where_reading"),
    ],
)
def test_before_asking_the_place_the_first_reply_says_where_this_help_is(text, language, key):
    said, events = _route(text, language=language)
    if key is None:
        assert not any(t in said for t in (say(language, k) for k in WHERE_KEYS))
    else:
        assert said[-1] == say(language, key)
    assert events[-1]["event"] == "active_loop"  # the form then asks the place


def test_with_a_place_known_the_results_come_without_the_general_hint():
    said, _ = _route("computercursus in Breda")
    assert say("nl", "where_digital") not in said
    said, _ = _route("computercursus", slots={"municipality": "Breda"})
    assert say("nl", "where_digital") not in said
    said, _ = _route("online computercursus")
    assert say("nl", "where_digital") not in said


def test_shame_about_reading_gets_the_kind_word_once_not_a_second_hint():
    said, _ = _route("ik schaam me dat ik niet goed kan lezen", intent="find_support")
    assert said == [say("nl", "kind_reading")]


WHERE_KEYS = ("where_dutch", "where_reading", "where_digital", "where_government", "where_work",
              "where_money", "where_integration", "where_vocational", "where_business")  # fmt: skip


def test_spoken_dutch_without_the_last_n_is_understood():
    facts = understand("ik kan nie goet leze en schrijve wil ik lere", ["nl"])
    assert facts.topic == "reading-writing"
    facts = understand("kan iemand mij helpe met formulier invulle", ["nl"])
    assert facts.help_kind == "reading-writing"
    # "en" itself and short words keep their meaning.
    assert understand("ik ben 58 en zoek werk", ["nl"]).situation == "job_seeker"


@pytest.mark.parametrize(
    ("text", "language", "task", "free_only"),
    [
        ("ik ben 70 en heb geen geld, ik wil een gratis computercursus", "nl", COURSE, True),
        ("عمري 70 وما معي مصاري، بدي كورس كمبيوتر ببلاش", "ar", COURSE, True),
        # A question about the price gets a direct answer; "who pays" lists the schemes.
        ("is lezen en schrijven leren gratis? ik ben 52", "nl", BUDGET, None),
        ("wie betaalt mijn computercursus?", "nl", BUDGET, None),
        # No money for a trade: who pays is the question.
        ("ik heb geen geld en wil kok worden", "nl", BUDGET, None),
        # Little money, and a question whether it is free: the direct answer (yes, the library).
        (
            "Я пенсіонерка, грошей мало. Курс компʼютера в бібліотеці безкоштовний?",
            "uk",
            BUDGET,
            None,
        ),
        # A question without a question mark (czy, чи, هل, mi): the direct answer too.
        ("mam malo pieniedzy czy kurs komputera w bibliotece jest za darmo", "pl", BUDGET, None),
        ("param az, bilgisayar kursu ucretsiz mi", "tr", BUDGET, None),
        # An exam one pays alone, named with its subject: the courses that prepare for it.
        ("Ik woon in Breda en wil het staatsexamen NT2 halen", "nl", COURSE, None),
        ("I want to take the NT2 state exam, what does it cost?", "en", SCHEME, None),
    ],
)
def test_free_lessons_wanted_are_searched_and_who_pays_is_answered(text, language, task, free_only):
    from actions.router import free_course_wanted

    facts = understand(text, [language])
    assert choose_task("find_course", facts, {}, learn=True) == task
    assert (free_course_wanted(facts) or None) == free_only
    assert "is_question" not in facts.said()


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("ik wil leren whatsappen op mijn telefoon", "whatsapp"),  # the start of a word
        ("op mijn tablet leren mailen", "mailen"),  # what to do before the device
        ("ik wil met mijn telefoon leren omgaan", "telefoon"),
        ("Ik ben 67 en wil leren videobellen met mijn kleinkinderen", "videobellen"),
    ],
)
def test_the_exact_word_within_the_subject(text, term):
    assert understand(text, ["nl"]).topic_term == term


def test_a_message_is_read_once_per_turn():
    from actions.understanding import _understand_once

    # Several actions read the same message in one turn: the reading is cached.
    assert hasattr(_understand_once, "cache_info")


def test_asking_about_bijzondere_bijstand_does_not_say_the_person_lives_on_bijstand():
    asked = understand("Kan ik bijzondere bijstand krijgen voor een cursus?")
    assert asked.scheme == "gemeente-laag-inkomen" and asked.situation is None
    both = understand("Ik zit in de bijstand. Kan ik bijzondere bijstand krijgen voor een cursus?")
    assert both.situation == "social_assistance"


def test_a_course_in_a_basic_skill_is_basic_skills_whatever_the_word_for_it():
    facts = understand(
        "ik heb alleen aow en geen geld voor een cursus. wil beter met mijn mobiel leren"
    )
    assert (facts.topic, facts.goal, facts.no_money) == ("digital", "basic_skills", True)
    assert understand("een korte cursus excel").goal == "short_course"  # not a basic skill
