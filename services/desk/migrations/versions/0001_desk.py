"""The desk's tables: desks, accounts, sessions, hand-overs, their messages, the audit log."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "desk_desks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("hours", sa.String(200), nullable=False, server_default=""),
        sa.Column("topics", sa.String(400), nullable=False, server_default=""),
        sa.Column("max_wait_minutes", sa.Integer, nullable=False, server_default="5"),
    )
    op.create_table(
        "desk_users",
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
    op.create_table(
        "desk_user_desks",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("desk_id", sa.String(40), primary_key=True),
    )
    op.create_table(
        "desk_sessions",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, nullable=False, index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_seen", WHEN, nullable=False),
    )
    op.create_table(
        "desk_oidc_pending",
        sa.Column("state", sa.String(128), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "desk_handovers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
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
    op.create_table(
        "desk_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handover_id", sa.Integer, nullable=False, index=True),
        sa.Column("sender", sa.String(20), nullable=False),
        sa.Column("author", sa.String(120), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "desk_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", WHEN, nullable=False, index=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
    )
