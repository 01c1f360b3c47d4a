"""Finding courses: the course form, the search, more results and course details."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import yaml
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import ServiceUnavailable
from actions.clients.catalog import CourseDetails, CourseSearch, CourseSummary, UsesCatalog
from actions.contacts import message_placeholders
from actions.dutch import format_cost, format_date
from actions.places import canonical_municipality
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)
PAGE_SIZE = 3  # at most three results at a time: more is hard to read
FREE_TEXT_TOPIC = "any"  # the citizen typed a subject the topic list does not know
TOPICS_FILE = PROJECT_ROOT / "services" / "catalog" / "topics.yaml"


@lru_cache(maxsize=1)
def known_topics() -> frozenset[str]:
    """Topic ids of the catalog (services/catalog/topics.yaml is the one list)."""
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    items = data.get("topics", data) if isinstance(data, dict) else data
    return frozenset(item["id"] for item in items)


def describe_course(course: CourseSummary) -> str:
    lines = [course.name]
    place = "online" if course.place.lower() == "online" else course.place
    if place:
        lines.append(f"Waar: {place}")
    start = format_date(course.start_date)
    if start:
        lines.append(f"Start: {start}")
    if course.schedule:
        lines.append(f"Wanneer: {course.schedule}")
    lines.append(f"Kosten: {format_cost(course.cost_eur)}")
    if course.provider:
        lines.append(f"Door: {course.provider}")
    return "\n".join(lines)


def describe_details(details: CourseDetails) -> str:
    lines = [describe_course(details.summary)]
    if details.description:
        lines.append(details.description)
    if details.address:
        lines.append(f"Adres: {details.address}")
    if details.accessibility:
        lines.append("Toegankelijk: " + ", ".join(details.accessibility))
    if details.phone:
        lines.append(f"Bellen: {details.phone}")
    if details.link:
        lines.append(f"Aanmelden: {details.link}")
    return "\n".join(lines)


def search_from(tracker: Tracker) -> CourseSearch:
    topic = tracker.get_slot("topic")
    return CourseSearch(
        topic=None if topic in (None, FREE_TEXT_TOPIC) else topic,
        query=tracker.get_slot("course_query"),
        municipality=tracker.get_slot("municipality"),
        time_of_day=tracker.get_slot("time_of_day"),
        free_only=bool(tracker.get_slot("free_only")),
    )


def wish_buttons(search: CourseSearch) -> list[dict[str, str]]:
    """Optional wishes, offered with the results instead of asked as one more question."""
    buttons = []
    if search.time_of_day in (None, "any"):
        buttons += [
            {"title": "Alleen overdag", "payload": '/inform{"time_of_day": "daytime"}'},
            {"title": "Alleen 's avonds", "payload": '/inform{"time_of_day": "evening"}'},
        ]
    if not search.free_only:
        buttons.append({"title": "Alleen gratis", "payload": '/inform{"cost": "free"}'})
    return buttons


class ShowsCourses(UsesCatalog):
    """Mixin for the actions that show courses (not an Action itself, so not registered)."""

    def unavailable(self, dispatcher: CollectingDispatcher, exc: ServiceUnavailable) -> None:
        logger.warning("Catalog call failed: %s", exc.reason)
        dispatcher.utter_message(response="catalog_unavailable", **message_placeholders())

    def fetch_page(self, search: CourseSearch, page: int) -> list[CourseSummary]:
        """Page `page` (from 1) plus one more result, which tells whether a next page exists."""
        return self.client.find_courses(search, first=(page - 1) * PAGE_SIZE, count=PAGE_SIZE + 1)

    def show(
        self, dispatcher: CollectingDispatcher, search: CourseSearch, found: list[CourseSummary]
    ) -> None:
        for course in found[:PAGE_SIZE]:
            dispatcher.utter_message(
                text=describe_course(course),
                buttons=[
                    {
                        "title": "Meer over deze cursus",
                        "payload": f'/course_details{{"course_id": "{course.course_id}"}}',
                    }
                ],
            )
        buttons = []
        if len(found) > PAGE_SIZE:
            buttons.append({"title": "Meer resultaten", "payload": "/more_results"})
        buttons += wish_buttons(search)
        buttons += [
            {"title": "Iets anders zoeken", "payload": "/find_course"},
            {"title": "Wie betaalt dit?", "payload": "/ask_budget"},
            {"title": "Een mens spreken", "payload": "/human_handoff"},
        ]
        dispatcher.utter_message(response="after_results", buttons=buttons)


class ActionPrepareCourseSearch(Action):
    """A new search keeps the place but forgets the last subject and wishes, unless just said."""

    def name(self) -> str:
        return "action_prepare_course_search"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        said = {entity.get("entity") for entity in tracker.latest_message.get("entities", [])}
        events = [SlotSet("results_page", 1)]
        if "topic" not in said:
            events += [SlotSet("topic", None), SlotSet("course_query", None)]
        if "time_of_day" not in said:
            events.append(SlotSet("time_of_day", None))
        if "cost" not in said:
            events.append(SlotSet("free_only", None))
        return events


class ValidateCourseForm(FormValidationAction):
    def name(self) -> str:
        return "validate_course_form"

    def validate_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):
            value = value[-1] if value else None
        if value in known_topics():
            return {"topic": value, "course_query": None}
        text = str(value or "").strip()
        other_entities = [
            e for e in tracker.latest_message.get("entities", []) if e.get("entity") != "topic"
        ]
        # Free text becomes a search query, unless the message was really about something else.
        if len(text) >= 3 and not other_entities:
            return {"topic": FREE_TEXT_TOPIC, "course_query": text[:100]}
        dispatcher.utter_message(response="unknown_topic")
        return {"topic": None}

    def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        place = canonical_municipality(value)
        if place:
            return {"municipality": place}
        dispatcher.utter_message(response="unknown_municipality")
        return {"municipality": None}


class ActionSearchCourses(ShowsCourses, Action):
    def name(self) -> str:
        return "action_search_courses"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        search = search_from(tracker)
        try:
            found = self.fetch_page(search, page=1)
            widened = False
            if not found and (search.time_of_day not in (None, "any") or search.free_only):
                # Widen: drop the wishes before giving up.
                search = CourseSearch(search.topic, search.query, search.municipality)
                found = self.fetch_page(search, page=1)
                widened = bool(found)
        except ServiceUnavailable as exc:
            self.unavailable(dispatcher, exc)
            return []
        if not found:
            dispatcher.utter_message(response="no_courses_found")
            return [SlotSet("results_page", 1)]
        place, nearest = search.municipality, found[0].place
        if widened:
            dispatcher.utter_message(response="courses_without_wishes")
        elif place and place != "online" and nearest.lower() not in (place.lower(), "online"):
            dispatcher.utter_message(response="courses_nearby_instead", place=place)
        else:
            dispatcher.utter_message(response="courses_found")
        self.show(dispatcher, search, found)
        return [
            SlotSet("results_page", 1),
            SlotSet("time_of_day", search.time_of_day),
            SlotSet("free_only", search.free_only),
        ]


class ActionMoreCourses(ShowsCourses, Action):
    def name(self) -> str:
        return "action_more_courses"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not tracker.get_slot("topic"):
            dispatcher.utter_message(response="utter_ask_topic")
            return []
        page = int(tracker.get_slot("results_page") or 1) + 1
        search = search_from(tracker)
        try:
            found = self.fetch_page(search, page)
        except ServiceUnavailable as exc:
            self.unavailable(dispatcher, exc)
            return []
        if not found:
            dispatcher.utter_message(response="no_more_courses")
            dispatcher.utter_message(response="utter_menu")
            return []
        self.show(dispatcher, search, found)
        return [SlotSet("results_page", page)]


class ActionCourseDetails(ShowsCourses, Action):
    def name(self) -> str:
        return "action_course_details"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        course_id = tracker.get_slot("course_id")
        try:
            details = self.client.course(str(course_id)) if course_id else None
        except ServiceUnavailable as exc:
            self.unavailable(dispatcher, exc)
            return []
        if details is None:
            dispatcher.utter_message(response="course_not_found")
            return []
        dispatcher.utter_message(
            text=describe_details(details),
            buttons=[
                {"title": "Wie betaalt dit?", "payload": "/ask_budget"},
                {"title": "Meer resultaten", "payload": "/more_results"},
                {"title": "Een mens spreken", "payload": "/human_handoff"},
            ],
        )
        return []
