import pytest
import requests
import responses
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.catalog import CatalogClient
from actions.contacts import fallback_contact
from actions.courses import (
    FREE_TEXT_TOPIC,
    PAGE_SIZE,
    ActionCourseDetails,
    ActionMoreCourses,
    ActionSearchCourses,
    ValidateCourseForm,
    known_topics,
)
from tests.actions.conftest import make_tracker

BASE = "http://catalog.test/v5"
COURSE_ID = "b17540f4-52f5-57cd-88f3-3e2194617b66"
GONE_ID = "00000000-0000-4000-8000-000000000000"


def ooapi_course(name="Klik & Tik", municipality="Breda", cost=0, course_id="c-1"):
    return {
        "courseId": course_id,
        "name": [{"language": "en-GB", "value": "Click"}, {"language": "nl-NL", "value": name}],
        "description": [{"language": "nl-NL", "value": "Rustig leren werken met de computer."}],
        "link": "https://example.org/aanmelden",
        "ext": {
            "organizationName": "Bibliotheek Breda",
            "nextOffering": {
                "startDate": "2027-01-12",
                "municipality": municipality,
                "schedule": "dinsdag 10:00-12:00",
                "cost": {"amount": cost, "currency": "EUR"},
                "address": {"street": "Molenstraat", "streetNumber": "6", "city": municipality},
                "accessibility": ["rolstoeltoegankelijk"],
            },
        },
    }


def page(items, has_next=False):
    return {"items": items, "pageNumber": 1, "hasNextPage": has_next}


def run(action, **tracker_args):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, make_tracker(**tracker_args), domain={})
    return dispatcher.messages, events


def client():
    return CatalogClient(BASE, timeout=0.5)


@responses.activate
def test_search_shows_three_courses_each_with_a_details_button():
    items = [ooapi_course(name=f"Cursus {i}", cost=i * 10, course_id=f"c-{i}") for i in range(5)]
    responses.get(f"{BASE}/courses", json=page(items))
    messages, _ = run(
        ActionSearchCourses(client()), slots={"topic": "digital", "municipality": "Breda"}
    )
    assert messages[0]["response"] == "courses_found"
    courses = [m for m in messages if m.get("text")]
    assert len(courses) == PAGE_SIZE
    assert courses[0]["text"].splitlines() == [
        "Cursus 0",
        "Waar: Breda",
        "Start: dinsdag 12 januari 2027",
        "Wanneer: dinsdag 10:00-12:00",
        "Kosten: gratis",
        "Door: Bibliotheek Breda",
        "Aanmelden: https://example.org/aanmelden",
    ]
    assert courses[0]["buttons"][0]["title"] == "Meer over deze cursus"
    assert '"course_id": "c-0"' in courses[0]["buttons"][0]["payload"]
    assert "Kosten: €\u00a010" in courses[1]["text"]
    after = messages[-1]
    assert after["response"] == "after_results"
    assert after["buttons"][0]["payload"] == "/more_results"


@responses.activate
def test_search_sends_the_wishes_to_the_catalog():
    responses.get(
        f"{BASE}/courses",
        json=page([ooapi_course()]),
        match=[
            responses.matchers.query_param_matcher(
                {
                    "topic": "digital",
                    "municipality": "Breda",
                    "timeOfDay": "evening",
                    "maxCost": "0",
                    "pageSize": "10",
                    "pageNumber": "1",
                }
            )
        ],
    )
    slots = {"topic": "digital", "municipality": "Breda", "time_of_day": "evening"}
    messages, _ = run(ActionSearchCourses(client()), slots={**slots, "free_only": True})
    assert messages[0]["response"] == "courses_found"


@responses.activate
def test_nearest_courses_elsewhere_are_announced():
    responses.get(f"{BASE}/courses", json=page([ooapi_course(municipality="Etten-Leur")]))
    messages, _ = run(
        ActionSearchCourses(client()), slots={"topic": "digital", "municipality": "Zundert"}
    )
    assert messages[0]["response"] == "courses_nearby_instead"
    assert messages[0]["place"] == "Zundert"


@responses.activate
def test_no_results_with_wishes_widens_the_search():
    responses.get(f"{BASE}/courses", json=page([]))
    responses.get(f"{BASE}/courses", json=page([ooapi_course()]))
    slots = {"topic": "digital", "municipality": "Breda", "time_of_day": "evening"}
    messages, _ = run(ActionSearchCourses(client()), slots=slots)
    assert messages[0]["response"] == "courses_without_wishes"
    assert "timeOfDay" not in responses.calls[1].request.url
    assert len(responses.calls) == 2, "one search, one wider search"


@responses.activate
def test_no_results_at_all_offers_help_nearby():
    responses.get(f"{BASE}/courses", json=page([]))
    messages, _ = run(ActionSearchCourses(client()), slots={"topic": "business"})
    assert [m["response"] for m in messages] == ["no_courses_found"]


@responses.activate
@pytest.mark.parametrize("failure", [{"status": 503}, {"body": requests.ConnectionError("down")}])
def test_catalog_down_gives_a_phone_number(failure):
    responses.get(f"{BASE}/courses", **failure)
    [message], _ = run(ActionSearchCourses(client()), slots={"topic": "digital"})
    assert message["response"] == "catalog_unavailable"
    assert message["phone"] == fallback_contact().phone


@responses.activate
def test_more_results_shows_the_next_three():
    items = [ooapi_course(name=f"Cursus {i}", course_id=f"c-{i}") for i in range(8)]
    responses.get(f"{BASE}/courses", json=page(items))
    messages, events = run(
        ActionMoreCourses(client()), slots={"topic": "digital", "results_page": 1}
    )
    names = [m["text"].splitlines()[0] for m in messages if m.get("text")]
    assert names == ["Cursus 3", "Cursus 4", "Cursus 5"]
    assert events == [{"event": "slot", "timestamp": None, "name": "results_page", "value": 2}]


@responses.activate
def test_more_results_at_the_end_says_so():
    responses.get(f"{BASE}/courses", json=page([ooapi_course()]))
    messages, events = run(
        ActionMoreCourses(client()), slots={"topic": "digital", "results_page": 1}
    )
    assert messages[0]["response"] == "no_more_courses"
    assert events == []


@responses.activate
def test_course_details_show_address_accessibility_and_how_to_register():
    responses.get(f"{BASE}/courses/{COURSE_ID}", json=ooapi_course())
    messages, _ = run(ActionCourseDetails(client()), slots={"course_id": COURSE_ID})
    text = messages[0]["text"]
    assert "Adres: Molenstraat 6, Breda" in text
    assert "Toegankelijk: rolstoeltoegankelijk" in text
    assert "Aanmelden: https://example.org/aanmelden" in text


@responses.activate
def test_unknown_course_is_said_plainly():
    responses.get(f"{BASE}/courses/{GONE_ID}", status=404)
    messages, _ = run(ActionCourseDetails(client()), slots={"course_id": GONE_ID})
    assert messages[0]["response"] == "course_not_found"


def validate(slot, value, **tracker_args):
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateCourseForm(), f"validate_{slot}")
    return method(value, dispatcher, make_tracker(**tracker_args), {}), dispatcher.messages


def test_known_topics_come_from_the_catalog():
    assert {"digital", "dutch"} <= known_topics()


def test_free_text_topic_becomes_a_search_query():
    result, _ = validate("topic", "bloemschikken")
    assert result == {"topic": FREE_TEXT_TOPIC, "course_query": "bloemschikken"}


def test_unknown_topic_with_other_entities_is_asked_again():
    result, messages = validate(
        "topic", "in Breda", entities=[{"entity": "municipality", "value": "Breda"}]
    )
    assert result == {"topic": None}
    assert messages[0]["response"] == "unknown_topic"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("etten leur", "Etten-Leur"), ("Oudenbosch", "Halderberge"), ("thuis", "online")],
)
def test_places_are_made_canonical(typed, canonical):
    assert validate("municipality", typed)[0] == {"municipality": canonical}


def test_unknown_place_is_asked_again():
    result, messages = validate("municipality", "Atlantis")
    assert result == {"municipality": None}
    assert messages[0]["response"] == "unknown_municipality"


@pytest.mark.parametrize("slot", ["topic", "municipality"])
@pytest.mark.parametrize("value", [None, "", "  "])
def test_a_cleared_slot_is_asked_for_without_an_error_message(slot, value):
    # action_prepare_course_search clears the topic before the form asks for it; the form
    # then validates that empty value and must not say "Dat onderwerp ken ik niet".
    result, messages = validate(slot, value)
    assert result == {slot: None}
    assert messages == []


def test_made_up_example_data_is_labelled_in_every_language():
    from actions.clients.catalog import CourseSummary, Organization
    from actions.courses import describe_course
    from actions.i18n import say
    from actions.support import describe_organization

    example = {
        "ext": {"provenance": {"source": "demo", "checkedOn": "2026-11-27", "example": True}}
    }
    real = {"ext": {"provenance": {"source": "https://feed.example", "checkedOn": "2026-12-01",
                                   "example": False}}}  # fmt: skip
    course = CourseSummary.from_ooapi({**ooapi_course(), **example})
    assert course.example
    assert not CourseSummary.from_ooapi({**ooapi_course(), **real}).example
    assert not CourseSummary.from_ooapi(ooapi_course()).example  # no provenance: not example
    for language in ("nl", "en", "ar", "tr", "uk", "pl"):
        card = describe_course(course, language)
        assert card.splitlines()[-1] == say(language, "example_label"), language
        assert card.splitlines()[0] == "Klik & Tik"  # the name stays the first line
    organization = Organization.from_ooapi({"name": "Taalhuis Breda", **example})
    assert describe_organization(organization, "nl").endswith("verzonnen)")


@responses.activate
def test_dutch_lessons_for_a_newcomer_name_the_scheme_inburgering():
    from actions.i18n import say

    responses.get(f"{BASE}/courses", json=page([ooapi_course("Nederlands oefenen")]))
    slots = {"topic": "dutch", "municipality": "Breda", "language": "ar"}
    messages, _ = run(ActionSearchCourses(client()), slots=slots)
    texts = [m.get("text") for m in messages]
    assert say("ar", "integration_hint") in texts
    assert texts.index(say("ar", "integration_hint")) == len(texts) - 2  # after the courses
    # Someone who said they need not integrate, or a Dutch speaker, is not told.
    for other in ({**slots, "integration_obligation": "no"}, {**slots, "language": "nl"}):
        assert say(other["language"], "integration_hint") not in [
            m.get("text") for m in run(ActionSearchCourses(client()), slots=other)[0]
        ]


@responses.activate
def test_the_exact_word_gives_way_when_its_course_is_a_trip_away():
    # "ik wil met mijn telefoon leren omgaan", in Oud Gastel (Halderberge): the phone course is
    # in Woensdrecht; the subject's courses in Halderberge itself come first instead.
    responses.get(f"{BASE}/courses", json=page([ooapi_course("Telefoon", "Woensdrecht")]))
    responses.get(f"{BASE}/courses", json=page([ooapi_course("Klik & Tik", "Halderberge")]))
    slots = {"topic": "digital", "course_query": "telefoon", "municipality": "Halderberge"}
    messages, events = run(ActionSearchCourses(client()), slots=slots)
    assert "q=telefoon" in responses.calls[0].request.url
    assert "q=" not in responses.calls[1].request.url
    assert messages[0]["response"] == "courses_found"
    assert messages[1]["text"].startswith("Klik & Tik")
    assert {"event": "slot", "timestamp": None, "name": "course_query", "value": None} in events


@responses.activate
def test_the_exact_word_wins_when_its_course_is_near():
    # Videobellen in Made (Drimmelen) for someone in Oosterhout: a short trip, on the subject.
    responses.get(f"{BASE}/courses", json=page([ooapi_course("Videobellen", "Drimmelen")]))
    slots = {"topic": "digital", "course_query": "videobellen", "municipality": "Oosterhout"}
    messages, _ = run(ActionSearchCourses(client()), slots=slots)
    assert len(responses.calls) == 1
    assert messages[1]["text"].startswith("Videobellen")


@responses.activate
def test_nothing_in_the_place_itself_is_said_only_when_it_is_true():
    items = [ooapi_course("A", "Woensdrecht", course_id="a"),
             ooapi_course("B", "Halderberge", course_id="b")]  # fmt: skip
    responses.get(f"{BASE}/courses", json=page(items))
    messages, _ = run(
        ActionSearchCourses(client()), slots={"topic": "digital", "municipality": "Halderberge"}
    )
    assert messages[0]["response"] == "courses_found"


def test_a_course_in_a_village_names_the_village_and_its_municipality():
    from actions.clients.catalog import CourseSummary
    from actions.courses import describe_course

    item = ooapi_course("Videobellen", "Drimmelen")
    item["ext"]["nextOffering"]["address"]["city"] = "Made"
    card = describe_course(CourseSummary.from_ooapi(item), "nl")
    assert "Waar: Made (Drimmelen)" in card.splitlines()
    card = describe_course(CourseSummary.from_ooapi(ooapi_course()), "nl")
    assert "Waar: Breda" in card.splitlines()


@pytest.mark.parametrize(
    ("language", "start", "until", "cost"),
    [
        ("nl", "Start: dinsdag 12 januari 2027", "Aanmelden kan tot vrijdag 1 januari 2027",
         "Kosten: €\u00a012,50"),
        ("en", "Start: Tuesday, 12 January 2027", "Sign up until Friday, 1 January 2027",
         "Cost: €12.50"),
        ("tr", "Başlangıç: 12 Ocak 2027 Salı", "Kayıt son günü: 1 Ocak 2027 Cuma",
         "Ücret: €12,50"),
        ("ar", "البداية: الثلاثاء، 12 يناير 2027", "التسجيل حتى الجمعة، 1 يناير 2027",
         "التكلفة: \u200f12.50\u00a0€"),
    ],
)  # fmt: skip
def test_a_course_card_gives_dates_and_amounts_in_the_conversations_language(
    language, start, until, cost
):
    from actions.clients.catalog import CourseSummary
    from actions.courses import describe_course

    item = ooapi_course(cost=12.5)
    item["ext"]["nextOffering"]["enrollEndDate"] = "2027-01-01"
    lines = describe_course(CourseSummary.from_ooapi(item), language).splitlines()
    assert {start, until, cost} <= set(lines), lines
