"""The canonical values of the dialogue's facts: the one list of each, shared by every action."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from actions.dutch import parse_age
from bot.settings import PROJECT_ROOT

# An answer that was asked for and not given ("weet ik niet", or twice unclear): the question
# is not asked again, and the answer is left out of every search and check.
UNKNOWN = "unknown"
SITUATIONS = (
    "employed", "self_employed", "job_seeker", "social_assistance", "retired", "student", "other",
)  # fmt: skip
GOALS = (
    "basic_skills", "dutch_language", "vocational", "higher_education", "short_course",
    "career_advice",
)  # fmt: skip
HELP_KINDS = (
    "reading-writing", "digital-government", "dutch", "integration", "work-learning-advice",
)  # fmt: skip
TOPICS_FILE = PROJECT_ROOT / "services" / "catalog" / "topics.yaml"
MIN_AGE, MAX_AGE = 10, 110


@lru_cache(maxsize=1)
def known_topics() -> frozenset[str]:
    """Topic ids of the catalog (services/catalog/topics.yaml is the one list)."""
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    items = data.get("topics", data) if isinstance(data, dict) else data
    return frozenset(item["id"] for item in items)


@lru_cache(maxsize=1)
def topic_terms() -> dict[str, tuple[str, ...]]:
    """Each topic's Dutch search terms (topics.yaml `terms`: "videobellen", "whatsapp"), as the
    catalog knows them."""
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    items = data.get("topics", data) if isinstance(data, dict) else data
    return {item["id"]: tuple(str(t) for t in item.get("terms") or []) for item in items}


def canonical_age(value: Any) -> str | None:
    """An age as a slot value ("67"), or None when the value holds no plausible age."""
    age = parse_age(value[-1] if isinstance(value, list) and value else value)
    if age is None or not MIN_AGE <= age <= MAX_AGE:
        return None
    return str(age)


def known(value: Any) -> Any:
    """None for an unknown answer, else the value."""
    return None if value == UNKNOWN else value
