"""The privacy tracker store on a real SQLite database, through Rasa's own tracker API."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.settings import PROJECT_ROOT
from bot.tracker_store import PrivacyTrackerStore


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.fixture
def store(tmp_path, domain):
    return PrivacyTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def stored_data(store, sender):
    with sqlite3.connect(store.engine.url.database) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))
        return [json.loads(data) for (data,) in rows]


def save(store, tracker):
    asyncio.run(store.save(tracker))


def user(text, intent="inform", entities=None):
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 1.0},
        entities=entities or [],
        parse_data={"text": text, "intent": {"name": intent}, "entities": entities or []},
    )


def test_personal_numbers_are_masked_before_they_are_stored(store, domain):
    tracker = DialogueStateTracker.from_events(
        "masked",
        [
            ActionExecuted("action_listen"),
            user(
                "mijn bsn is 111222333 en mail jan@example.nl, bel 0612345678",
                entities=[{"entity": "age", "value": "111222333", "start": 12, "end": 21}],
            ),
            SlotSet("age", "111222333"),
            BotUttered("Bel Taalhuis Breda: 076 529 1234"),
        ],
        domain.slots,
    )
    save(store, tracker)
    stored = json.dumps(stored_data(store, "masked"))
    for secret in ("111222333", "jan@example.nl", "0612345678"):
        assert secret not in stored
    assert "[BSN]" in stored and "[E-MAIL]" in stored and "[TELEFOON]" in stored
    # The bot's own words are not touched: an organization's number stays.
    assert "076 529 1234" in stored


def test_the_phone_number_asked_for_a_call_back_is_kept(store, domain):
    tracker = DialogueStateTracker.from_events(
        "callback",
        [
            ActionExecuted("action_listen"),
            user("bel mij terug", "request_callback"),
            ActionExecuted("callback_form"),
            ActiveLoop("callback_form"),
            SlotSet("requested_slot", "callback_phone"),
            ActionExecuted("action_listen"),
            user("06-12345678"),
            SlotSet("callback_phone", "+31612345678"),
            SlotSet("requested_slot", "callback_daypart"),
            ActionExecuted("action_listen"),
            user("mijn andere nummer is 0687654321"),
        ],
        domain.slots,
    )
    save(store, tracker)
    stored = json.dumps(stored_data(store, "callback"))
    assert "06-12345678" in stored and "+31612345678" in stored
    assert "0687654321" not in stored


def test_saving_twice_stores_each_event_once_in_order(store, domain):
    events = [ActionExecuted("action_listen"), user("hallo", "greet")]
    tracker = DialogueStateTracker.from_events("twice", events, domain.slots)
    save(store, tracker)
    tracker.update(BotUttered("Hallo!"))
    save(store, tracker)
    save(store, tracker)
    assert [e["event"] for e in stored_data(store, "twice")] == ["action", "user", "bot"]
    retrieved = asyncio.run(store.retrieve("twice"))
    assert [e.type_name for e in retrieved.events] == ["action", "user", "bot"]


def test_forget_me_deletes_every_stored_event(store, domain):
    tracker = DialogueStateTracker.from_events(
        "forget", [ActionExecuted("action_listen"), user("hallo", "greet")], domain.slots
    )
    save(store, tracker)
    tracker.update(user("wis mijn gegevens", "forget_me"))
    tracker.update(ActionExecuted("action_forget_me"))
    tracker.update(BotUttered("Ik heb dit gesprek gewist."))
    save(store, tracker)
    assert stored_data(store, "forget") == []
    assert asyncio.run(store.retrieve("forget")) is None


def test_retention_deletes_only_old_conversations(store, domain):
    for sender in ("old", "new"):
        tracker = DialogueStateTracker.from_events(
            sender, [ActionExecuted("action_listen"), user("hallo", "greet")], domain.slots
        )
        save(store, tracker)
    in_40_days = time.time() + 40 * 86400
    with sqlite3.connect(store.engine.url.database) as db:
        db.execute("UPDATE events SET timestamp = ? WHERE sender_id = 'new'", (in_40_days,))
    deleted = store.delete_older_than(days=30, now=time.time() + 35 * 86400)
    assert deleted == 1
    assert stored_data(store, "old") == []
    assert stored_data(store, "new")
