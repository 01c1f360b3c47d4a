"""Schema migrations of the project's own stores (services/schema_migrations.py).

- Four processes that open a store on an empty database at the same moment all come up, on
  SQLite and on PostgreSQL, 20 times over, and the database ends at the newest revision.
- A database made by the last release before migrations (2026-12-03), with its rows, is
  upgraded in place and every row is still found.
- The tables the code reads and writes are the tables the revisions make.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.channels import whatsapp_store
from services.callbacks import CallbackStore
from services.callbacks import store as callbacks_store
from services.catalog.seed import ensure_example_catalog
from services.catalog.store import open_store
from services.catalog.store import schema as catalog_schema
from services.desk import store as desk_store
from services.insights import consumer as insights_consumer
from services.insights import store as insights_store
from services.schema_migrations import current_revision
from tests.support.postgres import new_database

ROUNDS = 20
PROCESSES = 4
RELEASE = Path(__file__).parent / "fixtures" / "release-2026-12-03"


def _open_catalog(url: str) -> None:
    open_store(url).close()


STORES: dict[str, tuple[Callable[[str], object], str, Path]] = {
    "callbacks": (
        CallbackStore,
        callbacks_store.VERSION_TABLE,
        callbacks_store.MIGRATIONS,
    ),
    "whatsapp": (
        whatsapp_store.SqlWhatsAppStore,
        whatsapp_store.VERSION_TABLE,
        whatsapp_store.MIGRATIONS,
    ),
    "catalog": (_open_catalog, catalog_schema.VERSION_TABLE, catalog_schema.MIGRATIONS),
    "desk": (desk_store.DeskStore, desk_store.VERSION_TABLE, desk_store.MIGRATIONS),
    "insight_events": (
        insights_consumer.events_engine,
        insights_consumer.VERSION_TABLE,
        insights_consumer.MIGRATIONS,
    ),
    "insights": (
        insights_store.InsightsStore,
        insights_store.VERSION_TABLE,
        insights_store.MIGRATIONS,
    ),
}


def head(location: Path) -> str:
    """The newest revision in a store's folder (the highest-numbered file)."""
    return sorted(p.name for p in (location / "versions").glob("*.py"))[-1].split("_", 1)[0]


def empty_database(kind: str, name: str, request, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    return new_database(request.getfixturevalue("postgres_cluster"), name)


def _start(opener: Callable[[str], object], url: str, barrier) -> None:  # noqa: ANN001
    barrier.wait(timeout=60)
    opener(url)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("store", sorted(STORES))
def test_four_processes_starting_at_once_on_an_empty_store_all_come_up(
    store, kind, request, tmp_path
):
    opener, version_table, location = STORES[store]
    context = multiprocessing.get_context("fork")  # what a second `make run` process does
    for round_number in range(ROUNDS):
        url = empty_database(kind, f"{store}_{round_number}", request, tmp_path)
        barrier = context.Barrier(PROCESSES)
        processes = [
            context.Process(target=_start, args=(opener, url, barrier)) for _ in range(PROCESSES)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        codes = [process.exitcode for process in processes]
        assert codes == [0] * PROCESSES, f"round {round_number}: exit codes {codes}"
        assert current_revision(url, version_table) == head(location)


def load_release(kind: str, store: str, url: str) -> None:
    """The database as the release before migrations left it: its tables and some rows."""
    script = (RELEASE / f"{store}.{kind}.sql").read_text(encoding="utf-8")
    statements = [s.strip() for s in script.split(";\n") if s.strip().strip("-\n ")]
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        for statement in statements:
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
            if body.strip():
                connection.exec_driver_sql(body)
    engine.dispose()


def table_rows(url: str, *tables: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return {
                table: sorted(
                    tuple(row)
                    for row in connection.execute(sa.text(f"SELECT * FROM {table}"))  # noqa: S608
                )
                for table in tables
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_call_back_requests_of_the_last_release_are_kept(kind, request, tmp_path):
    url = empty_database(kind, "callbacks_release", request, tmp_path)
    load_release(kind, "callbacks", url)
    before = table_rows(url, "callback_requests")
    assert len(before["callback_requests"]) == 2

    store = CallbackStore(url)
    assert current_revision(url, callbacks_store.VERSION_TABLE) == head(callbacks_store.MIGRATIONS)
    after = table_rows(url, "callback_requests")["callback_requests"]
    # Every value kept; revision 0002 appends the desk's columns with their defaults.
    width = len(before["callback_requests"][0])
    assert [row[:width] for row in after] == before["callback_requests"]
    assert {row[width:] for row in after} == {(None, "new", None, None, 0, None)}
    fatima = store.get("LW-ABC234")
    assert fatima.first_name == "Fatima" and fatima.organization == "Taalhuis Breda"
    assert fatima.status == "new"
    assert fatima.created_at.isoformat() == "2026-12-01T09:30:00+00:00"
    assert [r.reference for r in store.open_requests()] == ["LW-ABC234", "LW-XYZ789"]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_whatsapp_store_of_the_last_release_is_kept(kind, request, tmp_path):
    url = empty_database(kind, "whatsapp_release", request, tmp_path)
    load_release(kind, "whatsapp", url)
    before = table_rows(url, "whatsapp_messages", "whatsapp_users")

    store = whatsapp_store.SqlWhatsAppStore(url)
    assert current_revision(url, whatsapp_store.VERSION_TABLE) == head(whatsapp_store.MIGRATIONS)
    after = table_rows(url, "whatsapp_messages", "whatsapp_users")
    assert after["whatsapp_messages"] == before["whatsapp_messages"]
    # Every value kept; revision 0002 appends `reply_to`, empty (no one was handed over).
    width = len(before["whatsapp_users"][0])
    assert [row[:width] for row in after["whatsapp_users"]] == before["whatsapp_users"]
    assert {row[width:] for row in after["whatsapp_users"]} == {(None,)}
    user = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
    assert store.last_inbound(user) == 1796200000.5
    assert store.reply_to(user) is None
    assert [c.title for c in store.choices(user)] == ["Breda"]
    # The message seen before the upgrade is not handled twice after it.
    message = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert store.claim_message(message, 1796200002.0) is False


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_catalog_of_the_last_release_keeps_every_record(kind, request, tmp_path):
    url = empty_database(kind, "catalog_release", request, tmp_path)
    catalog = open_store(url)
    ensure_example_catalog(catalog)
    with catalog.transaction() as cur:
        # The last release had the same tables (schema version 4) and no version table.
        cur.execute(f"DROP TABLE {catalog_schema.VERSION_TABLE}")
    catalog.close()
    assert current_revision(url, catalog_schema.VERSION_TABLE) is None
    before = table_rows(url, "organizations", "courses", "offerings", "meta")
    assert len(before["courses"]) >= 150

    reopened = open_store(url)
    try:
        assert current_revision(url, catalog_schema.VERSION_TABLE) == head(
            catalog_schema.MIGRATIONS
        )
        assert table_rows(url, "organizations", "courses", "offerings", "meta") == before
    finally:
        reopened.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_revisions_make_the_tables_the_code_uses(kind, request, tmp_path):
    """`metadata` in each store's code matches the newest revision, column by column."""
    for name, metadata, opener in (
        ("callbacks", callbacks_store.metadata, CallbackStore),
        ("whatsapp", whatsapp_store.metadata, whatsapp_store.SqlWhatsAppStore),
        ("desk", desk_store.metadata, desk_store.DeskStore),
        ("insights", insights_store.metadata, insights_store.InsightsStore),
        ("insight_events", insights_consumer.metadata, insights_consumer.events_engine),
    ):
        url = empty_database(kind, f"{name}_tables", request, tmp_path)
        opener(url)
        engine = sa.create_engine(url, future=True)
        inspector = sa.inspect(engine)
        for table in metadata.sorted_tables:
            made = {c["name"]: c for c in inspector.get_columns(table.name)}
            assert set(made) == {c.name for c in table.columns}, table.name
            for column in table.columns:
                assert made[column.name]["nullable"] == column.nullable, column
            indexes = {i["name"] for i in inspector.get_indexes(table.name)}
            assert {i.name for i in table.indexes} <= indexes, table.name
        engine.dispose()
