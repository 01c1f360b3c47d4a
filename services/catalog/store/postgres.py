"""The PostgreSQL store: the same tables, with a weighted ``simple`` tsvector and a GIN index."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extras
import psycopg2.pool

from services.catalog.search import FIELD_WEIGHTS, SearchGroup
from services.catalog.store.base import SqlStore, StoreError

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_CONFLICT_TARGET = re.compile(r"\((\w+)\)")
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS organizations (
        rid BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, primary_code TEXT NOT NULL UNIQUE,
        name_key TEXT NOT NULL, org_type TEXT NOT NULL, parent_id TEXT,
        municipality_code TEXT, doc TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS courses (
        rid BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, primary_code TEXT NOT NULL UNIQUE,
        organization_id TEXT NOT NULL, name_key TEXT NOT NULL, teaching_language TEXT NOT NULL,
        level TEXT NOT NULL, example_data INTEGER NOT NULL, doc TEXT NOT NULL,
        tsv TSVECTOR NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS courses_by_name ON courses (name_key)",
    "CREATE INDEX IF NOT EXISTS courses_by_organization ON courses (organization_id, name_key)",
    "CREATE INDEX IF NOT EXISTS courses_tsv ON courses USING GIN (tsv)",
    """CREATE TABLE IF NOT EXISTS offerings (
        rid BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, primary_code TEXT NOT NULL UNIQUE,
        course_rid BIGINT NOT NULL, organization_id TEXT NOT NULL, start_day INTEGER NOT NULL,
        end_day INTEGER NOT NULL, municipality_code TEXT, lat REAL, lon REAL,
        online INTEGER NOT NULL,
        mode TEXT NOT NULL, time_of_day TEXT NOT NULL, cost_cents INTEGER,
        wheelchair INTEGER NOT NULL, hearing_loop INTEGER NOT NULL, name_key TEXT NOT NULL,
        doc TEXT NOT NULL)""",
    # Covers every column a course search reads (index-only scans), see sqlite.py.
    """CREATE INDEX IF NOT EXISTS offerings_by_course ON offerings (course_rid, start_day)
        INCLUDE (rid, online, lat, lon, cost_cents, time_of_day, mode, wheelchair,
        hearing_loop)""",
    "CREATE INDEX IF NOT EXISTS offerings_by_organization "
    "ON offerings (organization_id, start_day)",
    # The walks of ranking.py (see sqlite.py).
    "CREATE INDEX IF NOT EXISTS offerings_by_day ON offerings (start_day, course_rid, rid)",
    # Replaced by offerings_by_day (schema version 2 had it).
    "DROP INDEX IF EXISTS offerings_by_start",
    """CREATE INDEX IF NOT EXISTS offerings_online ON offerings (start_day, course_rid, rid)
        INCLUDE (end_day, cost_cents, time_of_day, mode, wheelchair, hearing_loop)
        WHERE online = 1""",
    """CREATE INDEX IF NOT EXISTS offerings_by_place ON offerings (lat, lon, start_day,
        course_rid, rid) INCLUDE (end_day, cost_cents, time_of_day, mode, wheelchair,
        hearing_loop) WHERE online = 0""",
    "CREATE TABLE IF NOT EXISTS search_terms (term TEXT PRIMARY KEY, documents INTEGER NOT NULL)",
]


class PostgresStore(SqlStore):
    kind = "postgresql"

    def __init__(self, url: str, max_connections: int = 8) -> None:
        super().__init__()
        self.url = url
        try:
            self._pool = psycopg2.pool.ThreadedConnectionPool(1, max_connections, dsn=url)
        except psycopg2.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL catalog: {exc}".strip()) from exc
        self._pool_lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        connection = self._pool.getconn()
        try:
            # `with connection` commits, or rolls back on an exception.
            with connection, connection.cursor() as cursor:
                yield cursor
        finally:
            self._pool.putconn(connection)

    def close(self) -> None:
        self._pool.closeall()

    def describe(self) -> str:
        return "postgresql:" + re.sub(r"//[^@/]*@", "//***@", self.url)

    # -- hooks -------------------------------------------------------------------------------

    def _schema(self) -> list[str]:
        return _SCHEMA

    def _sql(self, sql: str) -> str:
        return _PARAM.sub(r"%(\1)s", sql)

    def _table_exists(self, cur: Any, name: str) -> bool:
        cur.execute("SELECT to_regclass(%s)", (name,))
        return cur.fetchone()[0] is not None

    def _tables(self) -> list[str]:
        return ["search_terms", "offerings", "courses", "organizations", "meta"]

    def _migration_url(self) -> str:
        return "postgresql://" + self.url.split("://", 1)[1]  # also for a postgres:// URL

    def _execute_many(self, cur: Any, sql: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        head, _, conflict = sql.partition(" ON CONFLICT ")
        into, values_sep, values = head.partition(" VALUES ")
        target = _CONFLICT_TARGET.match(conflict)
        # An INSERT goes as multi-row statements (execute_values), unless a key occurs twice:
        # one statement cannot update a row twice, as the rows one by one do.
        if values_sep and (
            target is None
            or target.group(1) not in rows[0]
            or len({row[target.group(1)] for row in rows}) == len(rows)
        ):
            statement = into + " VALUES %s" + (" ON CONFLICT " + conflict if conflict else "")
            psycopg2.extras.execute_values(
                cur, self._sql(statement), rows, template=self._sql(values), page_size=1000
            )
        else:
            psycopg2.extras.execute_batch(cur, self._sql(sql), rows, page_size=500)

    def _build_secondary_indexes(self, cur: Any) -> None:
        # Memory for sorting (B-tree) and the GIN index build of a bulk load.
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        super()._build_secondary_indexes(cur)
        # Statistics for the planner now, not when autovacuum gets to the new tables.
        cur.execute("ANALYZE organizations, courses, offerings")

    def _upsert_courses(self, cur: Any, rows: list[dict[str, Any]]) -> None:
        self._execute_many(
            cur,
            "INSERT INTO courses (id, primary_code, organization_id, name_key, teaching_language, "
            "level, example_data, doc, tsv) VALUES (:id, :primary_code, :organization_id, "
            ":name_key, :teaching_language, :level, :example_data, :doc, "
            "setweight(to_tsvector('simple', :name_tokens), 'A') || "
            "setweight(to_tsvector('simple', :tag_tokens), 'B') || "
            "setweight(to_tsvector('simple', :body_tokens), 'D')) "
            "ON CONFLICT (primary_code) DO UPDATE SET id = excluded.id, "
            "organization_id = excluded.organization_id, name_key = excluded.name_key, "
            "teaching_language = excluded.teaching_language, level = excluded.level, "
            "example_data = excluded.example_data, doc = excluded.doc, tsv = excluded.tsv",
            rows,
        )

    def _index_courses(
        self, cur: Any, rows: list[tuple[int, dict[str, Any]]], *, fresh: bool
    ) -> None:
        return None  # the tsvector is written with the row

    def _after_write(self, cur: Any) -> None:
        # ts_stat reads every vector; done once per import so searches read a small table.
        cur.execute("DELETE FROM search_terms")
        cur.execute(
            "INSERT INTO search_terms (term, documents) "
            "SELECT word, ndoc FROM ts_stat('SELECT tsv FROM courses', 'AD')"
        )

    def _load_terms(self, cur: Any) -> list[str]:
        cur.execute("SELECT term FROM search_terms")
        return [row[0] for row in cur.fetchall()]

    def _scores_sql(self, groups: Sequence[SearchGroup], params: dict[str, Any]) -> str:
        # Per course and group the best field counts; the groups are added up.
        per_group = []
        any_parts = []
        for i, group in enumerate(groups):
            cases = []
            for field, weight, expression in _field_queries(group):
                params[f"g{i}{field}"] = expression
                cases.append(
                    f"(CASE WHEN tsv @@ to_tsquery('simple', :g{i}{field}) "
                    f"THEN {weight} ELSE 0 END)"
                )
                any_parts.append(f"to_tsquery('simple', :g{i}{field})")
            per_group.append(f"GREATEST({', '.join(cases)})")
        return (
            f"SELECT rid, {' + '.join(per_group)} FROM courses "  # noqa: S608
            f"WHERE tsv @@ ({' || '.join(any_parts)})"
        )

    def _tags_sql(self, tags: Sequence[Sequence[str]], params: dict[str, Any]) -> str:
        clauses = [
            "(" + " | ".join(f"{tag}:B" for tag in alternatives) + ")" for alternatives in tags
        ]
        params["tags"] = " & ".join(clauses)
        return "SELECT rid FROM courses WHERE tsv @@ to_tsquery('simple', :tags)"

    def atom_sql(self, field: str, words: tuple[str, ...], params: dict[str, Any]) -> str:
        # As _field_queries writes them: the name has weight A, tags B, the description D.
        if field == "tags":
            params["atom"] = " | ".join(f"{word}:B" for word in words)
        else:
            weight = "A" if field == "name" else "D"
            params["atom"] = " | ".join(_prefix(word, weight) for word in words)
        return "SELECT rid FROM courses WHERE tsv @@ to_tsquery('simple', :atom)"

    # lat/lon are REAL: read as double precision, the exact values the distance SQL computes
    # with (psycopg2 would read the shortest decimal text, a different double), and compared
    # back as REAL.
    place_condition = "o.lat = CAST(:place_lat AS REAL) AND o.lon = CAST(:place_lon AS REAL)"
    point_columns = "CAST(o.lat AS DOUBLE PRECISION), CAST(o.lon AS DOUBLE PRECISION)"

    def rid_list(self, name: str, params: dict[str, Any], rids: Sequence[int]) -> str:
        params[name] = [int(rid) for rid in rids]
        return f"SELECT unnest(CAST(:{name} AS BIGINT[]))"  # noqa: S608 - a parameter name

    def walk_source(self, index: str) -> str:
        return "offerings o"  # the planner picks the index from the conditions

    def _best_offering_sql(self, distance: str, where: str) -> str:
        # A bare 0 in ORDER BY would be read as a column position.
        order_distance = "" if distance == "0" else f"{distance}, "
        return (
            f"SELECT DISTINCT ON (o.course_rid) o.course_rid, o.rid, {distance}, o.start_day "  # noqa: S608
            f"FROM offerings o WHERE {where} "
            f"ORDER BY o.course_rid, {order_distance}o.start_day, o.rid"
        )


def _field_queries(group: SearchGroup) -> list[tuple[str, int, str]]:
    """tsqueries for one group, per field: the name has weight A, tags B, the description D."""
    queries = []
    if group.terms:
        name = " | ".join(_prefix(t, "A") for t in group.terms)
        body = " | ".join(_prefix(t, "D") for t in group.terms)
        queries.append(("n", FIELD_WEIGHTS["name"], name))
        queries.append(("b", FIELD_WEIGHTS["body"], body))
    if group.tags:
        queries.append(("t", FIELD_WEIGHTS["tags"], " | ".join(f"{t}:B" for t in group.tags)))
    return queries


def _prefix(term: str, weight: str) -> str:
    """A prefix query in one field (weight); a term of several words needs all of them."""
    parts = [f"{word}:*{weight}" for word in term.split()]
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"
