"""What the WhatsApp channel must remember between webhook calls, shared by every process.

Three facts, all keyed by hashes (never a phone number or a WhatsApp message id):

- which message ids were already handled (WhatsApp delivers a message again when it is not
  sure we got it; two Rasa processes behind a load balancer may each get a copy),
- when each user last wrote to us (the 24-hour customer-service window),
- the choices of the last button message sent to each user (a typed "2" means the second).

One exception, for the live hand-over only (docs/desk.md): `reply_to`, the WhatsApp id (the
phone number) of a user whose conversation was handed over to a person, so that the desk's
messages can be sent later, outside the webhook call that brought it. Only a turn that leaves
the conversation paused saves it (bot/channels/whatsapp.py); ordinary conversations never have
one.

A user's row (the last two facts and `reply_to`) is made when the user writes, and deleted by
"wis mijn gegevens" (`forget_user_at`, from the forget path of bot/tracker_store.py) or when
the user has not written for the retention period (`purge`); the end of that turn does not
make it again. The message claims are not linked to a user and stay until they expire:
deleting them would let a late redelivery of an old message start a conversation again.

`open_whatsapp_store(url)` picks the implementation: `memory://` (one process, tests) or
any SQLAlchemy URL (`sqlite:///var/whatsapp.db` by default, `postgresql://...` when several
machines run Rasa). Another backend (Redis: `SET key 1 NX EX ttl` for claims, a hash per
user) only has to implement `WhatsAppStore`.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.schema_migrations import upgrade

MEMORY_URL = "memory://"


@dataclass(frozen=True)
class Choice:
    """One button as sent: what the user sees and what Rasa gets back."""

    title: str
    payload: str


class WhatsAppStore(Protocol):
    def claim_message(self, message_key: str, now: float) -> bool:
        """True for the first caller with this key, in any process sharing the store."""

    def record_inbound(self, user_key: str, at: float) -> None:
        """Remember that the user wrote at `at` (keeps the latest time)."""

    def last_inbound(self, user_key: str) -> float | None: ...

    def save_choices(self, user_key: str, choices: list[Choice], now: float) -> None:
        """Replace the user's last choices; an empty list forgets them. Only for a user who
        wrote (`record_inbound`) and was not forgotten since: no row is made."""

    def choices(self, user_key: str) -> list[Choice]: ...

    def save_reply_to(self, user_key: str, wa_id: str | None, now: float) -> None:
        """Remember where the desk's messages for a handed-over user go. Like `save_choices`,
        only for a user who wrote and was not forgotten since: no row is made."""

    def reply_to(self, user_key: str) -> str | None:
        """The WhatsApp id saved by `save_reply_to`; None when there is none."""

    def forget_user(self, user_key: str) -> None:
        """Delete the user's row; doing it again is harmless."""

    def purge(self, messages_before: float, users_before: float) -> int:
        """Delete claims older than `messages_before` and users not seen since `users_before`."""


def open_whatsapp_store(url: str) -> WhatsAppStore:
    if url == MEMORY_URL:
        return MemoryWhatsAppStore()
    return SqlWhatsAppStore(url)


def default_store_url() -> str:
    """SQLite in VAR_DIR: the channel's store when credentials.yml gives no `store_url`."""
    from bot.settings import settings

    return f"sqlite:///{settings().var_dir / 'whatsapp.db'}"


def configured_store_url() -> str:
    """The channel's store as configured for this server: WHATSAPP_STORE_URL (credentials.yml
    gives it to the channel as `store_url`), else the default."""
    from bot.settings import settings

    settings()  # puts the .env values in the environment
    return os.environ.get("WHATSAPP_STORE_URL", "").strip() or default_store_url()


def forget_user_at(url: str, user_key: str) -> bool:
    """Forget a user in the store at `url`, from outside the channel; False when no store
    there can hold one: `memory://` lives in the channel's process, and a SQLite file that
    was never made holds no one (and is not made now)."""
    if url == MEMORY_URL:
        return False
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    _shared_store(url).forget_user(user_key)
    return True


@lru_cache(maxsize=4)
def _shared_store(url: str) -> SqlWhatsAppStore:
    return SqlWhatsAppStore(url)


class MemoryWhatsAppStore:
    """For one process only: a second process would not see the claims."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: dict[str, float] = {}
        self._inbound: dict[str, float] = {}
        self._choices: dict[str, list[Choice]] = {}
        self._reply_to: dict[str, str] = {}
        self._updated: dict[str, float] = {}

    def claim_message(self, message_key: str, now: float) -> bool:
        with self._lock:
            if message_key in self._messages:
                return False
            self._messages[message_key] = now
            return True

    def record_inbound(self, user_key: str, at: float) -> None:
        with self._lock:
            self._inbound[user_key] = max(at, self._inbound.get(user_key, at))
            self._updated[user_key] = max(at, self._updated.get(user_key, at))

    def last_inbound(self, user_key: str) -> float | None:
        with self._lock:
            return self._inbound.get(user_key)

    def save_choices(self, user_key: str, choices: list[Choice], now: float) -> None:
        with self._lock:
            if user_key in self._updated:
                self._choices[user_key] = list(choices)
                self._updated[user_key] = now

    def choices(self, user_key: str) -> list[Choice]:
        with self._lock:
            return list(self._choices.get(user_key, []))

    def save_reply_to(self, user_key: str, wa_id: str | None, now: float) -> None:
        with self._lock:
            if user_key in self._updated:
                self._reply_to[user_key] = wa_id
                self._updated[user_key] = now

    def reply_to(self, user_key: str) -> str | None:
        with self._lock:
            return self._reply_to.get(user_key)

    def forget_user(self, user_key: str) -> None:
        with self._lock:
            for table in self._user_tables():
                table.pop(user_key, None)

    def purge(self, messages_before: float, users_before: float) -> int:
        with self._lock:
            old_messages = [k for k, t in self._messages.items() if t < messages_before]
            old_users = [k for k, t in self._updated.items() if t < users_before]
            for key in old_messages:
                del self._messages[key]
            for key in old_users:
                for table in self._user_tables():
                    table.pop(key, None)
            return len(old_messages) + len(old_users)

    def _user_tables(self) -> tuple[dict, ...]:
        return (self._inbound, self._choices, self._reply_to, self._updated)


# The tables' revisions (services/schema_migrations.py); the metadata below is what the code
# reads and writes, and must match the newest revision (tests/services/test_migrations.py).
MIGRATIONS = Path(__file__).with_name("whatsapp_migrations")
VERSION_TABLE = "alembic_version_whatsapp"

metadata = sa.MetaData()
messages_table = sa.Table(
    "whatsapp_messages",
    metadata,
    sa.Column("message_key", sa.String(64), primary_key=True),
    sa.Column("received_at", sa.Float, nullable=False, index=True),
)
users_table = sa.Table(
    "whatsapp_users",
    metadata,
    sa.Column("user_key", sa.String(64), primary_key=True),
    sa.Column("last_inbound", sa.Float, nullable=True, index=True),
    sa.Column("choices", sa.Text, nullable=False, default="[]"),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("reply_to", sa.String(64), nullable=True),  # revision 0002: handed over only
)


def _engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Several processes may share the file: wait for a writer instead of failing.
        engine = sa.create_engine(url, future=True, connect_args={"timeout": 15})

        @sa.event.listens_for(engine, "connect")
        def _wal(connection, _record) -> None:  # noqa: ANN001 - DB-API connection
            connection.execute("PRAGMA journal_mode=WAL")

        return engine
    return sa.create_engine(url, future=True, pool_pre_ping=True)


class SqlWhatsAppStore:
    """SQLite (one machine, any number of processes) or PostgreSQL (several machines).

    A claim is an INSERT on a primary key, so exactly one process wins it even when two
    handle the same delivery at the same moment.
    """

    def __init__(self, url: str) -> None:
        self.engine = _engine(url)
        upgrade(url, MIGRATIONS, VERSION_TABLE)

    def claim_message(self, message_key: str, now: float) -> bool:
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    messages_table.insert().values(message_key=message_key, received_at=now)
                )
        except IntegrityError:
            return False
        return True

    def record_inbound(self, user_key: str, at: float) -> None:
        column = users_table.c.last_inbound
        newer = sa.or_(column.is_(None), column < at)
        self._upsert(user_key, {"last_inbound": at, "updated_at": at}, only_if=newer)

    def last_inbound(self, user_key: str) -> float | None:
        row = self._row(user_key)
        return row.last_inbound if row else None

    def save_choices(self, user_key: str, choices: list[Choice], now: float) -> None:
        encoded = json.dumps([[c.title, c.payload] for c in choices], ensure_ascii=False)
        with self.engine.begin() as connection:
            connection.execute(
                users_table.update()
                .where(users_table.c.user_key == user_key)
                .values(choices=encoded, updated_at=now)
            )

    def choices(self, user_key: str) -> list[Choice]:
        row = self._row(user_key)
        return [Choice(title, payload) for title, payload in json.loads(row.choices)] if row else []

    def save_reply_to(self, user_key: str, wa_id: str | None, now: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                users_table.update()
                .where(users_table.c.user_key == user_key)
                .values(reply_to=wa_id, updated_at=now)
            )

    def reply_to(self, user_key: str) -> str | None:
        row = self._row(user_key)
        return row.reply_to if row else None

    def forget_user(self, user_key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(users_table.delete().where(users_table.c.user_key == user_key))

    def purge(self, messages_before: float, users_before: float) -> int:
        with self.engine.begin() as connection:
            messages = connection.execute(
                messages_table.delete().where(messages_table.c.received_at < messages_before)
            ).rowcount
            users = connection.execute(
                users_table.delete().where(users_table.c.updated_at < users_before)
            ).rowcount
        return messages + users

    def _row(self, user_key: str) -> sa.engine.Row | None:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(users_table).where(users_table.c.user_key == user_key)
            ).first()

    def _upsert(self, user_key: str, values: dict, only_if: sa.sql.ClauseElement | None = None):
        """Update the user's row, or insert it; portable across SQLite and PostgreSQL."""
        where = users_table.c.user_key == user_key
        if only_if is not None:
            where = sa.and_(where, only_if)
        # `existed`: the row was there before the last update began, so an update that changed
        # nothing means only_if did not hold. A row that appears between the update and the check
        # (another process inserted it) gets the update once more: it may be older than this one.
        existed = False
        for _ in range(3):
            with self.engine.begin() as connection:
                if connection.execute(users_table.update().where(where).values(**values)).rowcount:
                    return
                exists = connection.execute(
                    sa.select(users_table.c.user_key).where(users_table.c.user_key == user_key)
                ).first()
            if exists:
                if existed:
                    return  # the row is newer than this update (only_if did not hold)
                existed = True
                continue
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        users_table.insert().values(
                            user_key=user_key, **{"choices": "[]", **values}
                        )
                    )
                return
            except IntegrityError:
                existed = True  # another process inserted it first; update that row
                continue
