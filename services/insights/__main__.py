"""`python -m services.insights run [--all]` (the job once) or `csv` (the published cells)."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.insights", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="events to facts, then republish the aggregates")
    run.add_argument("--all", action="store_true", help="republish every period, not the last two")
    commands.add_parser("csv", help="write the published cells as CSV to standard output")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the counts, not the migrations
    config = settings()
    from services.insights.store import InsightsStore

    store = InsightsStore(config.insights_database_url)
    if args.command == "run":
        from services.insights.job import InsightsJob

        InsightsJob(config, store).run(all_periods=args.all)  # logs what it did
    else:
        from services.insights.export import published_csv

        sys.stdout.write(published_csv(store))
    return 0


if __name__ == "__main__":
    sys.exit(main())
