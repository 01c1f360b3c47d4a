"""The West-Brabant example catalog, loaded by the service itself (see generate.py).

Invented demo data (every record's ``ext.provenance.example`` is true). Loaded on start when
CATALOG_SEED is on (the default for local development; production templates turn it off) and
the store has no courses. Dates are relative to the load day, so a store whose example data
is older than REFRESH_AFTER_DAYS is refreshed on start; imported (non-example) records are
never touched by this.
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


def example_data_warning(store: SqlStore, *, seeding: bool) -> str | None:
    """What to log at start when the store serves example data; None when it serves none."""
    loaded_on = store.get_meta(SEED_DATE_KEY)
    example = store.example_courses()
    if loaded_on is None and example == 0:
        return None
    total = store.counts()["courses"]
    how = (
        "CATALOG_SEED=1 loads the example catalog (a demo); set CATALOG_SEED=0 for real use"
        if seeding
        else "CATALOG_SEED=0 loads no more of it, but the records already in this database "
        "stay: import real data into a new database"
    )
    loaded = f", example catalog loaded on {loaded_on}" if loaded_on else ""
    return (
        f"THE CATALOG SERVES EXAMPLE DATA: {example} of {total} courses are invented "
        f"(ext.provenance.example = true{loaded}). Citizens must not act on it. {how} "
        "(docs/catalog.md)."
    )
