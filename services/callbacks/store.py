"""Durable store of call-back requests on SQLite or PostgreSQL (SQLAlchemy core).

A request is committed before `add` returns, so the assistant only confirms a request
that is on disk. Every request carries its own expiry date (the retention period), and the
key of the conversation it was made in (`sender_key`), so "wis mijn gegevens" can delete it
(`delete_for_sender`, called from the forget path of bot/tracker_store.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from services.schema_migrations import upgrade

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to mix up on the phone
REFERENCE_LENGTH = 6

metadata = sa.MetaData()
requests_table = sa.Table(
    "callback_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(16), nullable=False, unique=True),
    sa.Column("first_name", sa.String(60), nullable=False),
    sa.Column("phone", sa.String(20), nullable=False),
    sa.Column("daypart", sa.String(20), nullable=False),
    sa.Column("organization", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(60), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    # sender_key(sender id) of the conversation; empty for requests stored before it existed.
    sa.Column("sender_key", sa.String(64), nullable=True, index=True),
    # The desk's work on it (revision 0002, docs/desk.md "Call-back queue").
    sa.Column("desk_id", sa.String(40), nullable=True),
    sa.Column("status", sa.String(20), nullable=False, server_default="new"),
    sa.Column("claimed_by", sa.String(80), nullable=True),
    sa.Column("note", sa.String(2000), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
)
FINISHED = ("called", "done")
STATUSES = ("new", "claimed", "unreachable", *FINISHED)
# The table's revisions (services/schema_migrations.py); `metadata` above is what the code reads
# and writes, and must match the newest revision (tests/services/test_migrations.py).
MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version_callbacks"


def sender_key(sender_id: str) -> str:
    """The key that links a stored record to the conversation it came from.

    SHA-256 of the Rasa sender id. That id is the WhatsApp channel's keyed hash of the phone
    number (bot/channels/whatsapp.py), a random id of the web widget, or a Twilio phone
    number: stored as it is, a widget's id would let whoever reads this table continue that
    conversation. Computed here only: `add` and `delete_for_sender` take the sender id.
    """
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CallbackRequest:
    first_name: str
    phone: str
    daypart: str
    organization: str
    subject: str | None = None
    reference: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    desk_id: str | None = None
    status: str = "new"
    claimed_by: str | None = None
    note: str | None = None
    attempts: int = 0
    finished_at: datetime | None = None


def new_reference() -> str:
    return "LW-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def engine_for(url: str) -> Engine:
    """An engine for a store: SQLite (WAL, durable commits, folder made) or PostgreSQL."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Wait up to 30 s for another writer (pysqlite's default 5 s is short on a busy machine).
        engine = sa.create_engine(url, future=True, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _durable(connection, _record) -> None:  # noqa: ANN001 - DB-API connection
            # A confirmed request must survive a crash right after the confirmation.
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")

        return engine
    return sa.create_engine(url, future=True, pool_pre_ping=True)


class CallbackStore:
    def __init__(self, url: str, retention_days: int = 30) -> None:
        self.retention = timedelta(days=retention_days)
        self.engine = engine_for(url)
        upgrade(url, MIGRATIONS, VERSION_TABLE)

    def add(
        self, request: CallbackRequest, now: datetime | None = None, sender_id: str | None = None
    ) -> CallbackRequest:
        """Store a request and return it with its reference; committed when this returns.

        `sender_id`: the conversation it was made in, so forgetting that conversation deletes it.
        """
        created = now or datetime.now(timezone.utc)
        key = sender_key(sender_id) if sender_id else None
        for _ in range(5):
            stored = CallbackRequest(
                first_name=request.first_name,
                phone=request.phone,
                daypart=request.daypart,
                organization=request.organization,
                subject=request.subject,
                reference=new_reference(),
                created_at=created,
                expires_at=created + self.retention,
                desk_id=request.desk_id,
            )
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        requests_table.insert().values(**stored.__dict__, sender_key=key)
                    )
                return stored
            except IntegrityError:
                continue  # a reference collision; draw again
        raise RuntimeError("Could not draw a unique reference code.")

    def get(self, reference: str) -> CallbackRequest | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(requests_table).where(requests_table.c.reference == reference)
            ).first()
        return _request(row) if row else None

    def open_requests(self) -> list[CallbackRequest]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(requests_table).order_by(requests_table.c.created_at)
            ).all()
        return [_request(row) for row in rows]

    def for_desks(self, desk_ids: list[str], organizations: list[str]) -> list[CallbackRequest]:
        """The requests of these desks (by id, or by the name of a request without a desk id),
        unfinished first, oldest first."""
        table = requests_table
        mine = sa.or_(
            table.c.desk_id.in_(desk_ids or [""]),
            sa.and_(table.c.desk_id.is_(None), table.c.organization.in_(organizations or [""])),
        )
        finished = table.c.status.in_(FINISHED)
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table).where(mine).order_by(finished, table.c.created_at)
            ).all()
        return [_request(row) for row in rows]

    def update_work(
        self,
        reference: str,
        *,
        claimed_by: str | None = None,
        note: str | None = None,
        status: str | None = None,
        finished_days: float = 7,
        now: datetime | None = None,
    ) -> CallbackRequest | None:
        """Claim, note or set the outcome of a request; None when it is gone.

        A finished request (called, done) expires `finished_days` after now."""
        moment = now or datetime.now(timezone.utc)
        values: dict[str, object] = {}
        if claimed_by is not None:
            values["claimed_by"] = claimed_by
            values["status"] = "claimed"
        if note is not None:
            values["note"] = note
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            values["status"] = status
            if status == "unreachable":
                values["attempts"] = requests_table.c.attempts + 1
            if status in FINISHED:
                values["finished_at"] = moment
                values["expires_at"] = moment + timedelta(days=finished_days)
        with self.engine.begin() as connection:
            if values:
                connection.execute(
                    requests_table.update()
                    .where(requests_table.c.reference == reference)
                    .values(**values)
                )
            row = connection.execute(
                sa.select(requests_table).where(requests_table.c.reference == reference)
            ).first()
        return _request(row) if row else None

    def delete_expired(self, now: datetime | None = None) -> int:
        """Delete requests past their retention period; returns how many."""
        moment = now or datetime.now(timezone.utc)
        with self.engine.begin() as connection:
            result = connection.execute(
                requests_table.delete().where(requests_table.c.expires_at < moment)
            )
        return result.rowcount

    def delete_older_than(self, days: float, now: datetime | None = None) -> int:
        """Delete requests made more than `days` ago or past their expiry; returns how many."""
        moment = now or datetime.now(timezone.utc)
        cutoff = moment - timedelta(days=days)
        with self.engine.begin() as connection:
            result = connection.execute(
                requests_table.delete().where(
                    sa.or_(
                        requests_table.c.created_at < cutoff,
                        requests_table.c.expires_at < moment,
                    )
                )
            )
        return result.rowcount

    def delete_for_sender(self, sender_id: str) -> int:
        """Delete every request made in this conversation; returns how many (0 the second time)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                requests_table.delete().where(requests_table.c.sender_key == sender_key(sender_id))
            )
        return result.rowcount

    def delete(self, reference: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                requests_table.delete().where(requests_table.c.reference == reference)
            )
        return result.rowcount > 0


def _request(row: sa.engine.Row) -> CallbackRequest:
    values = dict(row._mapping)
    values.pop("id", None)
    values.pop("sender_key", None)
    for key in ("created_at", "expires_at", "finished_at"):
        if values[key] is not None and values[key].tzinfo is None:
            values[key] = values[key].replace(tzinfo=timezone.utc)  # SQLite drops the zone
    return CallbackRequest(**values)
