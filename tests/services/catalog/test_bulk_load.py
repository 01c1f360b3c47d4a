"""A bulk load (upsert_many into an empty catalog) writes what separate upserts write.

The bulk path drops the secondary indexes and builds them at the end, and resolves ids against
what the load wrote; a course written twice in one load, an id taken by another primary code
and a load that fails halfway must come out as on the ordinary path.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.catalog.domain import CatalogBatch
from services.catalog.routers.common import course_page, course_query
from services.catalog.seed.generate import catalog
from tools.bench_catalog import _params, searches

from .conftest import STORE_KINDS, new_store

TODAY = date(2027, 3, 15)


def _batches() -> list[CatalogBatch]:
    """The example catalog in three batches; the third rewrites a course of the first (with
    one offering fewer) and adds a course whose id another primary code already has."""
    full = catalog(TODAY)
    courses = full.courses
    third = len(courses) // 3
    parts = [courses[:third], courses[third : 2 * third], courses[2 * third :]]
    batches = []
    for n, part in enumerate(parts):
        ids = {c.course_id for c in part}
        batches.append(
            CatalogBatch(
                organizations=full.organizations if n == 0 else [],
                courses=list(part),
                offerings=[o for o in full.offerings if o.course_id in ids],
            )
        )
    again = courses[0]
    kept = [o for o in full.offerings if o.course_id == again.course_id][1:]
    clash = replace(courses[1], primary_code="CLASH-1", name="Andere cursus met zelfde id")
    batches[2].courses += [replace(again, name=again.name + " (nieuw)"), clash]
    batches[2].offerings += kept
    return batches


def _contents(store) -> dict:
    with store.transaction() as cur:
        cur.execute("SELECT id, primary_code, name_key, doc FROM courses ORDER BY primary_code")
        courses = [tuple(row) for row in cur.fetchall()]
        cur.execute(
            "SELECT o.id, o.primary_code, c.primary_code, o.start_day, o.name_key FROM offerings o "
            "JOIN courses c ON c.rid = o.course_rid ORDER BY o.primary_code"
        )
        offerings = [tuple(row) for row in cur.fetchall()]
    found = {}
    for values in searches(60, seed=7) + [{"q": "andere cursus", "pageSize": 10}]:
        page = course_page(store, course_query(_params(values), store))
        found[str(values)] = [
            (item["courseId"], (item["ext"].get("nextOffering") or {}).get("offeringId"))
            for item in page["items"]
        ]
    return {"courses": courses, "offerings": offerings, "searches": found}


def _index_names(store) -> set[str]:
    with store.transaction() as cur:
        if store.kind == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        else:
            cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        return {row[0] for row in cur.fetchall()}


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_bulk_load_writes_what_separate_upserts_write(kind, request, tmp_path_factory):
    bulk = new_store(kind, request, tmp_path_factory)
    ordinary = new_store(kind, request, tmp_path_factory)
    try:
        bulk.upsert_many(_batches())
        for batch in _batches():  # the first into the empty store, the rest the ordinary way
            ordinary.upsert(batch)
        got, expected = _contents(bulk), _contents(ordinary)
        assert got["courses"] == expected["courses"]
        assert got["offerings"] == expected["offerings"]
        assert got["searches"] == expected["searches"]
        assert len({row[0] for row in got["courses"]}) == len(got["courses"])  # ids unique
        assert _index_names(bulk) == _index_names(ordinary)
    finally:
        bulk.close()
        ordinary.close()


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_failed_bulk_load_leaves_the_catalog_and_its_indexes(kind, request, tmp_path_factory):
    store = new_store(kind, request, tmp_path_factory)
    try:
        indexes = _index_names(store)
        batches = _batches()

        def broken():
            yield batches[0]
            raise RuntimeError("feed broke off")

        with pytest.raises(RuntimeError, match="feed broke off"):
            store.upsert_many(broken())
        assert store.counts()["courses"] == 0
        assert _index_names(store) == indexes
        store.upsert_many(batches)
        assert store.counts()["courses"] == sum(len(b.courses) for b in batches) - 1
    finally:
        store.close()
