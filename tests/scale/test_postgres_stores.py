"""The stores the scaled setup puts on PostgreSQL: the privacy tracker store (masking, "forget
me", retention) as endpoints.yml configures it (TRACKER_STORE_URL), and the call-back store.

Without PostgreSQL's binaries a bare pytest skips these tests and `make test` fails them
(tests/support/binaries.py); LEERWIJZER_SKIP_POSTGRES=1 skips them on purpose."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.tracker_store import PrivacyTrackerStore
from deploy.local.throwaway_postgres import ThrowawayPostgres
from services.callbacks import CallbackStore
from services.callbacks.store import CallbackRequest
from tests.support.binaries import require_postgres


@pytest.fixture(scope="module")
def cluster():
    require_postgres("the scaled setup keeps its stores there")
    # With the binaries there, a cluster that will not start is a failure, not a skip.
    with ThrowawayPostgres() as running:
        yield running


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain"))


@pytest.fixture
def tracker_store(cluster, domain, request):
    name = f"tracker_{request.node.name[-20:].lower().replace('[', '_').replace(']', '')}"
    url = cluster.create_database("".join(c for c in name if c.isalnum() or c == "_"))
    # As endpoints.yml passes it: the whole URL in `url` (Rasa's `host`).
    store = PrivacyTrackerStore(domain=domain, host=url)
    yield store
    store.engine.dispose()


def stored(cluster, store, sender):
    rows = cluster.psql(
        f"SELECT data FROM events WHERE sender_id = '{sender}' ORDER BY id",
        database=store.engine.url.database,
    )
    return [json.loads(line) for line in rows.splitlines()]


def tracker(sender, domain, *texts):
    events = [ActionExecuted("action_listen")]
    for text in texts:
        events += [UserUttered(text, intent={"name": "inform", "confidence": 1.0})]
        events += [BotUttered("Dank u."), ActionExecuted("action_listen")]
    return DialogueStateTracker.from_events(sender, events, domain.slots)


def test_masks_and_appends_each_event_once_on_postgresql(cluster, tracker_store, domain):
    assert tracker_store.engine.dialect.name == "postgresql"
    asyncio.run(tracker_store.save(tracker("pg", domain, "hallo")))
    asyncio.run(tracker_store.save(tracker("pg", domain, "hallo", "mijn bsn is 111222333")))
    events = stored(cluster, tracker_store, "pg")
    assert [e["event"] for e in events].count("user") == 2
    assert "111222333" not in json.dumps(events)
    restored = asyncio.run(tracker_store.retrieve("pg"))
    assert [e.text for e in restored.events if isinstance(e, UserUttered)][0] == "hallo"


def test_forget_me_and_retention_on_postgresql(cluster, tracker_store, domain):
    asyncio.run(tracker_store.save(tracker("old", domain, "hallo")))
    asyncio.run(tracker_store.save(tracker("keep", domain, "hallo")))
    assert tracker_store.delete_conversation("keep") > 0
    assert stored(cluster, tracker_store, "keep") == []
    assert tracker_store.delete_older_than(days=1, now=time.time() + 2 * 86400) == 1
    assert stored(cluster, tracker_store, "old") == []


def test_callback_requests_on_postgresql(cluster):
    store = CallbackStore(cluster.create_database("callbacks"), retention_days=30)
    stored_request = store.add(CallbackRequest("Fatima", "+31612345678", "morning", "Taalhuis"))
    again = CallbackStore(store.engine.url.render_as_string(hide_password=False))
    found = again.get(stored_request.reference)
    assert found is not None and found.phone == "+31612345678"
    assert found.created_at.tzinfo is not None
    later = datetime.now(timezone.utc) + timedelta(days=31)
    assert again.delete_expired(now=later) == 1
