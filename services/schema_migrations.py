"""Versioned schema migrations (Alembic) for the project's own SQL stores.

Each store keeps its revisions in a `migrations/` folder next to its code and its own version
table, so stores that share one PostgreSQL database do not mix up their versions:

| store | revisions | version table |
|---|---|---|
| call-back requests | services/callbacks/migrations/ | alembic_version_callbacks |
| WhatsApp channel | bot/channels/whatsapp_migrations/ | alembic_version_whatsapp |
| course catalog | services/catalog/migrations/ | alembic_version_catalog |
| desk | services/desk/migrations/ | alembic_version_desk |
| insights: facts, cells | services/insights/migrations/ | alembic_version_insights |
| insight events | services/insights/events_migrations/ | alembic_version_insight_events |

A store calls `upgrade` when it opens: it brings the database to the newest revision and does
nothing when it is there already. Rasa's own tracker tables stay Rasa's.

Several processes may open a store at the same moment (two Rasa servers on a fresh
database). Only one migrates; the others wait, then find the database up to date:

- PostgreSQL: a session advisory lock, keyed by the version table, held on the connection
  that migrates. PostgreSQL releases it if that process dies.
- SQLite: an exclusive `flock` on `<database>.lock` beside the file (the kernel releases it
  when the process dies), and the migration runs in one `BEGIN IMMEDIATE` transaction, so a
  failed migration leaves nothing half done.

Writing a new revision: copy the newest file in the store's folder, give it a new `revision`
and set `down_revision` to the previous one; see docs/operations.md, "Upgrades". Revisions
only go forward: to go back, restore the backup made before the upgrade.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool, StaticPool

logger = logging.getLogger(__name__)


def _advisory_key(version_table: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, one per store."""
    digest = hashlib.sha256(f"leerwijzer:{version_table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def _file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:":
        yield  # one process only: nothing to share
        return
    lock_path = Path(f"{database}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # waits for the process that migrates
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sqlite_engine(url: sa.engine.URL, creator: Callable[[], Any] | None) -> sa.engine.Engine:
    """An engine whose transactions are real SQLite transactions, DDL included.

    Python's sqlite3 module does not begin a transaction before DDL; SQLAlchemy's documented
    recipe turns that off and begins one itself (IMMEDIATE: the write lock at once).
    """
    if creator is not None:
        engine = sa.create_engine("sqlite://", creator=creator, poolclass=StaticPool, future=True)
    else:
        engine = sa.create_engine(
            url, poolclass=NullPool, connect_args={"timeout": 60}, future=True
        )

    @sa.event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # noqa: ANN001
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextlib.contextmanager
def exclusive(url: str | sa.engine.URL, name: str) -> Iterator[None]:
    """Only one process at a time in this block, for this database and `name`: a session
    advisory lock on PostgreSQL (on a connection of its own, released if the process dies),
    an exclusive `flock` on `<database>.lock` beside a SQLite file."""
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "sqlite":
        with _file_lock(url.database):
            yield
        return
    engine = sa.create_engine(url, poolclass=NullPool, future=True)
    try:
        with engine.connect() as connection:
            key = {"key": _advisory_key(name)}
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), key)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
                connection.commit()
    finally:
        engine.dispose()


def upgrade(
    url: str | sa.engine.URL,
    location: Path,
    version_table: str,
    *,
    creator: Callable[[], Any] | None = None,
    **arguments: Any,
) -> list[str]:
    """Bring the database at `url` to the newest revision in `location`; safe to run at once
    in several processes. Returns the revisions applied (empty when it was up to date).

    `creator`: for SQLite, a function returning the store's own DB-API connection (an
    in-memory database is only reachable through it). `arguments` reach every revision's
    `upgrade(**arguments)` (the catalog passes its store).
    """
    url = sa.engine.make_url(url)
    config = Config()
    config.set_main_option("script_location", str(location))
    script = ScriptDirectory.from_config(config)
    applied: list[str] = []

    def steps(revision: Any, _context: Any) -> Any:
        plan = script._upgrade_revs("head", revision)  # alembic's own `upgrade` command does this
        applied.extend(step.revision.revision for step in plan)
        return plan

    sqlite = url.get_backend_name() == "sqlite"
    engine = (
        _sqlite_engine(url, creator)
        if sqlite
        else sa.create_engine(url, poolclass=NullPool, future=True)
    )
    try:
        with (
            exclusive(url, version_table),
            engine.connect() as connection,
            EnvironmentContext(config, script, fn=steps, destination_rev="head") as env,
        ):
            env.configure(
                connection=connection, version_table=version_table, transactional_ddl=True
            )
            with env.begin_transaction():
                env.run_migrations(**arguments)
    finally:
        if creator is None:
            engine.dispose()
    if applied:
        logger.info("Upgraded %s to %s", version_table, applied[-1])
    return applied


def current_revision(url: str | sa.engine.URL, version_table: str) -> str | None:
    """The revision a database is at (None: never migrated)."""
    engine = sa.create_engine(url, poolclass=NullPool, future=True)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table(version_table):
                return None
            return connection.execute(
                sa.text(f"SELECT version_num FROM {version_table}")  # noqa: S608 - our name
            ).scalar()
    finally:
        engine.dispose()
