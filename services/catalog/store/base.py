"""SqlStore: the catalog store on a SQL database, composed of one part per responsibility.

SQL is written once with ``:name`` parameters; a dialect (sqlite.py, postgres.py) fills in the
parts that differ through the hooks of dialect.Dialect. Each course is found through a
full-text index over pre-tokenised text (text.py), so both stores rank the same way.

Where to look (services/catalog/store/):

    dialect.py              StoreError; the hooks a dialect implements; chunked IN (...) reads
    meta.py                 the meta table, the catalog generation, per-generation caches
    writes.py               upsert / upsert_many (bulk load), ids, full-text index rows
    schema.py               SCHEMA_VERSION; creating, upgrading or rebuilding the tables
    reads.py                records by id, counts, provenances, the offering list
    conditions.py           SQL conditions on offerings (filters)
    course_search.py        course search: the exact SQL path and ranking.py's inputs
    ranking.py              early-stopping relevance ranking (knows no store, no SQL dialect)
    organization_search.py  organization search, in Python
    queries.py              the typed queries and pages the API asks with
    sqlite.py, postgres.py  the two dialects

Distances are services.geo's (squared_km for ranking, haversine_km for the distance shown).
"""

from __future__ import annotations

from services.catalog.store.course_search import ONLINE_D2, CourseSearchMixin
from services.catalog.store.dialect import StoreError
from services.catalog.store.organization_search import OrganizationSearchMixin
from services.catalog.store.reads import ReadsMixin
from services.catalog.store.schema import (
    REINDEX_FROM,
    SCHEMA_VERSION,
    UPGRADE_FROM,
    SchemaMixin,
)

__all__ = [
    "ONLINE_D2",
    "REINDEX_FROM",
    "SCHEMA_VERSION",
    "UPGRADE_FROM",
    "SqlStore",
    "StoreError",
]


class SqlStore(SchemaMixin, ReadsMixin, CourseSearchMixin, OrganizationSearchMixin):
    """A catalog store on a SQL database. Subclasses supply the dialect hooks
    (dialect.Dialect): SqliteStore (sqlite.py) and PostgresStore (postgres.py)."""

    kind = "sql"
