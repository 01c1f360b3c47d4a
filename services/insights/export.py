"""The published cells as CSV, for a regional policy advisor (Dutch header, UTF-8, commas).

Only published cells are in it: a small or complementary suppressed cell is simply absent,
like a cell with no conversations, so a reader cannot tell which of the two it is. Codes are
as published; "*" means "alle" (every value of that column or row).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from services.insights.aggregate import VIEWS
from services.insights.store import InsightsStore

HEADER = (
    "periode",
    "onderdeel",
    "rij",
    "kolom",
    "gesprekken",
    "geen_resultaat_pct",
    "geen_aanbod_dichtbij_pct",
    "mediaan_km",
    "alleen_betaald_pct",
)
MEASURES = ("no_result_pct", "no_nearby_pct", "median_km", "paid_only_pct")


def published_csv(store: InsightsStore, periods: Iterable[str] | None = None) -> str:
    """Every published cell (of `periods`, or all), by period, view, row and column."""
    cells = sorted(
        store.cells(periods=list(periods) if periods is not None else None),
        key=lambda c: (c["period"], _order(c["view"]), c["row"], c["col"]),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for cell in cells:
        measures = cell["measures"] or {}
        writer.writerow(
            [
                cell["period"],
                cell["view"],
                cell["row"],
                cell["col"],
                cell["conversations"],
                *("" if measures.get(name) is None else measures[name] for name in MEASURES),
            ]
        )
    return out.getvalue()


def _order(view: str) -> tuple[int, str]:
    return (VIEWS.index(view) if view in VIEWS else len(VIEWS), view)
