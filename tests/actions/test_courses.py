import responses
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.catalog import CatalogClient
from actions.contacts import fallback_contact
from actions.courses import MAX_RESULTS, ActionSearchCourses
from tests.actions.clients.test_catalog import ooapi_course

BASE = "http://catalog.test/v5"


def tracker_with(**slots) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots,
        latest_message={"intent": {"name": "find_course"}, "entities": [], "text": ""},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_action(**slots) -> list[dict]:
    dispatcher = CollectingDispatcher()
    action = ActionSearchCourses(CatalogClient(BASE, timeout=0.5))
    events = action.run(dispatcher, tracker_with(**slots), domain={})
    assert events == []
    return dispatcher.messages


@responses.activate
def test_shows_at_most_three_courses_with_place_start_and_cost():
    items = [ooapi_course(name=f"Cursus {i}", cost=i * 10) for i in range(5)]
    responses.get(f"{BASE}/courses", json={"items": items})
    messages = run_action(topic="digital", municipality="Breda")
    assert messages[0]["response"] == "courses_found"
    courses = [m["text"] for m in messages if m.get("text")]
    assert len(courses) == MAX_RESULTS
    assert courses[0].splitlines() == [
        "Cursus 0",
        "Waar: Breda",
        "Start: dinsdag 12 januari 2027",
        "Wanneer: dinsdag 10:00-12:00",
        "Kosten: gratis",
        "Door: Bibliotheek Breda",
    ]
    assert "Kosten: € 10" in courses[1]
    assert messages[-1]["response"] == "after_results"


@responses.activate
def test_no_results_says_so():
    responses.get(f"{BASE}/courses", json={"items": []})
    messages = run_action(topic="digital", municipality="Zundert")
    assert [m["response"] for m in messages] == ["no_courses_found"]


@responses.activate
def test_catalog_down_gives_a_phone_number():
    responses.get(f"{BASE}/courses", status=503)
    [message] = run_action(topic="digital")
    assert message["response"] == "catalog_unavailable"
    assert message["phone"] == fallback_contact().phone
    assert message["website"].startswith("https://")
