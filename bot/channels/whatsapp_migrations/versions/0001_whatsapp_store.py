"""The WhatsApp channel's tables, as the releases before migrations left them, or new.

Baseline: a database made by an earlier release is adopted as it is.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("whatsapp_messages"):
        op.create_table(
            "whatsapp_messages",
            sa.Column("message_key", sa.String(64), primary_key=True),
            sa.Column("received_at", sa.Float, nullable=False),
        )
        op.create_index("ix_whatsapp_messages_received_at", "whatsapp_messages", ["received_at"])
    if not inspector.has_table("whatsapp_users"):
        op.create_table(
            "whatsapp_users",
            sa.Column("user_key", sa.String(64), primary_key=True),
            sa.Column("last_inbound", sa.Float, nullable=True),
            sa.Column("choices", sa.Text, nullable=False),
            sa.Column("updated_at", sa.Float, nullable=False),
        )
        op.create_index("ix_whatsapp_users_last_inbound", "whatsapp_users", ["last_inbound"])
