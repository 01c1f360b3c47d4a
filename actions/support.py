"""Help nearby and a person: organizations from the catalog, and who is the right one."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import ServiceUnavailable
from actions.clients.catalog import Organization, UsesCatalog
from actions.contacts import callback_desk, fallback_contact, message_placeholders
from actions.dutch import format_schedule, format_wait
from actions.handoff import live_chat_offer
from actions.i18n import DEFAULT_LANGUAGE, language_of, say, strings
from actions.insights import handover_insight, help_insight
from actions.places import canonical_municipality
from actions.vocabulary import HELP_KINDS, UNKNOWN, known

logger = logging.getLogger(__name__)
MAX_ORGANIZATIONS = 3

# Who is "the right organization" for what the conversation was about: the Taalhuis for
# language, the Informatiepunt Digitale Overheid for digital government, the Leerwerkloket
# for learning and work.
HELP_KIND_BY_TOPIC = {
    "dutch": "dutch",
    "reading-writing": "reading-writing",
    "digital": "digital-government",
}  # noqa: E501
# The catalog topic of the courses a desk's kind of help also teaches.
COURSE_TOPIC_BY_HELP_KIND = {
    "digital-government": "digital-government",
    "reading-writing": "reading-writing",
}
HELP_KIND_BY_GOAL = {"dutch_language": "dutch", "basic_skills": "reading-writing"}


def right_help_kind(tracker: Tracker) -> str:
    kind = known(tracker.get_slot("help_kind"))
    if kind in HELP_KINDS:
        return kind
    topic = tracker.get_slot("topic")
    if topic in HELP_KIND_BY_TOPIC:
        return HELP_KIND_BY_TOPIC[topic]
    goal = tracker.get_slot("goal")
    return HELP_KIND_BY_GOAL.get(goal, "work-learning-advice")


def hours_line(hours: str, language: str, key: str) -> str:
    """'Inloop: di 10-12', or, for a desk that sees people only by appointment, that (never
    'Inloop: op afspraak', which says both)."""
    if "afspraak" in hours.lower() and not any(ch.isdigit() for ch in hours):
        return say(language, "by_appointment")
    return say(language, key, hours=format_schedule(hours, language))


def hours_unsure(organization: Organization, language: str) -> str:
    """Hours that are not verified: ask before coming (with the web site when there is one)."""
    if organization.link:
        return say(language, "hours_unsure_link", link=organization.link)
    return say(language, "hours_unsure")


def describe_organization(organization: Organization, language: str = DEFAULT_LANGUAGE) -> str:
    """Name, address and hours stay as the catalog has them (Dutch); the labels are translated."""
    lines = [organization.name]
    if organization.address:
        lines.append(say(language, "address", address=organization.address))
    if organization.walk_in_hours:
        lines.append(hours_line(organization.walk_in_hours, language, "walk_in"))
    elif organization.hours_unknown:
        lines.append(hours_unsure(organization, language))
    if organization.phone:
        lines.append(say(language, "call", phone=organization.phone))
    elif organization.link and not organization.address:
        # A national organization without a desk or a verified number: its web site.
        lines.append(say(language, "apply_at", url=organization.link))
    if organization.languages:
        names = strings(language)["language_names"]
        spoken = ", ".join(names.get(code, code) for code in organization.languages)
        lines.append(say(language, "spoken_languages", languages=spoken))
    if organization.example:
        lines.append(say(language, "example_label"))
    return "\n".join(lines)


class ValidateSupportForm(FormValidationAction):
    def name(self) -> str:
        return "validate_support_form"

    def validate_help_kind(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"help_kind": value if value in (*HELP_KINDS, UNKNOWN) else None}

    def validate_municipality(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == UNKNOWN:
            return {"municipality": UNKNOWN}
        place = canonical_municipality(value)
        if place and place != "online":
            return {"municipality": place}
        dispatcher.utter_message(response="unknown_municipality")
        return {"municipality": None}


class ActionFindSupport(UsesCatalog, Action):
    def name(self) -> str:
        return "action_find_support"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            found = self.client.find_organizations(
                right_help_kind(tracker), known(tracker.get_slot("municipality")), MAX_ORGANIZATIONS
            )
        except ServiceUnavailable as exc:
            logger.warning("Organization search failed: %s", exc.reason)
            dispatcher.utter_message(response="support_unavailable", **message_placeholders())
            return []
        insight = help_insight(right_help_kind(tracker), len(found))
        if not found:
            dispatcher.utter_message(response="support_none", **message_placeholders())
            return [insight]
        dispatcher.utter_message(response="support_found")
        for organization in found:
            dispatcher.utter_message(text=describe_organization(organization, language_of(tracker)))
        self.show_course_nearby(dispatcher, tracker)
        dispatcher.utter_message(response="utter_menu")
        return [insight]

    def show_course_nearby(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Where a desk also teaches (DigiD, reading and writing), the nearest course with how
        to sign up: some people want help once, others want to learn it."""
        from actions.clients.catalog import CourseSearch
        from actions.courses import describe_course

        topic = COURSE_TOPIC_BY_HELP_KIND.get(right_help_kind(tracker))
        place = known(tracker.get_slot("municipality"))
        if not topic or not place or place == "online":
            return
        try:
            found = self.client.find_courses(CourseSearch(topic=topic, municipality=place), 0, 1)
        except ServiceUnavailable as exc:
            logger.warning("Course search failed: %s", exc.reason)
            return
        if found and found[0].place.lower() != "online":
            language = language_of(tracker)
            dispatcher.utter_message(text=say(language, "also_a_course"))
            dispatcher.utter_message(text=describe_course(found[0], language))


class ActionOfferHuman(UsesCatalog, Action):
    """Name the right organization with its phone number and hours; offer a call-back."""

    def name(self) -> str:
        return "action_offer_human"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        from actions.reading import read_facts
        from actions.router import ActionRoute

        # Not RequestFirst: "ik wil een mens spreken over een cursus" asks for a person.
        facts = read_facts(tracker)
        if not tracker.active_loop.get("name") and (
            facts.help_kind or (facts.topic and not facts.asks_for_person)
        ):
            # "Who can help me with a letter from the municipality?": the people nearby who
            # help with that, not a general phone number. A subject without a word for a
            # person ("videobellen met mijn kleinkinderen") was no request for a person.
            return ActionRoute().run(dispatcher, tracker, domain)
        insight = handover_insight(tracker, right_help_kind(tracker))
        organization = None
        try:
            found = self.client.find_organizations(
                right_help_kind(tracker), known(tracker.get_slot("municipality")), count=1
            )
            organization = next((o for o in found if o.phone), None)
        except ServiceUnavailable as exc:
            logger.warning("Organization search failed: %s", exc.reason)
        if organization:
            if organization.walk_in_hours:
                visit = hours_line(organization.walk_in_hours, language_of(tracker), "visit")
            elif organization.hours_unknown:
                visit = hours_unsure(organization, language_of(tracker))
            else:
                visit = ""
            if organization.example:
                visit = f"{visit} {say(language_of(tracker), 'example_label')}".strip()
            name, phone = organization.name, organization.phone
        else:
            contact = fallback_contact()
            name, phone, visit = contact.name, contact.phone, ""
        dispatcher.utter_message(response="offer_human", name=name, phone=phone, visit=visit)
        live = live_chat_offer(tracker, right_help_kind(tracker))
        if live is not None:
            # A desk is staffed now: chat with a person in this same conversation.
            dispatcher.utter_message(
                response="offer_live_chat",
                desk=live["desk"]["name"],
                position=live["position"],
                wait=format_wait(live["expected_wait_minutes"], language_of(tracker)),
            )
            return [
                SlotSet("callback_subject", right_help_kind(tracker)),
                SlotSet("live_chat_desk", live["desk"]["id"]),
                insight,
            ]
        desk = callback_desk()
        if desk is None:
            # No desk has agreed to call back: the number above, and no promise of a call.
            return [SlotSet("callback_subject", right_help_kind(tracker)), insight]
        dispatcher.utter_message(response="offer_callback", desk=desk.name, days=desk.working_days)
        return [
            SlotSet("callback_organization", desk.name),
            SlotSet("callback_subject", right_help_kind(tracker)),
            insight,
        ]
