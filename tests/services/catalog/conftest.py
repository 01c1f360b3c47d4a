"""Catalog test fixtures: real SQLite files and a throwaway PostgreSQL cluster, real HTTP.

Every store-dependent test runs against both stores (`store_kind`). PostgreSQL comes from
deploy/local/throwaway_postgres.py; when its binaries are missing the tests fail with the
install command, unless LEERWIJZER_SKIP_POSTGRES=1 says to skip them on purpose.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from services.catalog.app import create_app
from services.catalog.config import CatalogConfig
from services.catalog.seed import ensure_example_catalog
from services.catalog.store import SqlStore, open_store
from tests.support.ports import free_port
from tests.support.postgres import new_database

STORE_KINDS = ("sqlite", "postgresql")


def new_store(kind: str, request: pytest.FixtureRequest, tmp_path_factory) -> SqlStore:
    """An empty store of the given kind (a fresh SQLite file or PostgreSQL database)."""
    if kind == "sqlite":
        return open_store(str(tmp_path_factory.mktemp("catalog") / "catalog.db"))
    cluster = request.getfixturevalue("postgres_cluster")
    return open_store(new_database(cluster, "catalog"))


@pytest.fixture(scope="module", params=STORE_KINDS)
def seeded_store(request, tmp_path_factory) -> Iterator[SqlStore]:
    """The example catalog in each store kind, shared by a test module."""
    store = new_store(request.param, request, tmp_path_factory)
    ensure_example_catalog(store)
    yield store
    store.close()


@pytest.fixture
def empty_store(request, tmp_path_factory) -> Iterator[SqlStore]:
    store = new_store(getattr(request, "param", "sqlite"), request, tmp_path_factory)
    yield store
    store.close()


def app_for(store: SqlStore):
    return create_app(store=store, config=CatalogConfig(database_url="unused", seed_on_start=False))


@pytest.fixture(scope="module")
def client(seeded_store) -> Iterator[TestClient]:
    with TestClient(app_for(seeded_store)) as test_client:
        yield test_client


class LiveServer:
    """The app served by uvicorn in a thread on a free loopback port (real HTTP)."""

    def __init__(self, store: SqlStore) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app_for(store),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="none",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("catalog test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(seeded_store) -> Iterator[LiveServer]:
    with LiveServer(seeded_store) as server:
        yield server
