"""The desk works through the requests: which desk, who has it, a note, the outcome.

`status`: new, claimed, unreachable (an attempt; stays open), called or done (finished).
A finished request is deleted CALLBACK_FINISHED_DAYS after `finished_at` (its `expires_at`
is moved then).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

TABLE = "callback_requests"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("desk_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="new"))
        batch.add_column(sa.Column("claimed_by", sa.String(80), nullable=True))
        batch.add_column(sa.Column("note", sa.String(2000), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
