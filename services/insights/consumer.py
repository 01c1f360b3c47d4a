"""The event broker's consumer: minimised events in, anonymous facts out.

The raw events are in the table `events` of EVENT_BROKER_URL: written there by Rasa's
SQLEventBroker (EVENT_BROKER=sql), or by `drain_queue` from RabbitMQ (EVENT_BROKER=pika), in
the same shape. `EventsConsumer.run`:

1. reads the events it has not seen (`insight_cursor`; it looks back RESCAN_IDS ids, because
   on PostgreSQL an event can commit just after a later id was read), and notes per sender the
   newest event and its time (`insight_progress`);
2. takes every sender quiet for `close_after` (a finished conversation), turns their events
   since the last time into facts (services/insights/facts.py) and stores those in the
   insights store, with a random key and no sender id;
3. remembers how far it got, so every event becomes a fact once. The facts are written before
   the progress: a crash between the two counts those conversations twice, never not at all.

The sender id stays on this side only, with the raw events: "forget me" deletes both
(`forget_events`), and so does the retention (`purge_events`, RETENTION_DAYS).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.callbacks.store import engine_for
from services.insights.facts import facts_of
from services.insights.store import InsightsStore
from services.schema_migrations import upgrade

logger = logging.getLogger(__name__)

BATCH = 5000
SENDERS_PER_BATCH = 500
RESCAN_IDS = 2000

# The tables' revisions (services/schema_migrations.py); `metadata` below must match the newest.
MIGRATIONS = Path(__file__).with_name("events_migrations")
VERSION_TABLE = "alembic_version_insight_events"

metadata = sa.MetaData()
# The table Rasa's SQLEventBroker writes (rasa/core/brokers/sql.py), declared the same way.
events_table = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("data", sa.Text),
)
progress_table = sa.Table(
    "insight_progress",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("done_upto", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_id", sa.Integer, nullable=False),
    sa.Column("last_ts", sa.Float, nullable=False, index=True),
)
cursor_table = sa.Table(
    "insight_cursor",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)


def events_engine(url: str) -> sa.engine.Engine:
    """The raw events' engine (and tables). On SQLite: WAL with synchronous=NORMAL, so that a
    commit does not wait for the disk (a power cut may lose the last turns' events, never
    corrupt the file), and pooled connections instead of a new one per commit: the turn that
    publishes its events waits about 0.3 ms instead of 2 ms (docs/performance.md)."""
    if not url.startswith("sqlite:///"):
        engine = engine_for(url)
    else:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            future=True,
            poolclass=sa.pool.QueuePool,
            pool_size=2,
            connect_args={"timeout": 30, "check_same_thread": False},
        )

        @sa.event.listens_for(engine, "connect")
        def _fast(connection, _record) -> None:  # noqa: ANN001 - DB-API connection
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")

    # Several Rasa servers may open an empty database at once: one makes the tables, under
    # the migrations' lock (services/schema_migrations.py), the others find them made.
    upgrade(url, MIGRATIONS, VERSION_TABLE)
    return engine


@dataclass(frozen=True)
class ConsumeResult:
    events: int  # new events read
    conversations: int  # conversations turned into facts


class EventsConsumer:
    def __init__(
        self, events_url: str, insights: InsightsStore, close_after_minutes: float = 60.0
    ) -> None:
        self.engine = events_engine(events_url)
        self.insights = insights
        self.close_after = close_after_minutes * 60

    def run(self, now: float | None = None) -> ConsumeResult:
        now = time.time() if now is None else now
        read = self.scan()
        made = 0
        while True:
            ready = self._ready(now)
            if not ready:
                break
            made += self._build(ready)
        return ConsumeResult(events=read, conversations=made)

    # -- 1. read --

    def scan(self) -> int:
        return scan(self.engine)

    # -- 2. and 3. build --

    def _ready(self, now: float) -> list[tuple[str, int, int]]:
        with self.engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    sa.select(
                        progress_table.c.sender_id,
                        progress_table.c.done_upto,
                        progress_table.c.last_id,
                    )
                    .where(progress_table.c.last_ts < now - self.close_after)
                    .where(progress_table.c.last_id > progress_table.c.done_upto)
                    .limit(SENDERS_PER_BATCH)
                )
            ]

    def _build(self, ready: list[tuple[str, int, int]]) -> int:
        facts = []
        for sender, done_upto, last_id in ready:
            facts += facts_of(self._events(sender, done_upto, last_id))
        self.insights.add_facts(facts)
        with self.engine.begin() as connection:
            for sender, _done, last_id in ready:
                connection.execute(
                    progress_table.update()
                    .where(progress_table.c.sender_id == sender)
                    .values(done_upto=last_id)
                )
        return len(facts)

    def _events(self, sender: str, after: int, upto: int) -> Iterator[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(events_table.c.data)
                .where(events_table.c.sender_id == sender)
                .where(events_table.c.id > after)
                .where(events_table.c.id <= upto)
                .order_by(events_table.c.id)
            ).all()
        for (data,) in rows:
            event = _parse(data)
            if event is not None:
                yield event


def scan(engine: sa.engine.Engine) -> int:
    """Note the newest event and its time per sender for the events not seen yet."""
    with engine.connect() as connection:
        cursor = connection.execute(
            sa.select(cursor_table.c.value).where(cursor_table.c.name == "events")
        ).scalar()
    cursor = int(cursor or 0)
    read, last = 0, cursor
    start = max(0, cursor - RESCAN_IDS)
    while True:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(events_table.c.id, events_table.c.sender_id, events_table.c.data)
                .where(events_table.c.id > start)
                .order_by(events_table.c.id)
                .limit(BATCH)
            ).all()
        if not rows:
            break
        newest: dict[str, tuple[int, float]] = {}
        for event_id, sender, data in rows:
            stamp = _timestamp(data)
            seen = newest.get(sender, (0, 0.0))
            newest[sender] = (max(seen[0], event_id), max(seen[1], stamp))
            read += event_id > cursor
        _note(engine, newest)
        start = rows[-1][0]
        last = max(last, start)
    with engine.begin() as connection:
        updated = connection.execute(
            cursor_table.update().where(cursor_table.c.name == "events").values(value=last)
        ).rowcount
        if not updated:
            connection.execute(cursor_table.insert(), {"name": "events", "value": last})
    return read


def _note(engine: sa.engine.Engine, newest: dict[str, tuple[int, float]]) -> None:
    with engine.begin() as connection:
        known = {
            sender: (last_id, last_ts)
            for sender, last_id, last_ts in connection.execute(
                sa.select(
                    progress_table.c.sender_id,
                    progress_table.c.last_id,
                    progress_table.c.last_ts,
                ).where(progress_table.c.sender_id.in_(list(newest)))
            )
        }
        for sender, (last_id, last_ts) in newest.items():
            if sender not in known:
                connection.execute(
                    progress_table.insert(),
                    {
                        "sender_id": sender,
                        "done_upto": 0,
                        "last_id": last_id,
                        "last_ts": last_ts,
                    },
                )
            elif last_id > known[sender][0] or last_ts > known[sender][1]:
                connection.execute(
                    progress_table.update()
                    .where(progress_table.c.sender_id == sender)
                    .values(
                        last_id=max(last_id, known[sender][0]),
                        last_ts=max(last_ts, known[sender][1]),
                    )
                )


def _parse(data: str | None) -> dict[str, Any] | None:
    try:
        event = json.loads(data or "")
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _timestamp(data: str | None) -> float:
    event = _parse(data) or {}
    stamp = event.get("timestamp")
    return float(stamp) if isinstance(stamp, int | float) else 0.0


# -- forgetting and retention --------------------------------------------------------------


def forget_events(url: str, sender_id: str) -> int:
    """Delete a conversation's raw events and progress ("forget me"); returns events deleted."""
    engine = events_engine(url)
    try:
        with engine.begin() as connection:
            deleted = connection.execute(
                events_table.delete().where(events_table.c.sender_id == sender_id)
            ).rowcount
            connection.execute(
                progress_table.delete().where(progress_table.c.sender_id == sender_id)
            )
        return int(deleted or 0)
    finally:
        engine.dispose()


def purge_events(url: str, days: float, now: float | None = None) -> int:
    """Delete the raw events of conversations quiet for more than `days` (RETENTION_DAYS), the
    same rule as for the conversations themselves; returns how many conversations (senders)."""
    cutoff = (time.time() if now is None else now) - days * 86400
    engine = events_engine(url)
    try:
        scan(engine)  # every event has its sender's newest time noted
        with engine.connect() as connection:
            stale = [
                sender
                for (sender,) in connection.execute(
                    sa.select(progress_table.c.sender_id).where(progress_table.c.last_ts < cutoff)
                )
            ]
        for start in range(0, len(stale), SENDERS_PER_BATCH):
            chunk = stale[start : start + SENDERS_PER_BATCH]
            with engine.begin() as connection:
                connection.execute(events_table.delete().where(events_table.c.sender_id.in_(chunk)))
                connection.execute(
                    progress_table.delete().where(progress_table.c.sender_id.in_(chunk))
                )
        return len(stale)
    finally:
        engine.dispose()


# -- RabbitMQ (EVENT_BROKER=pika) -----------------------------------------------------------


async def _drain(amqp_url: str, queue: str, engine: sa.engine.Engine, limit: int) -> int:
    import aio_pika

    moved = 0
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        source = await channel.declare_queue(queue, durable=True)
        while moved < limit:
            messages = []
            for _ in range(BATCH):
                message = await source.get(no_ack=False, fail=False)
                if message is None:
                    break
                messages.append(message)
            if not messages:
                break
            rows, forgotten = [], set()
            for message in messages:
                event = _parse(message.body.decode("utf-8", "replace"))
                if event is None or not isinstance(event.get("sender_id"), str):
                    continue
                if event.get("event") == "forget":
                    forgotten.add(event["sender_id"])
                    rows = [r for r in rows if r["sender_id"] != event["sender_id"]]
                    continue
                rows.append({"sender_id": event["sender_id"], "data": json.dumps(event)})
            with engine.begin() as connection:
                if rows:
                    connection.execute(events_table.insert(), rows)
                for sender in forgotten:
                    connection.execute(
                        events_table.delete().where(events_table.c.sender_id == sender)
                    )
                    connection.execute(
                        progress_table.delete().where(progress_table.c.sender_id == sender)
                    )
            for message in messages:  # acknowledged once stored: nothing is lost
                await message.ack()
            moved += len(messages)
    return moved


def drain_queue(amqp_url: str, queue: str, events_url: str, limit: int = 1_000_000) -> int:
    """Move what waits in the RabbitMQ queue into the raw events table; returns how many."""
    import asyncio

    engine = events_engine(events_url)
    try:
        return asyncio.run(_drain(amqp_url, queue, engine, limit))
    finally:
        engine.dispose()
