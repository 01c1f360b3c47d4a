"""Writing the catalog: upsert and upsert_many (bulk load), ids, index rows.

Records are matched on their primary code and keep their stored ids; a course gets exactly
its batch's offerings. Into an empty catalog upsert_many is a bulk load: the secondary indexes
are dropped first and built once at the end (_drop/_build_secondary_indexes). Each course's
full-text row is written through the dialect's ``_upsert_courses`` and ``_index_courses``;
offerings carry their municipality's point (``municipality``), the one distances use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from services import geo
from services.catalog import text
from services.catalog.domain import (
    CatalogBatch,
    Course,
    Offering,
    Organization,
    record_id,
    to_json,
)
from services.catalog.store.dialect import encode_json
from services.catalog.store.meta import MetaMixin

_CREATE_INDEX = re.compile(r"CREATE INDEX IF NOT EXISTS (\w+) ")


class WritesMixin(MetaMixin):
    """upsert / upsert_many and what they need: ids, index rows, the bulk load."""

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
            self._bump_generation(cur)
        self._forget_caches()

    def _is_empty(self, cur: Any) -> bool:
        """Whether the catalog holds no courses and no offerings (a bulk load can start)."""
        for table in ("courses", "offerings"):
            cur.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - fixed table names
            if cur.fetchone() is not None:
                return False
        return True

    # -- bulk load: secondary indexes dropped first, built once at the end -------------------

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

    # -- ids -------------------------------------------------------------------------------

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

    # -- rows ------------------------------------------------------------------------------

    def _write_organizations(self, cur: Any, organizations: list[Organization]) -> None:
        rows = [
            {
                "id": o.organization_id,
                "primary_code": o.primary_code,
                "name_key": text.normalize(o.name),
                "org_type": o.organization_type,
                "parent_id": o.parent_id,
                "municipality_code": o.municipality_code,
                "doc": encode_json(to_json(o)),
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
                    "doc": encode_json(to_json(c)),
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
            point = municipality(o.municipality_code) if o.municipality_code else None
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
                    "doc": encode_json(to_json(o)),
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


@lru_cache(maxsize=1024)
def municipality(code: str) -> geo.Municipality | None:
    """The municipality (and so the point) of an offering's municipality code."""
    return geo.find_municipality(code)
