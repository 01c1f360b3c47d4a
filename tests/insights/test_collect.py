"""Collecting: Rasa's events, minimised by the broker, become anonymous facts (docs/insights.md)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import date

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.event_broker import MinimalEventBroker, age_band, minimise, sql_broker
from services.insights import consumer as consumer_module
from services.insights.consumer import EventsConsumer, forget_events, purge_events
from services.insights.facts import facts_of
from services.insights.store import (
    InsightsStore,
    conversations_table,
    handovers_table,
    schemes_table,
    searches_table,
)

SENDER = "5f2a9c0e1b7d4e3fa6c8b9d0e1f2a3b4"
NAME, PHONE, BSN = "Fatima", "0612345678", "111222333"
MONDAY = 1_795_000_000.0  # 2026-11-18 (Wednesday) in UTC: week of Monday 2026-11-16


def conversation(sender: str = SENDER, start: float = MONDAY) -> list[dict]:
    """A kiosk conversation: a search that finds nothing near, a budget check, a person asked."""
    events = [
        SessionStarted(timestamp=start),
        UserUttered(
            f"ik ben {NAME}, 71 jaar, mijn nummer is {PHONE} en bsn {BSN}; computerles in Zundert",
            intent={"name": "find_course", "confidence": 0.9},
            entities=[{"entity": "municipality", "value": "Zundert"}],
            input_channel="socketio",
            metadata={"client": "kiosk", "place": "Breda"},
            timestamp=start + 1,
        ),
        SlotSet("language", "nl", timestamp=start + 2),
        SlotSet("municipality", f"ik woon bij {NAME} in Zundert", timestamp=start + 2),
        SlotSet("municipality", "Zundert", timestamp=start + 3),
        SlotSet("topic", "digital", timestamp=start + 3),
        SlotSet("age", "71", timestamp=start + 3),
        SlotSet("callback_name", NAME, timestamp=start + 3),
        SlotSet("callback_phone", PHONE, timestamp=start + 3),
        ActionExecuted("action_search_courses", timestamp=start + 4),
        BotUttered(f"Hallo {NAME}", timestamp=start + 4),
        SlotSet(
            "insight",
            {
                "kind": "search",
                "subject": "digital",
                "municipality": "Zundert",
                "results": 2,
                "more": False,
                "nearest_km": 17.4,
                "free_share": 0.0,
                "note": f"{NAME} free text",
            },
            timestamp=start + 4,
        ),
        UserUttered("wie betaalt?", intent={"name": "ask_budget"}, timestamp=start + 5),
        SlotSet(
            "insight",
            {
                "kind": "schemes",
                "nothing_fits": False,
                "checked": [
                    {"scheme": "stap-budget", "outcome": "maybe", "asked": False},
                    {"scheme": f"{NAME} {PHONE}", "outcome": "eligible", "asked": True},
                ],
            },
            timestamp=start + 6,
        ),
        UserUttered("huh", intent={"name": "nlu_fallback"}, timestamp=start + 7),
        ActionExecuted("action_fallback", timestamp=start + 7),
        UserUttered("mens", intent={"name": "human_handoff"}, timestamp=start + 8),
        SlotSet(
            "insight",
            {"kind": "handover", "reason": "misunderstood", "help_kind": "digital"},
            timestamp=start + 9,
        ),
        ActionExecuted("action_submit_callback", timestamp=start + 10),
    ]
    return [{"sender_id": sender, **event.as_dict()} for event in events]


def minimised(events: list[dict]) -> list[dict]:
    return [kept for kept in map(minimise, events) if kept is not None]


def test_the_broker_keeps_codes_and_numbers_never_words_or_personal_data():
    events = minimised(conversation())
    text = json.dumps(events)
    for personal in (NAME, PHONE, BSN, "ik woon", "Hallo"):
        assert personal not in text
    assert {e["event"] for e in events} == {"session_started", "user", "slot", "action"}
    user = next(e for e in events if e["event"] == "user")
    assert user == {
        "sender_id": SENDER,
        "event": "user",
        "timestamp": MONDAY + 1,
        "intent": "find_course",
        "input_channel": "kiosk",  # the widget's and kiosk's own name, not "socketio"
    }
    slots = {
        e["name"]: e["value"] for e in events if e["event"] == "slot" and e["name"] != "insight"
    }
    assert slots == {"language": "nl", "municipality": "Zundert", "topic": "digital", "age": "67+"}
    search = next(e["value"] for e in events if e.get("name") == "insight")
    assert "note" not in search and search["nearest_km"] == 17.4


@pytest.mark.parametrize(
    ("age", "band"),
    [("18", "<27"), (27, "27-44"), ("44", "27-44"), ("56", "45-56"), ("66", "57-66"),
     ("67", "67+"), ("103", "67+"), ("zeventig", None), ("-3", None), ("0612345678", None)],
)  # fmt: skip
def test_an_age_is_kept_only_as_a_band(age, band):
    assert age_band(age) == band


def test_a_conversation_becomes_facts_without_a_sender_id_or_time():
    (facts,) = facts_of(minimised(conversation()))
    assert facts.week == date(2026, 11, 16)
    assert (facts.language, facts.municipality, facts.age_band, facts.channel) == (
        "nl",
        "Zundert",
        "67+",
        "kiosk",
    )
    assert (facts.turns, facts.fallbacks, facts.budget_checked, facts.nothing_fits) == (
        4,
        1,
        True,
        False,
    )
    (search,) = facts.searches
    assert (search.subject, search.results, search.nearest_km, search.free_share) == (
        "digital",
        2,
        17.4,
        0.0,
    )
    assert [(s.scheme, s.outcome) for s in facts.schemes] == [("stap-budget", "maybe")]
    (handover,) = facts.handovers
    assert (handover.reason, handover.route) == ("misunderstood", "callback")


def test_each_session_is_its_own_conversation():
    events = minimised(conversation() + conversation(start=MONDAY + 86400 * 14))
    assert [f.week for f in facts_of(events)] == [date(2026, 11, 16), date(2026, 11, 30)]
    lonely = [{"event": "session_started", "timestamp": MONDAY}]
    assert facts_of(lonely) == []  # opened, never spoken: no conversation


@pytest.fixture
def stores(tmp_path):
    events_url = f"sqlite:///{tmp_path}/events.db"
    insights = InsightsStore(f"sqlite:///{tmp_path}/insights.db")
    broker = MinimalEventBroker(sql_broker(events_url))
    yield events_url, insights, broker
    insights.close()


def rows(insights: InsightsStore, table: sa.Table) -> list[dict]:
    with insights.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(table))]


def test_rasa_sql_broker_to_facts_once_and_only_for_finished_conversations(stores):
    events_url, insights, broker = stores
    for event in conversation("a" * 32) + conversation("b" * 32, start=time.time() - 60):
        broker.publish(event)
    with broker.inner.engine.connect() as connection:
        stored = [d for (d,) in connection.execute(sa.text("SELECT data FROM events"))]
    assert stored and not any(NAME in d or PHONE in d or BSN in d for d in stored)
    consumer = EventsConsumer(events_url, insights, close_after_minutes=60)
    first = consumer.run()
    assert (first.events, first.conversations) == (len(stored), 1)  # b is still going
    assert consumer.run().conversations == 0  # nothing twice
    assert consumer.run(now=time.time() + 3601).conversations == 1  # b finished
    facts = rows(insights, conversations_table)
    assert len(facts) == 2 and len({f["conversation"] for f in facts}) == 2
    for table in (conversations_table, searches_table, schemes_table, handovers_table):
        text = json.dumps(rows(insights, table), default=str)
        assert "a" * 32 not in text and "b" * 32 not in text and NAME not in text


def test_late_events_of_a_conversation_are_counted_when_it_ends_again(stores):
    events_url, insights, broker = stores
    for event in conversation():
        broker.publish(event)
    consumer = EventsConsumer(events_url, insights, close_after_minutes=0)
    assert consumer.run().conversations == 1
    for event in conversation(start=time.time() - 10):  # the same person, another day
        broker.publish(event)
    assert consumer.run().conversations == 1
    assert insights.count_conversations() == 2


def test_forget_me_and_retention_delete_the_raw_events(stores):
    events_url, insights, broker = stores
    for event in conversation("a" * 32) + conversation("b" * 32, start=time.time()):
        broker.publish(event)
    assert forget_events(events_url, "a" * 32) > 0
    assert purge_events(events_url, days=30) == 0  # b is recent
    assert purge_events(events_url, days=30, now=time.time() + 31 * 86400) == 1
    engine = consumer_module.events_engine(events_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM insight_progress")).scalar() == 0
    engine.dispose()


def test_a_broken_broker_never_costs_an_answer(caplog):
    class Broken:
        def publish(self, event):
            raise OSError(f"disk full while writing {PHONE}")

    MinimalEventBroker(Broken()).publish(conversation()[1])
    assert "OSError" in caplog.text and PHONE not in caplog.text


def test_the_tracker_store_publishes_each_new_event_once_and_forgets(tmp_path, clean_settings):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import PrivacyTrackerStore

    clean_settings.setenv("VAR_DIR", str(tmp_path))
    clean_settings.setenv("DESK_URL", "http://127.0.0.1:9")  # no desk: logged, not fatal
    published: list[dict] = []

    class Recorder:
        def publish(self, event):
            published.append(event)

    store = PrivacyTrackerStore(
        Domain.empty(), db=str(tmp_path / "tracker.db"), event_broker=MinimalEventBroker(Recorder())
    )
    tracker = DialogueStateTracker.from_events(SENDER, [])
    for event in [
        UserUttered("hallo", intent={"name": "greet"}),
        ActionExecuted("action_greet"),
    ]:
        tracker.update(event)
        asyncio.run(store.save(tracker))
    assert [e["event"] for e in published] == ["user", "action"]
    tracker.update(ActionExecuted("action_forget_me"))
    asyncio.run(store.save(tracker))
    assert published[-1] == {"sender_id": SENDER, "event": "forget", "timestamp": None}
