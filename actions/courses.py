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
from actions.i18n import DEFAULT_LANGUAGE, ISO_639_2, language_of, say, strings
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


def language_names(codes: tuple[str, ...] | list[str], language: str) -> str:
    names = strings(language)["language_names"]
    return ", ".join(names.get(code, code) for code in codes)


def local_date(value: str | None, language: str) -> str:
    """Dutch: 'dinsdag 12 januari 2027'; other languages: '12-01-2027' (no Dutch month names)."""
    dutch = format_date(value)
    if language == DEFAULT_LANGUAGE or not dutch:
        return dutch
    return "-".join(reversed(str(value)[:10].split("-")))


def local_cost(amount: float | None, language: str) -> str:
    if amount is None:
        return say(language, "price_unknown")
    if amount == 0:
        return say(language, "free")
    return format_cost(amount)


def describe_course(course: CourseSummary, language: str = DEFAULT_LANGUAGE) -> str:
    lines = [course.name]
    place = say(language, "online") if course.place.lower() == "online" else course.place
    if place:
        lines.append(say(language, "where", place=place))
    start = local_date(course.start_date, language)
    if start:
        lines.append(say(language, "start", date=start))
    if course.schedule:
        lines.append(say(language, "when", schedule=course.schedule))
    lines.append(say(language, "cost", cost=local_cost(course.cost_eur, language)))
    if course.provider:
        lines.append(say(language, "by", provider=course.provider))
    if course.teaching_languages:
        names = language_names(course.teaching_languages, language)
        lines.append(say(language, "teaching_language", languages=names))
    if course.support_languages:
        names = language_names(course.support_languages, language)
        lines.append(say(language, "support_languages", languages=names))
    return "\n".join(lines)


def describe_details(details: CourseDetails, language: str = DEFAULT_LANGUAGE) -> str:
    lines = [describe_course(details.summary, language)]
    if details.description:
        lines.append(details.description)
    if details.address:
        lines.append(say(language, "address", address=details.address))
    if details.accessibility:
        lines.append(say(language, "accessible", facts=", ".join(details.accessibility)))
    if details.phone:
        lines.append(say(language, "call", phone=details.phone))
    if details.link:
        lines.append(say(language, "sign_up", link=details.link))
    return "\n".join(lines)


def search_from(tracker: Tracker) -> CourseSearch:
    topic = tracker.get_slot("topic")
    return CourseSearch(
        topic=None if topic in (None, FREE_TEXT_TOPIC) else topic,
        query=tracker.get_slot("course_query"),
        municipality=tracker.get_slot("municipality"),
        time_of_day=tracker.get_slot("time_of_day"),
        free_only=bool(tracker.get_slot("free_only")),
        support_language=ISO_639_2.get(tracker.get_slot("support_language") or ""),
    )


def wish_buttons(search: CourseSearch, language: str = DEFAULT_LANGUAGE) -> list[dict[str, str]]:
    """Optional wishes, offered with the results instead of asked as one more question."""
    buttons = []
    if search.time_of_day in (None, "any"):
        buttons += [
            {
                "title": say(language, "only_daytime"),
                "payload": '/inform{"time_of_day": "daytime"}',
            },
            {
                "title": say(language, "only_evening"),
                "payload": '/inform{"time_of_day": "evening"}',
            },
        ]
    if not search.free_only:
        buttons.append({"title": say(language, "only_free"), "payload": '/inform{"cost": "free"}'})
    if language != DEFAULT_LANGUAGE and not search.support_language:
        # Courses with extra help in the citizen's own language (ext.supportLanguages).
        buttons.append(
            {
                "title": say(language, "only_my_language"),
                "payload": f'/inform{{"support_language": "{language}"}}',
            }
        )
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
        self,
        dispatcher: CollectingDispatcher,
        search: CourseSearch,
        found: list[CourseSummary],
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        for course in found[:PAGE_SIZE]:
            dispatcher.utter_message(
                text=describe_course(course, language),
                buttons=[
                    {
                        "title": say(language, "more_about_course"),
                        "payload": f'/course_details{{"course_id": "{course.course_id}"}}',
                    }
                ],
            )
        buttons = []
        if len(found) > PAGE_SIZE:
            buttons.append({"title": say(language, "more_results"), "payload": "/more_results"})
        buttons += wish_buttons(search, language)
        buttons += [
            {"title": say(language, "search_other"), "payload": "/find_course"},
            {"title": say(language, "who_pays"), "payload": "/ask_budget"},
            {"title": say(language, "talk_to_person"), "payload": "/human_handoff"},
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
        if "support_language" not in said:
            events.append(SlotSet("support_language", None))
        return events


class ValidateCourseForm(FormValidationAction):
    def name(self) -> str:
        return "validate_course_form"

    def validate_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None or not str(value).strip():
            # Cleared by action_prepare_course_search: the form asks, nothing was answered yet.
            return {"topic": None}
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
        if value is None or not str(value).strip():
            return {"municipality": None}
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
            wishes = search.time_of_day not in (None, "any") or search.free_only
            if not found and (wishes or search.support_language):
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
        self.show(dispatcher, search, found, language_of(tracker))
        language_filter = next(
            (k for k, v in ISO_639_2.items() if v == search.support_language), None
        )
        return [
            SlotSet("results_page", 1),
            SlotSet("time_of_day", search.time_of_day),
            SlotSet("free_only", search.free_only),
            SlotSet("support_language", language_filter),
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
        self.show(dispatcher, search, found, language_of(tracker))
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
        language = language_of(tracker)
        dispatcher.utter_message(
            text=describe_details(details, language),
            buttons=[
                {"title": say(language, "who_pays"), "payload": "/ask_budget"},
                {"title": say(language, "more_results"), "payload": "/more_results"},
                {"title": say(language, "talk_to_person"), "payload": "/human_handoff"},
            ],
        )
        return []
