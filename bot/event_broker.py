"""Rasa's event broker, minimised: what the insights need, nothing about the person.

endpoints.yml names `bot.event_broker.MinimalEventBroker`. It wraps one of Rasa's own brokers,
chosen by EVENT_BROKER (bot/settings.py, docs/insights.md):

- `sql` (default): Rasa's SQLEventBroker, into the table `events` of EVENT_BROKER_URL
  (SQLite `var/events.db`, or PostgreSQL);
- `pika`: Rasa's PikaEventBroker, to the RabbitMQ queue RABBITMQ_QUEUE at RABBITMQ_URL;
- `off`: no broker (endpoints.yml still names this class; it publishes nothing).

Before an event reaches the inner broker, `minimise` keeps only what services/insights needs:
the event type, the time, the intent's name, the channel, action names, and the values of a
few slots, each checked against what it may hold. No message text, no entities, no metadata,
no bot answers, no call-back name or phone number ever leaves the conversation store this way.
The sender id stays, so that a conversation's events can be grouped, deleted on "forget me"
and purged after RETENTION_DAYS like the conversations (bot/retention.py).
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import AbstractEventLoop
from functools import lru_cache
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.utils.endpoints import EndpointConfig

from actions.insights import REASONS as HANDOVER_REASONS
from bot.settings import settings
from services.budget.rules import STATUSES as SCHEME_STATUSES
from services.insights.consumer import events_engine, events_table

logger = logging.getLogger(__name__)

# Slot values kept in the events, with what each may hold. A value that does not match is
# dropped: a form can fill a slot with the person's own words before its check replaces them.
CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")  # intent and action names
KEPT_SLOTS = ("language", "topic", "situation", "goal", "help_kind", "municipality", "age")
INSIGHT_SLOT = "insight"  # set by the actions: what a search, a check or a hand-over found
CLIENTS = ("widget", "kiosk")  # metadata `client` of the web widget and the library kiosk
AGE_BANDS = ((27, "<27"), (45, "27-44"), (57, "45-56"), (67, "57-66"))


def age_band(value: Any) -> str | None:
    """'71' -> '67+': the age only as a band (docs/insights.md)."""
    try:
        age = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    if not 0 < age < 125:
        return None
    return next((band for limit, band in AGE_BANDS if age < limit), "67+")


def _municipality(value: Any) -> str | None:
    from services.geo import find_municipality

    if value == "online":
        return value
    found = find_municipality(value) if isinstance(value, str) else None
    return found.name if found else None


@lru_cache(maxsize=1)
def allowed_codes() -> dict[str, frozenset[str]]:
    """The values each coded slot may hold: the assistant's own lists (actions/vocabulary.py)."""
    from actions.vocabulary import GOALS, HELP_KINDS, SITUATIONS, UNKNOWN, known_topics

    topics = frozenset(known_topics()) | {"any", UNKNOWN}
    return {
        "language": frozenset(("nl", "en", "ar", "tr", "uk", "pl")),
        "topic": topics,
        "subject": topics,
        "situation": frozenset((*SITUATIONS, UNKNOWN)),
        "goal": frozenset((*GOALS, UNKNOWN)),
        "help_kind": frozenset(HELP_KINDS),
    }


def _slot_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "age":
        return age_band(value)
    if name == "municipality":
        return _municipality(value)
    if name == INSIGHT_SLOT:
        return _insight(value)
    return value if value in allowed_codes().get(name, ()) else None


# What each kind of `insight` record may hold (actions/insights.py): key -> kind of value.
INSIGHT_FIELDS: dict[str, dict[str, str]] = {
    "search": {
        "subject": "subject",
        "municipality": "municipality",
        "results": "count",
        "more": "flag",
        "nearest_km": "number",
        "free_share": "number",
    },
    "schemes": {"nothing_fits": "flag", "checked": "schemes"},
    "help": {"help_kind": "help_kind", "found": "count"},
    "handover": {"help_kind": "help_kind", "reason": "reason"},
}
REASONS = frozenset(HANDOVER_REASONS)
OUTCOMES = frozenset(SCHEME_STATUSES)  # the budget service's verdicts


@lru_cache(maxsize=1)
def domain_intents() -> frozenset[str]:
    """The intents of the domain (a typed "/anything" payload is no intent of ours)."""
    import yaml

    from bot.settings import PROJECT_ROOT

    domain = yaml.safe_load((PROJECT_ROOT / "domain" / "core.yml").read_text(encoding="utf-8"))
    return frozenset((*domain["intents"], "nlu_fallback"))


@lru_cache(maxsize=1)
def scheme_ids() -> frozenset[str]:
    """The budget service's scheme ids (one file per scheme: services/budget/schemes/)."""
    from bot.settings import PROJECT_ROOT

    return frozenset(p.stem for p in (PROJECT_ROOT / "services/budget/schemes").glob("*.yaml"))


def _field(kind: str, item: Any) -> Any:
    if kind == "flag":
        return item if isinstance(item, bool) else None
    if kind in ("count", "number"):
        if isinstance(item, bool) or not isinstance(item, int | float):
            return None
        return int(item) if kind == "count" else round(float(item), 2)
    if kind == "municipality":
        return _municipality(item)
    if kind == "reason":
        return item if item in REASONS else None
    if kind == "schemes":
        return [
            {"scheme": c["scheme"], "outcome": c["outcome"], "asked": c.get("asked") is True}
            for c in (item if isinstance(item, list) else [])
            if isinstance(c, dict)
            and c.get("scheme") in scheme_ids()
            and c.get("outcome") in OUTCOMES
        ]
    return item if item in allowed_codes()[kind] else None


def _insight(value: Any) -> dict[str, Any] | None:
    """An insight set by an action, with only the fields its kind may hold, each checked."""
    fields = INSIGHT_FIELDS.get(value.get("kind")) if isinstance(value, dict) else None
    if fields is None:
        return None
    return {
        "kind": value["kind"],
        **{key: _field(kind, value.get(key)) for key, kind in fields.items()},
    }


def minimise(event: dict[str, Any]) -> dict[str, Any] | None:
    """The part of a Rasa event the insights use, or None for an event they do not need."""
    kind = event.get("event")
    base = {"sender_id": event.get("sender_id"), "event": kind, "timestamp": event.get("timestamp")}
    if kind in ("session_started", "restart", "pause", "resume", "forget"):
        return base
    if kind == "user":
        intent = (event.get("parse_data") or {}).get("intent") or {}
        metadata = event.get("metadata") or {}
        channel = event.get("input_channel")
        client = metadata.get("client") if isinstance(metadata, dict) else None
        if channel == "socketio" and client in CLIENTS:
            channel = client
        name = intent.get("name")
        return {
            **base,
            "intent": name if name in domain_intents() else None,
            "input_channel": channel if isinstance(channel, str) and CODE.match(channel) else None,
        }
    if kind == "action":
        name = event.get("name")
        return {**base, "name": name} if isinstance(name, str) and CODE.match(name) else None
    if kind == "slot" and event.get("name") in (*KEPT_SLOTS, INSIGHT_SLOT):
        value = _slot_value(event["name"], event.get("value"))
        if value is None and event.get("value") is not None:
            return None  # a value it may not hold: leave it out altogether
        return {**base, "name": event["name"], "value": value}
    return None


class MinimalEventBroker(EventBroker):
    """Publishes minimised events to Rasa's SQL or Pika broker (EVENT_BROKER)."""

    def __init__(self, inner: EventBroker | None) -> None:
        self.inner = inner

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig | None,
        event_loop: AbstractEventLoop | None = None,
    ) -> MinimalEventBroker:
        config = settings()
        inner: EventBroker | None = None
        if config.event_broker == "sql":
            inner = sql_broker(config.event_broker_url)
        elif config.event_broker == "pika":
            inner = await pika_broker(config.rabbitmq_url, config.rabbitmq_queue, event_loop)
        return cls(inner)

    def publish(self, event: dict[str, Any]) -> None:
        self.publish_all([event])

    def publish_all(self, events: list[dict[str, Any]]) -> None:
        """Publish a turn's events; into SQL in one transaction (one disk write per turn)."""
        if self.inner is None:
            return
        kept = [e for e in map(minimise, events) if e is not None]
        if not kept:
            return
        try:
            if isinstance(self.inner, SQLEventBroker):
                # Rasa's table, written as its publish does, but in one statement per turn.
                with self.inner.engine.begin() as connection:
                    connection.execute(
                        events_table.insert(),
                        [{"sender_id": e.get("sender_id"), "data": json.dumps(e)} for e in kept],
                    )
            else:
                for event in kept:
                    self.inner.publish(event)
        except Exception as exc:  # noqa: BLE001 - insights must never cost the citizen an answer
            logger.warning(
                "Event broker: %d events not published (%s)", len(kept), type(exc).__name__
            )

    def is_ready(self) -> bool:
        return self.inner is None or self.inner.is_ready()

    async def close(self) -> None:
        if self.inner is not None:
            await self.inner.close()


def sql_broker(url: str) -> EventBroker:
    """Rasa's SQLEventBroker on a SQLAlchemy URL (sqlite:///path or postgresql://...)."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        from pathlib import Path

        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    broker = SQLEventBroker.__new__(SQLEventBroker)
    # Rasa's own constructor builds the URL from parts and makes a plain engine; the project's
    # engine waits for a busy SQLite file and checks pooled PostgreSQL connections first.
    broker.engine = events_engine(url)
    broker.sessionmaker = sa.orm.sessionmaker(bind=broker.engine)
    return broker


async def pika_broker(
    url: str, queue: str, event_loop: AbstractEventLoop | None = None
) -> EventBroker:
    """Rasa's PikaEventBroker, publishing to the durable queue `queue` at `url`
    (amqp://user:password@host:port/; Rasa's broker uses the default virtual host)."""
    from urllib.parse import unquote, urlsplit

    from rasa.core.brokers.pika import PikaEventBroker

    parsed = urlsplit(url)
    broker = PikaEventBroker(
        host=parsed.hostname or "127.0.0.1",
        username=unquote(parsed.username or "guest"),
        password=unquote(parsed.password or "guest"),
        port=parsed.port or 5672,
        queues=[queue],
        connection_attempts=3,
        retry_delay_in_seconds=2,
    )
    await broker.connect()
    return broker
