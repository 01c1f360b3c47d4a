"""SQL conditions on the offering ``o``: shared by the offering list (reads.py), the exact
course search (course_search.py) and the ranking walk (ranking.py)."""

from __future__ import annotations

from typing import Any

from services.catalog.store.queries import OfferingFilter


def offering_conditions(f: OfferingFilter, params: dict[str, Any]) -> list[str]:
    """Conditions on the offering ``o`` (not its distance); values go into ``params``."""
    where = []
    if f.since is not None:
        params["since"] = f.since.toordinal()
        where.append("o.start_day >= :since")
    if f.until is not None:
        params["until"] = f.until.toordinal()
        where.append("o.end_day <= :until")
    if f.starts_before is not None:
        params["starts_before"] = f.starts_before.toordinal()
        where.append("o.start_day <= :starts_before")
    if f.max_cost_cents is not None:
        params["max_cost"] = f.max_cost_cents
        where.append("o.cost_cents <= :max_cost")
    if f.time_of_day:
        params["time_of_day"] = f.time_of_day
        where.append("(o.time_of_day = :time_of_day OR o.time_of_day = 'flexible')")
    if f.modes:
        marks = []
        for i, mode in enumerate(f.modes):
            params[f"m{i}"] = mode
            marks.append(f":m{i}")
        where.append(f"o.mode IN ({', '.join(marks)})")
    if "wheelchair" in f.accessibility:
        where.append("o.wheelchair = 1")
    if "hearing-loop" in f.accessibility:
        where.append("o.hearing_loop = 1")
    return where or ["1 = 1"]
