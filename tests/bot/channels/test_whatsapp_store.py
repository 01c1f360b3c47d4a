"""The WhatsApp channel's store on every backend: memory, SQLite and PostgreSQL.

The SQL stores are what makes two Rasa processes agree on which delivery was handled:
each test that says "two processes" uses two store objects (two engines) on one database.
"""

from __future__ import annotations

import shutil
import threading

import pytest
import sqlalchemy as sa

from bot.channels.whatsapp import WhatsAppConfig
from bot.channels.whatsapp_store import (
    MEMORY_URL,
    MIGRATIONS,
    VERSION_TABLE,
    Choice,
    MemoryWhatsAppStore,
    SqlWhatsAppStore,
    configured_store_url,
    forget_user_at,
    messages_table,
    open_whatsapp_store,
    users_table,
)
from services.schema_migrations import current_revision, upgrade
from tests.support.postgres import new_database


@pytest.fixture(scope="module")
def postgres_database(postgres_cluster) -> str:
    """One throwaway PostgreSQL database for this module; emptied before each test."""
    return new_database(postgres_cluster, "whatsapp")


def empty_postgres(request) -> str:
    url = request.getfixturevalue("postgres_database")
    store = SqlWhatsAppStore(url)
    with store.engine.begin() as connection:
        for table in (messages_table, users_table):
            connection.execute(table.delete())
    store.engine.dispose()
    return url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "memory":
        return MEMORY_URL
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'var' / 'whatsapp.db'}"
    return empty_postgres(request)


@pytest.fixture
def store(store_url):
    return open_whatsapp_store(store_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request, tmp_path) -> str:
    """A database that several processes (here: several store objects) share."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'whatsapp.db'}"
    return empty_postgres(request)


def test_open_picks_the_backend(tmp_path):
    assert isinstance(open_whatsapp_store(MEMORY_URL), MemoryWhatsAppStore)
    assert isinstance(open_whatsapp_store(f"sqlite:///{tmp_path}/w.db"), SqlWhatsAppStore)


def test_a_message_is_claimed_once(store):
    assert store.claim_message("m1", now=100.0)
    assert not store.claim_message("m1", now=101.0)
    assert store.claim_message("m2", now=101.0)


def test_the_latest_inbound_time_is_kept(store):
    assert store.last_inbound("u1") is None
    store.record_inbound("u1", 200.0)
    store.record_inbound("u1", 150.0)  # a late, older delivery does not move it back
    assert store.last_inbound("u1") == 200.0
    store.record_inbound("u1", 300.0)
    assert store.last_inbound("u1") == 300.0


def test_choices_are_replaced_and_forgotten(store):
    assert store.choices("u1") == []
    store.record_inbound("u1", 5.0)
    choices = [Choice("Wie betaalt?", '/inform{"goal": "café"}'), Choice("Hulp", "/help")]
    store.save_choices("u1", choices, now=10.0)
    assert store.choices("u1") == choices
    store.record_inbound("u1", 20.0)
    assert store.choices("u1") == choices  # recording a message keeps them
    store.save_choices("u1", [], now=30.0)
    assert store.choices("u1") == []
    assert store.last_inbound("u1") == 20.0


def test_forget_user_deletes_that_user_only_and_may_run_twice(store):
    for user in ("u1", "u2"):
        store.record_inbound(user, 1.0)
        store.save_choices(user, [Choice("Ja", "/affirm")], now=1.0)
    store.forget_user("u1")
    assert store.last_inbound("u1") is None and store.choices("u1") == []
    assert store.last_inbound("u2") == 1.0 and store.choices("u2") == [Choice("Ja", "/affirm")]
    store.forget_user("u1")
    store.forget_user("never-wrote")
    assert store.last_inbound("u2") == 1.0


def test_the_end_of_the_turn_does_not_store_a_forgotten_user_again(store):
    store.record_inbound("u1", 1.0)
    store.forget_user("u1")  # "wis mijn gegevens", during the turn
    store.save_choices("u1", [Choice("Ja", "/affirm")], now=2.0)  # the channel's finish_turn
    assert store.choices("u1") == [] and store.last_inbound("u1") is None
    if isinstance(store, SqlWhatsAppStore):
        with store.engine.connect() as connection:
            assert connection.execute(sa.select(users_table)).all() == []
    store.record_inbound("u1", 3.0)  # writing again starts afresh
    assert store.last_inbound("u1") == 3.0


def test_a_reply_address_is_kept_for_a_user_who_wrote_only(store):
    assert store.reply_to("u1") is None
    store.save_reply_to("u1", "31612345678", now=1.0)  # never wrote: no row is made for it
    assert store.reply_to("u1") is None and store.last_inbound("u1") is None
    store.record_inbound("u1", 2.0)
    store.save_choices("u1", [Choice("Ja", "/affirm")], now=2.0)
    store.save_reply_to("u1", "31612345678", now=3.0)
    assert store.reply_to("u1") == "31612345678"
    assert store.choices("u1") == [Choice("Ja", "/affirm")]  # the other facts stay
    store.record_inbound("u1", 4.0)
    store.save_choices("u1", [], now=4.0)
    assert store.reply_to("u1") == "31612345678"  # an ordinary turn later keeps it
    assert store.reply_to("u2") is None


def test_forget_user_deletes_the_reply_address(store):
    for user, wa_id in (("u1", "31600000001"), ("u2", "31600000002")):
        store.record_inbound(user, 1.0)
        store.save_reply_to(user, wa_id, now=1.0)
    store.forget_user("u1")
    assert store.reply_to("u1") is None and store.reply_to("u2") == "31600000002"
    store.save_reply_to("u1", "31600000001", now=2.0)  # a late end of the turn: still gone
    assert store.reply_to("u1") is None
    store.record_inbound("u1", 3.0)  # writing again: a row without a reply address
    assert store.reply_to("u1") is None


def test_purge_deletes_the_reply_address_of_a_silent_user(store):
    for user, at in (("gone", 10.0), ("here", 1000.0)):
        store.record_inbound(user, at)
        store.save_reply_to(user, "316" + user, now=at)
    assert store.purge(messages_before=500.0, users_before=500.0) == 1
    assert store.reply_to("gone") is None and store.reply_to("here") == "316here"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_store_at_the_first_revision_gets_the_reply_column_and_keeps_its_rows(
    kind, request, tmp_path
):
    """Revision 0002 on a database that revision 0001 made and the channel used."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'whatsapp.db'}"
    else:
        url = new_database(request.getfixturevalue("postgres_cluster"), "whatsapp_0001")
    first = tmp_path / "revision-0001"  # the folder as it was before 0002
    (first / "versions").mkdir(parents=True)
    shutil.copy(next((MIGRATIONS / "versions").glob("0001_*.py")), first / "versions")
    upgrade(url, first, VERSION_TABLE)
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO whatsapp_users (user_key, last_inbound, choices, updated_at) "
                """VALUES ('u1', 5.0, '[["Ja", "/affirm"]]', 6.0)"""
            )
        )
        connection.execute(sa.text("INSERT INTO whatsapp_messages VALUES ('m1', 5.0)"))
    engine.dispose()
    assert current_revision(url, VERSION_TABLE) == "0001"

    store = SqlWhatsAppStore(url)
    assert current_revision(url, VERSION_TABLE) == "0002"
    assert store.last_inbound("u1") == 5.0 and store.choices("u1") == [Choice("Ja", "/affirm")]
    assert store.reply_to("u1") is None
    assert not store.claim_message("m1", now=7.0)  # handled before the upgrade: not again
    store.save_reply_to("u1", "31612345678", now=7.0)
    assert store.reply_to("u1") == "31612345678"
    store.engine.dispose()


def test_forget_user_at_reaches_the_shared_store(shared_url):
    channel = open_whatsapp_store(shared_url)  # the channel's own store object
    for user in ("wa-forget", "wa-other"):
        channel.record_inbound(user, 1.0)
    assert forget_user_at(shared_url, "wa-forget")
    assert forget_user_at(shared_url, "wa-forget")  # again: harmless
    assert channel.last_inbound("wa-forget") is None
    assert channel.last_inbound("wa-other") == 1.0


def test_forget_user_at_makes_no_store_where_there_is_none(tmp_path):
    absent = tmp_path / "var" / "whatsapp.db"
    assert not forget_user_at(f"sqlite:///{absent}", "wa-1")
    assert not absent.exists() and not absent.parent.exists()
    assert not forget_user_at(MEMORY_URL, "wa-1")


def test_the_configured_store_is_the_channels(clean_settings, tmp_path):
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    assert configured_store_url() == f"sqlite:///{tmp_path / 'var' / 'whatsapp.db'}"
    assert WhatsAppConfig.from_credentials({}).store_url == configured_store_url()
    clean_settings.setenv("WHATSAPP_STORE_URL", "postgresql://db/whatsapp")
    assert configured_store_url() == "postgresql://db/whatsapp"


def test_purge_removes_old_claims_and_silent_users(store):
    store.claim_message("old", now=10.0)
    store.claim_message("new", now=1000.0)
    store.record_inbound("gone", 10.0)
    store.record_inbound("here", 1000.0)
    assert store.purge(messages_before=500.0, users_before=500.0) == 2
    assert store.claim_message("old", now=1001.0)  # may be claimed again: long expired
    assert not store.claim_message("new", now=1001.0)
    assert store.last_inbound("gone") is None and store.last_inbound("here") == 1000.0


def test_two_processes_on_one_database_claim_a_message_once(shared_url):
    stores = [open_whatsapp_store(shared_url) for _ in range(2)]
    results: list[bool] = []
    start = threading.Barrier(8)

    def claim(index: int) -> None:
        start.wait()
        results.append(stores[index % 2].claim_message("same-delivery", now=1.0))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_choices_survive_a_restart(shared_url):
    first = open_whatsapp_store(shared_url)
    first.record_inbound("u1", 1.0)
    first.save_choices("u1", [Choice("Ja", "/affirm")], now=1.0)
    assert open_whatsapp_store(shared_url).choices("u1") == [Choice("Ja", "/affirm")]


def test_two_processes_upsert_the_same_new_user(shared_url):
    stores = [open_whatsapp_store(shared_url) for _ in range(2)]
    start = threading.Barrier(6)

    def record(index: int) -> None:
        start.wait()
        stores[index % 2].record_inbound("new-user", float(index))

    threads = [threading.Thread(target=record, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stores[0].last_inbound("new-user") == 5.0
