"""The insights job: events to facts, old facts out, the aggregates republished.

The desk runs it every INSIGHTS_EVERY_MINUTES (services/desk/app.py); `python -m
services.insights run` runs it once. Each step logs counts only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.insights.consumer import EventsConsumer, drain_queue
from services.insights.store import InsightsStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    queued: int  # events moved from RabbitMQ (EVENT_BROKER=pika)
    events: int  # new events read
    conversations: int  # finished conversations turned into facts
    expired: int  # conversations whose facts passed INSIGHTS_FACTS_DAYS
    periods: tuple[str, ...]  # periods republished

    def describe(self) -> str:
        return (
            f"{self.events} new events, {self.conversations} conversations into facts, "
            f"{self.expired} expired, republished {', '.join(self.periods) or 'nothing'}"
        )


class InsightsJob:
    def __init__(self, config: Any, store: InsightsStore | None = None) -> None:
        self.config = config
        self.store = store or InsightsStore(config.insights_database_url)

    def run(
        self, now: float | None = None, today: date | None = None, all_periods: bool = False
    ) -> JobResult:
        from services.insights.aggregate import aggregate

        config = self.config
        queued = 0
        if config.event_broker == "pika":
            queued = drain_queue(
                config.rabbitmq_url, config.rabbitmq_queue, config.event_broker_url
            )
        consumer = EventsConsumer(
            config.event_broker_url, self.store, config.insights_close_after_minutes
        )
        try:
            consumed = consumer.run(now=now)
        finally:
            consumer.engine.dispose()
        today = today or date.today()
        expired = self.store.delete_facts_before(today - timedelta(days=config.insights_facts_days))
        published = aggregate(
            self.store,
            k=config.insights_k,
            grain=config.insights_grain,
            today=today,
            all_periods=all_periods,
        )
        result = JobResult(
            queued=queued,
            events=consumed.events,
            conversations=consumed.conversations,
            expired=expired,
            periods=tuple(published.periods),
        )
        logger.info("Insights: %s", result.describe())
        return result
