"""k-anonymity and complementary suppression for one table of counts (pure: no database).

A view is a table of counts with margins: entries (row, col), (row, "*"), ("*", col) and
("*", "*"), where each margin is the exact sum of the cells it covers. Primary suppression
withholds every entry counting fewer than k distinct conversations. That alone is not enough:
a reader who knows a row's total and all but one of its cells knows the last one too.

Complementary suppression, as a graph. The *lines* are the equations a reader can use: row r
(sum over c of x_rc = x_r*), the "*" row, column c, the "*" column. Every entry lies on one
row line and one column line, so each suppressed entry is an edge between those two nodes. A
1-D view (row "*" only) has just the "*" row as equation; its columns are no equation, so its
entries end at an unconstrained ground node. Every suppressed entry is at least 1 and a reader
only knows it is at least 0, so an entry on a cycle can move by one (alternately up and down
around the cycle, through margins with the opposite sign) without changing any published
figure; an entry whose edge is a bridge follows exactly from the published ones. So
suppression adds entries until the graph has no bridge.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

ALL = "*"  # a margin: every value of that dimension (services.insights.store.ALL)
GRAINS = ("month", "quarter")
Key = tuple[str, str]  # (row, col) of an entry
Node = tuple[str, str]  # a line: ("row", r), ("col", c), or the ground

_GROUND: Node = ("ground", "")


# -- periods -------------------------------------------------------------------------------------


def _period_key(day: date, grain: str) -> str:
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    raise ValueError(f"grain is 'month' or 'quarter', not {grain!r}")


def period_of(week: date, grain: str = "month") -> str:
    """The period a week (its Monday) belongs to: that of its Thursday, as ISO weeks do, so
    every week is in exactly one period. "2026-11" for a month, "2026-Q4" for a quarter."""
    return _period_key(week + timedelta(days=3), grain)


def period_days(period: str, grain: str = "month") -> tuple[date, date]:
    """The first and last day of a period ("2026-11", "2026-Q4")."""
    year_text, _, part = period.partition("-")
    if not (year_text.isdigit() and len(year_text) == 4):
        raise ValueError(f"not a {grain} period: {period!r}")
    year = int(year_text)
    if grain == "month" and part.isdigit() and 1 <= int(part) <= 12:
        first_month = last_month = int(part)
    elif grain == "quarter" and part[:1] == "Q" and part[1:] in ("1", "2", "3", "4"):
        first_month = 3 * int(part[1:]) - 2
        last_month = first_month + 2
    else:
        raise ValueError(f"not a {grain} period: {period!r}")
    after = date(year + 1, 1, 1) if last_month == 12 else date(year, last_month + 1, 1)
    return date(year, first_month, 1), after - timedelta(days=1)


def period_range(period: str, grain: str = "month") -> tuple[date, date]:
    """The inclusive range of `week` values whose Thursday is in the period, for SQL: any date
    d with d + 3 days in the period, so it agrees with period_of also for a date not a Monday."""
    first, last = period_days(period, grain)
    return first - timedelta(days=3), last - timedelta(days=3)


def period_weeks(period: str, grain: str = "month") -> tuple[date, date]:
    """The Mondays of the first and the last week of a period (both inclusive)."""
    low, high = period_range(period, grain)
    return low + timedelta(days=(7 - low.weekday()) % 7), high - timedelta(days=high.weekday())


def current_period(today: date, grain: str = "month") -> str:
    """The period of the week `today` is in."""
    return period_of(today - timedelta(days=today.weekday()), grain)


def previous_period(period: str, grain: str = "month") -> str:
    first, _ = period_days(period, grain)
    return _period_key(first - timedelta(days=1), grain)


# -- suppression ---------------------------------------------------------------------------------


def primary(entries: Mapping[Key, int], distinct: Mapping[Key, int], k: int) -> set[Key]:
    """Entries with fewer than k distinct conversations: for a margin that can be fewer than its
    count (one conversation in two cells of a row counts once in the row), so `distinct` is
    checked, and the count as well (an entry missing from `distinct` has as many as its count)."""
    return {
        key
        for key, count in entries.items()
        if count > 0 and (min(count, distinct.get(key, count)) < k)
    }


def _lines(key: Key, one_dimensional: bool) -> tuple[Node, Node]:
    """The two nodes an entry joins: its row line and its column line (or the ground node)."""
    row, col = key
    if one_dimensional:
        return ("row", ALL), _GROUND
    return ("row", row), ("col", col)


def bridges(edges: Mapping[Key, tuple[Node, Node]]) -> list[Key]:
    """The edges that are bridges of the multigraph (Tarjan, by edge so that parallel edges
    are not bridges), sorted."""
    adjacency: dict[Node, list[tuple[Node, Key]]] = {}
    for key, (u, v) in edges.items():
        adjacency.setdefault(u, []).append((v, key))
        adjacency.setdefault(v, []).append((u, key))
    order: dict[Node, int] = {}
    low: dict[Node, int] = {}
    found: list[Key] = []
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        # (node, the edge it was entered by, iterator over its neighbours)
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for other, key in neighbours:
                if key == via:
                    continue
                if other in order:
                    low[node] = min(low[node], order[other])
                else:
                    order[other] = low[other] = len(order)
                    stack.append((other, key, iter(adjacency[other])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    found.append(via)  # type: ignore[arg-type]
    return sorted(found)


def protect(
    entries: Mapping[Key, int],
    distinct: Mapping[Key, int] | None = None,
    k: int = 10,
    one_dimensional: bool = False,
    frozen: Iterable[Key] = (),
    complementary: bool = True,
) -> set[Key]:
    """The entries to withhold from a view: the primary ones (< k distinct conversations) and
    complementary ones until no published combination determines a withheld entry.

    `entries`: count per (row, col), margins included (zero entries may be left out: they are
    never published). `distinct`: distinct conversations per entry where that is fewer than the
    count (margins). `frozen`: entries never chosen as a complement, such as a total another
    view publishes too; one is withheld only if nothing else could protect a bridge (the
    caller then withholds the lot). `complementary=False` is for tests that show the need.

    For each bridge in turn, the cheapest path of published entries that puts it on a cycle is
    withheld too (see _cheapest_path), until no bridge is left.
    """
    distinct = distinct or {}
    frozen = set(frozen)
    present = {key: count for key, count in entries.items() if count > 0}
    suppressed = primary(present, distinct, k)
    if not complementary:
        return suppressed
    nodes = {key: _lines(key, one_dimensional) for key in present}
    # a 1-D view's columns are its cells; only its total is a margin
    margins = {key for key in present if key == (ALL, ALL) or (not one_dimensional and ALL in key)}
    while True:
        edges = {key: nodes[key] for key in suppressed}
        found = bridges(edges)
        if not found:
            return suppressed
        bridge = found[0]
        path = _cheapest_path(present, nodes, margins, suppressed, bridge, frozen)
        if path is None:  # only through a frozen entry: withhold it too (the caller sees it)
            path = _cheapest_path(present, nodes, margins, suppressed, bridge, set())
        if path is None:  # cannot happen: every entry lies on a cycle of all the entries
            raise RuntimeError(f"no entry left to protect {bridge}")
        suppressed.update(path)


def _cheapest_path(
    counts: Mapping[Key, int],
    nodes: Mapping[Key, tuple[Node, Node]],
    margins: set[Key],
    suppressed: set[Key],
    bridge: Key,
    frozen: set[Key],
) -> list[Key] | None:
    """The published entries to withhold so that `bridge` lies on a cycle: the cheapest path
    between its two lines that avoids it (Dijkstra). A withheld entry costs nothing; a
    published one costs (1 if a margin, its count), summed lexicographically, so the path uses
    as few margins as it can and then the smallest counts."""
    start, goal = nodes[bridge]
    adjacency: dict[Node, list[tuple[Node, Key, tuple[int, int]]]] = {}
    for key, (a, b) in nodes.items():
        if key == bridge or (key in frozen and key not in suppressed):
            continue
        cost = (0, 0) if key in suppressed else (int(key in margins), counts[key])
        adjacency.setdefault(a, []).append((b, key, cost))
        adjacency.setdefault(b, []).append((a, key, cost))
    best: dict[Node, tuple[int, int]] = {start: (0, 0)}
    came: dict[Node, tuple[Node, Key]] = {}
    queue: list[tuple[tuple[int, int], int, Node]] = [((0, 0), 0, start)]
    tie = 0
    while queue:
        cost, _, node = heapq.heappop(queue)
        if node == goal:
            path = []
            while node != start:
                node, key = came[node]
                if key not in suppressed:
                    path.append(key)
            return path
        if cost > best[node]:
            continue
        for other, key, step in adjacency.get(node, ()):
            total = (cost[0] + step[0], cost[1] + step[1])
            if other not in best or total < best[other]:
                best[other] = total
                came[other] = (node, key)
                tie += 1
                heapq.heappush(queue, (total, tie, other))
    return None
