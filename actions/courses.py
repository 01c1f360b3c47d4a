"""Finding courses: ask the catalog service and show at most three results."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clients import ServiceUnavailable
from actions.clients.catalog import CatalogClient, CourseSummary
from actions.contacts import fallback_contact
from actions.dutch import format_cost, format_date

logger = logging.getLogger(__name__)
MAX_RESULTS = 3


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


class ActionSearchCourses(Action):
    def __init__(self, client: CatalogClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_search_courses"

    @property
    def client(self) -> CatalogClient:
        if self._client is None:
            self._client = CatalogClient()
        return self._client

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic = tracker.get_slot("topic")
        municipality = tracker.get_slot("municipality")
        try:
            courses = self.client.search_courses(topic=topic, municipality=municipality)
        except ServiceUnavailable as exc:
            logger.warning("Course search failed: %s", exc.reason)
            contact = fallback_contact()
            dispatcher.utter_message(
                response="catalog_unavailable",
                phone=contact.phone,
                website=contact.website,
            )
            return []
        if not courses:
            dispatcher.utter_message(response="no_courses_found")
            return []
        shown = courses[:MAX_RESULTS]
        dispatcher.utter_message(response="courses_found", count=len(shown))
        for course in shown:
            dispatcher.utter_message(text=describe_course(course))
        dispatcher.utter_message(response="after_results")
        return []
