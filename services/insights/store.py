"""The insights store (SQLite or PostgreSQL, SQLAlchemy core): facts and published cells.

Two kinds of rows, in one database (`INSIGHTS_DATABASE_URL`, docs/insights.md):

- **Facts**, one set per finished conversation, made by services/insights/consumer.py from the
  event broker's events. A fact row holds no text and no sender id: the conversation key is a
  random value made when the facts are written, so nothing links it to the tracker store. The
  date is the week (its Monday), never the time. Facts are kept `INSIGHTS_FACTS_DAYS`.
- **Published cells**, made by services/insights/aggregate.py from the facts: counts of at least
  k distinct conversations per cell, with suppressed cells left out. This is all the dashboard,
  the CSV and the monthly report ever read.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.callbacks.store import engine_for
from services.schema_migrations import upgrade

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version_insights"
ALL = "*"  # a margin: every value of that dimension

metadata = sa.MetaData()


def _conversation_columns() -> list[sa.Column]:
    return [
        sa.Column("conversation", sa.String(32), nullable=False, index=True),
        sa.Column("week", sa.Date, nullable=False, index=True),
    ]


conversations_table = sa.Table(
    "insight_conversations",
    metadata,
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
searches_table = sa.Table(
    "insight_searches",
    metadata,
    *_conversation_columns(),
    sa.Column("subject", sa.String(40), nullable=False),
    sa.Column("municipality", sa.String(80), nullable=True),
    sa.Column("results", sa.Integer, nullable=False),
    sa.Column("more", sa.Boolean, nullable=False),
    sa.Column("nearest_km", sa.Float, nullable=True),
    sa.Column("free_share", sa.Float, nullable=True),
)
schemes_table = sa.Table(
    "insight_schemes",
    metadata,
    *_conversation_columns(),
    sa.Column("scheme", sa.String(60), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("asked", sa.Boolean, nullable=False),
)
help_table = sa.Table(
    "insight_help",
    metadata,
    *_conversation_columns(),
    sa.Column("help_kind", sa.String(40), nullable=False),
    sa.Column("found", sa.Integer, nullable=False),
)
handovers_table = sa.Table(
    "insight_handovers",
    metadata,
    *_conversation_columns(),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("help_kind", sa.String(40), nullable=True),
    sa.Column("route", sa.String(20), nullable=False),
)
FACT_TABLES = (searches_table, schemes_table, help_table, handovers_table, conversations_table)

cells_table = sa.Table(
    "insight_cells",
    metadata,
    sa.Column("view", sa.String(20), primary_key=True),
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("row", sa.String(80), primary_key=True),
    sa.Column("col", sa.String(80), primary_key=True),
    sa.Column("conversations", sa.Integer, nullable=False),
    sa.Column("measures", sa.Text, nullable=True),
)
publications_table = sa.Table(
    "insight_publications",
    metadata,
    sa.Column("period", sa.String(10), primary_key=True),
    sa.Column("grain", sa.String(10), nullable=False),
    sa.Column("k", sa.Integer, nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("suppressed", sa.Integer, nullable=False),
)


# -- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """One course search: the subject (a topic id, or "any" for words the topic list does not
    know), where, how many results (the first page of ten; `more`: there were more), the
    distance to the nearest in-person offering (None: none, or all online) and the share of
    results that are free."""

    subject: str
    municipality: str | None
    results: int
    more: bool = False
    nearest_km: float | None = None
    free_share: float | None = None


@dataclass(frozen=True)
class SchemeCheck:
    """A scheme the budget service judged for this person: eligible, maybe or not_eligible;
    `asked`: the person named it."""

    scheme: str
    outcome: str
    asked: bool = False


@dataclass(frozen=True)
class HelpShown:
    help_kind: str
    found: int  # organizations shown


@dataclass(frozen=True)
class Handover:
    """A request for a person: why (asked, misunderstood, no_course, nothing_fits, help) and
    what followed (offered: a phone number; live_chat; callback)."""

    reason: str
    help_kind: str | None = None
    route: str = "offered"


@dataclass(frozen=True)
class ConversationFacts:
    week: date  # the Monday of the week the conversation started (Europe/Amsterdam)
    language: str = "nl"
    municipality: str | None = None
    age_band: str | None = None
    situation: str | None = None
    goal: str | None = None
    channel: str = "unknown"
    turns: int = 0
    fallbacks: int = 0
    budget_checked: bool = False
    nothing_fits: bool | None = None
    searches: tuple[Search, ...] = field(default_factory=tuple)
    schemes: tuple[SchemeCheck, ...] = field(default_factory=tuple)
    help: tuple[HelpShown, ...] = field(default_factory=tuple)
    handovers: tuple[Handover, ...] = field(default_factory=tuple)


def week_of(day: date) -> date:
    """The Monday of the ISO week `day` is in."""
    return day - timedelta(days=day.weekday())


def new_key() -> str:
    """A random conversation key: it links a conversation's fact rows to each other only."""
    return secrets.token_hex(16)


class InsightsStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        upgrade(url, MIGRATIONS, VERSION_TABLE)

    def close(self) -> None:
        self.engine.dispose()

    # -- facts --

    def add_facts(self, facts: Iterable[ConversationFacts]) -> int:
        """Store the facts of finished conversations in one transaction; returns how many."""
        rows: dict[sa.Table, list[dict[str, Any]]] = {t: [] for t in FACT_TABLES}
        count = 0
        for fact in facts:
            key = new_key()
            common = {"conversation": key, "week": fact.week}
            rows[conversations_table].append(
                {
                    **common,
                    "language": fact.language,
                    "municipality": fact.municipality,
                    "age_band": fact.age_band,
                    "situation": fact.situation,
                    "goal": fact.goal,
                    "channel": fact.channel,
                    "turns": fact.turns,
                    "fallbacks": fact.fallbacks,
                    "budget_checked": fact.budget_checked,
                    "nothing_fits": fact.nothing_fits,
                }
            )
            rows[searches_table] += [{**common, **vars(s)} for s in fact.searches]
            rows[schemes_table] += [{**common, **vars(s)} for s in fact.schemes]
            rows[help_table] += [{**common, **vars(h)} for h in fact.help]
            rows[handovers_table] += [{**common, **vars(h)} for h in fact.handovers]
            count += 1
        with self.engine.begin() as connection:
            for table in reversed(FACT_TABLES):  # conversations first
                if rows[table]:
                    connection.execute(table.insert(), rows[table])
        return count

    def delete_facts_before(self, day: date) -> int:
        """Delete facts of conversations from weeks before `day`; returns conversations."""
        with self.engine.begin() as connection:
            deleted = connection.execute(
                conversations_table.delete().where(conversations_table.c.week < day)
            ).rowcount
            for table in FACT_TABLES[:-1]:
                connection.execute(table.delete().where(table.c.week < day))
        return int(deleted or 0)

    def count_conversations(self) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(conversations_table)
                ).scalar_one()
            )

    # -- published cells --

    def publish(
        self,
        period: str,
        grain: str,
        k: int,
        cells: Iterable[tuple[str, str, str, int, dict[str, Any] | None]],
        suppressed: int,
        now: datetime | None = None,
    ) -> None:
        """Replace the published cells of `period`: (view, row, col, conversations, measures)."""
        rows = [
            {
                "view": view,
                "period": period,
                "row": row,
                "col": col,
                "conversations": value,
                "measures": json.dumps(measures, sort_keys=True) if measures else None,
            }
            for view, row, col, value, measures in cells
        ]
        with self.engine.begin() as connection:
            connection.execute(cells_table.delete().where(cells_table.c.period == period))
            connection.execute(
                publications_table.delete().where(publications_table.c.period == period)
            )
            if rows:
                connection.execute(cells_table.insert(), rows)
            connection.execute(
                publications_table.insert(),
                {
                    "period": period,
                    "grain": grain,
                    "k": k,
                    "published_at": now or datetime.now(timezone.utc),
                    "suppressed": suppressed,
                },
            )

    def withdraw_other_grains(self, grain: str) -> list[str]:
        """Delete what was published in another grain than `grain` (months and quarters of the
        same counts side by side could be subtracted); returns the periods withdrawn."""
        p = publications_table
        with self.engine.begin() as connection:
            periods = list(
                connection.execute(sa.select(p.c.period).where(p.c.grain != grain)).scalars()
            )
            if periods:
                connection.execute(cells_table.delete().where(cells_table.c.period.in_(periods)))
                connection.execute(p.delete().where(p.c.period.in_(periods)))
        return periods

    def periods(self) -> list[str]:
        """The published periods, newest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(publications_table.c.period).order_by(publications_table.c.period.desc())
            )
            return [period for (period,) in rows]

    def publication(self, period: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(publications_table).where(publications_table.c.period == period)
            ).first()
            return dict(row._mapping) if row else None

    def cells(
        self, view: str | None = None, periods: Iterable[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Published cells, by view, period, row and column; `measures` as a dict."""
        query = sa.select(cells_table).order_by(
            cells_table.c.view, cells_table.c.period, cells_table.c.row, cells_table.c.col
        )
        if view is not None:
            query = query.where(cells_table.c.view == view)
        if periods is not None:
            query = query.where(cells_table.c.period.in_(list(periods)))
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                cell = dict(row._mapping)
                cell["measures"] = json.loads(cell["measures"]) if cell["measures"] else {}
                yield cell
