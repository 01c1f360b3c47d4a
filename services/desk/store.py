"""The desk's store on SQLite or PostgreSQL (SQLAlchemy core, Alembic revisions in migrations/).

Desks, accounts, sessions, hand-overs with their messages, and the audit log. It is the shared
state of the live hand-over: whichever Rasa server a citizen's message reaches, it is relayed
here, and the desk's answers go out from here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.callbacks.store import engine_for, sender_key
from services.schema_migrations import upgrade

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version_desk"
ROLES = ("advisor", "editor", "admin", "partner")  # partner: the insights pages only
OPEN = ("waiting", "active")
WHEN = sa.DateTime(timezone=True)

metadata = sa.MetaData()
desks = sa.Table(
    "desk_desks",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("hours", sa.String(200), nullable=False, server_default=""),
    sa.Column("topics", sa.String(400), nullable=False, server_default=""),
    sa.Column("max_wait_minutes", sa.Integer, nullable=False, server_default="5"),
)
users = sa.Table(
    "desk_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", WHEN, nullable=True),
    sa.Column("created_at", WHEN, nullable=False),
)
user_desks = sa.Table(
    "desk_user_desks",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("desk_id", sa.String(40), primary_key=True),
)
sessions = sa.Table(
    "desk_sessions",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # SHA-256 of the cookie's value
    sa.Column("user_id", sa.Integer, nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", WHEN, nullable=False),
    sa.Column("last_seen", WHEN, nullable=False),
)
oidc_pending = sa.Table(
    "desk_oidc_pending",
    metadata,
    sa.Column("state", sa.String(128), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", WHEN, nullable=False),
)
handovers = sa.Table(
    "desk_handovers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # The Rasa sender id, needed to answer in the same thread; deleted with the hand-over.
    sa.Column("sender_id", sa.String(128), nullable=False),
    sa.Column("sender_key", sa.String(64), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("desk_id", sa.String(40), nullable=False, index=True),
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("created_at", WHEN, nullable=False),
    sa.Column("taken_by", sa.Integer, nullable=True),
    sa.Column("taken_at", WHEN, nullable=True),
    sa.Column("ended_at", WHEN, nullable=True),
    sa.Column("citizen_present", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("expires_at", WHEN, nullable=False, index=True),
)
messages = sa.Table(
    "desk_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handover_id", sa.Integer, nullable=False, index=True),
    sa.Column("sender", sa.String(20), nullable=False),  # citizen, assistant, advisor, system
    sa.Column("author", sa.String(120), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", WHEN, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False, server_default=sa.true()),
)
audit = sa.Table(
    "desk_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", WHEN, nullable=False, index=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(120), nullable=False),
)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _row(row: sa.engine.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: _aware(v) if isinstance(v, datetime) else v for k, v in row._mapping.items()}


@dataclass(frozen=True)
class Desk:
    id: str
    name: str
    phone: str = ""
    hours: str = ""
    topics: tuple[str, ...] = ()
    max_wait_minutes: int = 5


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    role: str
    active: bool
    desks: tuple[str, ...] = ()
    password_hash: str | None = field(default=None, repr=False)
    failed_attempts: int = 0
    locked_until: datetime | None = None


def session_key(token: str) -> str:
    """Sessions are stored by the hash of the cookie: a copy of the table signs nobody in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class DeskStore:
    def __init__(self, url: str, retention_days: int = 30) -> None:
        self.retention = timedelta(days=retention_days)
        self.engine = engine_for(url)
        upgrade(url, MIGRATIONS, VERSION_TABLE)

    # -- desks ---------------------------------------------------------------------------

    def save_desk(self, desk: Desk) -> Desk:
        values = {
            "name": desk.name,
            "phone": desk.phone,
            "hours": desk.hours,
            "topics": ",".join(desk.topics),
            "max_wait_minutes": desk.max_wait_minutes,
        }
        with self.engine.begin() as connection:
            found = connection.execute(sa.select(desks.c.id).where(desks.c.id == desk.id)).first()
            if found:
                connection.execute(desks.update().where(desks.c.id == desk.id).values(**values))
            else:
                connection.execute(desks.insert().values(id=desk.id, **values))
        return desk

    def desks(self) -> list[Desk]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(desks).order_by(desks.c.name)).all()
        return [
            Desk(
                id=r.id,
                name=r.name,
                phone=r.phone,
                hours=r.hours,
                topics=tuple(t for t in r.topics.split(",") if t),
                max_wait_minutes=r.max_wait_minutes,
            )
            for r in rows
        ]

    def desk(self, desk_id: str) -> Desk | None:
        return next((d for d in self.desks() if d.id == desk_id), None)

    # -- accounts ------------------------------------------------------------------------

    def add_user(
        self, username: str, name: str, role: str, password_hash: str | None, desk_ids: list[str]
    ) -> User:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        with self.engine.begin() as connection:
            result = connection.execute(
                users.insert().values(
                    username=username,
                    name=name,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    created_at=now_utc(),
                )
            )
            user_id = result.inserted_primary_key[0]
            for desk_id in desk_ids:
                connection.execute(user_desks.insert().values(user_id=user_id, desk_id=desk_id))
        user = self.user(username)
        assert user is not None
        return user

    def update_user(self, username: str, **values: Any) -> User | None:
        desk_ids = values.pop("desks", None)
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(users.c.id).where(users.c.username == username)
            ).first()
            if row is None:
                return None
            if values:
                connection.execute(users.update().where(users.c.id == row.id).values(**values))
            if desk_ids is not None:
                connection.execute(user_desks.delete().where(user_desks.c.user_id == row.id))
                for desk_id in desk_ids:
                    connection.execute(user_desks.insert().values(user_id=row.id, desk_id=desk_id))
        return self.user(username)

    def _user(self, where: sa.sql.ClauseElement) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(users).where(where)).first()
            if row is None:
                return None
            desk_ids = connection.execute(
                sa.select(user_desks.c.desk_id).where(user_desks.c.user_id == row.id)
            ).scalars()
            return User(
                id=row.id,
                username=row.username,
                name=row.name,
                role=row.role,
                active=bool(row.active),
                desks=tuple(sorted(desk_ids)),
                password_hash=row.password_hash,
                failed_attempts=row.failed_attempts,
                locked_until=_aware(row.locked_until),
            )

    def user(self, username: str) -> User | None:
        return self._user(users.c.username == username)

    def user_by_id(self, user_id: int) -> User | None:
        return self._user(users.c.id == user_id)

    def users(self) -> list[User]:
        with self.engine.connect() as connection:
            names = connection.execute(sa.select(users.c.username).order_by(users.c.username))
            usernames = list(names.scalars())
        return [u for u in (self.user(n) for n in usernames) if u is not None]

    def count_admins(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).where(users.c.role == "admin", users.c.active)
            ).scalar_one()

    def record_failure(self, user_id: int, attempts: int, lock_for: timedelta) -> User | None:
        """One more failed sign-in; the account locks when it reaches `attempts` in a row."""
        with self.engine.begin() as connection:
            connection.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(failed_attempts=users.c.failed_attempts + 1)
            )
            failed = connection.execute(
                sa.select(users.c.failed_attempts).where(users.c.id == user_id)
            ).scalar_one()
            if failed >= attempts:
                connection.execute(
                    users.update()
                    .where(users.c.id == user_id)
                    .values(locked_until=now_utc() + lock_for, failed_attempts=0)
                )
        return self.user_by_id(user_id)

    def clear_failures(self, user_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(failed_attempts=0, locked_until=None)
            )

    # -- sessions ------------------------------------------------------------------------

    def add_session(self, token: str, user_id: int, csrf: str) -> None:
        moment = now_utc()
        with self.engine.begin() as connection:
            connection.execute(
                sessions.insert().values(
                    key=session_key(token),
                    user_id=user_id,
                    csrf=csrf,
                    created_at=moment,
                    last_seen=moment,
                )
            )

    def session(self, token: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            return _row(
                connection.execute(
                    sa.select(sessions).where(sessions.c.key == session_key(token))
                ).first()
            )

    def touch_session(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sessions.update()
                .where(sessions.c.key == session_key(token))
                .values(last_seen=now_utc())
            )

    def end_session(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(sessions.delete().where(sessions.c.key == session_key(token)))

    def end_sessions_of(self, user_id: int) -> int:
        with self.engine.begin() as connection:
            return connection.execute(
                sessions.delete().where(sessions.c.user_id == user_id)
            ).rowcount

    def signed_in_advisors(self, desk_id: str, idle: timedelta) -> int:
        """How many people of this desk have a session that was used within `idle`."""
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count(sa.distinct(sessions.c.user_id)))
                .select_from(sessions.join(user_desks, user_desks.c.user_id == sessions.c.user_id))
                .where(user_desks.c.desk_id == desk_id, sessions.c.last_seen >= now_utc() - idle)
            ).scalar_one()

    def end_stale_sessions(self, idle: timedelta, longest: timedelta) -> int:
        moment = now_utc()
        with self.engine.begin() as connection:
            return connection.execute(
                sessions.delete().where(
                    sa.or_(
                        sessions.c.last_seen < moment - idle,
                        sessions.c.created_at < moment - longest,
                    )
                )
            ).rowcount

    # -- sign-in through an identity provider: the pending state, ten minutes at most ------

    def put_pending(self, state: str, data: dict[str, str]) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                oidc_pending.delete().where(
                    oidc_pending.c.created_at < now_utc() - timedelta(minutes=10)
                )
            )
            connection.execute(
                oidc_pending.insert().values(
                    state=state, data=json.dumps(data), created_at=now_utc()
                )
            )

    def take_pending(self, state: str) -> dict[str, str] | None:
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(oidc_pending).where(
                    oidc_pending.c.state == state,
                    oidc_pending.c.created_at >= now_utc() - timedelta(minutes=10),
                )
            ).first()
            connection.execute(oidc_pending.delete().where(oidc_pending.c.state == state))
        return json.loads(row.data) if row else None

    # -- hand-overs ----------------------------------------------------------------------

    def open_handover_of(self, sender_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            return _row(
                connection.execute(
                    sa.select(handovers)
                    .where(
                        handovers.c.sender_key == sender_key(sender_id),
                        handovers.c.status.in_(OPEN),
                    )
                    .order_by(handovers.c.id.desc())
                ).first()
            )

    def add_handover(
        self,
        sender_id: str,
        channel: str,
        desk_id: str,
        language: str,
        transcript: list[tuple[str, str, datetime]],
    ) -> dict[str, Any]:
        """A waiting hand-over with the conversation so far (already masked)."""
        moment = now_utc()
        with self.engine.begin() as connection:
            result = connection.execute(
                handovers.insert().values(
                    sender_id=sender_id,
                    sender_key=sender_key(sender_id),
                    channel=channel,
                    desk_id=desk_id,
                    language=language,
                    status="waiting",
                    created_at=moment,
                    citizen_present=True,
                    expires_at=moment + self.retention,
                )
            )
            handover_id = result.inserted_primary_key[0]
            for sender, text, at in transcript:
                connection.execute(
                    messages.insert().values(
                        handover_id=handover_id, sender=sender, text=text, at=at
                    )
                )
        found = self.handover(handover_id)
        assert found is not None
        return found

    def handover(self, handover_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            return _row(
                connection.execute(
                    sa.select(handovers).where(handovers.c.id == handover_id)
                ).first()
            )

    def handovers_of(self, desk_ids: list[str], statuses: tuple[str, ...] = OPEN) -> list[dict]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(handovers)
                .where(handovers.c.desk_id.in_(desk_ids or [""]), handovers.c.status.in_(statuses))
                .order_by(handovers.c.created_at, handovers.c.id)
            ).all()
        return [_row(r) for r in rows]  # type: ignore[misc]

    def position(self, handover: dict[str, Any]) -> int | None:
        """1 for the first in its desk's queue; None when it is not waiting."""
        if handover["status"] != "waiting":
            return None
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).where(
                    handovers.c.desk_id == handover["desk_id"],
                    handovers.c.status == "waiting",
                    handovers.c.id <= handover["id"],
                )
            ).scalar_one()

    def recent_waits(self, desk_id: str, count: int = 20) -> list[float]:
        """Seconds from joining to being taken, of the desk's last hand-overs that were taken."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(handovers.c.created_at, handovers.c.taken_at)
                .where(handovers.c.desk_id == desk_id, handovers.c.taken_at.is_not(None))
                .order_by(handovers.c.taken_at.desc())
                .limit(count)
            ).all()
        return [(_aware(r.taken_at) - _aware(r.created_at)).total_seconds() for r in rows]

    def set_handover(
        self, handover_id: int, only_if_status: tuple[str, ...] | None = None, **values: Any
    ) -> bool:
        """Change a hand-over; with `only_if_status`, only when it has one of those statuses
        (two advisors taking the same one: exactly one succeeds)."""
        where = [handovers.c.id == handover_id]
        if only_if_status is not None:
            where.append(handovers.c.status.in_(only_if_status))
        with self.engine.begin() as connection:
            return (
                connection.execute(handovers.update().where(*where).values(**values)).rowcount == 1
            )

    def add_message(
        self,
        handover_id: int,
        sender: str,
        text: str,
        author: str | None = None,
        delivered: bool = True,
    ) -> dict[str, Any]:
        with self.engine.begin() as connection:
            result = connection.execute(
                messages.insert().values(
                    handover_id=handover_id,
                    sender=sender,
                    author=author,
                    text=text,
                    at=now_utc(),
                    delivered=delivered,
                )
            )
            message_id = result.inserted_primary_key[0]
            return _row(  # type: ignore[return-value]
                connection.execute(sa.select(messages).where(messages.c.id == message_id)).first()
            )

    def mark_delivered(self, message_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                messages.update().where(messages.c.id == message_id).values(delivered=True)
            )

    def undelivered(self, handover_id: int | None = None) -> list[dict[str, Any]]:
        """Messages not taken by the assistant yet, oldest first (of one hand-over, or all)."""
        where = [messages.c.delivered.is_(False)]
        if handover_id is not None:
            where.append(messages.c.handover_id == handover_id)
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(messages).where(*where).order_by(messages.c.id)
            ).all()
        return [_row(r) for r in rows]  # type: ignore[misc]

    def messages_of(self, handover_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(messages)
                .where(messages.c.handover_id == handover_id)
                .order_by(messages.c.id)
            ).all()
        return [_row(r) for r in rows]  # type: ignore[misc]

    def forget(self, sender_id: str) -> int:
        """Delete every hand-over of this conversation with its messages; returns how many."""
        with self.engine.begin() as connection:
            ids = list(
                connection.execute(
                    sa.select(handovers.c.id).where(handovers.c.sender_key == sender_key(sender_id))
                ).scalars()
            )
            if ids:
                connection.execute(messages.delete().where(messages.c.handover_id.in_(ids)))
                connection.execute(handovers.delete().where(handovers.c.id.in_(ids)))
        return len(ids)

    def delete_expired(self, audit_days: float) -> int:
        """Retention: hand-overs past their expiry (with their messages) and old audit lines."""
        moment = now_utc()
        with self.engine.begin() as connection:
            ids = list(
                connection.execute(
                    sa.select(handovers.c.id).where(
                        handovers.c.expires_at < moment, handovers.c.status.not_in(OPEN)
                    )
                ).scalars()
            )
            if ids:
                connection.execute(messages.delete().where(messages.c.handover_id.in_(ids)))
                connection.execute(handovers.delete().where(handovers.c.id.in_(ids)))
            connection.execute(
                audit.delete().where(audit.c.at < moment - timedelta(days=audit_days))
            )
        return len(ids)

    # -- audit log -----------------------------------------------------------------------

    def log(self, username: str, action: str, target: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                audit.insert().values(at=now_utc(), username=username, action=action, target=target)
            )

    def audit_entries(self, limit: int = 500) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
            ).all()
        return [_row(r) for r in rows]  # type: ignore[misc]
