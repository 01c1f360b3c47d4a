"""Reading records: one by id, counts, provenances and the offering list.

Every record is stored as a JSON document (``doc``) next to the narrow columns that filter
and sort; these reads return the documents as domain records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from services.catalog import text
from services.catalog.domain import (
    Course,
    Offering,
    Organization,
    course_from_json,
    offering_from_json,
    organization_from_json,
)
from services.catalog.store.conditions import offering_conditions
from services.catalog.store.dialect import Dialect
from services.catalog.store.queries import OfferingFilter, OfferingQuery, Page

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


class ReadsMixin(Dialect):
    """Single records, counts, provenances and list_offerings."""

    # -- counts and provenances --------------------------------------------------------------

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

    def provenances(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(kind, name, stored provenance) of every organization, course and offering; for
        `make check-content` (services/content_check.py)."""
        with self.transaction() as cur:
            for table in ("organizations", "courses", "offerings"):
                for rows in self._chunks(cur, table):
                    for rid, doc in rows:
                        name = doc.get("name") or doc.get("course_name") or str(rid)
                        yield table.rstrip("s"), str(name), dict(doc.get("provenance") or {})

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
        where += offering_conditions(
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


def _like_escape(value: str) -> str:
    return value.replace("!", "!!").replace("%", "!%").replace("_", "!_")
