"""Where the desk's messages go: the WhatsApp id of a conversation handed over to a person.

`reply_to` is set only when a turn leaves the conversation paused for the desk (docs/desk.md),
so an advisor's message can be sent later, outside any webhook call. It goes with the user's
row: "wis mijn gegevens" and the retention purge delete it. Existing rows get NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.add_column("whatsapp_users", sa.Column("reply_to", sa.String(64), nullable=True))
