"""Catalog settings from the environment, with the same defaults as bot/settings.py.

The service reads its own environment (it knows nothing of the assistant): ``CATALOG_DATABASE_URL``
(default: a SQLite file ``catalog.db`` in ``VAR_DIR``, itself ``var`` under the repository root).

``CATALOG_SEED``: ``1`` (the default, for ``make run`` on one machine) is the demo: the invented
example catalog is loaded into an empty store and a warning is logged at every start while
example data is served. ``0`` turns it off; the production templates in deploy/ set ``0``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


@dataclass(frozen=True)
class CatalogConfig:
    database_url: str
    contact_email: str = "catalogus@leerwijzer.example"
    seed_on_start: bool = True

    @classmethod
    def from_env(cls) -> CatalogConfig:
        var_dir = Path(_env("VAR_DIR") or "var")
        if not var_dir.is_absolute():
            var_dir = REPO_ROOT / var_dir
        url = _env("CATALOG_DATABASE_URL") or f"sqlite:///{var_dir / 'catalog.db'}"
        return cls(
            database_url=url,
            contact_email=_env("CATALOG_CONTACT_EMAIL") or cls.contact_email,
            seed_on_start=(_env("CATALOG_SEED") or "1") not in ("0", "false", "no"),
        )
