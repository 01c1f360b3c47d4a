"""The example catalog: size, spread, honesty marks, and loading on start."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

from fastapi.testclient import TestClient

from services import geo
from services.catalog.app import create_app
from services.catalog.config import CatalogConfig
from services.catalog.seed import ensure_example_catalog
from services.catalog.seed.generate import catalog, organizations
from services.catalog.text import words
from services.catalog.vocabulary import vocabulary

TODAY = date(2027, 3, 15)


def test_size_and_spread():
    batch = catalog(TODAY)
    assert len(batch.courses) >= 150
    providers = {c.organization_id for c in batch.courses}
    assert len(providers) >= 10
    places = {o.municipality_code for o in batch.offerings if o.mode != "online"}
    west_brabant = geo.region_members("regio-west-brabant")
    assert len(places & west_brabant) >= 8
    assert any(o.mode == "online" for o in batch.offerings)
    assert {"situated", "online", "hybrid"} <= {o.mode for o in batch.offerings}
    assert {"daytime", "evening"} <= {o.time_of_day for o in batch.offerings}
    assert any(o.cost_cents == 0 for o in batch.offerings)
    assert any(o.cost_cents and o.cost_cents > 0 for o in batch.offerings)
    assert any("hearing-loop" in o.accessibility for o in batch.offerings)
    assert any(c.support_languages for c in batch.courses)
    assert {a for c in batch.courses for a in c.audiences} >= {
        "older-people",
        "newcomers",
        "job-seekers",
    }


def test_every_topic_in_the_issue_is_covered():
    covered = {t for c in catalog(TODAY).courses for t in c.topics}
    assert covered == vocabulary().topic_ids()


def test_dates_are_spread_over_the_next_twelve_months():
    starts = [o.start_date for o in catalog(TODAY).offerings]
    assert min(starts) > TODAY
    assert max(starts) <= TODAY + timedelta(days=366)
    months = {(d.year, d.month) for d in starts}
    assert len(months) >= 11
    for offering in catalog(TODAY).offerings:
        assert offering.end_date >= offering.start_date


def test_deterministic_and_marked_as_example_data():
    first, second = catalog(TODAY), catalog(TODAY)
    assert first == second
    assert all(c.example_data for c in first.courses)
    assert all(o.example_data for o in first.offerings)
    codes = [c.primary_code for c in first.courses]
    assert len(codes) == len(set(codes))


def test_organizations_say_what_was_checked():
    for organization in organizations():
        if organization.organization_type == "root":
            continue
        assert organization.verification, organization.name
        if organization.walk_in_hours and organization.walk_in_hours != ("op afspraak",):
            assert "not checked" in organization.verification["walkInHours"]
        if organization.address and organization.address.street:
            assert organization.address.verified, organization.name
    support = [o for o in organizations() if o.helps_with]
    helped = {h for o in support for h in o.helps_with}
    assert helped == vocabulary().helps_with_ids()
    assert all(o.phone is None for o in organizations()), "no unverified phone numbers"


def test_texts_are_plain():
    """B1-ish: short sentences and no long words in the course descriptions."""
    for course in catalog(TODAY).courses:
        for sentence in re.split(r"[.?!] ", course.description):
            assert len(words(sentence)) <= 25, sentence
        assert max(len(w) for w in words(course.description)) <= 22, course.name


def test_loaded_on_first_start_only_and_refreshed_when_stale(empty_store):
    assert ensure_example_catalog(empty_store, TODAY)
    counts = empty_store.counts()
    assert not ensure_example_catalog(empty_store, TODAY + timedelta(days=1))
    assert ensure_example_catalog(empty_store, TODAY + timedelta(days=30))
    assert empty_store.counts() == counts


def test_an_operators_own_catalog_is_left_alone(empty_store):
    batch = catalog(TODAY)
    batch.courses = batch.courses[:1]
    batch.offerings = [o for o in batch.offerings if o.course_id == batch.courses[0].course_id]
    empty_store.upsert(batch)
    assert not ensure_example_catalog(empty_store, TODAY)
    assert empty_store.counts()["courses"] == 1


def test_service_seeds_itself_on_start(tmp_path):
    config = CatalogConfig(database_url=f"sqlite:///{tmp_path / 'catalog.db'}")
    started = time.monotonic()
    with TestClient(create_app(config=config)) as client:
        elapsed = time.monotonic() - started
        counts = client.get("/health").json()["counts"]
        assert counts["courses"] >= 150
    # A guard against a start that hangs or imports far more, not a benchmark: about 1 s on an
    # idle machine, and `make test` runs this beside the model training.
    assert elapsed < 30.0, f"first start took {elapsed:.2f} s"
    # The second start serves the same catalog.
    with TestClient(create_app(config=config)) as client:
        assert client.get("/health").json()["counts"] == counts


def test_records_round_trip_through_the_stores_json():
    from services.catalog.domain import (
        course_from_json,
        offering_from_json,
        organization_from_json,
        to_json,
    )

    batch = catalog(TODAY)
    assert all(offering_from_json(to_json(o)) == o for o in batch.offerings)
    assert all(course_from_json(to_json(c)) == c for c in batch.courses)
    assert all(organization_from_json(to_json(o)) == o for o in batch.organizations)
