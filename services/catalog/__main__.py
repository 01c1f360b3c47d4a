"""Catalog command line.

    python -m services.catalog import-ooapi URL              # e.g. https://provider.example/v5
    python -m services.catalog import-edudex PATH... --provider CODE [--provider-name NAME]
    python -m services.catalog seed                          # (re)load the example catalog (demo)
    python -m services.catalog stats

The store is the one the service uses: CATALOG_DATABASE_URL, default SQLite in var/.
Exit status: 0 imported (bad records are listed), 1 feed unusable (catalog unchanged).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from services.catalog.config import CatalogConfig
from services.catalog.importers import FeedError
from services.catalog.store import StoreError, open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.catalog",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", help="database URL (default: CATALOG_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    ooapi = commands.add_parser("import-ooapi", help="import from an OOAPI v5 endpoint")
    ooapi.add_argument("url")
    edudex = commands.add_parser("import-edudex", help="import EDU-DEX program XML files")
    edudex.add_argument("paths", nargs="+", type=Path)
    edudex.add_argument("--provider", required=True, help="organization primaryCode")
    edudex.add_argument("--provider-name", help="name, when the provider is new")
    commands.add_parser("seed", help="load or refresh the example catalog now")
    commands.add_parser("stats", help="print counts")
    args = parser.parse_args(argv)

    url = args.database or CatalogConfig.from_env().database_url
    try:
        store = open_store(url)
    except StoreError as exc:
        print(f"catalog store unavailable: {exc}", file=sys.stderr)
        return 1
    try:
        return _run(args, store)
    finally:
        store.close()


def _run(args: argparse.Namespace, store) -> int:  # noqa: ANN001 - SqlStore
    if args.command == "stats":
        print(json.dumps(store.counts()))
        return 0
    if args.command == "seed":
        from datetime import date

        from services.catalog.seed import record_load
        from services.catalog.seed.generate import catalog

        batch = catalog(date.today())
        store.upsert(batch)
        record_load(store, date.today())
        print(
            f"example catalog (invented demo data): {len(batch.courses)} courses, "
            f"{len(batch.offerings)} offerings"
        )
        return 0
    try:
        if args.command == "import-ooapi":
            from services.catalog.importers.ooapi import import_ooapi

            report = import_ooapi(args.url, store)
        else:
            from services.catalog.importers.edudex import Provider, import_edudex

            report = import_edudex(args.paths, store, Provider(args.provider, args.provider_name))
    except FeedError as exc:
        print(f"feed not imported, catalog unchanged: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
