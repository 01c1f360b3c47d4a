"""EVENT_BROKER=pika on a real RabbitMQ: the scaled setup's throwaway node (tools/scale.py),
Rasa's own PikaEventBroker behind the minimising broker (bot/event_broker.py), and the insights'
`drain_queue` (services/insights/consumer.py), which moves the queue into the raw events table
and applies the "forget me" markers on the way.

Runs with the unit tests when rabbitmq-server is installed (`make scale-bin`); a bare pytest
skips it without, `make test` fails it (tests/support/binaries.py)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
import rasa.shared.core.events  # noqa: F401 - Rasa's PikaEventBroker uses it unimported
import sqlalchemy as sa

from bot.event_broker import MinimalEventBroker, minimise, pika_broker
from bot.launcher import StackError
from services.insights.consumer import drain_queue
from tests.support.binaries import missing_binary
from tools.scale import ThrowawayRabbitMQ, rabbitmq_binary

PHONE = "06-12345678"
TEXT = f"Ik zoek een computercursus in Breda, bel me op {PHONE}"


@pytest.fixture(scope="module")
def rabbitmq():
    try:
        rabbitmq_binary()
    except StackError as exc:
        missing_binary(f"{exc}; EVENT_BROKER=pika is tested on a private RabbitMQ node")
    started = time.monotonic()
    node = ThrowawayRabbitMQ().start()
    print(f"RabbitMQ node {node.node} ready in {time.monotonic() - started:.1f} s")
    try:
        yield node
    finally:
        node.stop()


def conversation(sender: str, stamp: float) -> list[dict]:
    """Rasa's events of one search, as the tracker store streams them: with the text, the
    entities and the metadata that the minimising broker leaves out."""
    return [
        {"sender_id": sender, "event": "session_started", "timestamp": stamp},
        {
            "sender_id": sender,
            "event": "user",
            "timestamp": stamp + 1,
            "text": TEXT,
            "input_channel": "rest",
            "metadata": {"phone": PHONE},
            "parse_data": {
                "text": TEXT,
                "intent": {"name": "find_course", "confidence": 0.99},
                "entities": [{"entity": "municipality", "value": "Breda"}],
            },
        },
        {
            "sender_id": sender,
            "event": "slot",
            "timestamp": stamp + 2,
            "name": "municipality",
            "value": "Breda",
        },  # fmt: skip
        {
            "sender_id": sender,
            "event": "bot",
            "timestamp": stamp + 3,
            "text": "Ik vond 3 cursussen",
        },
        {"sender_id": sender, "event": "action", "timestamp": stamp + 4, "name": "action_listen"},
    ]


async def publish(url: str, queue: str, events: list[dict]) -> int:
    """Publish through MinimalEventBroker around Rasa's PikaEventBroker; returns how many
    events it passes on (the bot's answers, for one, are left out)."""
    inner = await pika_broker(url, queue)
    broker = MinimalEventBroker(inner)
    try:
        assert broker.is_ready()
        for event in events:
            broker.publish(event)
        # PikaEventBroker publishes in tasks of its own: let them finish before closing.
        await asyncio.gather(*list(inner._background_tasks))
    finally:
        await broker.close()
    return sum(minimise(e) is not None for e in events)


async def waiting(url: str, queue: str) -> int:
    import aio_pika

    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        return declared.declaration_result.message_count


def rows(url: str) -> list[tuple[str, dict]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(sa.text("SELECT sender_id, data FROM events ORDER BY id"))
            return [(sender, json.loads(data)) for sender, data in found]
    finally:
        engine.dispose()


def test_events_through_rasas_pika_broker_are_drained_minimised_and_forgotten(rabbitmq, tmp_path):
    queue = f"test_events_{uuid.uuid4().hex[:8]}"
    events_url = f"sqlite:///{tmp_path}/events.db"
    now = time.time()
    kept, forgotten, later = "sender-kept", "sender-forgotten", "sender-later"
    events = [
        *conversation(kept, now),
        *conversation(forgotten, now + 10),
        {"sender_id": forgotten, "event": "forget", "timestamp": now + 20},
        *conversation(later, now + 30),
    ]
    published = asyncio.run(publish(rabbitmq.url, queue, events))
    deadline = time.monotonic() + 10
    while asyncio.run(waiting(rabbitmq.url, queue)) < published:
        assert time.monotonic() < deadline, "the published events did not reach the queue"
        time.sleep(0.1)

    assert drain_queue(rabbitmq.url, queue, events_url) == published
    assert asyncio.run(waiting(rabbitmq.url, queue)) == 0
    stored = rows(events_url)
    assert {sender for sender, _ in stored} == {kept, later}
    assert [e["event"] for s, e in stored if s == kept] == [
        "session_started", "user", "slot", "action"
    ]  # fmt: skip
    user = next(e for s, e in stored if s == kept and e["event"] == "user")
    assert user["intent"] == "find_course" and user["input_channel"] == "rest"
    raw = json.dumps([e for _, e in stored])
    assert "computercursus" not in raw and "12345678" not in raw and "cursussen" not in raw

    # A "forget me" after the conversation was drained removes what is already stored.
    asyncio.run(publish(rabbitmq.url, queue, [{"sender_id": later, "event": "forget"}]))
    deadline = time.monotonic() + 10
    while asyncio.run(waiting(rabbitmq.url, queue)) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert drain_queue(rabbitmq.url, queue, events_url) == 1
    assert {sender for sender, _ in rows(events_url)} == {kept}
    assert asyncio.run(waiting(rabbitmq.url, queue)) == 0
