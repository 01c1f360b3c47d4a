"""Schema migrations of the catalog: creating the tables, and upgrading or rebuilding an older one.

The tables themselves are the dialect's (``_schema`` in sqlite.py and postgres.py).
``initialize`` runs the catalog's Alembic revisions (services/catalog/migrations/, through
services/schema_migrations.py: one process at a time, in one transaction). Revision 0001 adopts
the catalogs of the releases before migrations: it creates what is missing, upgrades a catalog
of a version in UPGRADE_FROM in place (rows and ids kept), rebuilds an older one that holds
only example data, and refuses anything else with a StoreError. Later revisions follow it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.catalog.domain import course_from_json, provenance_json
from services.catalog.store.dialect import StoreError, encode_json
from services.catalog.store.writes import WritesMixin
from services.schema_migrations import upgrade

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "alembic_version_catalog"

# Bumped on any table, index-token or record-document change. A catalog of a version in
# UPGRADE_FROM is upgraded in place on start (rows and ids kept); an older one of only
# example data is rebuilt; anything else is refused.
SCHEMA_VERSION = 4
# Version 3 added subject tokens (text.subject_tokens) to the course index: a version-2
# catalog gets its search index rebuilt. Version 4 added the provenance of every record to
# its document (_add_provenance). The tables are those of version 2.
REINDEX_FROM = frozenset({2})
UPGRADE_FROM = frozenset({2, 3})


class SchemaMixin(WritesMixin):
    """initialize(): the tables of SCHEMA_VERSION; upgrades re-write through writes.py."""

    def initialize(self) -> None:
        """Bring the catalog to its newest revision (services/catalog/migrations/)."""
        upgrade(
            self._migration_url(),
            MIGRATIONS,
            VERSION_TABLE,
            creator=self._migration_connection(),
            store=self,
        )

    def _adopt(self, cur: Any) -> None:
        """Revision 0001: the tables of SCHEMA_VERSION, from nothing or from an earlier release."""
        stored = self._stored_schema_version(cur)
        if stored is not None and stored != SCHEMA_VERSION and stored not in UPGRADE_FROM:
            self._drop_example_store(cur, stored)
            stored = None
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
        if stored in UPGRADE_FROM:
            self._add_provenance(cur)
            if stored in REINDEX_FROM:
                self._reindex_courses(cur)
            self._bump_generation(cur)
            self._put_meta(cur, "schema_version", str(SCHEMA_VERSION))

    def _reindex_courses(self, cur: Any) -> None:
        """Write every course's index row anew (same rows and ids), in chunks of CHUNK rows."""
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
                    changed.append({"rid": rid, "doc": encode_json(doc)})
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

    def _drop_example_store(self, cur: Any, stored: int) -> None:
        """An older schema holding only example data is dropped (then built anew); anything
        else is refused."""
        cur.execute("SELECT COUNT(*) FROM courses WHERE example_data = 0")
        if int(cur.fetchone()[0]) > 0:
            raise StoreError(
                f"the catalog database has schema version {stored}, this service needs "
                f"{SCHEMA_VERSION}; re-import into a new database"
            )
        for table in self._tables():
            cur.execute(f"DROP TABLE IF EXISTS {table}")  # noqa: S608 - fixed names
