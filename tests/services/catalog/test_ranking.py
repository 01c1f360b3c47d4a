"""The early-stopping relevance ranking (store/ranking.py) against the exact SQL path.

A synthetic catalog (the benchmark's generator, small) in both stores; every search of a
varied workload is answered both ways and must list the same courses in the same order with
the same best offering, score and distance. The walk and the direct ranking are each forced
on all tiers, so both code paths are compared whatever the catalog size.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.catalog.routers.common import course_page, course_query
from services.catalog.store import ranking
from services.catalog.store.queries import CourseQuery, PageRequest
from tools.bench_catalog import _params, searches, synthetic

from .conftest import STORE_KINDS, new_store

COURSES = 600


@pytest.fixture(scope="module", params=STORE_KINDS)
def synthetic_store(request, tmp_path_factory):
    store = new_store(request.param, request, tmp_path_factory)
    for batch in synthetic(COURSES):
        store.upsert(batch)
    yield store
    store.close()


def _workload() -> list[dict]:
    found = []
    for values in searches(120, seed=3):
        found.append(values)
        found.append({**values, "pageNumber": 3})
    found += [
        {"q": "computer", "pageSize": 20, "pageNumber": 2},
        {"topic": "digital", "pageSize": 50},
        {"topic": "digital", "audience": "older-people", "pageSize": 10},
        {"q": "taalcursus", "maxCost": 0, "pageSize": 10},
        {"q": "computer", "municipality": "Breda", "maxDistanceKm": 5, "pageSize": 10},
        {"q": "tablet voor ouderen", "municipality": "Zundert", "pageSize": 250},
        {"topic": "dutch", "municipality": "Roosendaal", "pageSize": 100, "pageNumber": 9},
        # Online after in person, online only, a small radius, a phrase (all of its words).
        {"topic": "digital", "municipality": "Zundert", "maxDistanceKm": 5, "pageSize": 50},
        {"q": "computer", "municipality": "Breda", "modeOfDelivery": "online", "pageSize": 20},
        {"q": "lezen en schrijven", "municipality": "Etten-Leur", "pageSize": 20},
        {"q": "whatsapp", "municipality": "Roosendaal", "pageSize": 50, "pageNumber": 2},
        {"topic": "career", "municipality": "Breda", "maxDistanceKm": 0, "pageSize": 50},
    ]
    return found


def _query(store, values: dict) -> CourseQuery:
    query = course_query(_params(values), store)
    page = PageRequest(int(values.get("pageSize", 10)), int(values.get("pageNumber", 1)))
    return CourseQuery(**{**query.__dict__, "page": page})


def _seen(page) -> list[tuple]:
    return [
        (
            hit.course.course_id,
            hit.score,
            hit.offering.start_date if hit.offering else None,
            hit.offering.municipality_code if hit.offering else None,
            hit.offering.mode if hit.offering else None,
            hit.distance_km,
        )
        for hit in page.items
    ]


@pytest.mark.parametrize("force", ["walk", "direct", "default"])
def test_early_stop_ranks_as_the_exact_path(synthetic_store, monkeypatch, force):
    if force == "walk":
        monkeypatch.setattr(ranking, "SMALL_SEARCH", 0)
        monkeypatch.setattr(ranking, "DIRECT_FACTOR", 0.0)
    elif force == "direct":
        monkeypatch.setattr(ranking, "DIRECT_FACTOR", 1e9)
    used = 0
    for values in _workload():
        query = _query(synthetic_store, values)
        exact = synthetic_store._search_exact(query)
        fast = synthetic_store.search_courses(query)
        assert _seen(fast) == _seen(exact), values
        if ranking.applies(query):
            used += 1
        if fast.total is not None:
            assert fast.total == exact.total, values
        if fast.more is not None:
            assert fast.more == (query.page.offset + query.page.size < exact.total), values
        if synthetic_store.kind == "postgresql":
            # PostgreSQL breaks ties between equally good offerings by row id, as the walk.
            assert [h.offering and h.offering.offering_id for h in fast.items] == [
                h.offering and h.offering.offering_id for h in exact.items
            ], values
    assert used > 100


def test_a_search_without_an_exact_count_has_no_total_pages(synthetic_store, monkeypatch):
    monkeypatch.setattr(ranking, "SMALL_SEARCH", 0)
    monkeypatch.setattr(ranking, "DIRECT_FACTOR", 0.0)
    values = {"topic": "digital", "municipality": "Breda", "pageSize": 10}
    body = course_page(synthetic_store, _query(synthetic_store, values))
    assert "totalPages" not in body
    assert body["hasNextPage"] is True
    assert len(body["items"]) == 10
    # Not narrowed by offerings: every candidate is listed, so the total is exact.
    body = course_page(synthetic_store, _query(synthetic_store, {"q": "computer"}))
    assert body["totalPages"] >= 1


def test_a_write_refreshes_the_cached_candidates(synthetic_store):
    query = _query(synthetic_store, {"q": "computer", "pageSize": 250})
    before = synthetic_store.search_courses(query)
    batch = next(synthetic(1))
    course = batch.courses[0]
    renamed = type(course)(**{**course.__dict__, "name": "Computerles extra"})
    batch.courses[0] = renamed
    batch.offerings[:] = [
        type(o)(**{**o.__dict__, "start_date": date.today() + timedelta(days=2)})
        for o in batch.offerings
    ]
    synthetic_store.upsert(batch)
    after = synthetic_store.search_courses(query)
    assert after.total == synthetic_store._search_exact(query).total
    assert _seen(after) == _seen(synthetic_store._search_exact(query))
    assert before.total is not None


def test_online_is_the_last_ring():
    """With a place, online offerings follow every in-person place within the radius."""
    origin = (51.5889, 4.7757)  # Breda
    places = [(51.5889, 4.7757), (51.6400, 4.8600), (51.5300, 4.4600), (52.3700, 4.8900)]
    rings = ranking.make_rings(places, origin, 25.0)
    assert rings[(51.5889, 4.7757)] == 0
    assert rings[(51.6400, 4.8600)] == 1
    assert rings[(51.5300, 4.4600)] == 2
    assert (52.3700, 4.8900) not in rings  # Amsterdam: outside the radius
    assert rings[ranking.ONLINE] == max(rings.values()) == 3
    assert ranking.ring_key(rings, 1, None, None) == 3
    assert ranking.make_rings(places, None, 25.0) is None
