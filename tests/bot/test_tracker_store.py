"""The privacy tracker store on a real SQLite database, through Rasa's own tracker API;
"wis mijn gegevens" also with the stores linked to a sender, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.channels.whatsapp import WhatsAppConfig
from bot.channels.whatsapp_store import Choice, open_whatsapp_store
from bot.settings import PROJECT_ROOT, settings
from bot.tracker_store import PrivacyTrackerStore
from services.callbacks import CallbackRequest, CallbackStore
from tests.support.postgres import new_database


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(PROJECT_ROOT / "domain"))


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


def conversation(sender, domain):
    return DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), user("hallo", "greet")], domain.slots
    )


def forget(store, tracker):
    """The turn of "wis mijn gegevens", saved as the Rasa server saves it."""
    tracker.update(user("wis mijn gegevens", "forget_me"))
    tracker.update(ActionExecuted("action_forget_me"))
    tracker.update(BotUttered("Ik heb dit gesprek gewist."))
    save(store, tracker)


@pytest.fixture
def linked(clean_settings, tmp_path):
    """The stores that keep records under a sender id, where the settings say they are
    (here SQLite in a VAR_DIR of the test's own); the WhatsApp one as the channel opens it."""
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    callbacks = CallbackStore(settings().callback_database_url)
    whatsapp = open_whatsapp_store(WhatsAppConfig.from_credentials({}).store_url)
    return callbacks, whatsapp


def person(sender, domain, store, callbacks, whatsapp):
    """A WhatsApp conversation that asked for a call-back: what it leaves in each store."""
    save(store, conversation(sender, domain))
    request = CallbackRequest("Fatima", "+31612345678", "morning", "Taalhuis Breda")
    stored = callbacks.add(request, sender_id=sender)
    whatsapp.record_inbound(sender, 1.0)
    whatsapp.save_choices(sender, [Choice("Ja", "/affirm")], now=1.0)
    return stored.reference


def test_forget_me_deletes_every_stored_event(store, domain, linked):
    tracker = conversation("forget", domain)
    save(store, tracker)
    forget(store, tracker)
    assert stored_data(store, "forget") == []
    assert asyncio.run(store.retrieve("forget")) is None


def test_forget_me_deletes_the_call_back_requests_and_whatsapp_rows_of_that_sender(
    store, domain, linked
):
    callbacks, whatsapp = linked
    gone = person("wa-forget", domain, store, callbacks, whatsapp)
    kept = person("wa-keep", domain, store, callbacks, whatsapp)
    forget(store, conversation("wa-forget", domain))
    assert stored_data(store, "wa-forget") == []
    assert callbacks.get(gone) is None
    assert whatsapp.last_inbound("wa-forget") is None and whatsapp.choices("wa-forget") == []
    # Another person's conversation, request and row stay.
    assert stored_data(store, "wa-keep")
    assert callbacks.get(kept) is not None
    assert whatsapp.last_inbound("wa-keep") == 1.0 and whatsapp.choices("wa-keep")
    # Asking again (a new conversation under the same sender id) is harmless.
    forget(store, conversation("wa-forget", domain))
    assert stored_data(store, "wa-forget") == [] and callbacks.get(kept) is not None


def test_a_linked_store_that_fails_does_not_stop_the_others(store, domain, linked, caplog):
    callbacks, whatsapp = linked
    person("wa-forget", domain, store, callbacks, whatsapp)
    linked_settings = settings()
    # The call-back database is down (nothing listens on port 1).
    caplog.set_level(logging.ERROR, logger="bot.tracker_store")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CALLBACK_DATABASE_URL", "postgresql://leerwijzer@127.0.0.1:1/callbacks")
        settings.cache_clear()
        forget(store, conversation("wa-forget", domain))
    settings.cache_clear()
    assert stored_data(store, "wa-forget") == []
    assert whatsapp.last_inbound("wa-forget") is None
    assert "deleting call-back requests failed: OperationalError" in caplog.text
    assert "wa-forget" not in caplog.text and "127.0.0.1" not in caplog.text
    # Once the store is back, saying it again deletes the request.
    assert len(callbacks.open_requests()) == 1
    assert settings().callback_database_url == linked_settings.callback_database_url
    forget(store, conversation("wa-forget", domain))
    assert callbacks.open_requests() == []


def test_forget_me_on_postgresql(postgres_cluster, domain, clean_settings, tmp_path):
    """The scaled setup: tracker, call-back and WhatsApp stores all on PostgreSQL."""
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    clean_settings.setenv("CALLBACK_DATABASE_URL", new_database(postgres_cluster, "callbacks"))
    clean_settings.setenv("WHATSAPP_STORE_URL", new_database(postgres_cluster, "whatsapp"))
    url = make_url(new_database(postgres_cluster, "tracker"))
    store = PrivacyTrackerStore(
        domain=domain, dialect="postgresql", host=url.host, port=url.port,
        db=url.database, username=url.username, password=url.password,
    )  # fmt: skip
    callbacks = CallbackStore(settings().callback_database_url)
    whatsapp = open_whatsapp_store(os.environ["WHATSAPP_STORE_URL"])
    gone = person("wa-forget", domain, store, callbacks, whatsapp)
    kept = person("wa-keep", domain, store, callbacks, whatsapp)
    forget(store, conversation("wa-forget", domain))
    with store.session_scope() as session:
        left = {s for (s,) in session.query(store.SQLEvent.sender_id).distinct()}
    assert left == {"wa-keep"}
    assert callbacks.get(gone) is None and callbacks.get(kept) is not None
    assert whatsapp.last_inbound("wa-forget") is None and whatsapp.last_inbound("wa-keep") == 1.0
    forget(store, conversation("wa-forget", domain))  # again: harmless
    assert callbacks.get(kept) is not None


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


def test_a_failing_store_stops_the_turn_instead_of_starting_a_new_conversation(tmp_path):
    """Rasa's FailSafeTrackerStore would answer a failed read with an empty conversation."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import FailSafeTrackerStore

    from bot.tracker_store import ConversationStoreUnavailable

    class Broken(PrivacyTrackerStore):
        async def retrieve(self, sender_id):  # noqa: ANN001, ANN201
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    broken = Broken(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    with pytest.raises(ConversationStoreUnavailable):
        asyncio.run(FailSafeTrackerStore(broken).retrieve("citizen-1"))


def sessions_of(sender: str, domain: Domain) -> DialogueStateTracker:
    """Two conversation sessions (a second SessionStarted), as after a long pause."""
    from rasa.shared.core.events import SessionStarted

    tracker = DialogueStateTracker(sender, domain.slots)
    for number, first in enumerate((1000.0, 5000.0)):
        for event in (
            ActionExecuted("action_session_start", timestamp=first),
            SessionStarted(timestamp=first),
            ActionExecuted("action_listen", timestamp=first + 1),
            user(f"hallo {number}"),
            BotUttered(f"dag {number}", timestamp=first + 3),
        ):
            if isinstance(event, UserUttered):
                event.timestamp = first + 2
            tracker.update(event)
    return tracker


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_latest_session_is_read_and_counted_as_rasa_does(dialect, domain, tmp_path, request):
    """The statements built once give what Rasa's `_event_query` gives, on both databases."""
    from rasa.core.tracker_store import SQLTrackerStore

    if dialect == "sqlite":
        store = PrivacyTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    else:
        url = make_url(new_database(request.getfixturevalue("postgres_cluster"), "latest"))
        store = PrivacyTrackerStore(
            domain=domain, dialect="postgresql", host=url.host, port=url.port,
            db=url.database, username=url.username, password=url.password,
        )  # fmt: skip
    save(store, sessions_of("two-sessions", domain))
    save(store, sessions_of("other", domain))
    new = DialogueStateTracker("one-session", domain.slots)
    new.update(ActionExecuted("action_listen", timestamp=10.0))
    new.update(user("hoi"))
    save(store, new)
    for sender in ("two-sessions", "other", "one-session", "nobody"):
        ours = asyncio.run(store.retrieve(sender))
        rasa = asyncio.run(SQLTrackerStore._retrieve(store, sender, False))
        if rasa is None:
            assert ours is None
            continue
        assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasa.events]
        with store.session_scope() as session:
            rasa_count = store._event_query(session, sender, False).count()
            ours_count = session.execute(store._latest_session[1], {"sender_id": sender})
            assert ours_count.scalar_one() == rasa_count
    assert [
        e.text for e in asyncio.run(store.retrieve("two-sessions")).events if e.type_name == "user"
    ] == ["hallo 1"]
    # A whole conversation, all sessions, is Rasa's own reading.
    assert len(asyncio.run(store.retrieve_full_tracker("two-sessions")).events) == 10
