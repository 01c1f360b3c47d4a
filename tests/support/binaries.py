"""Programs some tests need besides Python: a bare pytest skips those tests, `make test` fails.

`make test` installs node, redis-server and PostgreSQL first and sets
LEERWIJZER_REQUIRE_BINARIES=1, so a missing program there is a failure, not a quiet skip.
LEERWIJZER_SKIP_POSTGRES=1 still skips the PostgreSQL tests on purpose.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_BINARIES = "LEERWIJZER_REQUIRE_BINARIES"
SKIP_POSTGRES = "LEERWIJZER_SKIP_POSTGRES"


def missing_binary(reason: str) -> NoReturn:
    """Skip the test, or fail it when LEERWIJZER_REQUIRE_BINARIES=1 (`make test`)."""
    if os.environ.get(REQUIRE_BINARIES) == "1":
        pytest.fail(f"{reason} ({REQUIRE_BINARIES}=1)", pytrace=False)
    pytest.skip(reason)


def require_binary(name: str, why: str) -> str:
    """The path of program `name` on the PATH; skips or fails (missing_binary) without it."""
    path = shutil.which(name)
    if not path:
        missing_binary(f"{name} is not installed; {why}")
    return path


def require_postgres(why: str) -> Path:
    """The folder with PostgreSQL's initdb and pg_ctl, found the way
    deploy/local/throwaway_postgres.py finds it; skips on LEERWIJZER_SKIP_POSTGRES=1, and
    skips or fails (missing_binary) when the binaries are missing."""
    from deploy.local.throwaway_postgres import PostgresUnavailable, find_bindir

    if os.environ.get(SKIP_POSTGRES) == "1":
        pytest.skip(f"{SKIP_POSTGRES}=1")
    try:
        return find_bindir()
    except PostgresUnavailable as exc:
        missing_binary(f"{exc}; {why}")
