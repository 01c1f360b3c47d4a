"""The router: from everything known, the best next step for what the person asked.

A request (find a course, who pays, help nearby, or a message with facts but no clear
question) comes here. The router decides what the person wants and then either answers at
once, or asks the one fact that the answer still depends on (through the form of that task,
which asks only for what is missing). In order:

1. A question about one named scheme, or "do I have to pay this myself?" when the employer asks
   for the course: a direct answer (yes, no or maybe, the reason that decides it, the next
   step), then an offer to look at everything else.
2. Who pays (a question about money): the schemes that fit.
3. An everyday need that a desk helps with (DigiD, a letter from the municipality, "I cannot
   read well"): help nearby, with a kind word where it is needed.
4. A subject to learn: courses near the person.
5. Facts without a question: the task they point to.

`choose_task` is pure; `ActionRoute` carries it out.
"""

from __future__ import annotations

import copy
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.budget import BEST, BEST_NOT_EMPLOYER, EMPLOYER_PAYS, sure_first
from actions.i18n import language_of, say
from actions.places import context_place
from actions.reading import read_facts
from actions.understanding import Facts, lexicon
from actions.vocabulary import UNKNOWN

COURSE, BUDGET, SCHEME, SUPPORT, MENU = "course", "budget", "scheme", "support", "menu"
FORM_OF = {COURSE: "course_form", BUDGET: "budget_form", SCHEME: "budget_form",
           SUPPORT: "support_form"}  # fmt: skip
# The scheme that answers "my employer wants me to take a course: do I pay?"
EMPLOYER_REQUIRED = "verplichte-scholing"
STATEMENTS = ("find_course", "find_support", "inform")
# Schemes whose names are also everyday words ("de inburgering", "de bibliotheek"): a question
# about the scheme only when the message asks something or is about paying.
EVERYDAY_NAMES = ("inburgering", "bibliotheek-gratis", "leerwerkloket")
# Schemes that are an exam or a school the person pays alone: named with a subject and no
# question about paying, the person wants the courses ("staatsexamen NT2 halen").
EXAMS_AND_SCHOOLS = ("staatsexamen-nt2", "open-universiteit")
QUESTION_MARKS = ("?", "؟")
INTENT_TASK = {"find_course": COURSE, "ask_budget": BUDGET, "find_support": SUPPORT}


def wants_to_learn(facts: Facts, text: str, languages: tuple[str, ...]) -> bool:
    from actions.understanding import normalize

    norm = normalize(text)
    return any(lexicon(code).has("learn_cues", norm) for code in (*languages, "nl", "en"))


# Subjects with free lessons in the region (the library, the Taalhuis): someone who wants them
# free, or has no money, is shown the free ones near them, not a list of schemes.
FREE_GOALS = ("basic_skills", "dutch_language")


def free_course_wanted(facts: Facts) -> bool:
    if not facts.topic or facts.scheme or facts.employer or facts.asks_who_pays:
        return False
    # "Is lezen en schrijven leren gratis?" is a question, answered directly (yes, the Taalhuis).
    wish = (facts.no_money or facts.wants_free) and not facts.is_question
    return wish and facts.goal in FREE_GOALS


def choose_task(
    intent: str | None, facts: Facts, slots: dict[str, Any], learn: bool, question: bool = True
) -> str:
    """Which task the message asks for, from its intent and its facts. `question`: the message
    asks something ("?", a question intent); a scheme named in a statement is not a question."""
    if facts.employer_declines:
        # "Mijn werkgever betaalt het niet": who else pays, never the employer's schemes.
        facts.employer = False
        if facts.scheme in EMPLOYER_PAYS:
            facts.scheme = None
        if not facts.scheme:
            return BUDGET
    if free_course_wanted(facts):
        return COURSE  # "ik heb geen geld, ik wil een gratis computercursus": free ones nearby
    asked = facts.pay_question or intent == "ask_budget"
    if facts.scheme == "inburgering" and (
        facts.integration == "no" or (facts.integration and not facts.pay_question)
    ):
        facts.scheme = None  # "ik hoef niet in te burgeren": a fact, not a question about it
    if facts.scheme == "inburgering" and facts.pay_question and facts.integration is None:
        # "Moet ik mijn inburgeringscursus zelf betalen?": only someone who must integrate asks
        # who pays for it; asking "Moet u inburgeren?" back would ask what was said.
        facts.integration = "yes"
    if facts.pay_question and facts.integration == "yes" and not facts.scheme:
        facts.scheme = "inburgering"  # "ik moet inburgeren, moet ik de cursus zelf betalen?"
    if facts.scheme in EVERYDAY_NAMES and not asked and (facts.topic and learn or not question):
        facts.scheme = None  # "ik wil knm leren voor het examen inburgering": a course
    if facts.scheme in EXAMS_AND_SCHOOLS and facts.topic and not facts.pay_question:
        facts.scheme = None  # "ik wil het staatsexamen NT2 halen": courses that prepare for it
    desk = facts.help_kind and not (facts.topic and (learn or facts.help_kind == "dutch"))
    if desk and not asked and not facts.employer:
        return SUPPORT  # "wie helpt mij met de inburgering in Breda?": people nearby
    if facts.scheme:
        return SCHEME
    if facts.employer and asked:
        return SCHEME
    if asked or facts.no_money:
        return BUDGET  # "ik heb geen geld en wil kok worden": who pays is the question
    if facts.help_kind == "dutch" and facts.topic:
        return COURSE  # a taalcafé or a conversation group is in the catalog, near the person
    if facts.help_kind and not (facts.topic and learn):
        return SUPPORT
    if facts.goal == "career_advice" and not facts.topic:
        facts.help_kind = "work-learning-advice"  # "ik wil ander werk": advice nearby
        return SUPPORT
    if facts.topic or facts.learn_language:
        return COURSE
    if intent in INTENT_TASK:
        return INTENT_TASK[intent]
    if facts.situation or facts.goal or facts.age is not None:
        return BUDGET
    if facts.municipality or facts.online:
        return COURSE
    return MENU


# Where help of a kind is, true everywhere in the region: said when the place is still unknown,
# so the first reply already tells where to go; the place then finds the nearest desk or course.
WHERE_BY_HELP_KIND = {
    "dutch": "where_dutch",
    "digital-skills": "where_digital",
    "digital-government": "where_government",
    "work-learning-advice": "where_work",
    "money-administration": "where_money",
    "integration": "where_integration",
}
WHERE_BY_TOPIC = {
    "dutch": "where_dutch",
    "reading-writing": "where_reading",
    "digital": "where_digital",
    "online-safety": "where_digital",
    "digital-government": "where_government",
    "career": "where_work",
    "numeracy-money": "where_money",
    "integration": "where_integration",
    "business": "where_business",
    "hospitality": "where_vocational",
    "logistics": "where_vocational",
    "technology-energy": "where_vocational",
    "health-care": "where_vocational",
}


def where_hint(task: str, facts: Facts, slots: dict[str, Any]) -> str | None:
    """The string that says where this kind of help is, when the answer waits for the place.
    Reading and writing as a desk need has its own kind word (`kind_reading`)."""
    if task not in (COURSE, SUPPORT) or facts.online or facts.municipality:
        return None
    if slots.get("municipality") not in (None, UNKNOWN):
        return None
    help_kind = facts.help_kind if task == SUPPORT else None
    if help_kind == "reading-writing":
        return None
    if help_kind:
        return WHERE_BY_HELP_KIND.get(help_kind)
    return WHERE_BY_TOPIC.get(facts.topic or "")


def with_slots(tracker: Tracker, values: dict[str, Any]) -> Tracker:
    """The tracker as it will be after this action's slot changes."""
    changed = copy.copy(tracker)
    changed.slots = {**tracker.slots, **values}
    return changed


def answer_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A question about one scheme whose answer still depends on a fact: "Misschien", the fact
    it depends on, at once; the form then asks that fact, and the answer follows."""
    from actions.budget import answer_one, budget_missing, scheme_result

    result = scheme_result(tracker)
    if result is not None and budget_missing(tracker):
        answer_one(dispatcher, result, language_of(tracker), buttons=False)


def nearby_from_context(
    dispatcher: CollectingDispatcher, tracker: Tracker, facts: Facts
) -> dict[str, Any]:
    """No place known, but the kiosk or the web site says where it stands: search near there at
    once, and say so (the person may live elsewhere). Never used for who pays."""
    if facts.municipality or tracker.get_slot("municipality"):
        return {}
    user = tracker.get_last_event_for("user") or {}
    place = context_place(user.get("metadata"))
    if not place:
        return {}
    dispatcher.utter_message(text=say(language_of(tracker), "near_context", place=place))
    return {"municipality": place, "place_from_context": True}


class ActionRoute(Action):
    def name(self) -> str:
        return "action_route"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        facts = read_facts(tracker)
        learn = wants_to_learn(facts, text, facts.languages)
        question = any(mark in text for mark in QUESTION_MARKS) or intent not in STATEMENTS
        # Read before choose_task, which adjusts the facts it is given.
        free_lessons = free_course_wanted(facts)
        task = choose_task(intent, facts, tracker.slots, learn, question)
        changes: dict[str, Any] = {"results_page": 1}
        if task == SCHEME:
            changes["scheme_asked"] = facts.scheme or EMPLOYER_REQUIRED
        elif task == BUDGET and facts.employer_declines:
            changes["scheme_asked"] = BEST_NOT_EMPLOYER
        elif (
            task == BUDGET
            and (facts.pay_question or facts.no_money)
            and (facts.topic or facts.goal)
        ):
            changes["scheme_asked"] = BEST
        if task == SCHEME and facts.integration and not tracker.get_slot("integration_obligation"):
            changes["integration_obligation"] = facts.integration
        if (facts.employer or facts.employer_declines) and not tracker.get_slot("situation"):
            changes["situation"] = "employed"  # "mijn baas wil ...": someone with an employer
        if "scheme_asked" not in changes and tracker.get_slot("scheme_asked"):
            changes["scheme_asked"] = None
        if (
            task == COURSE
            and not facts.topic
            and intent == "find_course"
            and not facts.municipality
        ):
            # A new search keeps the place, not the last subject or wishes. A message that only
            # names a place ("Etten-Leur", taken for "find a course") is no new search.
            changes.update(topic=None, course_query=None, time_of_day=None, free_only=None)
        if task == COURSE and free_lessons:
            changes["free_only"] = True
        if task in (COURSE, SUPPORT) and not facts.online:
            changes.update(nearby_from_context(dispatcher, tracker, facts))
        if task == SUPPORT and facts.help_kind:
            changes["help_kind"] = facts.help_kind
            if facts.help_kind == "reading-writing":
                dispatcher.utter_message(text=say(language_of(tracker), "kind_reading"))
        hint = where_hint(task, facts, {**tracker.slots, **changes})
        if hint:
            dispatcher.utter_message(text=say(language_of(tracker), hint))
        events: list[EventType] = []
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        events += [SlotSet(key, value) for key, value in changes.items()]
        if task == MENU:
            dispatcher.utter_message(response="utter_menu")
            return events
        if task in (BUDGET, SCHEME) and not facts.said():
            dispatcher.utter_message(response="budget_intro")
        if task == SCHEME:
            answer_first(dispatcher, with_slots(tracker, changes))
        elif task == BUDGET:
            sure_first(dispatcher, with_slots(tracker, changes))
        # The form asks what is still missing, one question at a time, or, when nothing is,
        # ends at once and its rule gives the answer (search, schemes, help nearby).
        return [*events, ActiveLoop(FORM_OF[task])]


TASK_FACTS = ("topic", "help_kind", "scheme", "situation", "goal", "learn_language",
              "pay_question", "employer", "municipality", "age")  # fmt: skip


def route_if_it_has_facts(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    request_facts: tuple[str, ...] = TASK_FACTS,
) -> list[EventType] | None:
    """A message the model did not place but whose facts say what is wanted ("computer
    breda", "74 jaar wil leren appen") is a request: the router takes it. Inside a form, a
    message whose facts answered the open question needs no "I do not understand": the form
    goes on. None when the facts say nothing."""
    facts = read_facts(tracker)
    said = facts.said()
    if tracker.active_loop.get("name"):
        requested = tracker.get_slot("requested_slot")
        answered = any(
            e.get("event") == "slot" and e.get("name") == requested
            for e in events_since_user(tracker)
        )
        return [] if answered or said else None
    if not any(key in said for key in request_facts):
        return None
    return ActionRoute().run(dispatcher, tracker, domain)


class RequestFirst:
    """Mixin for actions whose intent may hide a request: a greeting, "no", "help", "another
    language", a fallback. When the message's facts make a request, the router answers it;
    otherwise `respond` gives the action's own answer. (Not an Action: not registered.)"""

    # The facts that make a request of the message.
    REQUEST_FACTS: tuple[str, ...] = TASK_FACTS

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        routed = route_if_it_has_facts(dispatcher, tracker, domain, self.REQUEST_FACTS)
        if routed is not None:
            return self.before_route(tracker) + routed
        return self.respond(dispatcher, tracker, domain)

    def before_route(self, tracker: Tracker) -> list[EventType]:
        """Events that stand before the routed answer (a chosen language)."""
        return []

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        raise NotImplementedError


def events_since_user(tracker: Tracker) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        found.append(event)
    return found


class ActionRouteOrRespond(RequestFirst, Action):
    """ "Yes", "no", "help" or "thanks" without an open question: the request the message also
    holds ("nee, ik zoek een computercursus in Breda"), else the usual answer to it."""

    RESPONSES = {
        "help": "utter_help",
        "thank": "utter_you_are_welcome",
    }

    def name(self) -> str:
        return "action_route_or_respond"

    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "affirm" and tracker.get_slot("live_chat_desk"):
            # "ja" to the live chat just offered (action_offer_human).
            from actions.handoff import ActionStartLiveChat

            return ActionStartLiveChat().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response=self.RESPONSES.get(intent, "utter_menu"))
        if tracker.get_slot("live_chat_desk"):
            return [SlotSet("live_chat_desk", None)]  # "nee": the offer is gone
        return []
