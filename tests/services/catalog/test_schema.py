"""Schema versions: a catalog of an older version keeps its rows and ids and is upgraded:
version 2 gets a new search index, versions 2 and 3 the provenance of every record. Those
releases came before the migrations (services/catalog/migrations/), so their catalogs have no
version table; revision 0001 adopts them."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from services.catalog import render
from services.catalog.domain import CatalogBatch, Course, Offering, Organization, record_id
from services.catalog.seed import ensure_example_catalog
from services.catalog.seed.generate import PROVENANCE
from services.catalog.store import open_store
from services.catalog.store.base import SCHEMA_VERSION
from services.catalog.store.queries import CourseQuery, OfferingQuery, PageRequest
from services.catalog.store.schema import VERSION_TABLE
from services.catalog.text import SUBJECT_KIND, tag_token

from .conftest import STORE_KINDS, new_store

DIGITAL = CourseQuery(tags=((tag_token(SUBJECT_KIND, "digital"),),), page=PageRequest(size=250))


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_version_2_catalog_is_reindexed_in_place(kind, request, tmp_path_factory):
    store = new_store(kind, request, tmp_path_factory)
    ensure_example_catalog(store)
    before = store.search_courses(DIGITAL)
    assert before.items
    ids = {hit.course.course_id for hit in before.items}
    counts = store.counts()
    with store.transaction() as cur:
        # Version 2: no subject tokens in the index (here: no index at all) and its number.
        if kind == "sqlite":
            cur.execute("DELETE FROM course_fts")
        else:
            cur.execute("UPDATE courses SET tsv = to_tsvector('simple', '')")
        cur.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        cur.execute(f"DROP TABLE {VERSION_TABLE}")  # releases before migrations had none
    url = store.url if kind == "postgresql" else store.path
    store.close()
    reopened = open_store(url)
    try:
        assert reopened.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert reopened.counts() == counts
        after = reopened.search_courses(DIGITAL)
        assert {hit.course.course_id for hit in after.items} == ids
    finally:
        reopened.close()


FEED = "https://aanbieder.example/v5"
TABLES = ("organizations", "courses", "offerings")


def _imported_batch() -> CatalogBatch:
    """A provider's records as a version-3 importer wrote them: a feed, no provenance."""
    organization = Organization(
        organization_id=record_id("organization", "PROV-ORG"),
        primary_code="PROV-ORG",
        name="Voorbeeld Opleidingen",
        short_name="Voorbeeld Opleidingen",
        source=FEED,
    )
    course = Course(
        course_id=record_id("course", "PROV-EXCEL"),
        primary_code="PROV-EXCEL",
        organization_id=organization.organization_id,
        name="Excel voor beginners",
        description="Werken met tabellen en formules.",
        topics=("digital",),
        source=FEED,
    )
    start = date.today() + timedelta(days=30)
    offering = Offering(
        offering_id=record_id("offering", "PROV-EXCEL-1"),
        primary_code="PROV-EXCEL-1",
        course_id=course.course_id,
        organization_id=organization.organization_id,
        start_date=start,
        end_date=start + timedelta(days=28),
        mode="online",
        source=FEED,
    )
    return CatalogBatch([organization], [course], [offering])


def _documents(store) -> dict[str, dict[str, dict]]:
    """table -> primary code -> the stored record document."""
    found = {}
    with store.transaction() as cur:
        for table in TABLES:
            cur.execute(f"SELECT primary_code, doc FROM {table}")  # noqa: S608 - fixed names
            found[table] = {code: json.loads(doc) for code, doc in cur.fetchall()}
    return found


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_a_version_3_catalog_keeps_its_data_and_gets_provenance(kind, request, tmp_path_factory):
    store = new_store(kind, request, tmp_path_factory)
    ensure_example_catalog(store)
    store.upsert(_imported_batch())
    # Version 3: the same tables, documents without provenance, and its number.
    with store.transaction() as cur:
        for table in TABLES:
            cur.execute(f"SELECT rid, doc FROM {table}")  # noqa: S608 - fixed names
            for rid, doc in cur.fetchall():
                old = json.loads(doc)
                old.pop("provenance", None)
                cur.execute(
                    store._sql(f"UPDATE {table} SET doc = :doc WHERE rid = :rid"),  # noqa: S608
                    {"doc": json.dumps(old, ensure_ascii=False), "rid": rid},
                )
        cur.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        cur.execute(f"DROP TABLE {VERSION_TABLE}")  # releases before migrations had none
    before = _documents(store)
    assert not any("provenance" in doc for docs in before.values() for doc in docs.values())
    counts = store.counts()
    found = {hit.course.course_id for hit in store.search_courses(DIGITAL).items}
    url = store.url if kind == "postgresql" else store.path
    store.close()

    reopened = open_store(url)
    try:
        assert reopened.get_meta("schema_version") == str(SCHEMA_VERSION) == "4"
        assert reopened.counts() == counts
        upgraded = _documents(reopened)
        after = _documents(reopened)
        for table in TABLES:
            assert after[table].keys() == before[table].keys()
            for code, doc in after[table].items():
                provenance = doc.pop("provenance")
                assert doc == before[table][code], (table, code)  # the data is kept as it was
                if code.startswith("PROV-"):
                    # The feed and its example mark are known, the day it was read is not.
                    assert provenance == {"source": FEED, "example": False}
                else:
                    assert provenance == {
                        "source": PROVENANCE.source,
                        "checked_on": "2026-11-27",
                        "example": True,
                    }
        assert {hit.course.course_id for hit in reopened.search_courses(DIGITAL).items} == found
        excel = reopened.get_course(record_id("course", "PROV-EXCEL"))
        assert render.course(excel)["ext"]["provenance"] == {
            "source": FEED,
            "checkedOn": None,
            "example": False,
        }
        offering = reopened.list_offerings(OfferingQuery(course_id=excel.course_id)).items[0]
        assert render.offering_document(offering, excel)["ext"]["provenance"]["source"] == FEED
        seeded = next(o for o in reopened.all_organizations() if o.primary_code == "NV-BREDA")
        assert seeded.provenance == PROVENANCE
        assert render.organization_document(seeded)["ext"]["provenance"] == {
            "source": "Leerwijzer voorbeeldcatalogus (verzonnen gegevens)",
            "checkedOn": "2026-11-27",
            "example": True,
        }
    finally:
        reopened.close()
    # Opened again: nothing left to upgrade, nothing changed.
    again = open_store(url)
    try:
        assert _documents(again) == upgraded
    finally:
        again.close()
