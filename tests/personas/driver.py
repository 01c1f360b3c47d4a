"""The task-success driver: plays each persona against the running assistant and judges the
answer as a skilled advisor would.

A persona (tests/personas/personas/<language>.yml) opens with what a real person types, then
answers the assistant's questions from its facts, typed as typed; it never sends a payload. A
task succeeds when a reply gives the destination:

- scheme: the scheme's name (and, for a direct question, the verdict in the persona's language);
- organization: one of the right organizations near the person (the catalog's own answer for
  that kind of help and place);
- course: a course on the subject, in person in or near the person's place (online only for
  someone who wants online), shown first, with how to sign up;

and the conversation speaks the persona's language. Measured: success on the first reply, and
within two follow-ups. `python -m tests.personas.driver --rasa-url ...` runs it against a
stack started by hand; tests/personas/test_task_success.py runs it in `make test`.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import requests
import yaml

from actions.i18n import RESPONSES_FILE, locale
from services.geo import distance_km, find_municipality, municipality_for_place

HERE = Path(__file__).parent
PERSONA_DIR = HERE / "personas"
ROOT = HERE.parent.parent
REPORT = ROOT / "docs" / "task-success.md"
FOLLOW_UPS = 2
NEAR_KM = 16.0  # the same or a neighbouring municipality in West-Brabant
# Which fact a question asks for (the responses of domain/responses.yml, in every language).
QUESTIONS = {
    "utter_ask_age": "age",
    "utter_ask_situation": "situation",
    "utter_ask_goal": "subject",
    "utter_ask_topic": "subject",
    "utter_ask_course_form_municipality": "municipality",
    "utter_ask_budget_form_municipality": "municipality",
    "utter_ask_support_form_municipality": "municipality",
    "utter_ask_integration_obligation": "integration",
    "utter_ask_help_kind": "help_kind",
}
# What a person types when asked something they do not know.
DONT_KNOW = {
    "nl": "weet ik niet",
    "en": "i don't know",
    "ar": "لا أعرف",
    "tr": "bilmiyorum",
    "uk": "не знаю",
    "pl": "nie wiem",
}
SIGN_UP_KEYS = ("sign_up", "sign_up_call", "sign_up_ask")


@dataclass
class Persona:
    id: str
    language: str
    groups: list[str]
    opening: str
    facts: dict[str, str]
    destination: dict[str, Any]

    @classmethod
    def load_all(cls) -> list[Persona]:
        personas = []
        for path in sorted(PERSONA_DIR.glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for item in data.get("personas") or []:
                personas.append(
                    cls(
                        id=item["id"],
                        language=item["language"],
                        groups=list(item.get("groups") or []),
                        opening=str(item["opening"]),
                        facts={k: str(v) for k, v in (item.get("facts") or {}).items()},
                        destination=dict(item["destination"]),
                    )
                )
        return personas


@dataclass
class Outcome:
    persona: Persona
    first_reply: bool = False
    within_two: bool = False
    transcript: list[tuple[str, str]] = field(default_factory=list)
    why: str = ""
    # Only for an opening without the place: the first reply when the same message is typed at
    # a kiosk in the person's own town (the kiosk says where it stands).
    at_kiosk: bool | None = None
    # Only for an opening without the place: the first reply already says where this kind of
    # help is (the Taalhuis, the Informatiepunt Digitale Overheid, ...) before it asks the place.
    says_where: bool | None = None


@cache
def question_texts() -> dict[str, str]:
    """Text of every question variation -> the fact it asks for."""
    domain = yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for response, fact in QUESTIONS.items():
        for variation in domain["responses"].get(response, []):
            found[variation["text"].strip()] = fact
    return found


def strings(language: str) -> dict[str, Any]:
    return {**locale("nl").get("strings", {}), **locale(language).get("strings", {})}


def label_prefix(language: str, key: str) -> str:
    """'Aanmelden:' from 'Aanmelden: {link}'."""
    return strings(language)[key].split("{")[0].strip()


class Assistant:
    """The running stack as a person and an advisor see it."""

    def __init__(self, rasa_url: str, catalog_url: str, budget_url: str, token: str) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.catalog_url = catalog_url.rstrip("/")
        self.budget_url = budget_url.rstrip("/")
        self.token = token
        self.http = requests.Session()

    def say(
        self, sender: str, text: str, metadata: dict[str, str] | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        answer = self.http.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def language(self, sender: str) -> str | None:
        answer = self.http.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        answer.raise_for_status()
        return (answer.json().get("slots") or {}).get("language")

    @cache  # noqa: B019 - one assistant per run
    def scheme_names(self) -> dict[str, str]:
        body = self.http.get(f"{self.budget_url}/v1/schemes", timeout=30).json()
        return {item["id"]: item["name"] for item in body["schemes"]}

    @cache  # noqa: B019
    def organizations(self, kind: str, place: str) -> tuple[str, ...]:
        params = {"helpsWith": kind, "municipality": place, "pageSize": 10}
        body = self.http.get(f"{self.catalog_url}/organizations", params=params, timeout=30).json()
        names = []
        for item in body.get("items", []):
            name = item.get("name")
            if isinstance(name, list):
                name = next((n.get("value") for n in name if n.get("value")), "")
            names.append(str(name))
        return tuple(names[:3])

    @cache  # noqa: B019
    def courses_on(self, topics: tuple[str, ...]) -> frozenset[str]:
        """Names of every course with one of these topics."""
        names: set[str] = set()
        for topic in topics:
            page = 1
            while page < 20:
                params = {"topic": topic, "pageSize": 100, "pageNumber": page}
                body = self.http.get(f"{self.catalog_url}/courses", params=params, timeout=30)
                body = body.json()
                for item in body.get("items", []):
                    name = item.get("name")
                    if isinstance(name, list):
                        name = next((n.get("value") for n in name if n.get("value")), "")
                    names.add(str(name))
                if not body.get("hasNextPage"):
                    break
                page += 1
        return frozenset(names)


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("text") or "" for m in messages]


def near(place: str, target: str) -> bool:
    here = municipality_for_place(place) or find_municipality(place)
    there = find_municipality(target)
    if not here or not there:
        return False
    return here.code == there.code or distance_km(here, there) <= NEAR_KM


def judge(
    persona: Persona, messages: list[dict[str, Any]], assistant: Assistant, sender: str
) -> tuple[bool, str]:
    """Whether this reply gives the persona's destination, and if not, why not."""
    goal = persona.destination
    language = persona.language
    said = texts(messages)
    whole = "\n".join(said)
    kind = goal["kind"]
    if kind == "scheme":
        names = assistant.scheme_names()
        wanted = goal.get("schemes") or [goal.get("scheme")]
        hits = [s for s in wanted if s in names and names[s] in whole]
        if not hits:
            return False, f"no scheme of {wanted}"
        verdict = goal.get("verdict")
        if verdict:
            key = {"yes": "verdict_yes", "no": "verdict_no", "maybe": "verdict_maybe"}[verdict]
            options = [strings(language)[key]]
            if verdict == "no":
                options.append(strings(language)["verdict_closed"])
            if not any(option in whole for option in options):
                return False, f"verdict {verdict} not given"
    elif kind == "organization":
        place = goal.get("near")
        wanted = assistant.organizations(goal["help_kind"], place) if place else ()
        if not any(name and name in whole for name in wanted):
            return False, f"no {goal['help_kind']} organization of {list(wanted)}"
    elif kind == "course":
        topics = goal["topic"] if isinstance(goal["topic"], list) else [goal["topic"]]
        on_topic = assistant.courses_on(tuple(topics))
        where = label_prefix(language, "where")
        sign_up = [label_prefix(language, key) for key in SIGN_UP_KEYS]
        online = strings(language)["online_course"]
        shown = [t for t in said if t.split("\n")[0] in on_topic]
        if not shown:
            return False, f"no course on {topics}"
        first = shown[0]
        place_line = next((ln for ln in first.split("\n") if ln.startswith(where)), "")
        place = place_line[len(where) :].strip()
        # "Made (Drimmelen)": the town, then its municipality.
        place = place.rsplit("(", 1)[-1].rstrip(")") if place.endswith(")") else place
        target = goal.get("near")
        if target and target != "online" and (place == online or not near(place, target)):
            return False, f"first course on the subject is in {place!r}, not near {target}"
        if not any(line.startswith(tuple(sign_up)) for line in first.split("\n")):
            return False, "no way to sign up"
    else:
        return False, f"unknown destination kind {kind}"
    spoken = assistant.language(sender)
    if spoken != language:
        return False, f"conversation language is {spoken}, not {language}"
    return True, ""


def next_message(persona: Persona, messages: list[dict[str, Any]], sent: set[str]) -> str | None:
    """What the person types next: the answer to the question asked, from their facts."""
    questions = question_texts()
    asked = None
    for text in reversed(texts(messages)):
        if text.strip() in questions:
            asked = questions[text.strip()]
            break
    if asked:
        return persona.facts.get(asked) or DONT_KNOW[persona.language]
    # No question: a person adds what they have not said yet.
    for key in ("subject", "municipality", "situation", "age", "help_kind"):
        if key in persona.facts and key not in sent:
            sent.add(key)
            return persona.facts[key]
    return None


def play(persona: Persona, assistant: Assistant) -> Outcome:
    outcome = Outcome(persona)
    sender = f"persona-{persona.id}-{uuid.uuid4().hex[:8]}"
    message: str | None = persona.opening
    sent: set[str] = set()
    for turn in range(1 + FOLLOW_UPS):
        if message is None:
            break
        replies = assistant.say(sender, message)
        outcome.transcript.append(("person", message))
        outcome.transcript += [("assistant", t) for t in texts(replies)]
        if turn == 0 and place_unsaid(persona):
            outcome.says_where = says_where(persona, texts(replies))
        ok, why = judge(persona, replies, assistant, sender)
        if ok:
            outcome.within_two = True
            outcome.first_reply = turn == 0
            return outcome
        outcome.why = why
        message = next_message(persona, replies, sent)
    return outcome


def says_where(persona: Persona, first: list[str]) -> bool:
    """The first reply names where the persona's kind of help is (actions/router.py's hint for
    the destination's help kind or subject, or the kind word about reading)."""
    from actions.router import WHERE_BY_HELP_KIND, WHERE_BY_TOPIC

    goal = persona.destination
    if goal["kind"] == "organization":
        keys = {WHERE_BY_HELP_KIND.get(goal["help_kind"]), "kind_reading"}
        if goal["help_kind"] != "reading-writing":
            keys.discard("kind_reading")
    else:
        topics = goal["topic"] if isinstance(goal["topic"], list) else [goal["topic"]]
        keys = {WHERE_BY_TOPIC.get(topic) for topic in topics}
        if "reading-writing" in topics:
            keys.add("kind_reading")
    wanted = {strings(persona.language).get(key) for key in keys if key}
    return any(text in wanted for text in first)


def first_reply_at_kiosk(persona: Persona, assistant: Assistant) -> bool:
    """The opening typed at a kiosk in the person's own town: is the first reply right?"""
    sender = f"persona-kiosk-{persona.id}-{uuid.uuid4().hex[:8]}"
    kiosk = {"client": "kiosk", "place": persona.destination["near"]}
    replies = assistant.say(sender, persona.opening, metadata=kiosk)
    return judge(persona, replies, assistant, sender)[0]


def place_unsaid(persona: Persona) -> bool:
    """The answer needs the person's place and the opening does not name it (the place as the
    person types it when asked): no reply can be right before one question."""
    goal = persona.destination
    if goal["kind"] not in ("course", "organization") or goal.get("near") in (None, "online"):
        return False
    place = persona.facts.get("municipality", "").lower().strip()
    return not place or place not in persona.opening.lower()


def share(outcomes: list[Outcome], attribute: str) -> float:
    return sum(getattr(o, attribute) for o in outcomes) / len(outcomes) if outcomes else 0.0


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    by_language: dict[str, list[Outcome]] = defaultdict(list)
    by_group: dict[str, list[Outcome]] = defaultdict(list)
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_language[outcome.persona.language].append(outcome)
        by_kind[outcome.persona.destination["kind"]].append(outcome)
        for group in outcome.persona.groups:
            by_group[group].append(outcome)

    def rows(groups: dict[str, list[Outcome]]) -> dict[str, dict[str, float]]:
        return {
            name: {
                "n": len(items),
                "first_reply": share(items, "first_reply"),
                "within_two": share(items, "within_two"),
            }
            for name, items in sorted(groups.items())
        }

    openings = {
        "the opening names the place, or none is needed": [
            o for o in outcomes if not place_unsaid(o.persona)
        ],
        "the place must be asked first": [o for o in outcomes if place_unsaid(o.persona)],
    }
    kiosk = [o for o in outcomes if o.at_kiosk is not None]
    unsaid = [o for o in outcomes if o.says_where is not None]
    return {
        "n": len(outcomes),
        "first_reply": share(outcomes, "first_reply"),
        "within_two": share(outcomes, "within_two"),
        "openings": rows(openings),
        "at_kiosk": {"n": len(kiosk), "first_reply": share(kiosk, "at_kiosk")},
        "says_where": {"n": len(unsaid), "share": share(unsaid, "says_where")},
        "languages": rows(by_language),
        "groups": rows(by_group),
        "kinds": rows(by_kind),
    }


def render(outcomes: list[Outcome], command: str) -> str:
    figures = summary(outcomes)
    lines = [
        "# Task success",
        "",
        "<!-- Generated by tests/personas/driver.py; do not edit by hand. -->",
        "",
        f"Written by `{command}` on {date.today().isoformat()}: {figures['n']} personas",
        "(tests/personas/personas/) played against the whole stack through the REST channel. A",
        "task succeeds when a reply gives what a skilled advisor would give, in the persona's",
        "language (tests/personas/driver.py says how each destination is judged). The floor that",
        "`make test` guards is in tests/personas/floor.yml.",
        "",
        "A course or a desk must be near the person. When the first message does not say where",
        "the person lives, no first reply can be right: the assistant asks the place first (the",
        'row "the place must be asked first"). The other row shows the first replies that',
        "could be right. A kiosk or a municipality's web site can say where it stands",
        "(docs/widget-and-kiosk.md): the row after it plays those openings once more, typed",
        "at a kiosk in the person's own town (first reply only; not part of the figures above).",
        "The row after that counts the first replies to those openings that already say where",
        "this kind of help is (the Taalhuis or the Informatiepunt Digitale Overheid in the",
        "library, the Leerwerkloket, ...) before asking the place; not counted as success.",
        "",
        "| | personas | first reply | within two follow-ups |",
        "|---|---:|---:|---:|",
        f"| **all** | {figures['n']} | {figures['first_reply']:.0%} | "
        f"{figures['within_two']:.0%} |",
    ]
    keys = (("opening", "openings"), ("language", "languages"), ("group", "groups"))
    for title, key in (*keys, ("destination", "kinds")):
        for name, row in figures[key].items():
            lines.append(
                f"| {title}: {name} | {row['n']} | {row['first_reply']:.0%} | "
                f"{row['within_two']:.0%} |"
            )
        if key == "openings":
            kiosk = figures["at_kiosk"]
            lines.append(
                f"| opening: the place must be asked first, typed at a kiosk in their own town "
                f"| {kiosk['n']} | {kiosk['first_reply']:.0%} | |"
            )
            where = figures["says_where"]
            lines.append(
                f"| opening: the place must be asked first; the first reply already says where "
                f"this kind of help is (not counted as success) | {where['n']} | "
                f"{where['share']:.0%} | |"
            )
    failing = [o for o in outcomes if not o.within_two]
    slow = [o for o in outcomes if o.within_two and not o.first_reply]
    lines += ["", f"## Not answered within two follow-ups ({len(failing)})", ""]
    for outcome in failing:
        lines += transcript_lines(outcome)
    lines += ["", f"## Answered only after a follow-up ({len(slow)})", ""]
    for outcome in slow:
        lines.append(f"- `{outcome.persona.id}`: {outcome.persona.opening!r}")
    return "\n".join(lines).rstrip() + "\n"


def transcript_lines(outcome: Outcome) -> list[str]:
    persona = outcome.persona
    lines = [
        f"### {persona.id} ({', '.join(persona.groups)})",
        "",
        f"Destination: `{json.dumps(persona.destination, ensure_ascii=False)}`. "
        f"Last judgement: {outcome.why}.",
        "",
        "```text",
    ]
    for who, text in outcome.transcript:
        prefix = "> " if who == "person" else "  "
        lines += [prefix + line for line in text.split("\n")]
    lines += ["```", ""]
    return lines


def run(assistant: Assistant, only: str | None = None) -> list[Outcome]:
    personas = [p for p in Persona.load_all() if not only or p.id.startswith(only)]
    outcomes = []
    for persona in personas:
        outcome = play(persona, assistant)
        if place_unsaid(persona):
            outcome.at_kiosk = first_reply_at_kiosk(persona, assistant)
        outcomes.append(outcome)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--catalog-url", default="http://127.0.0.1:8001/v5")
    parser.add_argument("--budget-url", default="http://127.0.0.1:8002")
    parser.add_argument("--token", required=True)
    parser.add_argument("--only", help="persona id prefix, e.g. nl- or en-012")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--show", action="store_true", help="print the failing transcripts")
    args = parser.parse_args(argv)
    assistant = Assistant(args.rasa_url, args.catalog_url, args.budget_url, args.token)
    outcomes = run(assistant, args.only)
    figures = summary(outcomes)
    print(json.dumps({k: figures[k] for k in ("n", "first_reply", "within_two")}))
    for name, row in figures["languages"].items():
        print(f"  {name}: {row}")
    print("  at a kiosk (openings without the place):", figures["at_kiosk"])
    print("  says where, before asking the place:", figures["says_where"])
    counts = Counter(o.why.split(" ")[0] for o in outcomes if not o.first_reply)
    print("reasons (first reply):", dict(counts))
    if args.show:
        for outcome in outcomes:
            if not outcome.first_reply:
                print("\n".join(transcript_lines(outcome)))
    if args.write_docs:
        REPORT.write_text(render(outcomes, "make test"), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
