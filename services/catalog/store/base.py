"""The SQL shared by the SQLite and PostgreSQL stores.

SQL is written once with ``:name`` parameters; a dialect fills in the parts that differ (the
full-text index, picking each course's best offering, bulk writes) through the hooks at the end.
Each course is found through a full-text index over pre-tokenised text (text.py), so both stores
rank the same way.
"""

from __future__ import annotations

import abc
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from services import geo
from services.catalog import text
from services.catalog.domain import (
    CatalogBatch,
    Course,
    Offering,
    Organization,
    course_from_json,
    offering_from_json,
    organization_from_json,
    provenance_json,
    record_id,
    to_json,
)
from services.catalog.search import SearchGroup, TermIndex
from services.catalog.store import ranking
from services.catalog.store.queries import (
    CourseHit,
    CourseQuery,
    OfferingFilter,
    OfferingQuery,
    OrganizationHit,
    OrganizationQuery,
    Page,
)

_CHUNK = 500
# Bumped on any table, index-token or record-document change. A catalog of a version in
# UPGRADE_FROM is upgraded in place on start (rows and ids kept); an older one of only
# example data is rebuilt; anything else is refused.
SCHEMA_VERSION = 4
# Version 3 added subject tokens (text.subject_tokens) to the course index: a version-2
# catalog gets its search index rebuilt. Version 4 added the provenance of every record to
# its document (_add_provenance). The tables are those of version 2.
REINDEX_FROM = frozenset({2})
UPGRADE_FROM = frozenset({2, 3})
KM_PER_DEGREE_LAT = 111.2
# The squared "distance" of an online offering when a place is asked: beyond any radius
# (maxDistanceKm is at most 400), so in-person offerings in or near the place come first and
# online ones after them (ranking.make_rings puts them in the last ring).
ONLINE_D2 = 1.0e7
# How often a long-running server looks whether another process (an import) changed the data.
GENERATION_CHECK_SECONDS = 2.0
# Field matches (ranking.py, bitmaps over course row ids: 12.5 kB per 100,000 courses) kept
# per catalog generation: at most this many, of at most this many bytes in all.
CANDIDATE_CACHE_SIZE = 2048
CANDIDATE_CACHE_BYTES = 64 * 1024 * 1024
_COURSE_ORDER = {
    "name": "c.name_key ASC, c.rid ASC",
    "-name": "c.name_key DESC, c.rid DESC",
    "courseId": "c.id ASC",
    "-courseId": "c.id DESC",
}
_OFFERING_ORDER = {
    "startDate": "o.start_day ASC",
    "-startDate": "o.start_day DESC",
    "endDate": "o.end_day ASC",
    "-endDate": "o.end_day DESC",
    "name": "o.name_key ASC",
    "-name": "o.name_key DESC",
    "offeringId": "o.id ASC",
    "-offeringId": "o.id DESC",
}


class StoreError(RuntimeError):
    """The store cannot be reached or used; the message says what to check."""


class SqlStore(abc.ABC):
    """A catalog store on a SQL database. Subclasses supply the dialect hooks below."""

    kind = "sql"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._terms: TermIndex | None = None
        self._terms_generation = -1
        self._checked_at = 0.0
        # Search caches (ranking.py), emptied when the catalog generation changes.
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._kept: dict[Any, Any] = {}
        self._cache_generation = -1
        self._cache_checked_at = 0.0

    # -- lifecycle ---------------------------------------------------------------------------

    def initialize(self) -> None:
        with self.transaction() as cur:
            stored = self._stored_schema_version(cur)
        upgrade = stored in UPGRADE_FROM
        if stored is not None and stored != SCHEMA_VERSION and not upgrade:
            self._rebuild_example_store(stored)
        with self.transaction() as cur:
            for statement in self._schema():
                cur.execute(statement)
            for key, value in (("generation", "0"), ("schema_version", str(SCHEMA_VERSION))):
                cur.execute(
                    self._sql(
                        "INSERT INTO meta (key, value) VALUES (:key, :value) "
                        "ON CONFLICT (key) DO NOTHING"
                    ),
                    {"key": key, "value": value},
                )
            if upgrade:
                self._add_provenance(cur)
                if stored in REINDEX_FROM:
                    self._reindex_courses(cur)
                cur.execute(self._sql("SELECT value FROM meta WHERE key = 'generation'"))
                self._put_meta(cur, "generation", str(int(cur.fetchone()[0]) + 1))
                self._put_meta(cur, "schema_version", str(SCHEMA_VERSION))

    def _chunks(self, cur: Any, table: str) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        """Every (rid, document) of a table, in rid order, _CHUNK rows at a time."""
        last = 0
        while True:
            cur.execute(
                self._sql(
                    f"SELECT rid, doc FROM {table} WHERE rid > :last ORDER BY rid LIMIT :n"  # noqa: S608 - fixed table names
                ),
                {"last": last, "n": _CHUNK},
            )
            rows = cur.fetchall()
            if not rows:
                return
            last = int(rows[-1][0])
            yield [(int(rid), json.loads(doc)) for rid, doc in rows]

    def provenances(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(kind, name, stored provenance) of every organization, course and offering; for
        `make check-content` (services/content_check.py)."""
        with self.transaction() as cur:
            for table in ("organizations", "courses", "offerings"):
                for rows in self._chunks(cur, table):
                    for rid, doc in rows:
                        name = doc.get("name") or doc.get("course_name") or str(rid)
                        yield table.rstrip("s"), str(name), dict(doc.get("provenance") or {})

    def _reindex_courses(self, cur: Any) -> None:
        """Write every course's index row anew (same rows and ids), in chunks of _CHUNK."""
        for rows in self._chunks(cur, "courses"):
            self._write_courses(cur, [course_from_json(doc) for _, doc in rows])
        self._after_write(cur)

    def _add_provenance(self, cur: Any) -> None:
        """Schema version 4: give every record written before it its provenance.

        Example-catalog records get the seed's provenance (seed.generate.PROVENANCE). An
        imported record keeps its feed (``source``) and example mark; the day it was read was
        not kept, so ``checked_on`` stays unknown until the feed is imported again.
        """
        # Imported here: the seed package imports the store.
        from services.catalog.seed.generate import PROVENANCE, SOURCE

        example = provenance_json(PROVENANCE)
        for table in ("organizations", "courses", "offerings"):
            for rows in self._chunks(cur, table):
                changed = []
                for rid, doc in rows:
                    if "provenance" in doc:
                        continue
                    if doc.get("source") == SOURCE:
                        doc["provenance"] = example
                    else:
                        doc["provenance"] = {
                            "source": str(doc.get("source", "seed")),  # the records' default
                            "example": bool(doc.get("example_data", False)),
                        }
                    changed.append({"rid": rid, "doc": _json(doc)})
                self._execute_many(
                    cur,
                    f"UPDATE {table} SET doc = :doc WHERE rid = :rid",  # noqa: S608 - fixed names
                    changed,
                )

    def _stored_schema_version(self, cur: Any) -> int | None:
        """The schema version of an existing catalog; None for a new database."""
        if not self._table_exists(cur, "courses"):
            return None
        if not self._table_exists(cur, "meta"):
            return 0
        cur.execute("SELECT value FROM meta WHERE key = 'schema_version'")
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def _rebuild_example_store(self, stored: int) -> None:
        """An older schema holding only example data is rebuilt; anything else is refused."""
        with self.transaction() as cur:
            cur.execute("SELECT COUNT(*) FROM courses WHERE example_data = 0")
            if int(cur.fetchone()[0]) > 0:
                raise StoreError(
                    f"the catalog database has schema version {stored}, this service needs "
                    f"{SCHEMA_VERSION}; re-import into a new database"
                )
            for table in self._tables():
                cur.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 - fixed names

    @abc.abstractmethod
    def close(self) -> None: ...

    @contextmanager
    @abc.abstractmethod
    def transaction(self) -> Iterator[Any]:
        """A cursor in one transaction: committed on success, rolled back on any error."""

    # -- metadata ----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self.transaction() as cur:
            result = {}
            for table in ("organizations", "courses", "offerings"):
                cur.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
                result[table] = int(cur.fetchone()[0])
            return result

    def example_courses(self) -> int:
        """How many courses are example data (``exampleData``: invented, not to act on)."""
        with self.transaction() as cur:
            cur.execute("SELECT COUNT(*) FROM courses WHERE example_data = 1")
            return int(cur.fetchone()[0])

    def get_meta(self, key: str) -> str | None:
        with self.transaction() as cur:
            cur.execute(self._sql("SELECT value FROM meta WHERE key = :key"), {"key": key})
            row = cur.fetchone()
            return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as cur:
            self._put_meta(cur, key, value)

    def _put_meta(self, cur: Any, key: str, value: str) -> None:
        cur.execute(
            self._sql(
                "INSERT INTO meta (key, value) VALUES (:key, :value) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"key": key, "value": value},
        )

    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def term_index(self) -> TermIndex:
        """The indexed words, reloaded when any process has written since the last load."""
        with self._lock:
            now = time.monotonic()
            if self._terms is None or now - self._checked_at > GENERATION_CHECK_SECONDS:
                self._checked_at = now
                generation = self.generation()
                if self._terms is None or generation != self._terms_generation:
                    with self.transaction() as cur:
                        self._terms = TermIndex(self._load_terms(cur))
                    self._terms_generation = generation
            return self._terms

    # -- writing -----------------------------------------------------------------------------

    def upsert(self, batch: CatalogBatch) -> None:
        """Write a batch in one transaction, matching records on their primary code.

        A course in the batch gets exactly the batch's offerings: offerings the feed no longer
        lists are removed. Stored ids are kept, so links to a course stay valid.
        """
        self.upsert_many([batch])

    def upsert_many(self, batches: Iterable[CatalogBatch]) -> None:
        """Write batches (read one at a time) in one transaction, each as ``upsert`` does.

        Into a catalog without courses and offerings this is a bulk load: the secondary
        indexes (full-text and search indexes) are dropped first and built once at the end,
        and ids are resolved against what this load wrote instead of looked up. On any error
        everything is rolled back, the indexes included.
        """
        with self.transaction() as cur:
            bulk = _BulkLoad() if self._is_empty(cur) else None
            if bulk is not None:
                self._drop_secondary_indexes(cur)
            for batch in batches:
                batch = self._resolve_ids(cur, batch, bulk)
                self._write_organizations(cur, batch.organizations)
                rids, names = self._write_courses(cur, batch.courses, bulk)
                self._write_offerings(cur, batch.offerings, rids, names, bulk)
            if bulk is not None:
                self._build_secondary_indexes(cur)
            self._after_write(cur)
            cur.execute(self._sql("SELECT value FROM meta WHERE key = 'generation'"))
            generation = int(cur.fetchone()[0]) + 1
            self._put_meta(cur, "generation", str(generation))
        with self._lock:
            self._terms = None
            self._cache.clear()
            self._kept.clear()
            self._cache_generation = -1

    def _is_empty(self, cur: Any) -> bool:
        """Whether the catalog holds no courses and no offerings (a bulk load can start)."""
        for table in ("courses", "offerings"):
            cur.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - fixed table names
            if cur.fetchone() is not None:
                return False
        return True

    def _secondary_indexes(self) -> dict[str, str]:
        """Index name -> its CREATE statement: every non-unique index of the schema."""
        found = {}
        for statement in self._schema():
            match = _CREATE_INDEX.match(statement)
            if match:
                found[match.group(1)] = statement
        return found

    def _drop_secondary_indexes(self, cur: Any) -> None:
        for name in self._secondary_indexes():
            cur.execute(f"DROP INDEX IF EXISTS {name}")  # noqa: S608 - names from the schema

    def _build_secondary_indexes(self, cur: Any) -> None:
        for statement in self._secondary_indexes().values():
            cur.execute(statement)

    def _resolve_ids(self, cur: Any, batch: CatalogBatch, bulk: _BulkLoad | None) -> CatalogBatch:
        org_ids = self._existing_ids(cur, "organizations", batch.organizations)
        course_ids = self._existing_ids(cur, "courses", batch.courses, bulk)
        offering_ids = self._existing_ids(cur, "offerings", batch.offerings, bulk)
        if not (org_ids or course_ids or offering_ids):
            return batch  # all new, no id taken: every record keeps its ids
        org_map = {
            o.organization_id: org_ids.get(o.primary_code, o.organization_id)
            for o in batch.organizations
        }
        course_map = {
            c.course_id: course_ids.get(c.primary_code, c.course_id) for c in batch.courses
        }
        # dataclasses.replace is slow; most records keep their ids, so only changed ones are copied.
        organizations = [
            o
            if org_map[o.organization_id] == o.organization_id
            and org_map.get(o.parent_id, o.parent_id) == o.parent_id
            else replace(
                o,
                organization_id=org_map[o.organization_id],
                parent_id=org_map.get(o.parent_id, o.parent_id) if o.parent_id else None,
            )
            for o in batch.organizations
        ]
        courses = [
            c
            if course_map[c.course_id] == c.course_id
            and org_map.get(c.organization_id, c.organization_id) == c.organization_id
            else replace(
                c,
                course_id=course_map[c.course_id],
                organization_id=org_map.get(c.organization_id, c.organization_id),
            )
            for c in batch.courses
        ]
        offerings = []
        for o in batch.offerings:
            wanted = (
                offering_ids.get(o.primary_code, o.offering_id),
                course_map.get(o.course_id, o.course_id),
                org_map.get(o.organization_id, o.organization_id),
            )
            if wanted != (o.offering_id, o.course_id, o.organization_id):
                o = replace(
                    o, offering_id=wanted[0], course_id=wanted[1], organization_id=wanted[2]
                )
            offerings.append(o)
        return CatalogBatch(organizations, courses, offerings)

    def _existing_ids(
        self, cur: Any, table: str, records: Sequence[Any], bulk: _BulkLoad | None = None
    ) -> dict[str, str]:
        """primary code -> stored id; an id taken by another code gets a fresh derived id.

        In a bulk load the table held nothing before it, so what it wrote is all there is.
        """
        id_attr = {"organizations": "organization_id", "courses": "course_id"}.get(
            table, "offering_id"
        )
        if bulk is None:
            rows = self._select_in(
                cur,
                f"SELECT primary_code, id FROM {table} WHERE primary_code IN ({{marks}})",  # noqa: S608
                [r.primary_code for r in records],
            )
            found: dict[str, str] = {row[0]: row[1] for row in rows}
            wanted = [getattr(r, id_attr) for r in records if r.primary_code not in found]
            taken = self._taken_ids(cur, table, wanted)
        else:
            written = bulk.ids[table]
            found = {
                r.primary_code: written[r.primary_code]
                for r in records
                if r.primary_code in written
            }
            taken = bulk.taken[table]
        kind = id_attr.removesuffix("_id")
        for record in records:
            if record.primary_code not in found and getattr(record, id_attr) in taken:
                found[record.primary_code] = record_id(kind, record.primary_code)
        if bulk is not None:
            for record in records:
                stored = found.get(record.primary_code, getattr(record, id_attr))
                bulk.ids[table][record.primary_code] = stored
                bulk.taken[table].add(stored)
        return found

    def _taken_ids(self, cur: Any, table: str, ids: list[str]) -> set[str]:
        sql = f"SELECT id FROM {table} WHERE id IN ({{marks}})"  # noqa: S608
        taken = {row[0] for row in self._select_in(cur, sql, ids)}
        return taken

    def _select_in(self, cur: Any, sql: str, values: Sequence[Any]) -> list[tuple]:
        """Rows of ``sql`` (with one ``{marks}`` placeholder list) for values, in chunks.

        Only the placeholders are formatted into the SQL; the values travel as parameters.
        """
        rows: list[tuple] = []
        values = list(values)
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            params = {f"v{i}": value for i, value in enumerate(chunk)}
            marks = ", ".join(f":v{i}" for i in range(len(chunk)))
            cur.execute(self._sql(sql.format(marks=marks)), params)
            rows.extend(cur.fetchall())
        return rows

    def _write_organizations(self, cur: Any, organizations: list[Organization]) -> None:
        rows = [
            {
                "id": o.organization_id,
                "primary_code": o.primary_code,
                "name_key": text.normalize(o.name),
                "org_type": o.organization_type,
                "parent_id": o.parent_id,
                "municipality_code": o.municipality_code,
                "doc": _json(to_json(o)),
            }
            for o in organizations
        ]
        self._execute_many(
            cur,
            "INSERT INTO organizations (id, primary_code, name_key, org_type, parent_id, "
            "municipality_code, doc) VALUES (:id, :primary_code, :name_key, :org_type, "
            ":parent_id, :municipality_code, :doc) ON CONFLICT (primary_code) DO UPDATE SET "
            "id = excluded.id, name_key = excluded.name_key, org_type = excluded.org_type, "
            "parent_id = excluded.parent_id, municipality_code = excluded.municipality_code, "
            "doc = excluded.doc",
            rows,
        )

    def _write_courses(
        self, cur: Any, courses: list[Course], bulk: _BulkLoad | None = None
    ) -> tuple[dict[str, int], dict[int, str]]:
        """Upsert courses and their index rows; returns course id -> rid, rid -> name key."""
        organization_names = self._organization_names(cur, {c.organization_id for c in courses})
        rows = []
        for c in courses:
            tags = [
                *(text.tag_token("topic", t) for t in c.topics),
                *text.subject_tokens(c.topics),
                *(text.tag_token("audience", a) for a in c.audiences),
                *(text.tag_token("support", s) for s in c.support_languages),
            ]
            rows.append(
                {
                    "id": c.course_id,
                    "primary_code": c.primary_code,
                    "organization_id": c.organization_id,
                    "name_key": text.normalize(c.name),
                    "teaching_language": c.teaching_language,
                    "level": c.level,
                    "example_data": 1 if c.example_data else 0,
                    "doc": _json(to_json(c)),
                    "name_tokens": text.index_tokens([c.name]),
                    "tag_tokens": " ".join(tags),
                    "body_tokens": text.index_tokens(
                        [c.description, organization_names.get(c.organization_id, "")]
                    ),
                }
            )
        self._upsert_courses(cur, rows)
        rids = self._course_rids(cur, {c.course_id for c in courses})
        indexed = [(rids[row["id"]], row) for row in rows]
        if bulk is None:
            self._index_courses(cur, indexed, fresh=False)
        else:
            # Courses this load wrote before get their offerings and index rows replaced.
            again = [item for item in indexed if item[1]["id"] in bulk.course_rids]
            bulk.rewritten.update(rid for rid, _ in again)
            self._index_courses(cur, again, fresh=False)
            new = [item for item in indexed if item[1]["id"] not in bulk.course_rids]
            self._index_courses(cur, new, fresh=True)
            bulk.course_rids.update(rids)
        return rids, {rid: row["name_key"] for rid, row in indexed}

    def _organization_names(self, cur: Any, ids: set[str]) -> dict[str, str]:
        sql = "SELECT id, doc FROM organizations WHERE id IN ({marks})"
        names = {
            row[0]: json.loads(row[1])["name"] for row in self._select_in(cur, sql, sorted(ids))
        }
        return names

    def _write_offerings(
        self,
        cur: Any,
        offerings: list[Offering],
        rids: dict[str, int],
        names: dict[int, str],
        bulk: _BulkLoad | None = None,
    ) -> None:
        # A course in the batch gets exactly the batch's offerings. In a bulk load only
        # courses written earlier in the load can have any (rare: no index helps then).
        replaced = (
            list(rids.values()) if bulk is None else sorted(bulk.rewritten & set(rids.values()))
        )
        self._execute_many(
            cur, "DELETE FROM offerings WHERE course_rid = :rid", [{"rid": rid} for rid in replaced]
        )
        course_rids = dict(rids)
        missing = {o.course_id for o in offerings} - set(course_rids)
        course_rids.update(self._course_rids(cur, missing))
        names = dict(names)
        names.update(self._course_names(cur, [r for r in course_rids.values() if r not in names]))
        rows = []
        for o in offerings:
            rid = course_rids.get(o.course_id)
            if rid is None:
                raise ValueError(f"offering {o.primary_code} refers to an unknown course")
            # The municipality's point: distances are between municipalities (docs/catalog.md).
            point = _municipality(o.municipality_code) if o.municipality_code else None
            rows.append(
                {
                    "id": o.offering_id,
                    "primary_code": o.primary_code,
                    "course_rid": rid,
                    "organization_id": o.organization_id,
                    "start_day": o.start_date.toordinal(),
                    "end_day": o.end_date.toordinal(),
                    "municipality_code": o.municipality_code,
                    "lat": point.lat if point else None,
                    "lon": point.lon if point else None,
                    "online": 1 if o.mode == "online" else 0,
                    "mode": o.mode,
                    "time_of_day": o.time_of_day,
                    "cost_cents": o.cost_cents,
                    "wheelchair": 1 if "wheelchair" in o.accessibility else 0,
                    "hearing_loop": 1 if "hearing-loop" in o.accessibility else 0,
                    "name_key": names.get(rid, ""),
                    "doc": _json(to_json(o)),
                }
            )
        self._execute_many(
            cur,
            "INSERT INTO offerings (id, primary_code, course_rid, organization_id, start_day, "
            "end_day, municipality_code, lat, lon, online, mode, time_of_day, cost_cents, "
            "wheelchair, hearing_loop, name_key, doc) VALUES (:id, :primary_code, :course_rid, "
            ":organization_id, :start_day, :end_day, :municipality_code, :lat, :lon, :online, "
            ":mode, "
            ":time_of_day, :cost_cents, :wheelchair, :hearing_loop, :name_key, :doc) "
            "ON CONFLICT (primary_code) DO UPDATE SET id = excluded.id, "
            "course_rid = excluded.course_rid, organization_id = excluded.organization_id, "
            "start_day = excluded.start_day, end_day = excluded.end_day, "
            "municipality_code = excluded.municipality_code, lat = excluded.lat, "
            "lon = excluded.lon, online = excluded.online, "
            "mode = excluded.mode, time_of_day = excluded.time_of_day, "
            "cost_cents = excluded.cost_cents, wheelchair = excluded.wheelchair, "
            "hearing_loop = excluded.hearing_loop, name_key = excluded.name_key, "
            "doc = excluded.doc",
            rows,
        )

    def _course_rids(self, cur: Any, ids: set[str]) -> dict[str, int]:
        sql = "SELECT id, rid FROM courses WHERE id IN ({marks})"
        found = {row[0]: int(row[1]) for row in self._select_in(cur, sql, sorted(ids))}
        return found

    def _course_names(self, cur: Any, rids: list[int]) -> dict[int, str]:
        sql = "SELECT rid, name_key FROM courses WHERE rid IN ({marks})"
        names = {int(row[0]): row[1] for row in self._select_in(cur, sql, rids)}
        return names

    # -- reading single records --------------------------------------------------------------

    def get_course(self, course_id: str) -> Course | None:
        doc = self._doc("courses", course_id)
        return course_from_json(doc) if doc else None

    def get_offering(self, offering_id: str) -> Offering | None:
        doc = self._doc("offerings", offering_id)
        return offering_from_json(doc) if doc else None

    def get_organization(self, organization_id: str) -> Organization | None:
        doc = self._doc("organizations", organization_id)
        return organization_from_json(doc) if doc else None

    def get_organizations(self, ids: set[str]) -> dict[str, Organization]:
        found: dict[str, Organization] = {}
        sql = "SELECT doc FROM organizations WHERE id IN ({marks})"
        with self.transaction() as cur:
            for (doc,) in self._select_in(cur, sql, sorted(i for i in ids if i)):
                organization = organization_from_json(json.loads(doc))
                found[organization.organization_id] = organization
        return found

    def children_of(self, organization_id: str) -> list[str]:
        with self.transaction() as cur:
            cur.execute(
                self._sql("SELECT id FROM organizations WHERE parent_id = :id ORDER BY name_key"),
                {"id": organization_id},
            )
            return [row[0] for row in cur.fetchall()]

    def _doc(self, table: str, record_id_: str) -> dict[str, Any] | None:
        with self.transaction() as cur:
            cur.execute(self._sql(f"SELECT doc FROM {table} WHERE id = :id"), {"id": record_id_})  # noqa: S608
            row = cur.fetchone()
            return json.loads(row[0]) if row else None

    # -- course search -----------------------------------------------------------------------

    def search_courses(self, query: CourseQuery) -> Page[CourseHit]:
        """One page of courses with each one's best offering (nearest, then earliest).

        Relevance searches with words or facets are ranked by ranking.py, which reads only
        what the page needs (same order; ``total`` None when not counted). The rest takes
        the exact path (_search_exact).
        """
        if query.impossible:
            return Page([], 0)
        origin = query.offerings.origin
        with self.transaction() as cur:
            found = ranking.search(self, cur, query)
            if found is not None:
                courses = self._docs_by_rid(cur, "courses", [r.course_rid for r in found.rows])
                offerings = self._docs_by_rid(
                    cur, "offerings", [r.offering_rid for r in found.rows if r.offering_rid]
                )
        if found is None:
            return self._search_exact(query)
        hits = []
        for row in found.rows:
            if row.course_rid not in courses:
                continue  # removed by another process within the cache check interval
            doc = offerings.get(row.offering_rid) if row.offering_rid is not None else None
            offering = offering_from_json(doc) if doc else None
            hits.append(
                CourseHit(
                    course=course_from_json(courses[row.course_rid]),
                    offering=offering,
                    distance_km=_distance_km(origin, offering) if origin else None,
                    score=row.score,
                )
            )
        return Page(hits, found.total, found.more)

    def _search_exact(self, query: CourseQuery) -> Page[CourseHit]:
        """Every candidate ranked and counted in one statement.

        Two query shapes, both one statement with a window count for the total:
        offering-driven when the offerings must match something (a place, a price, ...):
        one GROUP BY over the candidate courses' offerings; course-driven otherwise, where a
        course without an upcoming offering is still listed.
        """
        if query.impossible:
            return Page([], 0)
        params: dict[str, Any] = {"limit": query.page.size, "offset": query.page.offset}
        ctes: list[str] = []
        candidates: list[str] = []
        if query.groups:
            ctes.append("scores (rid, score) AS (" + self._scores_sql(query.groups, params) + ")")
            candidates.append("scores")
        if query.tags:
            ctes.append("tagged (rid) AS (" + self._tags_sql(query.tags, params) + ")")
            candidates.append("tagged")
        course_where = []
        for column in ("organization_id", "primary_code", "teaching_language", "level"):
            value = getattr(query, column)
            if value is not None:
                params[column] = value
                course_where.append(f"c.{column} = :{column}")
        sort = query.sort or ("relevance",)
        if query.require_offering or query.offerings.narrows:
            sql = self._offering_driven(query, params, ctes, candidates, course_where, sort)
        else:
            sql = self._course_driven(query, params, ctes, candidates, course_where, sort)
        with self.transaction() as cur:
            cur.execute(self._sql(sql), params)
            rows = cur.fetchall()
            total = int(rows[0][4]) if rows else self._count_only(cur, sql, params)
            courses = self._docs_by_rid(cur, "courses", [int(r[0]) for r in rows])
            offerings = self._docs_by_rid(
                cur, "offerings", [int(r[2]) for r in rows if r[2] is not None]
            )
        origin = query.offerings.origin
        hits = []
        for rid, row_score, offering_rid, _, _ in rows:
            doc = offerings.get(int(offering_rid)) if offering_rid is not None else None
            offering = offering_from_json(doc) if doc else None
            hits.append(
                CourseHit(
                    course=course_from_json(courses[int(rid)]),
                    offering=offering,
                    distance_km=_distance_km(origin, offering) if origin else None,
                    score=int(row_score or 0),
                )
            )
        return Page(hits, total)

    def _offering_driven(
        self,
        query: CourseQuery,
        params: dict[str, Any],
        ctes: list[str],
        candidates: list[str],
        course_where: list[str],
        sort: tuple[str, ...],
    ) -> str:
        distance = self._distance_sql(query.offerings, params)
        where = self.offering_conditions(query.offerings, params)
        if query.offerings.origin is not None:
            params["r2"] = query.offerings.radius_km**2
            where.append(f"(o.online = 1 OR {distance} <= :r2)")
        where += [f"o.course_rid IN (SELECT rid FROM {name})" for name in candidates]  # noqa: S608 - fixed SQL fragments, values are parameters
        if query.organization_id:
            where.append("o.organization_id = :organization_id")
        if course_where:
            where.append(
                "o.course_rid IN (SELECT c.rid FROM courses c WHERE "  # noqa: S608 - fixed SQL fragments, values are parameters
                + " AND ".join(course_where)
                + ")"
            )
        ctes.append(
            "per_course (rid, offering_rid, d2, start_day) AS ("
            + self._best_offering_sql(distance, " AND ".join(where))
            + ")"
        )
        score = "s.score" if query.groups else "0"
        join = "JOIN scores s ON s.rid = p.rid" if query.groups else ""
        if sort[0] == "relevance":
            # A bare 0 in ORDER BY would be read as a column position, so no score, no term.
            order = (f"{score} DESC, " if query.groups else "") + "p.d2, p.start_day, p.rid"
        else:
            join += " JOIN courses c ON c.rid = p.rid"
            order = ", ".join(_COURSE_ORDER[key] for key in sort)
        return (
            "WITH "
            + ", ".join(ctes)
            + f" SELECT p.rid, {score}, p.offering_rid, p.start_day, COUNT(*) OVER () "
            + f"FROM per_course p {join} ORDER BY {order} LIMIT :limit OFFSET :offset"
        )

    def _course_driven(
        self,
        query: CourseQuery,
        params: dict[str, Any],
        ctes: list[str],
        candidates: list[str],
        course_where: list[str],
        sort: tuple[str, ...],
    ) -> str:
        params["since"] = (query.offerings.since or date.min).toordinal()
        score = "s.score" if query.groups else "0"
        # The index on (course_rid, start_day) makes each of these one seek.
        next_start = (
            "(SELECT MIN(o.start_day) FROM offerings o "
            "WHERE o.course_rid = c.rid AND o.start_day >= :since)"
        )
        next_rid = (
            "(SELECT o.rid FROM offerings o WHERE o.course_rid = c.rid "
            "AND o.start_day >= :since ORDER BY o.start_day, o.rid LIMIT 1)"
        )
        by_relevance = sort[0] == "relevance"
        if candidates and by_relevance and not course_where:
            # Searching: start from the (small) candidate set and never read course rows.
            first, *rest = candidates
            source = f"{first} c " + " ".join(
                f"JOIN {n} {n[0]} ON {n[0]}.rid = c.rid" for n in rest
            )
            if first == "scores":
                score = "c.score"
            order = (f"{score} DESC, " if query.groups else "") + "start_day ASC NULLS LAST, c.rid"
        else:
            source = "courses c " + " ".join(
                f"JOIN {n} {n[0]} ON {n[0]}.rid = c.rid" for n in candidates
            )
            if by_relevance:
                order = (
                    f"{score} DESC, " if query.groups else ""
                ) + "start_day ASC NULLS LAST, c.name_key ASC, c.rid ASC"
            else:
                order = ", ".join(_COURSE_ORDER[key] for key in sort)
        return (
            ("WITH " + ", ".join(ctes) + " " if ctes else "")  # noqa: S608 - fixed SQL fragments
            + f"SELECT c.rid, {score}, {next_rid}, {next_start} AS start_day, "
            + f"COUNT(*) OVER () FROM {source} WHERE "
            + " AND ".join(course_where or ["1 = 1"])
            + f" ORDER BY {order} LIMIT :limit OFFSET :offset"
        )

    # -- search caches (ranking.py) ----------------------------------------------------------

    def _cached(self, cur: Any, key: Any, compute: Any, *, keep: bool = False) -> Any:
        """A value kept until any process changes the catalog (checked every few seconds);
        ``keep``: not subject to the LRU limit (small values that are costly to compute)."""
        with self._lock:
            now = time.monotonic()
            if (
                self._cache_generation < 0
                or now - self._cache_checked_at > GENERATION_CHECK_SECONDS
            ):
                self._cache_checked_at = now
                cur.execute(self._sql("SELECT value FROM meta WHERE key = 'generation'"))
                row = cur.fetchone()
                generation = int(row[0]) if row else 0
                if generation != self._cache_generation:
                    self._cache.clear()
                    self._kept.clear()
                    self._cache_generation = generation
            if key in self._kept:
                return self._kept[key]
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()
        with self._lock:
            if keep:
                self._kept[key] = value
                return value
            self._cache[key] = value
            while len(self._cache) > 1 and (
                len(self._cache) > CANDIDATE_CACHE_SIZE
                or sum(_cache_size(v) for v in self._cache.values()) > CANDIDATE_CACHE_BYTES
            ):
                self._cache.popitem(last=False)
        return value

    def course_count(self, cur: Any) -> int:
        def count() -> int:
            cur.execute("SELECT COUNT(*) FROM courses")
            return int(cur.fetchone()[0])

        return self._cached(cur, ("course count",), count, keep=True)

    def candidates(
        self, cur: Any, groups: tuple[SearchGroup, ...], tags: tuple[tuple[str, ...], ...]
    ) -> ranking.Candidates:
        """The courses matching the groups (in score tiers) and the facet tags; each field
        query is run once per generation and kept as a bitmap."""

        def atom(field: str, words: tuple[str, ...]) -> int:
            def compute() -> int:
                params: dict[str, Any] = {}
                cur.execute(self._sql(self.atom_sql(field, words, params)), params)
                return ranking.mask_of(int(row[0]) for row in cur.fetchall())

            return self._cached(cur, ("atom", field, words), compute)

        return ranking.candidates(groups, tags, atom)

    def rings(
        self, cur: Any, origin: tuple[float, float] | None, radius_km: float
    ) -> dict[tuple, int] | None:
        """The distance rings around ``origin`` (ranking.make_rings); None without a place."""
        if origin is None:
            return None

        def places() -> list[tuple[float, float]]:
            cur.execute(
                f"SELECT DISTINCT {self.point_columns} FROM offerings o "  # noqa: S608 - fixed SQL
                "WHERE o.online = 0 AND o.lat IS NOT NULL AND o.lon IS NOT NULL"
            )
            return sorted((float(lat), float(lon)) for lat, lon in cur.fetchall())

        known = self._cached(cur, ("places",), places, keep=True)
        return self._cached(
            cur,
            ("rings", origin, radius_km),
            lambda: ranking.make_rings(known, origin, radius_km),
        )

    def _distance_sql(self, f: OfferingFilter, params: dict[str, Any]) -> str:
        """Squared km from the asked place (equirectangular: exact enough within a region);
        online offerings get ONLINE_D2, so they follow the in-person ones."""
        if f.origin is None:
            return "0"
        lat, lon = f.origin
        params.update(
            {
                "lat0": lat,
                "lon0": lon,
                "ky": KM_PER_DEGREE_LAT**2,
                "kx": (KM_PER_DEGREE_LAT * math.cos(math.radians(lat))) ** 2,
                "online_d2": ONLINE_D2,
            }
        )
        return (
            "(CASE WHEN o.online = 1 THEN :online_d2 ELSE :ky * (o.lat - :lat0) * (o.lat - :lat0) "
            "+ :kx * (o.lon - :lon0) * (o.lon - :lon0) END)"
        )

    def _count_only(self, cur: Any, sql: str, params: dict[str, Any]) -> int:
        """The total when the requested page lies past the end (the window count is absent)."""
        counting = dict(params, limit=1, offset=0)
        cur.execute(self._sql(sql), counting)
        row = cur.fetchone()
        return int(row[4]) if row else 0

    def _docs_by_rid(self, cur: Any, table: str, rids: list[int]) -> dict[int, dict[str, Any]]:
        sql = f"SELECT rid, doc FROM {table} WHERE rid IN ({{marks}})"  # noqa: S608
        rows = self._select_in(cur, sql, rids)
        return {int(row[0]): json.loads(row[1]) for row in rows}

    def offering_conditions(self, f: OfferingFilter, params: dict[str, Any]) -> list[str]:
        """Conditions on the offering ``o`` (not its distance)."""
        where = []
        if f.since is not None:
            params["since"] = f.since.toordinal()
            where.append("o.start_day >= :since")
        if f.until is not None:
            params["until"] = f.until.toordinal()
            where.append("o.end_day <= :until")
        if f.starts_before is not None:
            params["starts_before"] = f.starts_before.toordinal()
            where.append("o.start_day <= :starts_before")
        if f.max_cost_cents is not None:
            params["max_cost"] = f.max_cost_cents
            where.append("o.cost_cents <= :max_cost")
        if f.time_of_day:
            params["time_of_day"] = f.time_of_day
            where.append("(o.time_of_day = :time_of_day OR o.time_of_day = 'flexible')")
        if f.modes:
            marks = []
            for i, mode in enumerate(f.modes):
                params[f"m{i}"] = mode
                marks.append(f":m{i}")
            where.append(f"o.mode IN ({', '.join(marks)})")
        if "wheelchair" in f.accessibility:
            where.append("o.wheelchair = 1")
        if "hearing-loop" in f.accessibility:
            where.append("o.hearing_loop = 1")
        return where or ["1 = 1"]

    # -- offerings ---------------------------------------------------------------------------

    def list_offerings(self, query: OfferingQuery) -> Page[Offering]:
        params: dict[str, Any] = {"limit": query.page.size, "offset": query.page.offset}
        where = []
        joins = ""
        if query.course_id is not None:
            params["course_id"] = query.course_id
            where.append("o.course_rid = (SELECT rid FROM courses WHERE id = :course_id)")
        if query.organization_id is not None:
            params["organization_id"] = query.organization_id
            where.append("o.organization_id = :organization_id")
        if query.text:
            params["like"] = "%" + _like_escape(text.normalize(query.text)) + "%"
            where.append("o.name_key LIKE :like ESCAPE '!'")
        if query.teaching_language:
            joins = "JOIN courses c ON c.rid = o.course_rid"
            params["teaching_language"] = query.teaching_language
            where.append("c.teaching_language = :teaching_language")
        where += self.offering_conditions(
            OfferingFilter(since=query.since, until=query.until, modes=query.modes), params
        )
        order = ", ".join(_OFFERING_ORDER[key] for key in query.sort) + ", o.rid ASC"
        sql = (
            f"SELECT o.doc, COUNT(*) OVER () AS total FROM offerings o {joins} WHERE "  # noqa: S608
            + " AND ".join(where)
            + f" ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
        with self.transaction() as cur:
            cur.execute(self._sql(sql), params)
            rows = cur.fetchall()
            if rows:
                total = int(rows[0][1])
            else:
                cur.execute(self._sql(sql), dict(params, limit=1, offset=0))
                row = cur.fetchone()
                total = int(row[1]) if row else 0
        return Page([offering_from_json(json.loads(row[0])) for row in rows], total)

    # -- organizations -----------------------------------------------------------------------

    def all_organizations(self) -> list[Organization]:
        with self.transaction() as cur:
            cur.execute("SELECT doc FROM organizations ORDER BY name_key, id")
            return [organization_from_json(json.loads(row[0])) for row in cur.fetchall()]

    def search_organizations(self, query: OrganizationQuery) -> Page[OrganizationHit]:
        """Organizations are few (hundreds), so they are filtered and ranked in Python."""
        needle = text.normalize(query.text or "")
        hits = []
        for organization in self.all_organizations():
            if query.primary_code and organization.primary_code != query.primary_code:
                continue
            if (
                query.organization_type
                and organization.organization_type != query.organization_type
            ):
                continue
            if query.helps_with and not set(query.helps_with) & set(organization.helps_with):
                continue
            if query.serving is not None and not organization.serves(query.serving):
                continue  # a desk for other municipalities: never send a person there
            haystack = text.normalize(
                " ".join(
                    [organization.name, organization.short_name, organization.description or ""]
                )
            )
            if needle and needle not in haystack:
                continue
            distance = None
            if query.near is not None:
                code = organization.municipality_code
                if code is not None and code not in query.near:
                    continue
                distance = query.near[code] / 10 if code is not None else None
            hits.append(OrganizationHit(organization, distance))
        hits.sort(key=lambda hit: _organization_key(hit, query.sort, query.near is not None))
        page = query.page
        return Page(hits[page.offset : page.offset + page.size], len(hits))

    # -- dialect hooks -----------------------------------------------------------------------

    @abc.abstractmethod
    def _schema(self) -> list[str]: ...

    @abc.abstractmethod
    def _table_exists(self, cur: Any, name: str) -> bool: ...

    @abc.abstractmethod
    def _tables(self) -> list[str]:
        """Every table of the catalog, dependents first (for a rebuild)."""

    @abc.abstractmethod
    def _sql(self, sql: str) -> str:
        """Adapt ``:name`` parameters to the driver's style."""

    @abc.abstractmethod
    def _execute_many(self, cur: Any, sql: str, rows: list[dict[str, Any]]) -> None: ...

    @abc.abstractmethod
    def _upsert_courses(self, cur: Any, rows: list[dict[str, Any]]) -> None: ...

    @abc.abstractmethod
    def _index_courses(
        self, cur: Any, rows: list[tuple[int, dict[str, Any]]], *, fresh: bool
    ) -> None:
        """Index the courses (rid, row); ``fresh``: rids new to the index (nothing to replace)."""

    @abc.abstractmethod
    def _after_write(self, cur: Any) -> None: ...

    @abc.abstractmethod
    def _load_terms(self, cur: Any) -> list[str]: ...

    @abc.abstractmethod
    def _scores_sql(self, groups: Sequence[SearchGroup], params: dict[str, Any]) -> str: ...

    @abc.abstractmethod
    def _tags_sql(self, tags: Sequence[Sequence[str]], params: dict[str, Any]) -> str: ...

    @abc.abstractmethod
    def atom_sql(self, field: str, words: tuple[str, ...], params: dict[str, Any]) -> str:
        """``SELECT`` the row ids of the courses whose ``field`` (name, body: prefixes; tags:
        whole tokens) matches one of ``words``; the same match as ``_scores_sql``."""

    # The offering ``o`` lies at the place :place_lat/:place_lon (values read from the table).
    place_condition = "o.lat = :place_lat AND o.lon = :place_lon"
    # lat and lon of the offering ``o`` as the exact floats the distance SQL computes with.
    point_columns = "o.lat, o.lon"

    @abc.abstractmethod
    def rid_list(self, name: str, params: dict[str, Any], rids: Sequence[int]) -> str:
        """SQL for ``IN (...)``: the given row ids, passed as one parameter."""

    @abc.abstractmethod
    def walk_source(self, index: str) -> str:
        """``offerings o`` read in (start_day, course_rid, rid) order: "day" (all), "online"
        (online only) or "place" (one lat/lon); through the matching index."""

    @abc.abstractmethod
    def _best_offering_sql(self, distance: str, where: str) -> str:
        """(course_rid, offering_rid, d2, start_day): each course's nearest, then earliest."""


@dataclass
class _BulkLoad:
    """What a bulk load (upsert_many into an empty catalog) wrote so far."""

    # table -> primary code -> id, and the ids taken, of the courses and offerings written
    ids: dict[str, dict[str, str]] = field(default_factory=lambda: {"courses": {}, "offerings": {}})
    taken: dict[str, set[str]] = field(
        default_factory=lambda: {"courses": set(), "offerings": set()}
    )
    # course id -> rid; rids of courses written a second time (their offerings are replaced)
    course_rids: dict[str, int] = field(default_factory=dict)
    rewritten: set[int] = field(default_factory=set)


# The documents as json.dumps(value, ensure_ascii=False) writes them, without a new encoder
# per record.
_json = json.JSONEncoder(ensure_ascii=False).encode
_CREATE_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ")


def _cache_size(value: Any) -> int:
    return (value.bit_length() + 7) // 8 if isinstance(value, int) else 64


def _like_escape(value: str) -> str:
    return value.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _organization_key(hit: OrganizationHit, sort: tuple[str, ...], by_distance: bool) -> tuple:
    organization = hit.organization
    key: list[Any] = []
    if by_distance:
        # Places with an address first, nearest first; phone or online-only help after them.
        key += [hit.distance_km is None, hit.distance_km or 0.0]
    for field_name in sort:
        descending = field_name.startswith("-")
        name = field_name.lstrip("-")
        value = (
            text.normalize(organization.name) if name == "name" else organization.organization_id
        )
        key.append(_Reversed(value) if descending else value)
    return tuple(key)


class _Reversed:
    """Wraps a value so that sorting puts larger values first."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)


def _distance_km(origin: tuple[float, float], offering: Offering | None) -> float | None:
    """The distance shown to people: great-circle km between municipality points, 1 decimal;
    None for an online offering (no distance to travel)."""
    if offering is None or offering.mode == "online":
        return None
    if offering.municipality_code is None:
        return 0.0
    place = _municipality(offering.municipality_code)
    if place is None:
        return None
    here = geo.Municipality("", "", "", origin[0], origin[1])
    return round(geo.distance_km(here, place), 1)


@lru_cache(maxsize=1024)
def _municipality(code: str) -> geo.Municipality | None:
    return geo.find_municipality(code)
