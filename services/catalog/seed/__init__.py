"""The West-Brabant example catalog, loaded by the service itself (see generate.py).

Loaded on start when the store has no courses. Dates are relative to the load day, so a
store whose example data is older than REFRESH_AFTER_DAYS is refreshed on start; imported
(non-example) records are never touched by this.
"""

from __future__ import annotations

import logging
from datetime import date

from services.catalog.seed.generate import catalog
from services.catalog.store import SqlStore

REFRESH_AFTER_DAYS = 7
SEED_DATE_KEY = "seed_date"
log = logging.getLogger("services.catalog")


def ensure_example_catalog(store: SqlStore, today: date | None = None) -> bool:
    """Load or refresh the example catalog when needed; True when it wrote anything."""
    day = today or date.today()
    loaded_on = store.get_meta(SEED_DATE_KEY)
    if loaded_on is None:
        if store.counts()["courses"] > 0:
            return False  # an operator's own catalog: leave it alone
    elif (day - date.fromisoformat(loaded_on)).days < REFRESH_AFTER_DAYS:
        return False
    batch = catalog(day)
    store.upsert(batch)
    store.set_meta(SEED_DATE_KEY, day.isoformat())
    log.info(
        "example catalog loaded: %d courses, %d offerings", len(batch.courses), len(batch.offerings)
    )
    return True
