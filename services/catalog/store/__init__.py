"""Catalog stores: SQLite (embedded default) and PostgreSQL, behind one interface.

SqlStore (base.py) is composed of one module per responsibility; base.py's docstring lists
which module owns what (schema, writes, reads, course search, ranking, organization search).
"""

from __future__ import annotations

from pathlib import Path

from services.catalog.store.base import SqlStore, StoreError

__all__ = ["SqlStore", "StoreError", "open_store"]


def open_store(url: str) -> SqlStore:
    """Open (and create the tables of) the store a database URL names.

    ``sqlite:///relative/or/absolute/path.db``, ``sqlite:///:memory:`` or a plain file path for
    SQLite; ``postgresql://user:password@host:port/database`` (or ``postgres://``) for PostgreSQL.
    """
    if url.startswith(("postgresql://", "postgres://")):
        from services.catalog.store.postgres import PostgresStore

        store: SqlStore = PostgresStore(url)
    elif url.startswith("sqlite:///"):
        from services.catalog.store.sqlite import SqliteStore

        store = SqliteStore(url.removeprefix("sqlite:///"))
    elif "://" not in url:
        from services.catalog.store.sqlite import SqliteStore

        store = SqliteStore(Path(url))
    else:
        raise StoreError(f"unsupported catalog database URL scheme: {url.split('://')[0]}")
    store.initialize()
    return store
