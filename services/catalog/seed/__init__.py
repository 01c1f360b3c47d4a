"""The West-Brabant example catalog, loaded by the service itself (see generate.py).

Invented demo data (every record's ``ext.provenance.example`` is true). Loaded on start when
CATALOG_SEED is on (the default for local development; production templates turn it off) and
the store has no courses. Dates are relative to the load day, so a store whose example data
is older than REFRESH_AFTER_DAYS is refreshed on start, and so is one loaded from other seed
files (a corrected service area must not wait a week); imported (non-example) records are
never touched by this.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from functools import lru_cache

from services.catalog.seed.generate import COURSES_FILE, ORGANIZATIONS_FILE, catalog
from services.catalog.store import SqlStore

REFRESH_AFTER_DAYS = 7
SEED_DATE_KEY = "seed_date"
# The seed files the stored example catalog was made from (seed_files()).
SEED_FILES_KEY = "seed_files"
log = logging.getLogger("services.catalog")


@lru_cache(maxsize=1)
def seed_files() -> str:
    """A fingerprint of organizations.yaml and courses.yaml (first 16 hex of a SHA-256)."""
    digest = hashlib.sha256()
    for path in (ORGANIZATIONS_FILE, COURSES_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def record_load(store: SqlStore, day: date) -> None:
    """Note in the store's meta that the example catalog of ``day`` was just written."""
    store.set_meta(SEED_DATE_KEY, day.isoformat())
    store.set_meta(SEED_FILES_KEY, seed_files())


def ensure_example_catalog(store: SqlStore, today: date | None = None) -> bool:
    """Load or refresh the example catalog when needed; True when it wrote anything."""
    day = today or date.today()
    loaded_on = store.get_meta(SEED_DATE_KEY)
    if loaded_on is None:
        if store.counts()["courses"] > 0:
            return False  # an operator's own catalog: leave it alone
    elif (day - date.fromisoformat(loaded_on)).days < REFRESH_AFTER_DAYS and store.get_meta(
        SEED_FILES_KEY
    ) == seed_files():
        return False
    batch = catalog(day)
    store.upsert(batch)
    record_load(store, day)
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
