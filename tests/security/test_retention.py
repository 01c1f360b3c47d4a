"""Retention: conversations and call-back requests older than RETENTION_DAYS are deleted.

On real SQLite files through the same stores the stack uses; the daily schedule runs in
the Rasa server's tracker store (endpoints.yml `retention_schedule: true`).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.retention as retention
from bot.settings import PROJECT_ROOT, settings
from bot.tracker_store import PrivacyTrackerStore
from services.callbacks import CallbackRequest, CallbackStore
from tests.support.postgres import new_database

DAY = 86400.0
NOW = 1_790_000_000.0


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain"))


def conversation(store, sender, last_seen):
    events = [
        ActionExecuted("action_listen", timestamp=last_seen - 10),
        UserUttered("hallo", intent={"name": "greet"}, timestamp=last_seen),
    ]
    tracker = DialogueStateTracker.from_events(sender, events, store.domain.slots)
    asyncio.run(store.save(tracker))


def senders(db_path) -> set[str]:
    with sqlite3.connect(db_path) as db:
        return {s for (s,) in db.execute("SELECT DISTINCT sender_id FROM events")}


def callback(first_name="Fatima") -> CallbackRequest:
    return CallbackRequest(first_name, "+31612345678", "morning", "Taalhuis Breda")


@pytest.fixture
def stores(tmp_path, domain, clean_settings):
    clean_settings.setenv("VAR_DIR", str(tmp_path))
    tracker = PrivacyTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    conversation(tracker, "old", NOW - 31 * DAY)
    conversation(tracker, "recent", NOW - 29 * DAY)
    conversation(tracker, "today", NOW - 60)
    url = f"sqlite:///{tmp_path / 'callbacks.db'}"
    callbacks = CallbackStore(url, retention_days=30)
    moment = datetime.fromtimestamp(NOW, tz=timezone.utc)
    old = callbacks.add(callback("Oud"), now=moment - timedelta(days=31))
    new = callbacks.add(callback("Nieuw"), now=moment - timedelta(days=1))
    return tracker, url, old, new


def test_purge_deletes_what_is_older_than_the_retention_period_and_keeps_the_rest(stores):
    tracker, url, old, new = stores
    result = retention.purge(tracker, url, days=30, now=NOW)
    assert result == retention.PurgeResult(conversations=1, callbacks=1)
    assert senders(tracker.engine.url.database) == {"recent", "today"}
    callbacks = CallbackStore(url)
    assert callbacks.get(old.reference) is None
    assert callbacks.get(new.reference) is not None


def test_a_shorter_retention_period_applies_to_requests_stored_earlier(stores):
    tracker, url, old, new = stores
    assert retention.purge(tracker, url, days=0.5, now=NOW).callbacks == 2
    assert senders(tracker.engine.url.database) == {"today"}


def test_make_purge_uses_the_configured_stores(tmp_path, clean_settings, domain, capsys):
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    config = settings()
    config.tracker_db.parent.mkdir(parents=True)
    tracker = PrivacyTrackerStore(domain=domain, dialect="sqlite", db=str(config.tracker_db))
    conversation(tracker, "old", time.time() - 40 * DAY)
    conversation(tracker, "new", time.time() - 60)
    callbacks = CallbackStore(config.callback_database_url)
    callbacks.add(callback(), now=datetime.now(timezone.utc) - timedelta(days=40))
    kept = callbacks.add(callback())
    settings.cache_clear()
    before = dict(os.environ)
    assert retention.main([]) == 0
    assert (
        "Deleted conversations: 1; call-back requests: 1; event broker conversations: 0."
        in capsys.readouterr().out
    )
    # The values endpoints.yml needed were set only while it was read: a stack started later
    # in the same process must not inherit this run's tracker store.
    assert dict(os.environ) == before
    assert senders(config.tracker_db) == {"new"}
    assert [r.reference for r in callbacks.open_requests()] == [kept.reference]


def test_makefile_has_a_purge_target():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\npurge: " in makefile and "-m bot.retention" in makefile


def test_the_schedule_runs_the_job_again_and_again():
    ran = threading.Event()
    calls = []

    def job():
        calls.append(time.monotonic())
        if len(calls) >= 3:
            ran.set()

    schedule = retention.RetentionSchedule(job, every=0.05, first_delay=0.01).start()
    try:
        assert ran.wait(5)
    finally:
        schedule.stop()
    assert schedule.runs >= 3


def test_the_first_run_waits_for_the_first_delay_and_stop_ends_the_schedule():
    started = time.monotonic()
    calls: list[float] = []
    ran = threading.Event()

    def job():
        calls.append(time.monotonic() - started)
        ran.set()

    schedule = retention.RetentionSchedule(job, every=3600, first_delay=0.3).start()
    try:
        assert ran.wait(5)
    finally:
        schedule.stop()
    assert calls[0] >= 0.3 and len(calls) == 1  # the next run is an hour away
    assert not [t for t in threading.enumerate() if t.name == "APScheduler"]
    schedule.stop()  # a second stop is harmless


def test_no_run_after_stop():
    calls = []
    schedule = retention.RetentionSchedule(lambda: calls.append(1), every=0.05, first_delay=0.3)
    schedule.start().stop()
    time.sleep(0.5)
    assert calls == []


def test_a_failing_run_does_not_stop_the_schedule(caplog):
    ran = threading.Event()
    calls = []

    def job():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away at postgresql://user:secret@db")
        ran.set()

    schedule = retention.RetentionSchedule(job, every=0.02, first_delay=0.01).start()
    try:
        assert ran.wait(5)
    finally:
        schedule.stop()
    assert "Retention run failed: RuntimeError" in caplog.text
    assert "secret" not in caplog.text  # the type only: a message could hold connection details


def test_the_rasa_tracker_store_starts_the_daily_schedule(tmp_path, domain, monkeypatch):
    """endpoints.yml turns it on; the store Rasa creates then purges itself every day."""
    # Plain YAML: the ${...} values are the launcher's to set, not this test's.
    endpoint = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))[
        "tracker_store"
    ]
    assert endpoint["type"] == "bot.tracker_store.PrivacyTrackerStore"
    assert endpoint["retention_schedule"] is True

    started = []
    monkeypatch.setattr(retention, "start_schedule", started.append)
    store = PrivacyTrackerStore(
        domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"), retention_schedule=True
    )
    assert started == [store]
    PrivacyTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "u.db"))
    assert started == [store], "off unless configured"


def test_the_scheduled_job_purges_the_store_it_was_started_with(
    stores, monkeypatch, clean_settings
):
    tracker, url, old, new = stores
    clean_settings.setenv("CALLBACK_DATABASE_URL", url)
    clean_settings.setenv("RETENTION_EVERY_HOURS", str(0.05 / 3600))
    monkeypatch.setattr(retention, "FIRST_RUN_DELAY_SECONDS", 0.01)
    monkeypatch.setattr(retention, "_schedule", None)
    real_purge = retention.purge
    done = threading.Event()

    def purge_at_now(store):
        real_purge(store, now=NOW)
        done.set()

    monkeypatch.setattr(retention, "purge", purge_at_now)
    schedule = retention.start_schedule(tracker)
    try:
        assert done.wait(10)
        assert retention.start_schedule(tracker) is schedule, "one schedule per process"
    finally:
        schedule.stop()
    assert senders(tracker.engine.url.database) == {"recent", "today"}
    assert CallbackStore(url).get(old.reference) is None


def test_the_schedule_can_be_switched_off(clean_settings, monkeypatch):
    clean_settings.setenv("RETENTION_EVERY_HOURS", "0")
    monkeypatch.setattr(retention, "_schedule", None)
    assert retention.start_schedule(object()) is None


@pytest.fixture(scope="module")
def postgres_url(postgres_cluster):
    """A throwaway PostgreSQL database (tests/support/postgres.py)."""
    return new_database(postgres_cluster, "retention")


def test_purge_works_on_postgresql(postgres_url, domain, clean_settings):
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    tracker = PrivacyTrackerStore(
        domain=domain, dialect="postgresql", host=url.host, port=url.port,
        db=url.database, username=url.username, password=url.password,
    )  # fmt: skip
    conversation(tracker, "old", NOW - 31 * DAY)
    conversation(tracker, "new", NOW - 60)
    callbacks = CallbackStore(postgres_url)
    moment = datetime.fromtimestamp(NOW, tz=timezone.utc)
    old = callbacks.add(callback("Oud"), now=moment - timedelta(days=31))
    new = callbacks.add(callback("Nieuw"), now=moment - timedelta(days=1))
    result = retention.purge(tracker, postgres_url, days=30, now=NOW)
    assert result == retention.PurgeResult(conversations=1, callbacks=1)
    with tracker.session_scope() as session:
        left = {s for (s,) in session.query(tracker.SQLEvent.sender_id).distinct()}
    assert left == {"new"}
    assert callbacks.get(old.reference) is None and callbacks.get(new.reference)
