"""No output of the insights holds a sender id, a name, a phone number, a BSN or free text.

Hypothesis writes conversations full of personal data where real ones carry it (the message
text, entities, metadata, slots filled with the person's own words, the call-back form, even an
action's record), sends them through the real pipeline (the minimising broker into Rasa's SQL
event broker, the consumer, the aggregation) and scans every output: the raw events, the facts,
the published cells, the CSV, the monthly report and the dashboard's data.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from bot.event_broker import MinimalEventBroker, sql_broker
from services.insights.aggregate import aggregate
from services.insights.consumer import EventsConsumer
from services.insights.export import published_csv
from services.insights.store import FACT_TABLES, InsightsStore

NAMES = ("Fatima", "Mehmet", "Oksana", "Wojciech", "Aaltje", "Henk")
TOPICS = ("digital", "dutch", "reading-writing", "any")
PLACES = ("Breda", "Roosendaal", "Zundert", "Bergen op Zoom", "Woensdrecht")
START = 1_795_000_000.0  # November 2026

PHONE = re.compile(r"(?<!\d)(?:\+31|0)\d{9}(?!\d)")
NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")


def bsn(digits: str) -> str:
    """Nine digits that pass the eleven test (a BSN's shape)."""
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    last = total % 11
    return digits[:8] + str(last) if last < 10 else digits[:7] + "00" + "0"


def is_bsn(text: str) -> bool:
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(text, weights, strict=True)) % 11 == 0


person = st.fixed_dictionaries(
    {
        "sender": st.text("0123456789abcdef", min_size=32, max_size=32),
        "name": st.sampled_from(NAMES),
        "phone": st.from_regex(r"06[1-9][0-9]{7}", fullmatch=True),
        "bsn_digits": st.from_regex(r"[1-9][0-9]{8}", fullmatch=True),
        "words": st.from_regex(r"vrije tekst [a-z]{6,12}", fullmatch=True),
        "topic": st.sampled_from(TOPICS),
        "place": st.sampled_from(PLACES),
        "age": st.integers(16, 95),
        "day": st.integers(0, 3),  # one week of November: one period
    }
)


def events_of(p: dict) -> list[dict]:
    start = START + p["day"] * 86400
    secret = f"{p['name']} {p['phone']} {bsn(p['bsn_digits'])} {p['words']}"
    events = [
        SessionStarted(timestamp=start),
        UserUttered(
            f"ik ben {secret}, ik zoek {p['topic']} in {p['place']}",
            intent={"name": "find_course"},
            entities=[{"entity": "municipality", "value": secret}],
            input_channel="socketio",
            metadata={"client": "widget", "place": secret},
            timestamp=start + 1,
        ),
        UserUttered(  # a typed payload: "/fatima" is no intent of the assistant
            f"/{p['name'].lower()}",
            intent={"name": p["name"].lower()},
            input_channel="socketio",
            timestamp=start + 1,
        ),
        SlotSet("municipality", secret, timestamp=start + 2),
        SlotSet("municipality", p["place"], timestamp=start + 2),
        SlotSet("topic", p["words"], timestamp=start + 2),
        SlotSet("situation", p["name"].lower(), timestamp=start + 2),
        SlotSet("age", str(p["age"]), timestamp=start + 2),
        SlotSet("callback_name", p["name"], timestamp=start + 3),
        SlotSet("callback_phone", p["phone"], timestamp=start + 3),
        ActionExecuted("action_search_courses", timestamp=start + 4),
        SlotSet(
            "insight",
            {
                "kind": "search",
                "subject": p["topic"],
                "municipality": p["place"],
                "results": 0,
                "nearest_km": None,
                "note": secret,
                "extra": p["name"].lower(),
            },
            timestamp=start + 4,
        ),
        SlotSet(
            "insight",
            {"kind": "handover", "reason": "no_course", "help_kind": p["words"]},
            timestamp=start + 5,
        ),
    ]
    return [{"sender_id": p["sender"], **e.as_dict()} for e in events]


def scan(output: str, people: list[dict]) -> list[str]:
    found = []
    for p in people:
        for secret in (p["sender"], p["phone"], bsn(p["bsn_digits"]), p["words"]):
            if secret in output:
                found.append(secret)
        if re.search(rf"\b{p['name']}\b", output, re.IGNORECASE):
            found.append(p["name"])
    found += PHONE.findall(output)
    found += [n for n in NINE_DIGITS.findall(output) if is_bsn(n)]
    return found


def outputs(folder: Path, people: list[dict]) -> dict[str, str]:
    events_url = f"sqlite:///{folder}/events.db"
    store = InsightsStore(f"sqlite:///{folder}/insights.db")
    broker = MinimalEventBroker(sql_broker(events_url))
    for p in people:
        for event in events_of(p):
            broker.publish(event)
    consumer = EventsConsumer(events_url, store, close_after_minutes=0)
    consumer.run()
    aggregate(store, k=2, all_periods=True)
    found: dict[str, str] = {}
    with broker.inner.engine.connect() as connection:
        raw = [d for (d,) in connection.execute(sa.text("SELECT data FROM events"))]
    # The raw events keep the sender id (to forget and purge them): scanned without it.
    found["raw events"] = json.dumps([{**json.loads(d), "sender_id": None} for d in raw])
    with store.engine.connect() as connection:
        for table in FACT_TABLES:
            # Without the random key that links a conversation's rows (secrets.token_hex).
            rows = [
                {k: v for k, v in r._mapping.items() if k != "conversation"}
                for r in connection.execute(sa.select(table))
            ]
            found[table.name] = json.dumps(rows, default=str)
    cells = list(store.cells())
    found["cells"] = json.dumps(cells)
    found["csv"] = published_csv(store)
    found.update(rendered(store))
    broker.inner.engine.dispose()
    consumer.engine.dispose()
    store.close()
    return found


def rendered(store: InsightsStore) -> dict[str, str]:
    """The dashboard's figures and the monthly report, for the region and every municipality,
    as the desk serves them (services/desk/insights.py)."""
    from services.desk.insights import _periods, render_report, report_for
    from services.insights.report import municipalities

    found = {}
    for period in store.periods():
        for place in [None, *municipalities(store.cells(view="demand", periods=[period]))]:
            report = report_for(store, period, place)
            found[f"dashboard {period} {place}"] = json.dumps(report, ensure_ascii=False)
            found[f"report {period} {place}"] = render_report(report, _periods(store))
    return found


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.lists(person, min_size=1, max_size=25, unique_by=lambda p: p["sender"]))
def test_no_output_holds_personal_data_or_free_text(people):
    with tempfile.TemporaryDirectory() as folder:
        found = outputs(Path(folder), people)
    assert found["cells"] != "[]" or len(people) < 2  # something was published to scan
    leaks = {name: scan(text, people) for name, text in found.items()}
    assert not {name: hits for name, hits in leaks.items() if hits}


def test_the_scan_finds_each_kind_of_personal_data():
    p = {
        "sender": "ab" * 16,
        "name": "Oksana",
        "phone": "0612345678",
        "bsn_digits": "123456780",
        "words": "vrije tekst abcdefg",
    }
    for planted in (p["sender"], "oksana", "0687654321", bsn("111222330"), p["words"]):
        assert scan(f"Breda;digital;{planted};12", [p]), planted
    assert not scan("2026-11,demand,digital,Breda,12,0,25,3.5,40", [p])
