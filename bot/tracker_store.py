"""SQL tracker store that masks personal numbers and can forget a conversation.

Configured in endpoints.yml (`type: bot.tracker_store.PrivacyTrackerStore`); works on
SQLite and PostgreSQL like Rasa's own SQLTrackerStore, which it extends:

- Before events are written, personal numbers in what the citizen typed (user messages,
  their parse data and slot values) are masked (bot/privacy.py). The one exception is the
  answer to the call-back form's phone question, which the citizen gives on purpose.
- When `action_forget_me` has run, every stored event of that conversation is deleted
  instead of saving the new ones, and so is what other stores keep under its sender id
  (`forget_linked_records`: call-back requests, the WhatsApp channel's row).
- Per turn, the conversation is read and counted with two statements built once (Rasa
  builds its ORM query, and an ORM object per event, on every turn), new events are written
  in one statement, and SQLite connections are pooled (SQLAlchemy 1.4 opens a new one per
  session for a file database). docs/performance.md, "Per-turn cost".
- `delete_older_than` removes whole conversations whose last event is older than a
  cut-off, for the retention job. With `retention_schedule: true` (endpoints.yml) the
  store starts that job daily in the Rasa server (bot/retention.py).
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    SQLTrackerStore,
    create_engine_kwargs,
)
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from actions.clients.desk import DeskClient
from bot.channels.whatsapp_store import configured_store_url, forget_user_at
from bot.privacy import mask_personal_numbers
from bot.settings import settings
from services.callbacks import CallbackStore
from services.insights.consumer import forget_events
from services.schema_migrations import exclusive

logger = logging.getLogger(__name__)

FORGET_ACTION = "action_forget_me"
PHONE_SLOT = "callback_phone"
REQUESTED_SLOT = "requested_slot"


def _mask_value(value: Any, keep_phone: bool) -> Any:
    if isinstance(value, str):
        return mask_personal_numbers(value, keep_phone=keep_phone)
    if isinstance(value, list):
        return [_mask_value(item, keep_phone) for item in value]
    if isinstance(value, dict):
        return {key: _mask_value(item, keep_phone) for key, item in value.items()}
    return value


def masked_event_data(event: Event, keep_phone: bool = False) -> dict[str, Any]:
    """The event as stored: what the citizen typed is masked, the bot's own words are not."""
    data = event.as_dict()
    if isinstance(event, UserUttered):
        for key in ("text", "parse_data", "metadata"):
            if key in data:
                data[key] = _mask_value(data[key], keep_phone)
    elif isinstance(event, SlotSet):
        data["value"] = _mask_value(data.get("value"), keep_phone)
    return data


def phone_answers(events: list[Event]) -> set[int]:
    """Indexes of events that carry the phone number asked for by the call-back form."""
    keep: set[int] = set()
    requested: str | None = None
    for index, event in enumerate(events):
        if isinstance(event, SlotSet) and event.key == REQUESTED_SLOT:
            requested = event.value
        elif isinstance(event, ActiveLoop) and event.name is None:
            requested = None
        elif isinstance(event, UserUttered) and requested == PHONE_SLOT:
            keep.add(index)
        if isinstance(event, SlotSet) and event.key == PHONE_SLOT:
            keep.add(index)
    return keep


def forget_linked_records(sender_id: str) -> None:
    """Delete what the other stores keep under this conversation's sender id: its call-back
    requests (services/callbacks, CALLBACK_DATABASE_URL), the WhatsApp channel's row for
    the sender (bot/channels/whatsapp_store.py, WHATSAPP_STORE_URL) and the desk's hand-overs
    (services/desk, over its internal API).

    Each store on its own: one that fails is logged (the error type only: a database message
    can hold a phone number) and the others are still cleared. Deleting again is harmless, so
    "wis mijn gegevens" once more (same sender id) tries again.
    """
    linked = {
        "call-back requests": lambda: _callback_store(
            settings().callback_database_url
        ).delete_for_sender(sender_id),
        "WhatsApp rows": lambda: forget_user_at(configured_store_url(), sender_id),
        # The desk's hand-overs of this conversation, with the messages (services/desk).
        "desk hand-overs": lambda: DeskClient.from_settings().forget(sender_id),
        # The minimised events of the insights' event broker (services/insights/consumer.py).
        "broker events": lambda: forget_events(settings().event_broker_url, sender_id),
    }
    for name, delete in linked.items():
        try:
            delete()
        except Exception as exc:  # noqa: BLE001 - the other stores must still be cleared
            logger.error(
                "Forgetting a conversation: deleting %s failed: %s", name, type(exc).__name__
            )


@lru_cache(maxsize=4)
def _callback_store(url: str) -> CallbackStore:
    return CallbackStore(url)


class ConversationStoreUnavailable(RuntimeError):
    """The conversation store could not be read or written: the turn stops here, and the
    channel tells the citizen to send the message again (bot/channels/failsafe.py)."""


def _fail_loudly(error: Exception) -> None:
    raise ConversationStoreUnavailable("the conversation store failed") from error


def _fail_safe_without_forgetting() -> None:
    """Rasa wraps every tracker store in FailSafeTrackerStore, which answers a failed read
    with a new, empty conversation and writes to memory instead (and logs the error with
    its SQL). A citizen in the middle of a question would be answered as a stranger, and the
    turn would be lost without a word. Here a failure stops the turn instead; the channel
    answers with an apology and the phone number, and the next message, once the store is
    back, goes on from where the conversation was."""
    original = FailSafeTrackerStore.__init__
    if getattr(original, "leerwijzer", False):
        return

    def __init__(self, tracker_store, on_tracker_store_error=None, fallback=None):  # noqa: ANN001, N807
        original(self, tracker_store, on_tracker_store_error or _fail_loudly, fallback)

    __init__.leerwijzer = True  # type: ignore[attr-defined]
    FailSafeTrackerStore.__init__ = __init__  # type: ignore[method-assign]


_fail_safe_without_forgetting()


class PrivacyTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, retention_schedule: bool = False, **kwargs: Any) -> None:
        # Rasa creates its tables when the store opens; two Rasa servers starting at once on
        # an empty database both try, and one logs "Could not create tables". One at a time.
        url = SQLTrackerStore.get_db_url(
            kwargs.get("dialect", "sqlite"),
            kwargs.get("host"),
            kwargs.get("port"),
            kwargs.get("db", "rasa.db"),
            kwargs.get("username"),
            kwargs.get("password"),
            kwargs.get("login_db"),
            kwargs.get("query"),
        )
        with exclusive(url, "rasa_tracker"):
            super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database:
            # A pool of connections to the file (what SQLAlchemy 2 does by default): 1.4 opens
            # and closes one per session, twice per turn. The retention job runs in a thread.
            self.engine.dispose()
            self.engine = sa.create_engine(
                self.engine.url,
                poolclass=sa.pool.QueuePool,
                connect_args={"check_same_thread": False},
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        elif self.engine.dialect.name != "sqlite":
            # After a PostgreSQL restart the pooled connections are dead: check each one
            # before use, so the first message after the restart is answered, not refused.
            self.engine.dispose()
            self.engine = sa.create_engine(
                self.engine.url, pool_pre_ping=True, **create_engine_kwargs(self.engine.url)
            )
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        if retention_schedule:
            from bot.retention import start_schedule

            start_schedule(self)

    @property
    def _latest_session(self) -> tuple[sa.sql.Select, sa.sql.Select]:
        """(its events' JSON, their number): Rasa's `_event_query` of a conversation's latest
        session (the events from its last SessionStarted on, or all when there is none, in
        order), as two statements built once, with the sender id as a parameter."""
        built = self.__dict__.get("_latest_session_statements")
        if built is None:
            events = self.SQLEvent.__table__
            sender = sa.bindparam("sender_id")
            start = (
                sa.select(sa.func.max(events.c.timestamp).label("session_start"))
                .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
                .subquery()
            )
            latest = sa.and_(
                events.c.sender_id == sender,
                sa.or_(
                    events.c.timestamp >= start.c.session_start,
                    start.c.session_start.is_(None),
                ),
            )
            data = sa.select(events.c.data).select_from(events).join(start, sa.true())
            data = data.where(latest).order_by(events.c.id)
            count = sa.select(sa.func.count()).select_from(events).join(start, sa.true())
            built = self.__dict__["_latest_session_statements"] = (data, count.where(latest))
        return built

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's own: the latest session (or all), reading only the events' JSON."""
        if fetch_events_from_all_sessions:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.session_scope() as session:
            rows = session.execute(self._latest_session[0], {"sender_id": sender_id}).all()
        events = [json.loads(data) for (data,) in rows]
        if not (self.domain and events):
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            first_new = session.execute(
                self._latest_session[1], {"sender_id": tracker.sender_id}
            ).scalar_one()
            events = list(tracker.events)
            new_events = events[first_new:]
            if any(
                isinstance(e, ActionExecuted) and e.action_name == FORGET_ACTION for e in new_events
            ):
                if self.event_broker is not None:
                    # For a queue (RabbitMQ): its consumer drops what it still holds of them.
                    self.event_broker.publish({"sender_id": tracker.sender_id, "event": "forget"})
                self._delete_conversation(session, tracker.sender_id)
                session.commit()
                forget_linked_records(tracker.sender_id)
                logger.info("A conversation and its linked records were deleted on request.")
                return
            if self.event_broker is not None:
                # The new events, counted above: Rasa's stream_events would read the whole
                # conversation again to find them (bot/event_broker.py minimises each one).
                bodies = [{"sender_id": tracker.sender_id, **e.as_dict()} for e in new_events]
                publish_all = getattr(self.event_broker, "publish_all", None)
                if publish_all is not None:
                    publish_all(bodies)
                else:
                    for body in bodies:
                        self.event_broker.publish(body)
            keep_phone = phone_answers(events)
            rows = []
            for index, event in enumerate(new_events, start=first_new):
                data = masked_event_data(event, keep_phone=index in keep_phone)
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                session.execute(sa.insert(self.SQLEvent.__table__), rows)
            session.commit()

    def _delete_conversation(self, session: Any, sender_id: str) -> int:
        return (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == sender_id)
            .delete(synchronize_session=False)
        )

    def delete_conversation(self, sender_id: str) -> int:
        """Delete every event of one conversation; returns the number of events deleted."""
        with self.session_scope() as session:
            deleted = self._delete_conversation(session, sender_id)
            session.commit()
            return deleted

    def delete_older_than(self, days: float, now: float | None = None) -> int:
        """Delete conversations whose newest event is older than `days`; returns how many."""
        cutoff = (now if now is not None else time.time()) - days * 86400
        with self.session_scope() as session:
            stale = (
                session.query(self.SQLEvent.sender_id)
                .group_by(self.SQLEvent.sender_id)
                .having(sa.func.max(self.SQLEvent.timestamp) < cutoff)
                .all()
            )
            senders = [sender for (sender,) in stale]
            for chunk_start in range(0, len(senders), 500):
                chunk = senders[chunk_start : chunk_start + 500]
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id.in_(chunk)).delete(
                    synchronize_session=False
                )
            session.commit()
            return len(senders)
