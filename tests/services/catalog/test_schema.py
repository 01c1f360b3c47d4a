"""Schema versions: a catalog of the previous version keeps its rows and gets a new index."""

from __future__ import annotations

import pytest

from services.catalog.seed import ensure_example_catalog
from services.catalog.store import open_store
from services.catalog.store.base import SCHEMA_VERSION
from services.catalog.store.queries import CourseQuery, PageRequest
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
