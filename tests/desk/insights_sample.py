"""Published insight cells for the tests of the insights pages (k = 10).

Three months. In 2026-11 the largest gap is Dutch lessons in Roosendaal: 40 conversations, 55%
of them without a course nearby (22 conversations). Cells below k are simply not published.
"""

from __future__ import annotations

from datetime import datetime, timezone

from services.insights.store import ALL, InsightsStore

K = 10
PERIODS = ("2026-09", "2026-10", "2026-11")
LATEST = PERIODS[-1]
PUBLISHED_AT = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
GAP_SUBJECT, GAP_PLACE = "dutch", "Roosendaal"


def _m(no_result=None, no_nearby=None, median_km=None, paid_only=None) -> dict:
    values = {
        "no_result_pct": no_result,
        "no_nearby_pct": no_nearby,
        "median_km": median_km,
        "paid_only_pct": paid_only,
    }
    return {name: value for name, value in values.items() if value is not None}


LATEST_CELLS = [
    # demand: subject x municipality, with margins
    ("demand", "dutch", "Breda", 120, _m(0.0, 5.0, 2.1, 10.0)),
    ("demand", "dutch", "Roosendaal", 40, _m(10.0, 55.0, 14.5, 20.0)),
    ("demand", "digital", "Breda", 60, _m(0.0, 10.0, 3.0, 30.0)),
    ("demand", "logistics", "Moerdijk", 25, _m(60.0, 72.0, None, 0.0)),
    ("demand", "any", "online", 15, _m(40.0)),
    ("demand", "dutch", ALL, 175, _m(3.0, 16.0, 3.4, 13.0)),
    ("demand", "digital", ALL, 70, _m(0.0, 12.0, 3.2, 28.0)),
    ("demand", "logistics", ALL, 30, _m(55.0, 70.0, 22.0, 0.0)),
    ("demand", "any", ALL, 15, _m(40.0)),
    ("demand", ALL, "Breda", 190, None),
    ("demand", ALL, "Roosendaal", 45, None),
    ("demand", ALL, "Moerdijk", 28, None),
    ("demand", ALL, "online", 15, None),
    ("demand", ALL, ALL, 290, None),
    ("language", ALL, "nl", 240, None),
    ("language", ALL, "ar", 40, None),
    ("language", ALL, "en", 25, None),
    ("language", ALL, "uk", 12, None),
    ("language", ALL, ALL, 320, None),  # every conversation (Turkish and Polish: below k)
    ("channel", ALL, "widget", 150, None),
    ("channel", ALL, "kiosk", 60, None),
    ("channel", ALL, "whatsapp", 104, None),
    ("channel", ALL, ALL, 320, None),
    ("age", ALL, "27-44", 90, None),
    ("age", ALL, "45-56", 60, None),
    ("age", ALL, "67+", 20, None),
    ("schemes", "stap-budget", "eligible", 30, None),
    ("schemes", "stap-budget", "not_eligible", 12, None),
    ("schemes", "levenlanglerenkrediet", "maybe", 15, None),
    ("schemes", "educatie-basisvaardigheden", "eligible", 25, None),
    ("schemes", "stap-budget", ALL, 42, None),
    ("budget", ALL, "something_fits", 80, None),
    ("budget", ALL, "nothing_fits", 35, None),
    ("budget", ALL, ALL, 115, None),
    ("handover", ALL, "misunderstood", 30, None),
    ("handover", ALL, "asked", 18, None),
    ("handover", ALL, "no_course", 12, None),
    ("help", ALL, "dutch", 22, None),
    ("help", ALL, "digital-government", 14, None),
]
EARLIER_CELLS = {
    "2026-09": [
        ("demand", "dutch", ALL, 140, _m(2.0, 15.0, 3.5, 12.0)),
        ("demand", "digital", ALL, 55, _m(0.0, 10.0, 3.0, 25.0)),
        ("demand", "dutch", "Breda", 100, _m(0.0, 4.0, 2.0, 9.0)),
        ("demand", ALL, "Breda", 150, None),
        ("demand", ALL, ALL, 215, None),
        ("language", ALL, "nl", 160, None),
        ("language", ALL, "ar", 30, None),
    ],
    "2026-10": [
        ("demand", "dutch", ALL, 160, _m(3.0, 15.0, 3.4, 12.0)),
        ("demand", "digital", ALL, 62, _m(0.0, 11.0, 3.1, 27.0)),
        ("demand", "logistics", ALL, 18, _m(50.0, 66.0, 20.0, 0.0)),
        ("demand", "dutch", "Breda", 110, _m(0.0, 5.0, 2.0, 10.0)),
        ("demand", ALL, "Breda", 170, None),
        ("demand", ALL, ALL, 250, None),
        ("language", ALL, "nl", 180, None),
        ("language", ALL, "ar", 35, None),
    ],
}


def publish_sample(store: InsightsStore) -> None:
    """The three months, each published as the aggregation job would."""
    for period, cells in (*EARLIER_CELLS.items(), (LATEST, LATEST_CELLS)):
        store.publish(period, "month", K, cells, suppressed=7, now=PUBLISHED_AT)


def sample_cells() -> list[dict]:
    """The cells as InsightsStore.cells() yields them (measures as dicts, {} for none)."""
    found = []
    for period, cells in (*EARLIER_CELLS.items(), (LATEST, LATEST_CELLS)):
        for view, row, col, value, measures in cells:
            found.append({"view": view, "period": period, "row": row, "col": col,
                          "conversations": value, "measures": measures or {}})  # fmt: skip
    return found
