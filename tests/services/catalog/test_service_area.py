"""Service areas: help nearby never names a desk that does not serve the person's municipality.

The rules (content review, West-Brabant): Werkplein Hart van West-Brabant serves Etten-Leur,
Halderberge, Moerdijk, Roosendaal, Rucphen and Zundert; ISD Brabantse Wal serves Bergen op Zoom,
Steenbergen and Woensdrecht; Breda has its own services; Alphen-Chaam and Baarle-Nassau belong
to labour-market region Midden-Brabant, so no West-Brabant regional desk serves them.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import requests
from fastapi.testclient import TestClient

from services import geo
from services.catalog import render
from services.catalog.domain import Address, CatalogBatch, Organization, record_id, to_json
from services.catalog.domain import organization_from_json as from_json
from services.catalog.importers.ooapi import import_ooapi
from services.catalog.seed import SEED_FILES_KEY, ensure_example_catalog
from services.catalog.seed.generate import organizations
from services.catalog.store.queries import OrganizationQuery, PageRequest
from services.catalog.vocabulary import vocabulary

from .conftest import app_for

WERKPLEIN = "Werkplein Hart van West-Brabant"
ISD = "ISD Brabantse Wal"
LEERWERKLOKET = "Leerwerkloket West-Brabant"
WORK_HELP = ("work-learning-advice", "income-support")
# National help by phone or website: no address, no service area.
NATIONAL = (
    "UWV",
    "Kamer van Koophandel (KVK)",
    "SeniorWeb",
    "Stichting Lezen & Schrijven",
    "DigiD helpdesk",
)
# The help a library, its Taalhuis or its Informatiepunt gives in every West-Brabant town.
LOCAL_HELP = ("reading-writing", "digital-skills", "digital-government")
# The library organizations of the example catalog (institutes under LW-ROOT); their branches
# and departments are found through `parent`.
LIBRARIES = ("NV-BREDA", "BWB", "THEEK5", "NOBELAER", "CPA", "BIEB-CHAAM")


def _code(name: str) -> str:
    return geo.find_municipality(name).code


def _codes(*names: str) -> tuple[str, ...]:
    return tuple(sorted(_code(name) for name in names))


def _seeded(code: str) -> Organization:
    return next(o for o in organizations() if o.primary_code == code)


def _names(client, municipality: str, helps_with: str | None = None, **params) -> list[str]:
    query = {"municipality": municipality, "pageSize": 250, "maxDistanceKm": 400, **params}
    if helps_with:
        query["helpsWith"] = helps_with
    response = client.get("/v5/organizations", params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body["hasNextPage"]
    return [item["name"][0]["value"] for item in body["items"]]


# -- the seed follows the rules ----------------------------------------------------------------


def test_seeded_areas_follow_the_rules():
    assert _seeded("WERKPLEIN-HVWB").serves_municipalities == _codes(
        "Etten-Leur", "Halderberge", "Moerdijk", "Roosendaal", "Rucphen", "Zundert"
    )
    assert _seeded("ISD-BW").serves_municipalities == _codes(
        "Bergen op Zoom", "Steenbergen", "Woensdrecht"
    )
    labour_market_region = geo.region_members("west-brabant") - {
        _code("Alphen-Chaam"),
        _code("Baarle-Nassau"),
    }
    assert len(labour_market_region) == 14
    assert _seeded("LWL-WB").serves_municipalities == tuple(sorted(labour_market_region))


def test_every_seeded_area_is_valid_and_includes_the_desk_itself():
    known = {m.code for m in geo.all_municipalities()}
    with_area = [o for o in organizations() if o.serves_municipalities]
    assert {o.primary_code for o in with_area} == {"WERKPLEIN-HVWB", "ISD-BW", "LWL-WB"}
    for organization in with_area:
        area = organization.serves_municipalities
        assert set(area) <= known and list(area) == sorted(set(area)), organization.name
        assert organization.municipality_code in area, organization.name
        assert "servesMunicipalities" in organization.verification, organization.name
    breda = _code("Breda")
    assert breda not in _seeded("WERKPLEIN-HVWB").serves_municipalities
    assert breda not in _seeded("ISD-BW").serves_municipalities
    assert not set(_seeded("WERKPLEIN-HVWB").serves_municipalities) & set(
        _seeded("ISD-BW").serves_municipalities
    )


def _library(organization: Organization) -> str | None:
    """The library institute (a code of LIBRARIES) an organization belongs to, else None."""
    by_id = {o.organization_id: o for o in organizations()}
    current: Organization | None = organization
    while current is not None:
        if current.primary_code in LIBRARIES:
            return current.primary_code
        current = by_id.get(current.parent_id) if current.parent_id else None
    return None


def test_every_west_brabant_municipality_has_a_library_location():
    """Issue 17: a library in every municipality of the region. A location is a library
    institute or branch with an address in the municipality (a Taalhuis or Informatiepunt
    department alone does not count). No exceptions: Etten-Leur (De Nobelaer), Zundert
    (Rijsbergen), Alphen-Chaam (the volunteer library in Chaam), Baarle-Nassau (Theek 5) and
    Altena (CultuurPuntAltena) each have a sourced entry; see their `verification`."""
    locations = [
        o
        for o in organizations()
        if o.organization_type in ("institute", "branch") and o.address and _library(o)
    ]
    covered = {o.address.municipality_code for o in locations}
    region = geo.region_members("west-brabant")
    assert len(region) == 16
    without = sorted(geo.find_municipality(code).name for code in region - covered)
    assert without == [], f"no library location in {without}"
    for organization in locations:
        assert organization.verification.get("address"), organization.name
        assert organization.serves_municipalities == (), organization.name


def test_every_library_organization_is_in_the_seed():
    codes = {o.primary_code for o in organizations()}
    assert set(LIBRARIES) <= codes
    for code in LIBRARIES:
        library = _seeded(code)
        assert library.organization_type == "institute" and library.address, code
        assert _seeded("LW-ROOT").organization_id == library.parent_id, code
    # A branch carries no help of its own: it is listed on the institute or its departments.
    for organization in organizations():
        if organization.organization_type == "branch" and _library(organization):
            assert organization.helps_with == (), organization.name


def test_libraries_taalhuizen_and_national_organizations_serve_everyone():
    for organization in organizations():
        name = organization.name.lower()
        library = _library(organization) is not None
        if library or "bibliotheek" in name or "taalhuis" in name or organization.address is None:
            assert organization.serves_municipalities == (), organization.name


# -- the API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("helps_with", [None, *sorted(vocabulary().helps_with_ids())])
def test_breda_is_never_sent_to_werkplein_or_isd(client, helps_with):
    for place in ("Breda", "GM0758", "Prinsenbeek"):  # a village in Breda counts as Breda
        found = _names(client, place, helps_with)
        assert WERKPLEIN not in found and ISD not in found, (place, found)


def test_breda_asking_for_work_help_gets_a_desk_that_serves_breda(client):
    for kind in WORK_HELP:
        found = _names(client, "Breda", kind, maxDistanceKm=25)
        assert found, kind
        assert WERKPLEIN not in found and ISD not in found
    assert LEERWERKLOKET in _names(client, "Breda", "work-learning-advice")


def test_roosendaal_can_get_werkplein(client):
    for kind in WORK_HELP:
        found = _names(client, "Roosendaal", kind, maxDistanceKm=25)
        assert found[0] == WERKPLEIN, found
        assert ISD not in found
    # A village in a Werkplein municipality (Oudenbosch is Halderberge).
    assert WERKPLEIN in _names(client, "Oudenbosch", "income-support", maxDistanceKm=25)


def test_bergen_op_zoom_gets_isd_and_not_werkplein(client):
    found = _names(client, "Bergen op Zoom", "income-support")
    assert ISD in found and WERKPLEIN not in found


@pytest.mark.parametrize("place", ["Alphen-Chaam", "Baarle-Nassau"])
@pytest.mark.parametrize("helps_with", [None, *WORK_HELP])
def test_midden_brabant_is_never_sent_to_a_west_brabant_regional_desk(client, place, helps_with):
    found = _names(client, place, helps_with)
    assert not {LEERWERKLOKET, WERKPLEIN, ISD} & set(found), found


def test_an_organization_without_an_area_is_found_from_any_municipality(client):
    # National, without an address: no distance limit either.
    everywhere = set(NATIONAL)
    for municipality in geo.all_municipalities():
        found = set(_names(client, municipality.code, maxDistanceKm=25))
        assert everywhere <= found, municipality.name
    # A Taalhuis in Breda helps people from Alphen-Chaam and Roosendaal too.
    for place in ("Alphen-Chaam", "Roosendaal", "Zundert", "Breda"):
        assert "Taalhuis Breda" in _names(client, place, "reading-writing", maxDistanceKm=25)


@pytest.mark.parametrize("helps_with", [None, *sorted(vocabulary().helps_with_ids())])
def test_national_help_never_pushes_a_desk_nearby_out(client, helps_with):
    """The assistant names the first three organizations of a page of ten (actions/support.py):
    help without an address comes after every desk with one, so a local Taalhuis,
    Informatiepunt or library is never pushed out by a national phone line or website."""
    for code in sorted(geo.region_members("west-brabant")):
        query = {"municipality": code, "pageSize": 10}  # the default distance, as the assistant
        if helps_with:
            query["helpsWith"] = helps_with
        items = client.get("/v5/organizations", params=query).json()["items"]
        names = [item["name"][0]["value"] for item in items]
        has_address = [bool(item.get("addresses")) for item in items]
        assert has_address == sorted(has_address, reverse=True), (code, names)
        with_address = {n for n, a in zip(names, has_address, strict=True) if a}
        assert not set(NATIONAL) & with_address, names
        if helps_with in LOCAL_HELP:
            assert len(items) >= 3 and all(has_address[:3]), (code, names)


def test_the_store_filter_matches_the_area_for_every_municipality(seeded_store):
    """For each Dutch municipality: exactly the organizations without an area or with it in
    their area (no distance limit, so only the service area decides)."""
    everyone = seeded_store.all_organizations()
    for municipality in geo.all_municipalities():
        query = OrganizationQuery(serving=municipality.code, page=PageRequest(size=250))
        hits = seeded_store.search_organizations(query).items
        found = {hit.organization.primary_code for hit in hits}
        expected = {
            o.primary_code
            for o in everyone
            if not o.serves_municipalities or municipality.code in o.serves_municipalities
        }
        assert found == expected, municipality.name
    unfiltered = seeded_store.search_organizations(OrganizationQuery(page=PageRequest(size=250)))
    assert len(unfiltered.items) == len(everyone)


def test_without_a_municipality_every_desk_is_listed(client):
    body = client.get("/v5/organizations", params={"pageSize": 250}).json()
    names = {item["name"][0]["value"] for item in body["items"]}
    assert {WERKPLEIN, ISD, LEERWERKLOKET} <= names


def test_ext_serves_municipalities_is_rendered_as_cbs_codes(client):
    body = client.get("/v5/organizations", params={"pageSize": 250}).json()
    by_name = {item["name"][0]["value"]: item for item in body["items"]}
    assert by_name[ISD]["ext"]["servesMunicipalities"] == ["GM0748", "GM0851", "GM0873"]
    assert by_name[WERKPLEIN]["ext"]["servesMunicipalities"] == list(
        _codes("Etten-Leur", "Halderberge", "Moerdijk", "Roosendaal", "Rucphen", "Zundert")
    )
    assert "servesMunicipalities" not in by_name["Taalhuis Breda"]["ext"]
    single = client.get(f"/v5/organizations/{by_name[ISD]['organizationId']}").json()
    assert single["ext"]["servesMunicipalities"] == ["GM0748", "GM0851", "GM0873"]


def test_a_place_that_is_no_municipality_is_read_as_its_municipality(client):
    for path in ("/v5/organizations", "/v5/courses"):
        village = client.get(path, params={"municipality": "Prinsenbeek", "pageSize": 50})
        town = client.get(path, params={"municipality": "Breda", "pageSize": 50})
        assert village.status_code == town.status_code == 200
        assert village.json()["items"] == town.json()["items"]
    unknown = client.get("/v5/organizations", params={"municipality": "Atlantis"})
    assert unknown.status_code == 400 and "municipality" in unknown.json()["detail"]


# -- records and stores ------------------------------------------------------------------------


def _desk(code: str, area: tuple[str, ...]) -> Organization:
    return Organization(
        organization_id=record_id("organization", code),
        primary_code=code,
        name=f"Loket {code}",
        short_name=code,
        address=Address(city="Breda", municipality_code="GM0758"),
        helps_with=("income-support",),
        serves_municipalities=area,
    )


def test_the_area_round_trips_and_old_documents_serve_everyone():
    desk = _desk("DESK", ("GM0758",))
    assert from_json(to_json(desk)) == desk
    assert to_json(desk)["serves_municipalities"] == ["GM0758"]
    assert "serves_municipalities" not in to_json(_desk("OPEN", ()))
    # A document written before service areas existed (schema version 4 as it was).
    old = to_json(desk)
    del old["serves_municipalities"]
    assert from_json(old).serves_municipalities == () and from_json(old).serves("GM0879")
    assert "servesMunicipalities" not in render.organization_document(from_json(old))["ext"]


def test_the_area_is_kept_by_the_store_and_updated_on_reimport(empty_store):
    empty_store.upsert(CatalogBatch(organizations=[_desk("DESK", ("GM0758",))]))
    stored = empty_store.get_organization(record_id("organization", "DESK"))
    assert stored.serves_municipalities == ("GM0758",)
    empty_store.upsert(CatalogBatch(organizations=[_desk("DESK", ())]))
    assert empty_store.get_organization(stored.organization_id).serves_municipalities == ()


def test_a_store_seeded_from_older_seed_files_is_refreshed(empty_store):
    today = date(2027, 3, 15)
    assert ensure_example_catalog(empty_store, today)
    assert not ensure_example_catalog(empty_store, today + timedelta(days=1))
    # Loaded from other files (or before the fingerprint was kept): refreshed the next start.
    empty_store.set_meta(SEED_FILES_KEY, "older-seed-files")
    assert ensure_example_catalog(empty_store, today + timedelta(days=1))
    assert not ensure_example_catalog(empty_store, today + timedelta(days=2))
    werkplein = empty_store.get_organization(_seeded("WERKPLEIN-HVWB").organization_id)
    assert werkplein.serves_municipalities == _seeded("WERKPLEIN-HVWB").serves_municipalities


# -- importers ---------------------------------------------------------------------------------


class AreaFeed(requests.Session):
    """This service over real HTTP, with one organization's ext.servesMunicipalities set."""

    def __init__(self, primary_code: str, area: object) -> None:
        super().__init__()
        self.primary_code, self.area = primary_code, area

    def get(self, url, params=None, **kwargs):
        response = super().get(url, params=params, **kwargs)
        if url.endswith("/organizations"):
            body = response.json()
            for item in body["items"]:
                if item["primaryCode"]["code"] == self.primary_code:
                    item["ext"]["servesMunicipalities"] = self.area
            response._content = json.dumps(body).encode()
        return response


@pytest.mark.parametrize("empty_store", ["sqlite", "postgresql"], indirect=True)
def test_ooapi_import_keeps_the_service_areas(live_server, empty_store):
    report = import_ooapi(f"{live_server.url}/v5", empty_store)
    assert report.bad == []
    for code in ("WERKPLEIN-HVWB", "ISD-BW", "LWL-WB", "NV-TAALHUIS"):
        seeded = _seeded(code)
        copied = empty_store.get_organization(seeded.organization_id)
        assert copied.serves_municipalities == seeded.serves_municipalities, code
    with TestClient(app_for(empty_store)) as copy_client:
        assert WERKPLEIN not in _names(copy_client, "Breda", "income-support")
        assert WERKPLEIN in _names(copy_client, "Zundert", "income-support")


def test_ooapi_import_reads_a_feeds_area(live_server, empty_store):
    feed = AreaFeed("MEE-WB", ["GM1674", "GM0748", "GM1674"])
    report = import_ooapi(f"{live_server.url}/v5", empty_store, session=feed)
    assert report.bad == []
    mee = empty_store.get_organization(_seeded("MEE-WB").organization_id)
    assert mee.serves_municipalities == ("GM0748", "GM1674")
    # An empty list is no area: serves everyone.
    import_ooapi(f"{live_server.url}/v5", empty_store, session=AreaFeed("MEE-WB", []))
    assert empty_store.get_organization(mee.organization_id).serves_municipalities == ()


@pytest.mark.parametrize(
    "area",
    [
        ["GM0758", "GM9999"],  # not a municipality
        ["Breda"],  # a name, not a code
        ["gm0758"],
        ["GM0758", 758],
        "GM0758",  # not a list
        {"code": "GM0758"},
    ],
)
def test_ooapi_import_skips_an_organization_with_a_bad_area(live_server, empty_store, area):
    """A bad code is never dropped or guessed: that could widen the area to everyone."""
    report = import_ooapi(f"{live_server.url}/v5", empty_store, session=AreaFeed("ISD-BW", area))
    skipped = [bad for bad in report.bad if bad.where == "organization ISD-BW"]
    assert len(skipped) == 1 and "servesMunicipalities" in skipped[0].reason
    assert empty_store.get_organization(_seeded("ISD-BW").organization_id) is None
    assert empty_store.get_organization(_seeded("WERKPLEIN-HVWB").organization_id) is not None
