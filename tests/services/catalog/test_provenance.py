"""ext.provenance: every record says where it comes from, and example data says so.

The seed is example data; imported records carry their feed and import day; a feed's own
provenance is kept; production templates never load the demo, and a start that serves
example data logs a warning. (The upgrade of an older catalog: test_schema.py.)
"""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from fastapi.testclient import TestClient

from services.catalog import render
from services.catalog.app import create_app
from services.catalog.config import CatalogConfig
from services.catalog.domain import Provenance
from services.catalog.importers.edudex import Provider, import_edudex
from services.catalog.importers.ooapi import _provenance, import_ooapi
from services.catalog.seed.generate import ORGANIZATIONS_FILE, PROVENANCE, WRITTEN_ON, catalog
from services.catalog.store.queries import CourseQuery, OfferingQuery, PageRequest
from tests.services.catalog import spec

from .conftest import app_for

REPO = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).with_name("fixtures") / "edudex"
SEEDED = {
    "source": "Leerwijzer voorbeeldcatalogus (verzonnen gegevens)",
    "checkedOn": "2026-11-27",
    "example": True,
}
IMPORT_DAY = date(2027, 2, 1)


def _all(client, path: str, **params) -> list[dict]:
    items, number = [], 1
    while True:
        body = client.get(path, params={"pageSize": 250, "pageNumber": number, **params}).json()
        items += body["items"]
        if not body["hasNextPage"]:
            return items
        number += 1


def _store_records(store) -> dict[str, list]:
    courses = [
        hit.course
        for hit in store.search_courses(
            CourseQuery(sort=("name",), page=PageRequest(size=250))
        ).items
    ]
    offerings = [
        offering
        for course in courses
        for offering in store.list_offerings(
            OfferingQuery(course_id=course.course_id, page=PageRequest(size=250))
        ).items
    ]
    return {
        "organizations": store.all_organizations(),
        "courses": courses,
        "offerings": offerings,
    }


# -- the seed ---------------------------------------------------------------------------------


def test_the_seed_is_marked_as_example_data_from_the_day_it_was_written():
    document = yaml.safe_load(ORGANIZATIONS_FILE.read_text(encoding="utf-8"))
    assert WRITTEN_ON.isoformat() == document["checked_on"] == "2026-11-27"
    batch = catalog(date(2027, 3, 15))
    for record in (*batch.organizations, *batch.courses, *batch.offerings):
        assert record.provenance == PROVENANCE
    assert Provenance(SEEDED["source"], WRITTEN_ON, example=True) == PROVENANCE


def test_every_served_record_of_the_seeded_catalog_is_example_data(client, seeded_store):
    counts = seeded_store.counts()
    courses = _all(client, "/v5/courses")
    organizations = _all(client, "/v5/organizations")
    offerings = [
        item
        for organization in organizations
        for item in _all(client, f"/v5/organizations/{organization['organizationId']}/offerings")
    ]
    assert (len(organizations), len(courses), len(offerings)) == (
        counts["organizations"],
        counts["courses"],
        counts["offerings"],
    )
    for item in (*organizations, *courses, *offerings):
        assert item["ext"]["provenance"] == SEEDED, item.get("primaryCode")
    # Single records and expanded ones too.
    course = courses[0]
    one = client.get(f"/v5/courses/{course['courseId']}", params={"expand": "organization"}).json()
    assert one["ext"]["provenance"] == SEEDED
    assert one["organization"]["ext"]["provenance"] == SEEDED
    offering = client.get(
        f"/v5/offerings/{offerings[0]['offeringId']}", params={"expand": "course,organization"}
    ).json()
    assert offering["ext"]["provenance"] == SEEDED
    assert offering["course"]["ext"]["provenance"] == SEEDED
    assert offering["organization"]["ext"]["provenance"] == SEEDED
    child = next(o for o in organizations if o.get("parent"))
    organization = client.get(
        f"/v5/organizations/{child['organizationId']}", params={"expand": "parent,children"}
    ).json()
    assert organization["ext"]["provenance"] == SEEDED
    assert organization["parent"]["ext"]["provenance"] == SEEDED


def test_made_up_hours_and_languages_are_served_as_unverified(client):
    # The seed's walk-in hours and spoken languages are example data: every organization that
    # has them says so in ext.unverified, which clients must not show as fact.
    organizations = _all(client, "/v5/organizations")
    with_hours = [o for o in organizations if o["ext"].get("walkInHours")]
    assert with_hours
    for item in with_hours:
        assert "walkInHours" in item["ext"]["unverified"], item["primaryCode"]
    for item in (o for o in organizations if o["ext"].get("languages")):
        assert "languages" in item["ext"]["unverified"], item["primaryCode"]
    # A verified fact (an address with a source) is not in the list.
    assert not any("addresses" in (o["ext"].get("unverified") or []) for o in organizations)


def test_the_conformance_spec_requires_provenance():
    """spec.py adds ext.provenance to the spec the fuzzer and the validation tests use."""
    batch = catalog(date(2027, 3, 15))
    course = batch.courses[0]
    organization = next(
        o for o in batch.organizations if o.organization_id == course.organization_id
    )
    offering = next(o for o in batch.offerings if o.course_id == course.course_id)
    documents = [
        ("/courses/{courseId}", render.course(course, organization=organization)),
        ("/offerings/{offeringId}", render.offering_document(offering, course)),
        ("/organizations/{organizationId}", render.organization_document(organization)),
    ]
    for path, document in documents:
        spec.validate_response(path, document)
        for broken in ({"provenance": None}, {"provenance": {**SEEDED, "example": "ja"}}):
            changed = copy.deepcopy(document)
            changed["ext"].update(broken)
            with pytest.raises(AssertionError):
                spec.validate_response(path, changed)
        changed = copy.deepcopy(document)
        del changed["ext"]["provenance"]
        with pytest.raises(AssertionError, match="provenance"):
            spec.validate_response(path, changed)


# -- importers --------------------------------------------------------------------------------


class WithoutExampleMarks(requests.Session):
    """This service as a provider's feed would look: no provenance, no example marks."""

    def get(self, url, params=None, **kwargs):
        response = super().get(url, params=params, **kwargs)
        body = response.json()
        for item in body.get("items", []):
            item["ext"].pop("provenance")
            item["ext"].pop("exampleData")
        response._content = json.dumps(body).encode()
        return response


def test_an_imported_ooapi_record_names_its_feed_and_is_not_example_data(live_server, empty_store):
    feed = f"{live_server.url}/v5"
    report = import_ooapi(feed, empty_store, session=WithoutExampleMarks(), today=IMPORT_DAY)
    assert report.bad == [] and report.courses > 100
    expected = Provenance(feed, IMPORT_DAY, example=False)
    records = _store_records(empty_store)
    assert all(records.values())
    for record in (r for kind in records.values() for r in kind):
        assert record.provenance == expected
    assert not any(c.example_data for c in records["courses"])
    assert empty_store.example_courses() == 0
    with TestClient(app_for(empty_store)) as client:
        item = client.get("/v5/courses", params={"pageSize": 10}).json()["items"][0]
        served = {"source": feed, "checkedOn": "2027-02-01", "example": False}
        assert item["ext"]["provenance"] == served
        offering = client.get(f"/v5/courses/{item['courseId']}/offerings").json()["items"][0]
        assert offering["ext"]["provenance"] == served
        organization = client.get(f"/v5/organizations/{item['organization']}").json()
        assert organization["ext"]["provenance"] == served


def test_an_ooapi_feed_that_carries_provenance_keeps_it(live_server, empty_store):
    """Copying another Leerwijzer catalog: its example data stays example data."""
    import_ooapi(f"{live_server.url}/v5", empty_store, today=IMPORT_DAY)
    records = _store_records(empty_store)
    for record in (r for kind in records.values() for r in kind):
        assert record.provenance == PROVENANCE
    assert all(c.example_data for c in records["courses"])
    assert all(o.example_data for o in records["offerings"])


READ = Provenance("https://aanbieder.example/v5", IMPORT_DAY, example=False)


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        ({}, READ),
        ({"exampleData": True}, Provenance(READ.source, IMPORT_DAY, example=True)),
        (
            {"provenance": {"source": "DUO", "checkedOn": "2027-01-31", "example": False}},
            Provenance("DUO", date(2027, 1, 31), example=False),
        ),
        # Example data stays example data, also when a record contradicts itself.
        (
            {
                "exampleData": True,
                "provenance": {"source": "DUO", "checkedOn": "2027-01-31", "example": False},
            },
            Provenance("DUO", date(2027, 1, 31), example=True),
        ),
        # Incomplete or invalid: this feed and today; an example mark is still kept.
        ({"provenance": "DUO"}, READ),
        ({"provenance": {"source": "DUO", "example": False}}, READ),
        ({"provenance": {"source": "DUO", "checkedOn": "31-01-2027", "example": False}}, READ),
        ({"provenance": {"source": "DUO", "checkedOn": "2027-02-02", "example": False}}, READ),
        ({"provenance": {"source": " ", "checkedOn": "2027-01-31", "example": False}}, READ),
        ({"provenance": {"source": "x" * 1001, "checkedOn": "2027-01-31", "example": False}}, READ),
        ({"provenance": {"source": ["DUO"], "checkedOn": "2027-01-31", "example": False}}, READ),
        (
            {"provenance": {"source": "DUO", "checkedOn": "2027-01-31", "example": "true"}},
            READ,
        ),
        (
            {"provenance": {"source": "DUO", "checkedOn": None, "example": True}},
            Provenance(READ.source, IMPORT_DAY, example=True),
        ),
    ],
)
def test_a_feeds_provenance_is_kept_only_when_valid(ext, expected):
    example = bool(ext.get("exampleData", False))
    assert _provenance(ext, READ, example) == expected


def test_an_edudex_record_names_its_file(empty_store, tmp_path):
    edited = tmp_path / "edited.xml"
    edited.write_text(
        (FIXTURES / "single-program.xml")
        .read_text(encoding="utf-8")
        .replace(
            "<programDescriptions>",
            "<lastEdited>2026-12-01T10:15:00</lastEdited>\n<programDescriptions>",
            1,
        ),
        encoding="utf-8",
    )
    assert "<lastEdited>" in edited.read_text(encoding="utf-8")
    report = import_edudex(
        [FIXTURES / "programs.xml", edited],
        empty_store,
        Provider("PT-TRAIN", "Voorbeeld Training Breda"),
        today=IMPORT_DAY,
    )
    assert report.courses == 4
    records = _store_records(empty_store)
    by_code = {c.primary_code: c for c in records["courses"]}
    assert by_code["PT-EXCEL-01"].provenance == Provenance(
        "EDU-DEX programs.xml", IMPORT_DAY, example=False
    )
    # The program's own lastEdited day, when it has one.
    assert by_code["PT-BOEK-04"].provenance == Provenance(
        "EDU-DEX edited.xml", date(2026, 12, 1), example=False
    )
    by_id = {c.course_id: c for c in records["courses"]}
    for offering in records["offerings"]:
        assert offering.provenance == by_id[offering.course_id].provenance
    (provider,) = records["organizations"]
    assert provider.provenance == Provenance(
        "EDU-DEX programs.xml, edited.xml", IMPORT_DAY, example=False
    )


def test_an_edudex_day_after_the_import_is_not_believed(empty_store, tmp_path):
    later = (IMPORT_DAY + timedelta(days=1)).isoformat()
    future = tmp_path / "future.xml"
    future.write_text(
        (FIXTURES / "single-program.xml")
        .read_text(encoding="utf-8")
        .replace(
            "<programDescriptions>", f"<lastEdited>{later}</lastEdited><programDescriptions>", 1
        ),
        encoding="utf-8",
    )
    import_edudex([future], empty_store, Provider("PT", "Voorbeeld"), today=IMPORT_DAY)
    (course,) = _store_records(empty_store)["courses"]
    assert course.provenance == Provenance("EDU-DEX future.xml", IMPORT_DAY, example=False)


# -- the demo setting and the warning -----------------------------------------------------------


def _warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "services.catalog" and r.levelno == logging.WARNING
    ]


def test_a_start_that_serves_example_data_warns(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    caplog.set_level(logging.INFO, logger="services.catalog")
    with TestClient(create_app(config=CatalogConfig(database_url=url))):
        pass
    (warning,) = _warnings(caplog)
    assert "EXAMPLE DATA" in warning and "CATALOG_SEED=0" in warning
    assert re.search(r"(\d+) of \1 courses are invented", warning), warning
    caplog.clear()
    # Seeding off does not remove what is already there: still served, still warned.
    with TestClient(create_app(config=CatalogConfig(database_url=url, seed_on_start=False))):
        pass
    (warning,) = _warnings(caplog)
    assert "EXAMPLE DATA" in warning and "new database" in warning


def test_a_catalog_without_example_data_starts_quietly(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    caplog.set_level(logging.INFO, logger="services.catalog")
    with TestClient(create_app(config=CatalogConfig(database_url=url, seed_on_start=False))) as c:
        assert c.get("/health").json()["counts"]["courses"] == 0
    with TestClient(create_app(config=CatalogConfig(database_url=url, seed_on_start=False))) as c:
        import_edudex([FIXTURES / "programs.xml"], c.app.state.store, Provider("PT", "Voorbeeld"))
    with TestClient(create_app(config=CatalogConfig(database_url=url))) as c:
        assert c.get("/health").json()["counts"]["courses"] == 3  # not seeded: imported data
    assert _warnings(caplog) == []


def test_seeding_is_the_local_default_and_off_in_the_production_templates(monkeypatch):
    monkeypatch.delenv("CATALOG_SEED", raising=False)
    assert CatalogConfig.from_env().seed_on_start  # make run on one machine: the demo
    for off in ("0", "false", "no"):
        monkeypatch.setenv("CATALOG_SEED", off)
        assert not CatalogConfig.from_env().seed_on_start
    compose = yaml.safe_load(
        (REPO / "deploy" / "docker" / "docker-compose.yml").read_text(encoding="utf-8")
    )
    assert compose["services"]["catalog"]["environment"]["CATALOG_SEED"] == "0"
    documents = yaml.safe_load_all(
        (REPO / "deploy" / "k8s" / "leerwijzer.yaml").read_text(encoding="utf-8")
    )
    catalog_pod = next(
        d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "catalog"
    )["spec"]["template"]["spec"]
    (container,) = catalog_pod["containers"]
    # `env` wins over envFrom: a value in the secret or the config map cannot turn it on.
    assert {"name": "CATALOG_SEED", "value": "0"} in container["env"]
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    assert "CATALOG_SEED=1" in example
