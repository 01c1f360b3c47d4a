"""The embedded store: one SQLite file with an FTS5 index over pre-tokenised course text."""

from __future__ import annotations

import contextlib
import json
import operator
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from services.catalog.search import FIELD_WEIGHTS, SearchGroup
from services.catalog.store.base import SqlStore, StoreError

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS organizations (
        rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, primary_code TEXT NOT NULL UNIQUE,
        name_key TEXT NOT NULL, org_type TEXT NOT NULL, parent_id TEXT,
        municipality_code TEXT, doc TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS courses (
        rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, primary_code TEXT NOT NULL UNIQUE,
        organization_id TEXT NOT NULL, name_key TEXT NOT NULL, teaching_language TEXT NOT NULL,
        level TEXT NOT NULL, example_data INTEGER NOT NULL, doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS courses_by_name ON courses (name_key)",
    "CREATE INDEX IF NOT EXISTS courses_by_organization ON courses (organization_id, name_key)",
    """CREATE TABLE IF NOT EXISTS offerings (
        rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, primary_code TEXT NOT NULL UNIQUE,
        course_rid INTEGER NOT NULL, organization_id TEXT NOT NULL, start_day INTEGER NOT NULL,
        end_day INTEGER NOT NULL, municipality_code TEXT, lat REAL, lon REAL,
        online INTEGER NOT NULL,
        mode TEXT NOT NULL, time_of_day TEXT NOT NULL, cost_cents INTEGER,
        wheelchair INTEGER NOT NULL, hearing_loop INTEGER NOT NULL, name_key TEXT NOT NULL,
        doc TEXT NOT NULL)""",
    # Covers every column a course search reads, so the wide rows (with their JSON) are only
    # read for the page that is shown.
    """CREATE INDEX IF NOT EXISTS offerings_by_course ON offerings (course_rid, start_day,
        online, lat, lon, cost_cents, time_of_day, mode, wheelchair, hearing_loop)""",
    "CREATE INDEX IF NOT EXISTS offerings_by_organization "
    "ON offerings (organization_id, start_day)",
    # The walks of ranking.py: offerings in (start_day, course_rid, rid) order, all, online or
    # at one place, covering the offering filters.
    "CREATE INDEX IF NOT EXISTS offerings_by_day ON offerings (start_day, course_rid, rid)",
    # Replaced by offerings_by_day (schema version 2 had it).
    "DROP INDEX IF EXISTS offerings_by_start",
    """CREATE INDEX IF NOT EXISTS offerings_online ON offerings (start_day, course_rid, rid,
        end_day, cost_cents, time_of_day, mode, wheelchair, hearing_loop) WHERE online = 1""",
    """CREATE INDEX IF NOT EXISTS offerings_by_place ON offerings (lat, lon, start_day,
        course_rid, rid, end_day, cost_cents, time_of_day, mode, wheelchair, hearing_loop)
        WHERE online = 0""",
    # Tokens are made in Python (text.py); FTS5 only splits on spaces. Prefix indexes make
    # "comput*" as cheap as an exact term.
    """CREATE VIRTUAL TABLE IF NOT EXISTS course_fts USING fts5(
        name, tags, body, tokenize = 'unicode61', prefix = '2 3 4 5 6')""",
    "CREATE VIRTUAL TABLE IF NOT EXISTS course_terms USING fts5vocab(course_fts, 'col')",
]

_NAMED = re.compile(r":(\w+)")
_WALK_INDEXES = {
    "day": "offerings_by_day",
    "online": "offerings_online",
    "place": "offerings_by_place",
}


class SqliteStore(SqlStore):
    kind = "sqlite"

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread: FastAPI runs sync routes in a thread pool.
        connection = getattr(self._local, "connection", None)
        if connection is None:
            try:
                connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open SQLite catalog {self.path}: {exc}") from exc
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = OFF")
            connection.execute("PRAGMA cache_size = -65536")
            connection.execute("PRAGMA mmap_size = 268435456")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        connection = self._connection()
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        try:
            yield cursor
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            connection.execute("COMMIT")
        finally:
            cursor.close()

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                with contextlib.suppress(sqlite3.ProgrammingError):
                    connection.close()  # may be closed from its own thread already
            self._connections.clear()
        self._local = threading.local()

    def describe(self) -> str:
        return f"sqlite:{self.path}"

    # -- hooks -------------------------------------------------------------------------------

    def _schema(self) -> list[str]:
        return _SCHEMA

    def _sql(self, sql: str) -> str:
        return sql

    def _table_exists(self, cur: Any, name: str) -> bool:
        cur.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,))
        return cur.fetchone() is not None

    def _tables(self) -> list[str]:
        return ["course_terms", "course_fts", "offerings", "courses", "organizations", "meta"]

    def _migration_url(self) -> str:
        return "sqlite://" if self.path == ":memory:" else f"sqlite:///{self.path}"

    def _migration_connection(self) -> Callable[[], Any]:
        # The store's own connection: an in-memory catalog exists only in it, and the
        # revisions write through the store's methods on the same transaction.
        return self._connection

    def _execute_many(self, cur: Any, sql: str, rows: list[dict[str, Any]]) -> None:
        # Positional parameters: sqlite3 binds tuples about twice as fast as dicts.
        if rows:
            names = _NAMED.findall(sql)
            values = (
                map(operator.itemgetter(*names), rows)
                if len(names) > 1
                else [(row[names[0]],) for row in rows]
            )
            cur.executemany(_NAMED.sub("?", sql), values)

    def _upsert_courses(self, cur: Any, rows: list[dict[str, Any]]) -> None:
        self._execute_many(
            cur,
            "INSERT INTO courses (id, primary_code, organization_id, name_key, teaching_language, "
            "level, example_data, doc) VALUES (:id, :primary_code, :organization_id, :name_key, "
            ":teaching_language, :level, :example_data, :doc) ON CONFLICT (primary_code) DO "
            "UPDATE SET id = excluded.id, organization_id = excluded.organization_id, "
            "name_key = excluded.name_key, teaching_language = excluded.teaching_language, "
            "level = excluded.level, example_data = excluded.example_data, doc = excluded.doc",
            rows,
        )

    def _index_courses(
        self, cur: Any, rows: list[tuple[int, dict[str, Any]]], *, fresh: bool
    ) -> None:
        if not rows:
            return
        if not fresh:
            cur.executemany("DELETE FROM course_fts WHERE rowid = ?", [(rid,) for rid, _ in rows])
        cur.executemany(
            "INSERT INTO course_fts (rowid, name, tags, body) VALUES (?, ?, ?, ?)",
            [(rid, r["name_tokens"], r["tag_tokens"], r["body_tokens"]) for rid, r in rows],
        )

    def _after_write(self, cur: Any) -> None:
        # Keep the planner's statistics current after bulk writes (cheap when little changed).
        cur.execute("PRAGMA optimize")

    def _load_terms(self, cur: Any) -> list[str]:
        cur.execute("SELECT DISTINCT term FROM course_terms WHERE col IN ('name', 'body')")
        return [row[0] for row in cur.fetchall()]

    def _scores_sql(self, groups: Sequence[SearchGroup], params: dict[str, Any]) -> str:
        # Per course and group the best field counts; the groups are added up.
        parts = []
        for i, group in enumerate(groups):
            for field, weight, expression in _field_queries(group):
                params[f"g{i}{field}"] = expression
                parts.append(
                    f"SELECT rowid AS rid, {i} AS g, {weight} AS w FROM course_fts "  # noqa: S608
                    f"WHERE course_fts MATCH :g{i}{field}"
                )
        union = " UNION ALL ".join(parts)
        best = f"SELECT rid, MAX(w) AS w FROM ({union}) GROUP BY rid, g"  # noqa: S608
        return f"SELECT rid, SUM(w) FROM ({best}) GROUP BY rid"  # noqa: S608

    def _tags_sql(self, tags: Sequence[Sequence[str]], params: dict[str, Any]) -> str:
        clauses = [
            "(" + " OR ".join(f'"{tag}"' for tag in alternatives) + ")" for alternatives in tags
        ]
        params["tags"] = "tags : (" + " AND ".join(clauses) + ")"
        return "SELECT rowid FROM course_fts WHERE course_fts MATCH :tags"

    def atom_sql(self, field: str, words: tuple[str, ...], params: dict[str, Any]) -> str:
        # As _field_queries writes them.
        if field == "tags":
            params["atom"] = "tags : (" + " OR ".join(f'"{word}"' for word in words) + ")"
        else:
            params["atom"] = f"{field} : (" + " OR ".join(_prefix(word) for word in words) + ")"
        return "SELECT rowid FROM course_fts WHERE course_fts MATCH :atom"

    def rid_list(self, name: str, params: dict[str, Any], rids: Sequence[int]) -> str:
        params[name] = json.dumps([int(rid) for rid in rids])
        return f"SELECT value FROM json_each(:{name})"  # noqa: S608 - a parameter name

    def walk_source(self, index: str) -> str:
        return f"offerings o INDEXED BY {_WALK_INDEXES[index]}"

    def _best_offering_sql(self, distance: str, where: str) -> str:
        # SQLite returns the other columns from the row that has the MIN() (documented
        # "bare column" behaviour); the key orders by distance (0.01 km² steps), then date.
        return (
            "SELECT course_rid, offering_rid, d2, start_day FROM ("  # noqa: S608
            f"SELECT o.course_rid AS course_rid, o.rid AS offering_rid, {distance} AS d2, "
            "o.start_day AS start_day, "
            f"MIN(CAST(ROUND({distance} * 100) AS INTEGER) * 1000000 + o.start_day) AS k "
            f"FROM offerings o WHERE {where} GROUP BY o.course_rid)"
        )


def _field_queries(group: SearchGroup) -> list[tuple[str, int, str]]:
    """FTS5 queries for one group, per field, with the field's weight (search.FIELD_WEIGHTS).

    Tokens are [a-z0-9] only (text.py), so quoting them is enough to keep the syntax safe.
    """
    queries = []
    words = " OR ".join(_prefix(term) for term in group.terms)
    if words:
        queries.append(("n", FIELD_WEIGHTS["name"], f"name : ({words})"))
        queries.append(("b", FIELD_WEIGHTS["body"], f"body : ({words})"))
    if group.tags:
        tags = " OR ".join(f'"{tag}"' for tag in group.tags)
        queries.append(("t", FIELD_WEIGHTS["tags"], f"tags : ({tags})"))
    return queries


def _prefix(term: str) -> str:
    """A prefix query for a term; a term of several words (a phrase) needs all of them."""
    parts = [f'"{word}" *' for word in term.split()]
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
