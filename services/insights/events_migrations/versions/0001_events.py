"""The raw events database: Rasa's `events` table (when Rasa has not made it yet) and the
consumer's progress per sender and cursor (services/insights/consumer.py)."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("events"):
        # As rasa/core/brokers/sql.py declares it: Rasa's SQLEventBroker writes it.
        op.create_table(
            "events",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("sender_id", sa.String(255)),
            sa.Column("data", sa.Text),
        )
    if inspector.has_table("insight_progress"):
        return  # made by the first version of the consumer, before this revision
    op.create_table(
        "insight_progress",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("done_upto", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("last_ts", sa.Float, nullable=False, index=True),
    )
    op.create_table(
        "insight_cursor",
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
