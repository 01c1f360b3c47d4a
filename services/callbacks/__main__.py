"""Staff command line: `python -m services.callbacks list` and `python -m services.callbacks purge`.

The store is the one in CALLBACK_DATABASE_URL (default: var/callbacks.db).
"""

from __future__ import annotations

import argparse
import sys

from bot.settings import settings
from services.callbacks.store import CallbackStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.callbacks")
    parser.add_argument("command", choices=["list", "purge"])
    args = parser.parse_args(argv)
    config = settings()
    store = CallbackStore(config.callback_database_url, config.retention_days)
    if args.command == "list":
        for request in store.open_requests():
            print(
                f"{request.reference}  {request.created_at:%Y-%m-%d %H:%M}  {request.daypart:9}  "
                f"{request.first_name}  {request.phone}  {request.organization}"
            )
        return 0
    print(f"Deleted {store.delete_expired()} expired call-back requests.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
