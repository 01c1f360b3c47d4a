"""One throwaway PostgreSQL cluster for the whole test session, and fresh databases in it.

The cluster is the `postgres_cluster` fixture of tests/conftest.py; each test module takes its
own databases with `new_database`, whose names never repeat within the session.
LEERWIJZER_SKIP_POSTGRES=1 skips what needs it; otherwise a cluster that cannot start fails.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator

import pytest

from deploy.local.throwaway_postgres import PostgresUnavailable, ThrowawayPostgres

_numbers = itertools.count(1)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[ThrowawayPostgres]:
    if os.environ.get("LEERWIJZER_SKIP_POSTGRES") == "1":
        pytest.skip("LEERWIJZER_SKIP_POSTGRES=1")
    try:
        cluster = ThrowawayPostgres().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL needed for this test: {exc}")
    try:
        yield cluster
    finally:
        cluster.stop()


def new_database(cluster: ThrowawayPostgres, prefix: str) -> str:
    """A fresh, empty database (its URL) whose name is unique in this session."""
    return cluster.create_database(f"{prefix}_{next(_numbers)}")
