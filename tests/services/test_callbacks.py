from datetime import datetime, timedelta, timezone

import pytest

from services.callbacks import CallbackRequest, CallbackStore
from services.callbacks.store import REFERENCE_ALPHABET


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
