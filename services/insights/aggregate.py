"""Facts to published cells: the views per period, k-anonymous, with complementary suppression.

For each period the job counts the views below from the fact tables, withholds what
services/insights/suppression.py says, and replaces the period's cells with store.publish.
Every cell counts distinct conversations. Each view's unit is chosen so that its margins are
exact sums of its cells, which the suppression relies on:

| view | unit | row | column |
|---|---|---|---|
| demand | (conversation, subject, municipality) of the searches | subject | municipality |
| language | conversation | * | language |
| channel | conversation | * | channel |
| age | conversation with an age band | * | age band |
| schemes | (conversation, scheme), best outcome | scheme | outcome |
| budget | conversation with a budget check | * | nothing_fits / something_fits |
| handover | (conversation, reason) | * | reason |
| help | (conversation, help kind) | * | help kind |

A margin can hold fewer distinct conversations than units (one conversation searching two
subjects), so k is checked against the distinct count, computed while streaming the units in
conversation order. Rows are streamed, grouped in SQL, one period at a time: memory stays
that of one period's cells (and, for the median distance, its distances).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from services.insights.store import (
    ALL,
    InsightsStore,
    conversations_table,
    handovers_table,
    help_table,
    schemes_table,
    searches_table,
)
from services.insights.suppression import (
    GRAINS,
    Key,
    current_period,
    period_days,
    period_of,
    period_range,
    previous_period,
    protect,
)

VIEWS = ("demand", "language", "channel", "age", "schemes", "budget", "handover", "help")
SHARED_TOTAL_VIEWS = ("language", "channel")  # both count all conversations of the period
NEARBY_KM = 15.0  # an in-person course further away than this is not "nearby"
NOT_A_PLACE = ("online", "unknown")  # searches without a place to be near to
UNKNOWN = "unknown"
OUTCOMES = ("eligible", "maybe", "not_eligible")  # best first
OTHER_OUTCOME = "other"
STREAM_ROWS = 10_000


@dataclass
class View:
    """One view of one period: counts per entry (margins included), distinct conversations
    per entry, and for demand the measures per entry."""

    name: str
    one_dimensional: bool
    entries: dict[Key, int] = field(default_factory=dict)
    distinct: dict[Key, int] = field(default_factory=dict)
    measures: dict[Key, dict[str, Any]] = field(default_factory=dict)


@dataclass
class AggregateResult:
    periods: list[str] = field(default_factory=list)  # the periods published
    cells: int = 0  # cells published
    suppressed: int = 0  # entries withheld (small, complementary, or a withheld period)


# -- counting ------------------------------------------------------------------------------------


class _Units:
    """Counts units per cell, and distinct conversations per margin, from units that arrive
    grouped by conversation (ORDER BY conversation)."""

    def __init__(self, name: str, one_dimensional: bool) -> None:
        self.view = View(name, one_dimensional)
        self.cells: Counter[Key] = Counter()
        self.row_conversations: Counter[str] = Counter()
        self.col_conversations: Counter[str] = Counter()
        self.conversations = 0
        self._current: Any = None
        self._rows: set[str] = set()
        self._cols: set[str] = set()

    def add(self, conversation: Any, row: str, col: str) -> None:
        if conversation != self._current:
            self._flush()
            self._current = conversation
        self.cells[(row, col)] += 1
        self._rows.add(row)
        self._cols.add(col)

    def _flush(self) -> None:
        if self._current is None:
            return
        self.conversations += 1
        self.row_conversations.update(self._rows)
        self.col_conversations.update(self._cols)
        self._rows.clear()
        self._cols.clear()
        self._current = None

    def finish(self) -> View:
        self._flush()
        view = self.view
        view.entries, view.distinct = _with_margins(self.cells, view.one_dimensional)
        if not view.one_dimensional:
            for row, count in self.row_conversations.items():
                view.distinct[(row, ALL)] = count
            for col, count in self.col_conversations.items():
                view.distinct[(ALL, col)] = count
        if view.entries:
            view.distinct[(ALL, ALL)] = self.conversations
        return view


def _with_margins(
    cells: Counter[Key], one_dimensional: bool
) -> tuple[dict[Key, int], dict[Key, int]]:
    """Entries (cells and margins as sums) and, for now, distinct = count for each."""
    entries: Counter[Key] = Counter()
    for (row, col), count in cells.items():
        if count <= 0:
            continue
        entries[(row, col)] += count
        if not one_dimensional:
            entries[(row, ALL)] += count
            entries[(ALL, col)] += count
        entries[(ALL, ALL)] += count
    return dict(entries), dict(entries)


def _one_dimensional(name: str, counts: Iterable[tuple[str, int]]) -> View:
    """A view whose unit is the conversation itself: distinct = count everywhere."""
    cells: Counter[Key] = Counter()
    for col, count in counts:
        cells[(ALL, col)] += int(count)
    view = View(name, True)
    view.entries, view.distinct = _with_margins(cells, True)
    return view


def _stream(connection: sa.engine.Connection, query: Any) -> Iterator[Any]:
    """Rows a batch at a time (a server-side cursor on PostgreSQL)."""
    result = connection.execute(query.execution_options(yield_per=STREAM_ROWS))
    for batch in result.partitions():
        yield from batch


def _in_period(table: sa.Table, low: date, high: date) -> Any:
    return table.c.week.between(low, high)


def _grouped(connection: sa.engine.Connection, column: Any, *where: Any) -> list[tuple[str, int]]:
    query = sa.select(column, sa.func.count()).where(*where).group_by(column)
    return [(str(value), int(count)) for value, count in connection.execute(query)]


def _conversation_views(connection: sa.engine.Connection, low: date, high: date) -> list[View]:
    t = conversations_table
    when = _in_period(t, low, high)
    budget = [
        ("nothing_fits" if nothing_fits else "something_fits", count)
        for nothing_fits, count in connection.execute(
            sa.select(t.c.nothing_fits, sa.func.count())
            .where(when, t.c.budget_checked.is_(True))
            .group_by(t.c.nothing_fits)
        )
    ]
    return [
        _one_dimensional("language", _grouped(connection, t.c.language, when)),
        _one_dimensional("channel", _grouped(connection, t.c.channel, when)),
        _one_dimensional("age", _grouped(connection, t.c.age_band, when, t.c.age_band.isnot(None))),
        _one_dimensional("budget", budget),
    ]


def _pair_view(
    connection: sa.engine.Connection,
    name: str,
    table: sa.Table,
    column_name: str,
    low: date,
    high: date,
) -> View:
    """A 1-D view whose unit is a distinct (conversation, value) pair."""
    column = table.c[column_name]
    query = (
        sa.select(table.c.conversation, column)
        .where(_in_period(table, low, high))
        .group_by(table.c.conversation, column)
        .order_by(table.c.conversation)
    )
    units = _Units(name, True)
    for conversation, value in _stream(connection, query):
        units.add(conversation, ALL, value)
    return units.finish()


def _schemes_view(connection: sa.engine.Connection, low: date, high: date) -> View:
    """Per (conversation, scheme) the best outcome it got: eligible > maybe > not_eligible."""
    t = schemes_table
    rank = sa.case(
        *((t.c.outcome == outcome, number) for number, outcome in enumerate(OUTCOMES)),
        else_=len(OUTCOMES),
    )
    query = (
        sa.select(t.c.conversation, t.c.scheme, sa.func.min(rank))
        .where(_in_period(t, low, high))
        .group_by(t.c.conversation, t.c.scheme)
        .order_by(t.c.conversation)
    )
    names = (*OUTCOMES, OTHER_OUTCOME)
    units = _Units("schemes", False)
    for conversation, scheme, best in _stream(connection, query):
        units.add(conversation, scheme, names[int(best)])
    return units.finish()


def _demand_view(connection: sa.engine.Connection, low: date, high: date) -> View:
    """Searches per (conversation, subject, municipality), with the measures of each entry."""
    t = searches_table
    place = sa.func.coalesce(t.c.municipality, UNKNOWN)
    query = (
        sa.select(
            t.c.conversation,
            t.c.subject,
            place,
            sa.func.max(t.c.results),
            sa.func.min(t.c.nearest_km),
            sa.func.max(t.c.free_share),
        )
        .where(_in_period(t, low, high))
        .group_by(t.c.conversation, t.c.subject, place)
        .order_by(t.c.conversation)
    )
    units = _Units("demand", False)
    tallies: dict[Key, list[int]] = {}
    distances: dict[Key, list[float]] = {}
    for conversation, subject, where, results, km, free in _stream(connection, query):
        key = (subject, where)
        units.add(conversation, subject, where)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = [0, 0, 0, 0, 0, 0]
            distances[key] = []
        tally[0] += 1
        if not results:
            tally[1] += 1
        elif free is not None:
            tally[4] += 1
            if free == 0:
                tally[5] += 1
        if where not in NOT_A_PLACE:
            tally[2] += 1
            if km is None or km > NEARBY_KM:
                tally[3] += 1
        if km is not None:
            distances[key].append(float(km))
    view = units.finish()
    view.measures = _demand_measures(tallies, distances)
    return view


def _percent(part: int, whole: int) -> int | None:
    """A whole percentage, halves rounded up; None without a denominator."""
    return (200 * part + whole) // (2 * whole) if whole else None


def _one_decimal(value: float) -> float:
    """Rounded to 0.1, halves up like the percentages (not Python's round-half-even)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _demand_measures(
    tallies: dict[Key, list[int]], distances: dict[Key, list[float]]
) -> dict[Key, dict[str, Any]]:
    """The measures of every entry, margins too: tallies add up, medians need the values.

    A tally is [units, no result, with a place, nothing nearby, with results and a known free
    share, of which only paid]."""
    sums: dict[Key, list[int]] = {}
    lists: dict[Key, list[float]] = {}
    for (row, col), tally in tallies.items():
        for key in {(row, col), (row, ALL), (ALL, col), (ALL, ALL)}:
            total = sums.setdefault(key, [0] * 6)
            for index, value in enumerate(tally):
                total[index] += value
            lists.setdefault(key, []).extend(distances[(row, col)])
    measures = {}
    for key, total in sums.items():
        values = lists[key]
        measures[key] = {
            "no_result_pct": _percent(total[1], total[0]),
            "no_nearby_pct": _percent(total[3], total[2]),
            "median_km": _one_decimal(statistics.median(values)) if values else None,
            "paid_only_pct": _percent(total[5], total[4]),
        }
    return measures


def count_views(store: InsightsStore, period: str, grain: str = "month") -> dict[str, View]:
    """Every view of one period, before suppression."""
    low, high = period_range(period, grain)
    with store.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # A server-side cursor is planned for its first rows by default, which here means
            # walking the whole table in conversation order; these queries read every row.
            connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
        views = [
            _demand_view(connection, low, high),
            *_conversation_views(connection, low, high),
            _schemes_view(connection, low, high),
            _pair_view(connection, "handover", handovers_table, "reason", low, high),
            _pair_view(connection, "help", help_table, "help_kind", low, high),
        ]
    found = {view.name: view for view in views}
    return {name: found[name] for name in VIEWS}


# -- protecting and publishing -------------------------------------------------------------------


def protect_views(
    views: dict[str, View], k: int, complementary: bool = True
) -> tuple[list[tuple[str, str, str, int, dict[str, Any] | None]], int]:
    """The cells to publish and the number of entries withheld.

    language and channel share their total: it is never a complement, and when it is itself
    below k (or could only be protected by withholding it) nothing of the period is published,
    since a reader could otherwise combine the views."""
    everything = sum(len(view.entries) for view in views.values())
    shared = (ALL, ALL)
    total = views["language"].distinct.get(shared, 0)
    if total < k:
        return [], everything
    cells: list[tuple[str, str, str, int, dict[str, Any] | None]] = []
    withheld = 0
    for name, view in views.items():
        frozen = {shared} if name in SHARED_TOTAL_VIEWS else set()
        suppressed = protect(
            view.entries, view.distinct, k, view.one_dimensional, frozen, complementary
        )
        if suppressed & frozen:
            return [], everything
        withheld += len(suppressed)
        for key in sorted(view.entries):
            if key not in suppressed:
                measures = view.measures.get(key) if name == "demand" else None
                cells.append((name, key[0], key[1], view.entries[key], measures))
    return cells, withheld


def fact_periods(store: InsightsStore, grain: str = "month") -> set[str]:
    """The periods that have facts."""
    t = conversations_table
    with store.engine.connect() as connection:
        weeks = connection.execute(sa.select(t.c.week).distinct()).scalars()
        return {period_of(week, grain) for week in weeks}


def periods_to_publish(
    store: InsightsStore,
    grain: str = "month",
    today: date | None = None,
    all_periods: bool = False,
) -> list[str]:
    """The current and the previous period (when they have facts), and any period with facts
    that has not been published yet; every period with facts when `all_periods`."""
    with_facts = fact_periods(store, grain)
    if all_periods:
        return sorted(with_facts)
    current = current_period(today or date.today(), grain)
    recent = {current, previous_period(current, grain)} & with_facts
    return sorted(recent | (with_facts - set(store.periods())))


def aggregate(
    store: InsightsStore,
    k: int = 10,
    grain: str = "month",
    periods: Iterable[str] | None = None,
    today: date | None = None,
    all_periods: bool = False,
) -> AggregateResult:
    """Count, protect and publish the views of the chosen periods (see periods_to_publish)."""
    if k < 1:
        raise ValueError("k is at least 1")
    if grain not in GRAINS:
        raise ValueError(f"grain is one of {', '.join(GRAINS)}, not {grain!r}")
    if periods is not None:
        chosen = sorted(set(periods))
        for period in chosen:
            period_days(period, grain)  # a ValueError for a period of another grain
    else:
        chosen = periods_to_publish(store, grain, today, all_periods)
    result = AggregateResult()
    store.withdraw_other_grains(grain)  # one grain at a time (docs/insights.md)
    for period in chosen:
        cells, withheld = protect_views(count_views(store, period, grain), k)
        store.publish(period, grain, k, cells, withheld)
        result.periods.append(period)
        result.cells += len(cells)
        result.suppressed += withheld
    return result
