"""The call-back requests table, as the releases before migrations left it, or new.

Baseline. A database made by an earlier release is adopted as it is; one made before
`sender_key` existed (2026-11) gets that column and its index.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

TABLE = "callback_requests"
SENDER_KEY_INDEX = "ix_callback_requests_sender_key"
EXPIRES_INDEX = "ix_callback_requests_expires_at"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table(TABLE):
        op.create_table(
            TABLE,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("reference", sa.String(16), nullable=False, unique=True),
            sa.Column("first_name", sa.String(60), nullable=False),
            sa.Column("phone", sa.String(20), nullable=False),
            sa.Column("daypart", sa.String(20), nullable=False),
            sa.Column("organization", sa.String(200), nullable=False),
            sa.Column("subject", sa.String(60), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("sender_key", sa.String(64), nullable=True),
        )
        op.create_index(EXPIRES_INDEX, TABLE, ["expires_at"])
        op.create_index(SENDER_KEY_INDEX, TABLE, ["sender_key"])
        return
    if "sender_key" not in {c["name"] for c in inspector.get_columns(TABLE)}:
        op.add_column(TABLE, sa.Column("sender_key", sa.String(64), nullable=True))
    if SENDER_KEY_INDEX not in {i["name"] for i in inspector.get_indexes(TABLE)}:
        op.create_index(SENDER_KEY_INDEX, TABLE, ["sender_key"])
