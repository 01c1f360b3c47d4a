"""Finding courses: the course form, the search, more results and course details."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import ServiceUnavailable
from actions.clients.catalog import CourseDetails, CourseSearch, CourseSummary, UsesCatalog
from actions.contacts import message_placeholders
from actions.dutch import format_cost, format_date, format_schedule
from actions.i18n import DEFAULT_LANGUAGE, ISO_639_2, language_of, say, strings
from actions.insights import search_insight
from actions.places import ONLINE, canonical_municipality, is_online, nearby
from actions.vocabulary import UNKNOWN, known, known_topics

logger = logging.getLogger(__name__)
PAGE_SIZE = 3  # at most three results at a time: more is hard to read
FREE_TEXT_TOPIC = "any"  # the citizen typed a subject the topic list does not know


def language_names(codes: tuple[str, ...] | list[str], language: str) -> str:
    names = strings(language)["language_names"]
    return ", ".join(names.get(code, code) for code in codes)


def sign_up_lines(course: CourseSummary, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """How to sign up: the offering's sign-up page, else the provider's phone, else whom to ask;
    the last day to sign up and the places left when the catalog knows them."""
    lines = []
    # The offering's sign-up page, else the provider's website.
    link = getattr(course, "signup_link", None) or getattr(course, "website", None)
    phone = getattr(course, "phone", None)
    if link:
        lines.append(say(language, "sign_up", link=link))
    elif phone:
        lines.append(say(language, "sign_up_call", phone=phone))
    elif course.provider:
        lines.append(say(language, "sign_up_ask", provider=course.provider))
    until = format_date(getattr(course, "enroll_end_date", None), language)
    if until:
        lines.append(say(language, "enroll_until", date=until))
    places_left = getattr(course, "places_left", None)
    if isinstance(places_left, int) and places_left >= 0:
        lines.append(say(language, "places_left", count=places_left))
    return lines


def where_text(course: CourseSummary) -> str:
    """The town and, when it is another name, its municipality: "Made (Drimmelen)"."""
    town = getattr(course, "town", None)
    if town and course.place and town.strip().lower() != course.place.strip().lower():
        return f"{town} ({course.place})"
    return course.place


def describe_course(
    course: CourseSummary, language: str = DEFAULT_LANGUAGE, label: bool = True
) -> str:
    """A course card. Made-up example data ends with "(voorbeeld: ...)" in the conversation's
    language, so nobody acts on invented hours, prices or numbers."""
    lines = [course.name]
    place = say(language, "online_course") if is_online(course) else where_text(course)
    if place:
        lines.append(say(language, "where", place=place))
    start = format_date(course.start_date, language)
    if start:
        lines.append(say(language, "start", date=start))
    if course.schedule:
        lines.append(say(language, "when", schedule=format_schedule(course.schedule, language)))
    lines.append(say(language, "cost", cost=format_cost(course.cost_eur, language)))
    if course.provider:
        lines.append(say(language, "by", provider=course.provider))
    if course.teaching_languages:
        names = language_names(course.teaching_languages, language)
        lines.append(say(language, "teaching_language", languages=names))
    if course.support_languages:
        names = language_names(course.support_languages, language)
        lines.append(say(language, "support_languages", languages=names))
    lines += sign_up_lines(course, language)
    if label and course.example:
        lines.append(say(language, "example_label"))
    return "\n".join(lines)


def describe_details(details: CourseDetails, language: str = DEFAULT_LANGUAGE) -> str:
    summary = details.summary
    lines = [describe_course(summary, language, label=False)]
    if details.description:
        lines.append(details.description)
    address = details.address or getattr(summary, "address", None)
    if address and not is_online(summary):
        lines.append(say(language, "address", address=address))
    if details.accessibility:
        lines.append(say(language, "accessible", facts=", ".join(details.accessibility)))
    phone = details.phone or getattr(summary, "phone", None)
    if phone:
        lines.append(say(language, "call", phone=phone))
    if details.link and details.link != getattr(summary, "signup_link", None):
        lines.append(say(language, "sign_up", link=details.link))
    if summary.example:
        lines.append(say(language, "example_label"))
    return "\n".join(lines)


def search_from(tracker: Tracker) -> CourseSearch:
    topic = known(tracker.get_slot("topic"))
    return CourseSearch(
        topic=None if topic in (None, FREE_TEXT_TOPIC) else topic,
        query=tracker.get_slot("course_query"),
        municipality=known(tracker.get_slot("municipality")),
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

    def show_help_nearby(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """No course on the subject: the people nearby who can help further."""
        from actions.support import describe_organization, right_help_kind

        place = known(tracker.get_slot("municipality"))
        try:
            found = self.client.find_organizations(right_help_kind(tracker), place, count=2)
        except ServiceUnavailable as exc:
            logger.warning("Organization search failed: %s", exc.reason)
            return
        language = language_of(tracker)
        for organization in found:
            dispatcher.utter_message(text=describe_organization(organization, language))

    def fetch_page(self, search: CourseSearch, page: int) -> list[CourseSummary]:
        """Page `page` (from 1) plus one more result, which tells whether a next page exists."""
        return self.client.find_courses(search, first=(page - 1) * PAGE_SIZE, count=PAGE_SIZE + 1)

    def show(
        self,
        dispatcher: CollectingDispatcher,
        search: CourseSearch,
        found: list[CourseSummary],
        language: str = DEFAULT_LANGUAGE,
        note: str | None = None,
    ) -> None:
        """The courses, a note after them when there is one, then what the person can do next."""
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
        if note:
            dispatcher.utter_message(text=note)
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


class ValidateCourseForm(FormValidationAction):
    def name(self) -> str:
        return "validate_course_form"

    def validate_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None or not str(value).strip():
            # Cleared by action_route for a new search: the form asks, nothing was answered yet.
            return {"topic": None}
        if value == UNKNOWN:
            return {"topic": UNKNOWN}
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
        if value == UNKNOWN:
            return {"municipality": UNKNOWN}
        place = canonical_municipality(value)
        if place:
            return {"municipality": place}
        dispatcher.utter_message(response="unknown_municipality")
        return {"municipality": None}


def integration_may_pay(tracker: Tracker) -> bool:
    """Dutch lessons for someone who may have to integrate (a newcomer writing in another
    language, or who said so): as an advisor would, name the scheme that may pay for them."""
    if tracker.get_slot("topic") != "dutch" or tracker.get_slot("integration_obligation") == "no":
        return False
    return tracker.get_slot("integration_obligation") == "yes" or language_of(tracker) != "nl"


class ActionSearchCourses(ShowsCourses, Action):
    def name(self) -> str:
        return "action_search_courses"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        search = search_from(tracker)
        try:
            found = self.fetch_page(search, page=1)
            search, found = self.near_before_exact(search, found)
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
        insight = search_insight(
            tracker.get_slot("topic"), search.municipality, found, page_size=PAGE_SIZE
        )
        if not found:
            dispatcher.utter_message(response="no_courses_found")
            self.show_help_nearby(dispatcher, tracker)
            return [SlotSet("results_page", 1), insight]
        place = search.municipality
        here = any(c.place.lower() in (str(place).lower(), ONLINE) for c in found)
        if widened:
            dispatcher.utter_message(response="courses_without_wishes")
        elif place and place != ONLINE and not here:
            dispatcher.utter_message(response="courses_nearby_instead", place=place)
        else:
            dispatcher.utter_message(response="courses_found")
        note = (
            say(language_of(tracker), "integration_hint") if integration_may_pay(tracker) else None
        )
        self.show(dispatcher, search, found, language_of(tracker), note=note)
        language_filter = next(
            (k for k, v in ISO_639_2.items() if v == search.support_language), None
        )
        return [
            SlotSet("results_page", 1),
            SlotSet("course_query", search.query),  # None when the word gave way to nearness
            SlotSet("time_of_day", search.time_of_day),
            SlotSet("free_only", search.free_only),
            SlotSet("support_language", language_filter),
            insight,
        ]

    def near_before_exact(
        self, search: CourseSearch, found: list[CourseSummary]
    ) -> tuple[CourseSearch, list[CourseSummary]]:
        """The exact word within the subject ("telefoon") ranks courses on it first, but not at
        the cost of a trip: when its first course is not near the person, the subject's
        courses nearby come first (searched without the word)."""
        place = search.municipality
        if not (search.topic and search.query and place and place != ONLINE and found):
            return search, found
        if nearby(found[0].place, place):
            return search, found
        plain = replace(search, query=None)
        alternative = self.fetch_page(plain, page=1)
        if alternative and nearby(alternative[0].place, place):
            return plain, alternative
        return search, found


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
