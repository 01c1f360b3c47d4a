"""Importers that keep the catalog current without code: OOAPI v5 endpoints and EDU-DEX XML.

Both read the whole feed first, map it onto catalog records, and write it with one
``store.upsert`` (one transaction, matched on primaryCode). A record that cannot be used is
skipped and reported with its reason; a feed that cannot be read at all (HTTP error, bad
JSON or XML, wrong structure) raises FeedError before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services import geo
from services.catalog import text
from services.catalog.domain import CatalogBatch
from services.catalog.search import synonym_table
from services.catalog.store import SqlStore
from services.catalog.vocabulary import vocabulary


class FeedError(RuntimeError):
    """The feed as a whole is unusable; the catalog was not changed."""


@dataclass(frozen=True)
class BadRecord:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    organizations: int = 0
    courses: int = 0
    offerings: int = 0
    bad: list[BadRecord] = field(default_factory=list)

    def reject(self, where: str, reason: str) -> None:
        self.bad.append(BadRecord(where, reason))

    def summary(self) -> str:
        lines = [
            f"Imported from {self.source}: {self.organizations} organizations, "
            f"{self.courses} courses, {self.offerings} offerings; {len(self.bad)} bad records."
        ]
        lines += [f"  skipped {bad}" for bad in self.bad]
        return "\n".join(lines)


def write(store: SqlStore, batch: CatalogBatch, report: ImportReport) -> ImportReport:
    """Drop duplicates, then write everything in one transaction."""
    _drop_duplicates(batch, report)
    store.upsert(batch)
    report.organizations = len(batch.organizations)
    report.courses = len(batch.courses)
    report.offerings = len(batch.offerings)
    return report


def infer_topics(*texts: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Topics and audiences whose vocabulary terms occur in the texts (for feeds without them).

    The first topic is the course's subject (text.subject_tokens): the one named most often in
    the first text (the course name), then in all texts; ties in alphabetical order.
    """
    counts: dict[str, list[int]] = {}
    for position, value in enumerate(texts):
        words = text.words(value or "")
        for size in (3, 2, 1):
            for start in range(0, len(words) - size + 1):
                for tag in synonym_table().get(tuple(words[start : start + size]), ()):
                    seen = counts.setdefault(tag, [0, 0])
                    seen[0] -= position == 0
                    seen[1] -= 1
    found = sorted(counts, key=lambda tag: (*counts[tag], tag))
    topics = tuple(t.removeprefix("topic") for t in found if t.startswith("topic"))
    audiences = tuple(sorted(t.removeprefix("audience") for t in found if t.startswith("audience")))
    return _ids("topics", topics), _ids("audiences", audiences)


def _ids(kind: str, squashed: tuple[str, ...]) -> tuple[str, ...]:
    by_token = {text.tag_token("", term.id): term.id for term in getattr(vocabulary(), kind)}
    return tuple(by_token[s] for s in squashed if s in by_token)


def municipality_code(*candidates: str | None) -> str | None:
    """The CBS code for the first candidate that names a municipality (code or name)."""
    for candidate in candidates:
        if candidate:
            found = geo.find_municipality(candidate)
            if found:
                return found.code
    return None


def _drop_duplicates(batch: CatalogBatch, report: ImportReport) -> None:
    """Two records with one primaryCode (or one id) in a feed: keep the first, report the rest."""
    dropped_courses: set[str] = set()
    for name, id_attr in (
        ("organizations", "organization_id"),
        ("courses", "course_id"),
        ("offerings", "offering_id"),
    ):
        seen_codes: set[str] = set()
        seen_ids: set[str] = set()
        kept = []
        for record in getattr(batch, name):
            record_key = getattr(record, id_attr)
            if name == "offerings" and record.course_id in dropped_courses:
                report.reject(f"offering {record.primary_code}", "its course was a duplicate")
                continue
            if record.primary_code in seen_codes or record_key in seen_ids:
                if name == "courses" and record_key not in seen_ids:
                    dropped_courses.add(record_key)
                report.reject(f"{name[:-1]} {record.primary_code}", "duplicate primaryCode or id")
                continue
            seen_codes.add(record.primary_code)
            seen_ids.add(record_key)
            kept.append(record)
        setattr(batch, name, kept)
