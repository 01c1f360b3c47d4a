import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from services.callbacks import CallbackRequest, CallbackStore
from services.callbacks.store import REFERENCE_ALPHABET, requests_table, sender_key
from tests.support.postgres import new_database


@pytest.fixture
def store(tmp_path):
    return CallbackStore(f"sqlite:///{tmp_path / 'sub' / 'callbacks.db'}", retention_days=30)


REQUEST = CallbackRequest("Jan", "+31612345678", "morning", "Taalhuis Breda", "dutch")


def test_add_returns_a_short_unambiguous_reference(store):
    stored = store.add(REQUEST)
    assert stored.reference.startswith("LW-") and len(stored.reference) == 9
    assert set(stored.reference[3:]) <= set(REFERENCE_ALPHABET)
    assert store.get(stored.reference) == stored


def test_a_request_survives_a_new_store_on_the_same_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'callbacks.db'}"
    stored = CallbackStore(url).add(REQUEST)
    assert CallbackStore(url).get(stored.reference).phone == "+31612345678"


def test_each_request_expires_after_the_retention_period(store):
    now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    old = store.add(REQUEST, now=now - timedelta(days=31))
    fresh = store.add(REQUEST, now=now - timedelta(days=2))
    assert old.expires_at == old.created_at + timedelta(days=30)
    assert store.delete_expired(now=now) == 1
    assert store.get(old.reference) is None
    assert store.get(fresh.reference) is not None


def test_delete_one(store):
    stored = store.add(REQUEST)
    assert store.delete(stored.reference)
    assert not store.delete(stored.reference)


# -- forgetting a conversation: its requests go, other conversations' stay (SQLite, PostgreSQL)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """An empty database of each kind the store runs on."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'callbacks.db'}"
    cluster = request.getfixturevalue("postgres_cluster")
    return new_database(cluster, "callbacks")


def rows(url: str) -> list[dict]:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(sa.select(requests_table))]
    finally:
        engine.dispose()


def test_delete_for_sender_deletes_that_conversations_requests_only(url):
    store = CallbackStore(url)
    mine = [store.add(REQUEST, sender_id="wa-3f9c0a1b") for _ in range(2)]
    other = store.add(
        CallbackRequest("Fatima", "+31687654321", "any", "Taalhuis"), sender_id="web-1"
    )
    unlinked = store.add(REQUEST)  # stored without a conversation (before the link existed)
    assert store.delete_for_sender("wa-3f9c0a1b") == 2
    assert all(store.get(request.reference) is None for request in mine)
    assert store.get(other.reference) == other
    assert store.get(unlinked.reference) == unlinked
    assert store.delete_for_sender("wa-3f9c0a1b") == 0  # again: nothing left, no error
    assert store.delete_for_sender("never-seen") == 0


def test_the_link_is_a_hash_of_the_sender_id_not_the_id(url):
    store = CallbackStore(url)
    store.add(REQUEST, sender_id="web-secret-session-id")
    [row] = rows(url)
    assert row["sender_key"] == sender_key("web-secret-session-id")
    assert "web-secret-session-id" not in json.dumps(row, default=str)
    assert sender_key("web-secret-session-id") != sender_key("web-secret-session-id2")


# Columns added after the first release: sender_key (2026-11), the desk's work (revision 0002).
LATER_COLUMNS = {
    "sender_key", "desk_id", "status", "claimed_by", "note", "attempts", "finished_at",
}  # fmt: skip


def make_old_table(url: str) -> None:
    old = sa.MetaData()
    old_table = sa.Table(  # callback_requests as it was before sender_key
        "callback_requests",
        old,
        *[sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
          for c in requests_table.columns if c.name not in LATER_COLUMNS],
    )  # fmt: skip
    engine = sa.create_engine(url, future=True)
    old.create_all(engine)
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(
            old_table.insert().values(
                reference="LW-OLD234",
                first_name="Jan",
                phone="+31612345678",
                daypart="any",
                organization="Taalhuis",
                created_at=now,
                expires_at=now + timedelta(days=30),
            )  # fmt: skip
        )
    engine.dispose()


def test_a_table_from_before_the_link_gets_its_column_and_keeps_its_requests(url):
    make_old_table(url)
    stores = [CallbackStore(url), CallbackStore(url)]  # a second start finds it done
    assert stores[0].get("LW-OLD234").first_name == "Jan"
    linked = stores[1].add(REQUEST, sender_id="s1")
    assert stores[0].delete_for_sender("s1") == 1
    assert stores[0].get(linked.reference) is None and stores[0].get("LW-OLD234")
    inspector = sa.inspect(stores[0].engine)
    assert "ix_callback_requests_sender_key" in {
        index["name"] for index in inspector.get_indexes("callback_requests")
    }


def test_processes_starting_at_once_on_an_old_table_all_start(url):
    make_old_table(url)
    start = threading.Barrier(4)
    opened: list[CallbackStore] = []

    def open_store() -> None:
        start.wait()
        opened.append(CallbackStore(url))

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 4
    linked = opened[0].add(REQUEST, sender_id="s1")
    assert opened[3].delete_for_sender("s1") == 1 and opened[1].get(linked.reference) is None
