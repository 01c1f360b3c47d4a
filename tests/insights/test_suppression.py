"""Periods and suppression (services/insights/suppression.py), and the disclosure audit that the
aggregate tests use: a linear programme per suppressed entry, as a reader would reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from services.insights.suppression import (
    ALL,
    bridges,
    current_period,
    period_days,
    period_of,
    period_range,
    period_weeks,
    previous_period,
    primary,
    protect,
)

# -- the audit -----------------------------------------------------------------------------------


@dataclass
class Table:
    """One view as the reader sees it: the true entries, and which of them are withheld."""

    name: str
    entries: Mapping[tuple[str, str], int]
    suppressed: set[tuple[str, str]]
    one_dimensional: bool


def line_equations(table: Table) -> list[dict[tuple[str, str], int]]:
    """The sums a reader knows hold: per row line and column line, coefficient per entry."""
    keys = [key for key, count in table.entries.items() if count > 0]
    rows = {row for row, _ in keys} | {ALL}
    cols = {col for _, col in keys} | {ALL}
    equations = []
    for row in rows if not table.one_dimensional else [ALL]:
        equation = {(row, col): 1 for col in cols if col != ALL}
        equation[(row, ALL)] = -1
        equations.append(equation)
    if not table.one_dimensional:
        for col in cols:
            equation = {(row, col): 1 for row in rows if row != ALL}
            equation[(ALL, col)] = -1
            equations.append(equation)
    return equations


def disclosed(tables: Iterable[Table], shared: Iterable[tuple[str, tuple[str, str]]] = ()) -> list:
    """The withheld entries a reader can work out exactly from the published ones, the line
    sums and "every count is at least 0" (an absent entry counts as a known 0, which only
    helps the reader). `shared`: (view, key) entries that are one number in several views."""
    tables = list(tables)
    shared = set(shared)

    def variable(view: str, key: tuple[str, str]) -> tuple:
        return ("shared", key) if (view, key) in shared else (view, key)

    values: dict[tuple, int] = {}
    unknown: list[tuple] = []
    for table in tables:
        for key, count in table.entries.items():
            name = variable(table.name, key)
            values[name] = count
            if key in table.suppressed and name not in unknown:
                unknown.append(name)
    published = {
        variable(t.name, key) for t in tables for key in t.entries if key not in t.suppressed
    }
    unknown = [name for name in unknown if name not in published]
    if not unknown:
        return []
    index = {name: i for i, name in enumerate(unknown)}
    a_eq, b_eq = [], []
    for table in tables:
        for equation in line_equations(table):
            row = np.zeros(len(unknown))
            constant = 0.0
            for key, coefficient in equation.items():
                name = variable(table.name, key)
                if name in index:
                    row[index[name]] += coefficient
                else:
                    constant += coefficient * values.get(name, 0)
            if row.any():
                a_eq.append(row)
                b_eq.append(-constant)
    found = []
    for name, i in index.items():
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None))
        high = linprog(-objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None))
        assert low.status == 0 and high.status in (0, 3), (low.message, high.message)
        upper = float("inf") if high.status == 3 else -high.fun
        if upper - low.fun < 0.5:  # one value only: disclosed
            found.append((name, values[name]))
    return found


def table(cells: Mapping[tuple[str, str], int], one_dimensional: bool = False) -> dict:
    """Cells with their margins, as sums."""
    entries: dict[tuple[str, str], int] = {}
    for (row, col), count in cells.items():
        keys = [(row, col), (ALL, ALL)]
        if not one_dimensional:
            keys += [(row, ALL), (ALL, col)]
        for key in keys:
            entries[key] = entries.get(key, 0) + count
    return entries


# -- periods -------------------------------------------------------------------------------------


def test_a_week_belongs_to_the_period_of_its_thursday():
    assert period_of(date(2026, 11, 30)) == "2026-12"  # Thursday 3 December
    assert period_of(date(2026, 11, 23)) == "2026-11"
    assert period_of(date(2025, 12, 29)) == "2026-01"  # Thursday 1 January
    assert period_of(date(2025, 12, 29), "quarter") == "2026-Q1"
    assert period_of(date(2026, 9, 28), "quarter") == "2026-Q4"  # Thursday 1 October
    with pytest.raises(ValueError):
        period_of(date(2026, 1, 5), "week")


def test_the_weeks_and_days_of_a_period():
    assert period_days("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_days("2026-Q4", "quarter") == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_weeks("2026-11") == (date(2026, 11, 2), date(2026, 11, 23))
    assert period_weeks("2026-12") == (date(2026, 11, 30), date(2026, 12, 28))
    assert period_weeks("2026-Q1", "quarter") == (date(2025, 12, 29), date(2026, 3, 23))
    assert period_range("2026-11") == (date(2026, 10, 29), date(2026, 11, 27))
    assert previous_period("2026-01") == "2025-12"
    assert previous_period("2026-Q1", "quarter") == "2025-Q4"
    assert current_period(date(2026, 12, 2)) == "2026-12"
    assert current_period(date(2026, 11, 1)) == "2026-10"  # a Sunday: its week is October's
    for wrong, grain in (("2026-13", "month"), ("2026-Q4", "month"), ("2026-11", "quarter")):
        with pytest.raises(ValueError):
            period_days(wrong, grain)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3000), st.sampled_from(["month", "quarter"]))
def test_every_monday_lies_in_exactly_the_weeks_of_its_period(offset, grain):
    monday = date(2020, 1, 6) + timedelta(weeks=offset)
    period = period_of(monday, grain)
    first, last = period_weeks(period, grain)
    assert first <= monday <= last
    assert period_of(first, grain) == period_of(last, grain) == period
    assert period_of(first - timedelta(weeks=1), grain) == previous_period(period, grain)
    assert period_of(last + timedelta(weeks=1), grain) != period


# -- suppression ---------------------------------------------------------------------------------


def test_parallel_edges_are_not_bridges():
    a, b, c = ("row", "a"), ("col", "b"), ("col", "c")
    assert bridges({("x", "1"): (a, b), ("x", "2"): (a, b)}) == []
    assert bridges({("x", "1"): (a, b), ("x", "2"): (a, b), ("y", "1"): (a, c)}) == [("y", "1")]
    assert bridges({}) == []


def test_one_small_cell_in_a_row_gets_a_partner_and_the_table_stays_safe():
    cells = {("dutch", "Breda"): 40, ("dutch", "Zundert"): 3, ("digital", "Breda"): 50,
             ("digital", "Zundert"): 30}  # fmt: skip
    entries = table(cells)

    alone = protect(entries, k=10, complementary=False)
    assert alone == {("dutch", "Zundert")}
    assert disclosed([Table("demand", entries, alone, False)]) == [
        (("demand", ("dutch", "Zundert")), 3)
    ]

    suppressed = protect(entries, k=10)
    # the rectangle: its row partner, its column partner and the fourth corner
    assert suppressed == set(cells)
    assert disclosed([Table("demand", entries, suppressed, False)]) == []


def test_a_partner_is_the_smallest_interior_entry_before_any_margin():
    cells = {("a", "x"): 2, ("a", "y"): 50, ("a", "z"): 20, ("b", "x"): 60, ("b", "y"): 70,
             ("b", "z"): 25, ("c", "x"): 30, ("c", "y"): 80, ("c", "z"): 90}  # fmt: skip
    entries = table(cells)

    suppressed = protect(entries, k=10)

    assert ("a", "x") in suppressed and ("a", "z") in suppressed
    assert not {key for key in suppressed if ALL in key}
    assert disclosed([Table("t", entries, suppressed, False)]) == []
    assert len(suppressed) == 4


def test_a_one_dimensional_view_needs_a_second_withheld_column():
    entries = table({(ALL, "nl"): 120, (ALL, "en"): 30, (ALL, "pl"): 4, (ALL, "uk"): 12}, True)

    suppressed = protect(entries, k=10, one_dimensional=True, frozen={(ALL, ALL)})

    assert suppressed == {(ALL, "pl"), (ALL, "uk")}  # the smallest other column
    assert disclosed([Table("language", entries, suppressed, True)]) == []
    alone = protect(entries, k=10, one_dimensional=True, complementary=False)
    assert disclosed([Table("language", entries, alone, True)]) == [(("language", (ALL, "pl")), 4)]


def test_the_frozen_total_is_never_a_complement():
    entries = table({(ALL, "widget"): 40, (ALL, "kiosk"): 5}, True)

    suppressed = protect(entries, k=10, one_dimensional=True, frozen={(ALL, ALL)})

    assert suppressed == {(ALL, "widget"), (ALL, "kiosk")}
    assert (ALL, "kiosk") in protect(entries, k=10, one_dimensional=True)
    assert len(protect(entries, k=10, one_dimensional=True)) == 2


def test_a_margin_below_k_in_distinct_conversations_is_withheld():
    # the same 6 conversations searched both subjects in Breda: 12 units, 6 conversations
    entries = table({("dutch", "Breda"): 6, ("digital", "Breda"): 6, ("dutch", "Etten"): 20})
    distinct = {(ALL, "Breda"): 6, (ALL, ALL): 22}

    assert primary(entries, distinct, 10) == {("dutch", "Breda"), ("digital", "Breda"),
                                               ("digital", ALL), (ALL, "Breda")}  # fmt: skip
    suppressed = protect(entries, distinct, k=10)
    assert disclosed([Table("demand", entries, suppressed, False)]) == []


def test_a_margin_below_k_is_withheld_with_a_partner():
    entries = table({("a", "x"): 4, ("b", "x"): 30, ("b", "y"): 40})

    suppressed = protect(entries, k=10)

    assert {("a", "x"), ("a", ALL)} <= suppressed
    assert disclosed([Table("t", entries, suppressed, False)]) == []


def test_nothing_small_nothing_withheld():
    assert protect(table({("a", "x"): 10, ("b", "y"): 11}), k=10) == set()
    assert protect({}, k=10) == set()


@st.composite
def tables(draw):
    one_dimensional = draw(st.booleans())
    rows = [ALL] if one_dimensional else draw(st.sampled_from([["a"], ["a", "b"], ["a", "b", "c"]]))
    cols = draw(st.sampled_from([["x"], ["x", "y"], ["x", "y", "z"], ["x", "y", "z", "w"]]))
    counts = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 40))
    cells = {(row, col): draw(counts) for row in rows for col in cols}
    return table({key: n for key, n in cells.items() if n}, one_dimensional), one_dimensional


@settings(max_examples=100, deadline=None)
@given(tables(), st.integers(2, 12))
def test_no_withheld_entry_can_be_worked_out(drawn, k):
    entries, one_dimensional = drawn

    suppressed = protect(entries, k=k, one_dimensional=one_dimensional)

    assert primary(entries, {}, k) <= suppressed
    assert all(entries[key] >= k for key in entries if key not in suppressed)
    assert disclosed([Table("t", entries, suppressed, one_dimensional)]) == []
