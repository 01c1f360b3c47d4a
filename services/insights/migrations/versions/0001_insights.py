"""The insight tables: facts per conversation (no text, no sender id) and published cells."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _conversation_columns() -> list[sa.Column]:
    return [
        sa.Column("conversation", sa.String(32), nullable=False, index=True),
        sa.Column("week", sa.Date, nullable=False, index=True),
    ]


def upgrade() -> None:
    op.create_table(
        "insight_conversations",
        sa.Column("conversation", sa.String(32), primary_key=True),
        sa.Column("week", sa.Date, nullable=False, index=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("municipality", sa.String(80), nullable=True),
        sa.Column("age_band", sa.String(8), nullable=True),
        sa.Column("situation", sa.String(40), nullable=True),
        sa.Column("goal", sa.String(40), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("fallbacks", sa.Integer, nullable=False),
        sa.Column("budget_checked", sa.Boolean, nullable=False),
        sa.Column("nothing_fits", sa.Boolean, nullable=True),
    )
    op.create_table(
        "insight_searches",
        *_conversation_columns(),
        sa.Column("subject", sa.String(40), nullable=False),
        sa.Column("municipality", sa.String(80), nullable=True),
        sa.Column("results", sa.Integer, nullable=False),
        sa.Column("more", sa.Boolean, nullable=False),
        sa.Column("nearest_km", sa.Float, nullable=True),
        sa.Column("free_share", sa.Float, nullable=True),
    )
    op.create_table(
        "insight_schemes",
        *_conversation_columns(),
        sa.Column("scheme", sa.String(60), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("asked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "insight_help",
        *_conversation_columns(),
        sa.Column("help_kind", sa.String(40), nullable=False),
        sa.Column("found", sa.Integer, nullable=False),
    )
    op.create_table(
        "insight_handovers",
        *_conversation_columns(),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("help_kind", sa.String(40), nullable=True),
        sa.Column("route", sa.String(20), nullable=False),
    )
    op.create_table(
        "insight_cells",
        sa.Column("view", sa.String(20), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("row", sa.String(80), primary_key=True),
        sa.Column("col", sa.String(80), primary_key=True),
        sa.Column("conversations", sa.Integer, nullable=False),
        sa.Column("measures", sa.Text, nullable=True),
    )
    op.create_table(
        "insight_publications",
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("grain", sa.String(10), nullable=False),
        sa.Column("k", sa.Integer, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suppressed", sa.Integer, nullable=False),
    )
