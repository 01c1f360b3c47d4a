"""The provenance of the catalog's records, for `make check-content` (services/content_check.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from services.catalog.config import CatalogConfig
from services.catalog.domain import provenance_json
from services.catalog.seed.generate import PROVENANCE


def provenance_of_records(url: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """("course Klik & Tik", {"source", "checkedOn", "example"}) for every record of the
    catalog at CATALOG_DATABASE_URL. Without a catalog database yet (a fresh clone), the
    example catalog that `make run` would load, as one entry."""
    from services.catalog.store import open_store

    url = url or CatalogConfig.from_env().database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        yield "example catalog (not loaded yet)", _as_api(provenance_json(PROVENANCE))
        return
    store = open_store(url)
    try:
        for kind, name, provenance in store.provenances():
            yield f"{kind} {name}", _as_api(provenance)
    finally:
        store.close()


def _as_api(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored form (checked_on) as the API names it (checkedOn)."""
    return {
        "source": stored.get("source"),
        "checkedOn": stored.get("checked_on"),
        "example": bool(stored.get("example")),
    }
