"""The course-catalog service: the region's course offer as Open Education API v5.

Started by the launcher as ``uvicorn services.catalog.app:app``. On start it opens the store
named by ``CATALOG_DATABASE_URL`` (default: SQLite in var/) and loads the example catalog when
the store has none and CATALOG_SEED is on (see seed/), and logs a warning whenever it serves
example data.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.catalog.config import CatalogConfig
from services.catalog.problems import install_problem_handlers
from services.catalog.routers import courses, offerings, organizations, service
from services.catalog.seed import ensure_example_catalog, example_data_warning
from services.catalog.store import SqlStore, open_store

log = logging.getLogger("services.catalog")

DESCRIPTION = """
Courses for adults in West-Brabant, served as [Open Education API v5](https://openonderwijsapi.nl).

Leerwijzer's additions live in `ext` objects and in extra query parameters on `/v5/courses`
(`topic`, `audience`, `municipality`, `maxDistanceKm`, `maxCost`, `timeOfDay`, `startsBefore`,
`supportLanguage`, `accessibility`) and `/v5/organizations` (`municipality`, `helpsWith`).
See docs/catalog.md. Every course, offering and organization says where it comes from in
`ext.provenance` (`source`, `checkedOn`, `example`); the example catalog is invented demo data
(`example: true`).
"""


def create_app(store: SqlStore | None = None, config: CatalogConfig | None = None) -> FastAPI:
    """The app; tests pass their own store, the launcher uses the environment's."""
    settings = config or CatalogConfig.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store is None
        app.state.store = store or open_store(settings.database_url)
        if settings.seed_on_start:
            ensure_example_catalog(app.state.store)
        warning = example_data_warning(app.state.store, seeding=settings.seed_on_start)
        if warning:
            log.warning(warning)
        app.state.store.term_index()  # warm the search vocabulary before the first request
        try:
            yield
        finally:
            if opened:
                app.state.store.close()

    app = FastAPI(
        title="Leerwijzer catalog",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.config = settings
    install_problem_handlers(app)
    for router in (service.router, courses.router, offerings.router, organizations.router):
        app.include_router(router)
    return app


app = create_app()
