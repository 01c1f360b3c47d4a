"""Checks on the task-success persona set in tests/personas/personas/*.yml.

The personas are data for a driver that plays them against the running assistant. These tests
need no Rasa: they load the YAML and check its shape, the counts per language and group, and
that every destination is one the assistant can actually give: scheme ids from
services/budget/schemes, topics from services/catalog/topics.yaml, and for courses and
organizations a matching entry of the example catalog (services/catalog/seed) in or next to
the named municipality.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from services.geo import distance_km, in_region, municipality_for_place, neighbours

ROOT = Path(__file__).resolve().parents[2]
PERSONA_DIR = Path(__file__).resolve().parent / "personas"
SCHEME_DIR = ROOT / "services" / "budget" / "schemes"
TOPICS_FILE = ROOT / "services" / "catalog" / "topics.yaml"
SEED_DIR = ROOT / "services" / "catalog" / "seed"

MINIMUMS = {"nl": 60, "en": 25, "ar": 22, "tr": 22, "uk": 21, "pl": 21}
TOTAL_MINIMUM = 170
GROUPS = {
    "older",
    "newcomer",
    "job_seeker",
    "employee",
    "low_income",
    "low_literacy",
    "low_digital",
}
FACT_KEYS = {"municipality", "age", "situation", "subject", "integration", "help_kind", "online"}
HELP_KINDS = {
    "reading-writing",
    "digital-government",
    "dutch",
    "integration",
    "work-learning-advice",
}
VERDICTS = {"yes", "no", "maybe"}
PERSONA_KEYS = {"id", "language", "groups", "opening", "facts", "destination", "note"}
DESTINATION_KEYS = {
    "course": {"kind", "topic", "near"},
    "scheme": {"kind", "schemes", "verdict"},
    "organization": {"kind", "help_kind", "near"},
}
ONLINE = "online"
# "In or near": the same municipality or a neighbour no further than this (the driver judges a
# course's place with the same distance, tests/personas/driver.py NEAR_KM).
NEAR_KM = 16.0


def _load(language: str) -> list[dict]:
    document = yaml.safe_load((PERSONA_DIR / f"{language}.yml").read_text(encoding="utf-8"))
    assert isinstance(document, dict) and isinstance(document.get("personas"), list), language
    return document["personas"]


@lru_cache(maxsize=1)
def _all() -> tuple[dict, ...]:
    return tuple(persona for language in MINIMUMS for persona in _load(language))


@lru_cache(maxsize=1)
def _scheme_ids() -> frozenset[str]:
    return frozenset(
        yaml.safe_load(path.read_text(encoding="utf-8"))["id"] for path in SCHEME_DIR.glob("*.yaml")
    )


@lru_cache(maxsize=1)
def _topic_ids() -> frozenset[str]:
    document = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    return frozenset(topic["id"] for topic in document["topics"])


@lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, set[str]], set[str], dict[str, set[str]]]:
    """(topic -> municipalities with an offering, topics offered online,
    help kind -> municipalities with an organization that gives that help)."""
    organizations = yaml.safe_load((SEED_DIR / "organizations.yaml").read_text(encoding="utf-8"))
    courses = yaml.safe_load((SEED_DIR / "courses.yaml").read_text(encoding="utf-8"))
    by_code = {org["code"]: org for org in organizations["organizations"]}

    def municipality_of(code: str) -> str | None:
        org = by_code[code]
        while not org.get("address"):
            if not org.get("parent"):
                return None
            org = by_code[org["parent"]]
        return org["address"].get("municipality")

    topic_places: dict[str, set[str]] = {}
    online_topics: set[str] = set()
    for course in courses["courses"]:
        for provider in course["providers"]:
            places = {municipality_of(code) for code in provider.get("places") or []}
            for topic in course["topics"]:
                topic_places.setdefault(topic, set()).update(places - {None})
                if provider.get("mode") in {"online", "hybrid"}:
                    online_topics.add(topic)
    help_places: dict[str, set[str]] = {}
    for code, org in by_code.items():
        place = municipality_of(code)
        for kind in org.get("helps_with") or []:
            if place:
                help_places.setdefault(kind, set()).add(place)
    return topic_places, online_topics, help_places


def _reach(near: str) -> set[str]:
    """The named municipality and its neighbours within NEAR_KM: what "in or near" means."""
    found = municipality_for_place(near)
    assert found is not None, near
    close = [other for other in neighbours(found) if distance_km(found, other) <= NEAR_KM]
    return {found.name, *(other.name for other in close)}


def _topics(destination: dict) -> list:
    topic = destination.get("topic")
    return topic if isinstance(topic, list) else [topic]


@pytest.mark.parametrize("language", sorted(MINIMUMS))
def test_file_loads_with_enough_personas_in_its_language(language):
    personas = _load(language)
    assert len(personas) >= MINIMUMS[language]
    for persona in personas:
        assert persona.get("language") == language, persona.get("id")
        assert str(persona.get("id", "")).startswith(f"{language}-"), persona.get("id")


def test_total_and_unique_ids():
    personas = _all()
    assert len(personas) >= TOTAL_MINIMUM
    duplicates = [pid for pid, n in Counter(p["id"] for p in personas).items() if n > 1]
    assert not duplicates


def test_persona_shape():
    for persona in _all():
        pid = persona["id"]
        assert set(persona) <= PERSONA_KEYS, pid
        assert {"id", "language", "groups", "opening", "facts", "destination"} <= set(persona), pid
        assert isinstance(persona["opening"], str) and persona["opening"].strip(), pid
        groups = persona["groups"]
        assert isinstance(groups, list) and groups, pid
        assert set(groups) <= GROUPS, (pid, set(groups) - GROUPS)
        assert len(set(groups)) == len(groups), pid
        facts = persona["facts"]
        assert isinstance(facts, dict) and facts, pid
        assert set(facts) <= FACT_KEYS, (pid, set(facts) - FACT_KEYS)
        for key, value in facts.items():
            assert isinstance(value, str) and value.strip(), (pid, key)
        if "note" in persona:
            assert isinstance(persona["note"], str) and persona["note"].strip(), pid


@pytest.mark.parametrize("language", sorted(MINIMUMS))
def test_every_group_appears_in_every_language(language):
    seen = {group for persona in _load(language) for group in persona["groups"]}
    assert seen == GROUPS, GROUPS - seen


def test_destination_shape():
    for persona in _all():
        pid, destination = persona["id"], persona["destination"]
        kind = destination.get("kind")
        assert kind in DESTINATION_KEYS, pid
        assert set(destination) <= DESTINATION_KEYS[kind], (pid, set(destination))
        if "verdict" in destination:
            assert kind == "scheme" and destination["verdict"] in VERDICTS, pid


def test_scheme_destinations_exist():
    known = _scheme_ids()
    for persona in _all():
        destination = persona["destination"]
        if destination["kind"] == "scheme":
            schemes = destination.get("schemes")
            assert isinstance(schemes, list) and schemes, persona["id"]
            assert set(schemes) <= known, (persona["id"], set(schemes) - known)


def test_near_is_a_west_brabant_municipality_or_online():
    for persona in _all():
        pid, destination = persona["id"], persona["destination"]
        if destination["kind"] == "scheme":
            continue
        near = destination.get("near")
        if destination["kind"] == "organization":
            assert near and near != ONLINE, pid
        if near is None or near == ONLINE:
            assert "online" in persona["facts"], f"{pid}: online destination, no online fact"
            continue
        found = municipality_for_place(near)
        assert found is not None, (pid, near)
        assert found.name == near, f"{pid}: use the canonical name {found.name!r}, not {near!r}"
        assert in_region(found, "west-brabant"), (pid, near)


def test_course_destinations_are_in_the_catalog_near_the_person():
    known = _topic_ids()
    topic_places, online_topics, _ = _catalog()
    for persona in _all():
        pid, destination = persona["id"], persona["destination"]
        if destination["kind"] != "course":
            continue
        topics = _topics(destination)
        assert topics and set(topics) <= known, (pid, topics)
        near = destination.get("near")
        if near is None or near == ONLINE:
            assert set(topics) & online_topics, f"{pid}: no online course on {topics}"
        else:
            places = set().union(*(topic_places.get(topic, set()) for topic in topics))
            assert places & _reach(near), f"{pid}: no course on {topics} in or near {near}"


def test_organization_destinations_are_in_the_catalog_near_the_person():
    _, _, help_places = _catalog()
    for persona in _all():
        pid, destination = persona["id"], persona["destination"]
        if destination["kind"] != "organization":
            continue
        kind = destination.get("help_kind")
        assert kind in HELP_KINDS, (pid, kind)
        assert help_places.get(kind, set()) & _reach(destination["near"]), (
            f"{pid}: no organization for {kind} in or near {destination['near']}"
        )


def test_destination_mix_is_roughly_as_planned():
    kinds = Counter(persona["destination"]["kind"] for persona in _all())
    total = sum(kinds.values())
    # Planned 40% course, 35% scheme, 25% organization; each kind keeps a real share.
    for kind, share in {"course": 0.30, "scheme": 0.25, "organization": 0.18}.items():
        assert kinds[kind] >= share * total, (kind, kinds)
