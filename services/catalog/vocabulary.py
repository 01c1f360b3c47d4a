"""The catalog's controlled vocabulary (topics.yaml): topics, audiences, kinds of help, access."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

VOCABULARY_FILE = Path(__file__).with_name("topics.yaml")


@dataclass(frozen=True)
class Term:
    """A vocabulary entry: a stable English id, a Dutch label and Dutch search terms."""

    id: str
    label: str
    terms: tuple[str, ...] = ()
    parent: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    topics: tuple[Term, ...]
    audiences: tuple[Term, ...]
    helps_with: tuple[Term, ...]
    accessibility: tuple[Term, ...]

    def topic_ids(self) -> frozenset[str]:
        return frozenset(term.id for term in self.topics)

    def audience_ids(self) -> frozenset[str]:
        return frozenset(term.id for term in self.audiences)

    def helps_with_ids(self) -> frozenset[str]:
        return frozenset(term.id for term in self.helps_with)

    def accessibility_ids(self) -> frozenset[str]:
        return frozenset(term.id for term in self.accessibility)

    def topic_with_children(self, topic_id: str) -> tuple[str, ...]:
        """A topic and its sub-topics: a filter on ``digital`` also finds ``online-safety``."""
        children = [term.id for term in self.topics if term.parent == topic_id]
        return (topic_id, *children)

    def topic_with_ancestors(self, topic_id: str) -> tuple[str, ...]:
        """A topic and the topics above it: an ``online-safety`` course is a ``digital`` one."""
        parents = {term.id: term.parent for term in self.topics}
        found = [topic_id]
        while parents.get(found[-1]) and parents[found[-1]] not in found:
            found.append(parents[found[-1]])
        return tuple(found)

    def label(self, kind: str, term_id: str) -> str:
        for term in getattr(self, kind):
            if term.id == term_id:
                return term.label
        raise KeyError(term_id)


def _terms(document: dict, key: str) -> tuple[Term, ...]:
    entries = document.get(key) or []
    seen: set[str] = set()
    result = []
    for entry in entries:
        term_id = str(entry["id"])
        if term_id in seen:
            raise ValueError(f"{VOCABULARY_FILE.name}: duplicate {key} id {term_id!r}")
        seen.add(term_id)
        result.append(
            Term(
                id=term_id,
                label=str(entry["label"]),
                terms=tuple(str(t).strip().lower() for t in entry.get("terms") or ()),
                parent=entry.get("parent"),
            )
        )
    return tuple(result)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    document = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    loaded = Vocabulary(
        topics=_terms(document, "topics"),
        audiences=_terms(document, "audiences"),
        helps_with=_terms(document, "helps_with"),
        accessibility=_terms(document, "accessibility"),
    )
    ids = loaded.topic_ids()
    for term in loaded.topics:
        if term.parent and term.parent not in ids:
            raise ValueError(f"{VOCABULARY_FILE.name}: topic {term.id} has unknown parent")
    return loaded
