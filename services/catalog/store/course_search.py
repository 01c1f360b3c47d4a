"""Course search: one page of courses, each with its best offering (nearest, then earliest).

Relevance searches with words or facets go to ranking.py, which reads only what the page
needs; this module gives it its inputs (candidate bitmaps, distance rings, a Reader over the
transaction) and keeps them in the generation caches (meta.py). Every other search takes the
exact path (``_search_exact``): one SQL statement that ranks and counts every candidate, with
the dialect's full-text scores (``_scores_sql``) and best offering (``_best_offering_sql``).
Squared distances are geo.squared_km, written as SQL; the distance shown is the great-circle
one between municipality points (``shown_distance_km``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from services import geo
from services.catalog.domain import Offering, course_from_json, offering_from_json
from services.catalog.search import SearchGroup
from services.catalog.store import ranking
from services.catalog.store.conditions import offering_conditions
from services.catalog.store.meta import MetaMixin
from services.catalog.store.queries import CourseHit, CourseQuery, OfferingFilter, Page
from services.catalog.store.writes import municipality

# The squared "distance" of an online offering when a place is asked: beyond any radius
# (maxDistanceKm is at most 400), so in-person offerings in or near the place come first and
# online ones after them (ranking.make_rings puts them in the last ring).
ONLINE_D2 = 1.0e7
_COURSE_ORDER = {
    "name": "c.name_key ASC, c.rid ASC",
    "-name": "c.name_key DESC, c.rid DESC",
    "courseId": "c.id ASC",
    "-courseId": "c.id DESC",
}


class CourseSearchMixin(MetaMixin):
    """search_courses: the exact SQL path, and ranking.py's inputs and caches."""

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
            found = self._ranked(cur, query)
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
                    distance_km=shown_distance_km(origin, offering) if origin else None,
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
                    distance_km=shown_distance_km(origin, offering) if origin else None,
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
        where = offering_conditions(query.offerings, params)
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

    # -- ranking.py and its inputs (kept per catalog generation) -----------------------------

    def _ranked(self, cur: Any, query: CourseQuery) -> ranking.Found | None:
        """The page as ranking.py finds it; None when the query takes the exact path."""
        if not ranking.applies(query):
            return None
        return ranking.search(
            query,
            self._reader(cur),
            candidates=self.candidates(cur, query.groups, query.tags),
            rings=self.rings(cur, query.offerings.origin, query.offerings.radius_km),
            courses=max(1, self.course_count(cur)),
        )

    def _reader(self, cur: Any) -> ranking.Reader:
        """What ranking.py reads through: this transaction and the dialect's SQL fragments."""

        def rows(sql: str, params: dict[str, Any]) -> list[tuple]:
            cur.execute(self._sql(sql), params)
            return cur.fetchall()

        return ranking.Reader(
            rows=rows,
            rid_list=self.rid_list,
            walk_source=self.walk_source,
            point_columns=self.point_columns,
            place_condition=self.place_condition,
        )

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
        """Squared km from the asked place (geo.squared_km: equirectangular, exact enough
        within a region); online offerings get ONLINE_D2, so they follow the in-person ones."""
        if f.origin is None:
            return "0"
        lat, lon = f.origin
        ky, kx = geo.squared_km_scales(lat)
        params.update({"lat0": lat, "lon0": lon, "ky": ky, "kx": kx, "online_d2": ONLINE_D2})
        # geo.squared_km, in the same order (ranking.make_rings computes it in Python).
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


def shown_distance_km(origin: tuple[float, float], offering: Offering | None) -> float | None:
    """The distance shown to people: great-circle km between municipality points, 1 decimal;
    None for an online offering (no distance to travel)."""
    if offering is None or offering.mode == "online":
        return None
    if offering.municipality_code is None:
        return 0.0
    place = municipality(offering.municipality_code)
    if place is None:
        return None
    return round(geo.haversine_km(origin[0], origin[1], place.lat, place.lon), 1)
