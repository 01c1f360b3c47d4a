"""Retention: delete conversations, call-back requests and the event broker's minimised events
older than RETENTION_DAYS.

Two ways to run it, on whichever stores are configured (SQLite or PostgreSQL):

- `make purge` (`python -m bot.retention`): once, now. The tracker store is the one in
  endpoints.yml, the call-back store the one in CALLBACK_DATABASE_URL.
- Daily inside the Rasa server: endpoints.yml gives the tracker store
  `retention_schedule: true`, and bot/tracker_store.py then starts `RetentionSchedule`, an
  APScheduler background scheduler (daemon thread). The Rasa server runs in every
  deployment, so the job does too. With several Rasa instances each runs it; deleting is
  idempotent, so that does no harm.

A conversation counts as old when its newest event is older than the cut-off; a call-back
request when it was made before the cut-off (or its own expiry date has passed). The job
logs counts only, never sender ids or contents.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.settings import PROJECT_ROOT, settings

logger = logging.getLogger(__name__)

FIRST_RUN_DELAY_SECONDS = 60.0  # let the server finish starting first


@dataclass(frozen=True)
class PurgeResult:
    conversations: int | None  # None: the tracker store cannot purge (or failed)
    callbacks: int | None
    events: int | None = 0  # conversations whose minimised broker events were deleted

    def describe(self) -> str:
        def count(n: int | None) -> str:
            return "not purged (see the log)" if n is None else str(n)

        return (
            f"Deleted conversations: {count(self.conversations)}; "
            f"call-back requests: {count(self.callbacks)}; "
            f"event broker conversations: {count(self.events)}."
        )


def configured_tracker_store() -> Any:
    """The tracker store of endpoints.yml, created the way `rasa run` does."""
    import os

    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import read_endpoints_from_path

    from bot.launcher import child_environment

    settings().tracker_db.parent.mkdir(parents=True, exist_ok=True)
    # endpoints.yml reads ${...} values from the environment: set them while it is read, then
    # put the environment back, so that nothing started later in this process inherits them.
    added = {
        name: value
        for name, value in child_environment(settings()).items()
        if name not in os.environ
    }
    os.environ.update(added)
    try:
        endpoints = read_endpoints_from_path(str(PROJECT_ROOT / "endpoints.yml"))
    finally:
        for name in added:
            os.environ.pop(name, None)
    config = endpoints.tracker_store
    if config is not None:
        config.kwargs.pop("retention_schedule", None)  # a one-off run needs no schedule
    return TrackerStore.create(config)


def purge_conversations(tracker_store: Any, days: float, now: float | None = None) -> int | None:
    store = getattr(tracker_store, "_tracker_store", tracker_store)  # AwaitableTrackerStore
    if not hasattr(store, "delete_older_than"):
        logger.warning(
            "Retention: tracker store %s cannot delete old conversations", type(store).__name__
        )
        return None
    try:
        return store.delete_older_than(days, now=now)
    except Exception as exc:  # noqa: BLE001 - report and carry on with the other store
        logger.error("Retention: deleting old conversations failed: %s", type(exc).__name__)
        return None


def purge_callbacks(url: str, days: float, now: datetime | None = None) -> int | None:
    from services.callbacks import CallbackStore

    try:
        store = CallbackStore(url, int(days))
        return store.delete_older_than(days, now=now)
    except Exception as exc:  # noqa: BLE001 - the message could hold connection details
        logger.error("Retention: deleting old call-back requests failed: %s", type(exc).__name__)
        return None


def purge_events(url: str, days: float, now: float | None = None) -> int | None:
    """The event broker's minimised events (services/insights/consumer.py), same rule."""
    from services.insights.consumer import purge_events as purge_broker_events

    try:
        return purge_broker_events(url, days, now=now)
    except Exception as exc:  # noqa: BLE001 - the message could hold connection details
        logger.error("Retention: deleting old broker events failed: %s", type(exc).__name__)
        return None


def purge(
    tracker_store: Any = None,
    callback_url: str | None = None,
    days: float | None = None,
    now: float | None = None,
) -> PurgeResult:
    """Delete everything older than `days` (default RETENTION_DAYS) from both stores."""
    config = settings()
    days = config.retention_days if days is None else days
    moment = time.time() if now is None else now
    store = tracker_store if tracker_store is not None else configured_tracker_store()
    result = PurgeResult(
        conversations=purge_conversations(store, days, now=moment),
        callbacks=purge_callbacks(
            callback_url or config.callback_database_url,
            days,
            now=datetime.fromtimestamp(moment, tz=timezone.utc),
        ),
        events=purge_events(config.event_broker_url, days, now=moment),
    )
    logger.info("Retention (%s days): %s", days, result.describe())
    return result


class RetentionSchedule:
    """Run `job` after `first_delay` seconds, then every `every` seconds, in a daemon thread.

    An APScheduler interval job: one run at a time (a run still going when the next is due
    makes APScheduler skip that one), and runs missed while the process slept run once, late.
    """

    def __init__(
        self, job: Callable[[], Any], every: float, first_delay: float = FIRST_RUN_DELAY_SECONDS
    ) -> None:
        self.job = job
        self.every = every
        self.first_delay = first_delay
        self.runs = 0
        self._scheduler = BackgroundScheduler(daemon=True, timezone=timezone.utc)

    def start(self) -> RetentionSchedule:
        first_run = datetime.now(timezone.utc) + timedelta(seconds=self.first_delay)
        self._scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=self.every, start_date=first_run, timezone=timezone.utc),
            id="retention",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()
        return self

    def stop(self) -> None:
        """Stop the schedule; a run that is going is finished first."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def _run(self) -> None:
        try:
            self.job()
        except Exception as exc:  # noqa: BLE001 - log the type only: the message could hold data
            logger.error("Retention run failed: %s", type(exc).__name__)
        self.runs += 1


_schedule: RetentionSchedule | None = None
_schedule_lock = threading.Lock()


def start_schedule(tracker_store: Any) -> RetentionSchedule | None:
    """Start the daily purge for this process (once), using `tracker_store`."""
    global _schedule
    config = settings()
    if config.retention_every_hours <= 0:
        logger.info("Retention schedule off (RETENTION_EVERY_HOURS=0)")
        return None
    with _schedule_lock:
        if _schedule is None:
            _schedule = RetentionSchedule(
                lambda: purge(tracker_store),
                every=config.retention_every_hours * 3600,
                first_delay=FIRST_RUN_DELAY_SECONDS,
            ).start()
            logger.info(
                "Retention: deleting data older than %s days every %s hours",
                config.retention_days,
                config.retention_every_hours,
            )
        return _schedule


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.retention",
        description="Delete conversations and call-back requests older than RETENTION_DAYS.",
    )
    parser.add_argument("--days", type=float, default=None, help="default: RETENTION_DAYS")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = purge(days=args.days)
    print(result.describe())
    return 0 if None not in (result.conversations, result.callbacks, result.events) else 1


if __name__ == "__main__":
    sys.exit(main())
