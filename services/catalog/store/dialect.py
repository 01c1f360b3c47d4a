"""What a SQL dialect supplies, and the few helpers built only on that.

SqliteStore (sqlite.py) and PostgresStore (postgres.py) implement the abstract hooks of
``Dialect``: transactions, the tables, the parameter style (``_sql``), bulk writes, the
full-text index and the SQL fragments of course search. Every other part of the store
(meta.py, writes.py, schema.py, reads.py, course_search.py, organization_search.py) writes its
SQL once with ``:name`` parameters and reaches the database only through these hooks.
``StoreError`` is the error a store raises on purpose, with what to check.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from services.catalog.search import SearchGroup

# Rows per statement when many values are read (``IN (...)``) or whole tables are walked.
CHUNK = 500
# The record documents as json.dumps(value, ensure_ascii=False) writes them, without a new
# encoder per record.
encode_json = json.JSONEncoder(ensure_ascii=False).encode


class StoreError(RuntimeError):
    """The store cannot be reached or used; the message says what to check."""


class Dialect(abc.ABC):
    """The hooks a SQL database supplies, and helpers that need nothing else."""

    kind = "sql"

    @abc.abstractmethod
    def close(self) -> None: ...

    @contextmanager
    @abc.abstractmethod
    def transaction(self) -> Iterator[Any]:
        """A cursor in one transaction: committed on success, rolled back on any error."""

    # -- helpers on the hooks ----------------------------------------------------------------

    def _select_in(self, cur: Any, sql: str, values: Sequence[Any]) -> list[tuple]:
        """Rows of ``sql`` (with one ``{marks}`` placeholder list) for values, in chunks.

        Only the placeholders are formatted into the SQL; the values travel as parameters.
        """
        rows: list[tuple] = []
        values = list(values)
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            params = {f"v{i}": value for i, value in enumerate(chunk)}
            marks = ", ".join(f":v{i}" for i in range(len(chunk)))
            cur.execute(self._sql(sql.format(marks=marks)), params)
            rows.extend(cur.fetchall())
        return rows

    def _chunks(self, cur: Any, table: str) -> Iterator[list[tuple[int, dict[str, Any]]]]:
        """Every (rid, document) of a table, in rid order, CHUNK rows at a time."""
        last = 0
        while True:
            cur.execute(
                self._sql(
                    f"SELECT rid, doc FROM {table} WHERE rid > :last ORDER BY rid LIMIT :n"  # noqa: S608 - fixed table names
                ),
                {"last": last, "n": CHUNK},
            )
            rows = cur.fetchall()
            if not rows:
                return
            last = int(rows[-1][0])
            yield [(int(rid), json.loads(doc)) for rid, doc in rows]

    # -- dialect hooks -----------------------------------------------------------------------

    @abc.abstractmethod
    def _schema(self) -> list[str]: ...

    @abc.abstractmethod
    def _table_exists(self, cur: Any, name: str) -> bool: ...

    @abc.abstractmethod
    def _tables(self) -> list[str]:
        """Every table of the catalog, dependents first (for a rebuild)."""

    @abc.abstractmethod
    def _migration_url(self) -> str:
        """The SQLAlchemy URL the migrations (services/schema_migrations.py) connect to."""

    def _migration_connection(self) -> Callable[[], Any] | None:
        """A function giving the DB-API connection the migrations use, or None: their own."""
        return None

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
