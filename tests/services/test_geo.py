"""Tests for services.geo: the municipality list, name matching, distances and regions."""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest
import yaml

from services import geo

# Generous box around the European Netherlands (Vaals in the south-east, Schiermonnikoog in
# the north, Cadzand in the south-west, Losser in the east).
LAT_RANGE = (50.70, 53.60)
LON_RANGE = (3.30, 7.25)

WEST_BRABANT = {
    "Alphen-Chaam",
    "Altena",
    "Baarle-Nassau",
    "Bergen op Zoom",
    "Breda",
    "Drimmelen",
    "Etten-Leur",
    "Geertruidenberg",
    "Halderberge",
    "Moerdijk",
    "Oosterhout",
    "Roosendaal",
    "Rucphen",
    "Steenbergen",
    "Woensdrecht",
    "Zundert",
}


def test_count_matches_cbs_2026() -> None:
    municipalities = geo.all_municipalities()
    assert len(municipalities) >= 340
    # CBS: 342 since 2023 (Voorne aan Zee); no mergers took effect on 2025-01-01 or 2026-01-01.
    assert len(municipalities) == 342


def test_codes_are_unique_well_formed_and_sorted() -> None:
    codes = [m.code for m in geo.all_municipalities()]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"GM\d{4}", code) for code in codes)
    assert codes == sorted(codes)


def test_names_are_unique_and_provinces_are_the_twelve() -> None:
    municipalities = geo.all_municipalities()
    assert len({m.name for m in municipalities}) == len(municipalities)
    assert {m.province for m in municipalities} == {
        "Drenthe",
        "Flevoland",
        "Fryslân",
        "Gelderland",
        "Groningen",
        "Limburg",
        "Noord-Brabant",
        "Noord-Holland",
        "Overijssel",
        "Utrecht",
        "Zeeland",
        "Zuid-Holland",
    }


def test_coordinates_lie_in_the_netherlands() -> None:
    for m in geo.all_municipalities():
        assert LAT_RANGE[0] < m.lat < LAT_RANGE[1], m
        assert LON_RANGE[0] < m.lon < LON_RANGE[1], m


def test_csv_has_the_documented_columns() -> None:
    with geo.MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["code", "name", "province", "lat", "lon", "aliases"]


def test_municipality_is_frozen() -> None:
    breda = geo.find_municipality("Breda")
    assert breda is not None
    with pytest.raises(AttributeError):
        breda.name = "Bréda"  # type: ignore[misc]


def test_all_municipalities_returns_a_fresh_list() -> None:
    geo.all_municipalities().clear()
    assert len(geo.all_municipalities()) == 342


def test_every_west_brabant_member_resolves_and_is_in_the_region() -> None:
    members = geo.region_members("west-brabant")
    assert len(members) == 16
    found = {geo.find_municipality(name) for name in WEST_BRABANT}
    assert None not in found
    assert {m.code for m in found if m} == members
    assert all(m.province == "Noord-Brabant" for m in found if m)
    assert all(geo.in_region(m, "west-brabant") for m in found if m)


def test_tholen_left_regio_west_brabant_and_lies_in_zeeland() -> None:
    # Tholen left the cooperation on 2021-01-01: never part of the region or its schemes.
    tholen = geo.find_municipality("Tholen")
    assert tholen is not None and tholen.province == "Zeeland"
    assert geo.region_members("regio-west-brabant") == geo.region_members("west-brabant")
    assert not geo.in_region(tholen, "regio-west-brabant")
    assert not geo.in_region(tholen, "west-brabant")


def test_outsider_is_not_in_west_brabant() -> None:
    tilburg = geo.find_municipality("Tilburg")
    assert tilburg is not None
    assert not geo.in_region(tilburg, "west-brabant")


def test_unknown_region_raises_key_error() -> None:
    with pytest.raises(KeyError):
        geo.region_members("oost-brabant")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("etten leur", "GM0777"),
        ("ETTEN-LEUR", "GM0777"),
        ("Etten-Leur", "GM0777"),
        ("  etten   -  leur ", "GM0777"),
        ("ettenleur", "GM0777"),
        ("s-hertogenbosch", "GM0796"),
        ("'s-Hertogenbosch", "GM0796"),
        ("’s-Hertogenbosch", "GM0796"),
        ("den bosch", "GM0796"),
        ("Den Bosch", "GM0796"),
        ("sudwest fryslan", "GM1900"),
        ("Súdwest-Fryslân", "GM1900"),
        ("SÚDWEST-FRYSLÂN", "GM1900"),
        ("bergen op zoom", "GM0748"),
        ("Gilze en Rijen", "GM0784"),
        ("gilze & rijen", "GM0784"),
        ("gemeente Breda", "GM0758"),
        ("IJsselstein", "GM0353"),
        ("Ĳsselstein", "GM0353"),
        ("Ysselstein", "GM0353"),
        ("Nuenen, Gerwen en Nederwetten", "GM0820"),
        ("Beek (L.)", "GM0888"),
    ],
)
def test_name_variants_resolve(text: str, code: str) -> None:
    found = geo.find_municipality(text)
    assert found is not None, text
    assert found.code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Den Haag", "GM0518"),
        ("the hague", "GM0518"),
        ("Den Bosch", "GM0796"),
        ("Hertogenbosch", "GM0796"),
        ("Bergen NH", "GM0373"),
        ("Bergen (Limburg)", "GM0893"),
        ("Hengelo", "GM0164"),
        ("Rijswijk", "GM0603"),
        ("Nuenen", "GM0820"),
        ("Zuidwest-Friesland", "GM1900"),
        ("Ljouwert", "GM0080"),
        ("St. Michielsgestel", "GM0845"),
        ("Alphen a/d Rijn", "GM0484"),
    ],
)
def test_aliases_resolve(text: str, code: str) -> None:
    found = geo.find_municipality(text)
    assert found is not None, text
    assert found.code == code


def test_every_name_and_alias_in_the_csv_resolves_to_its_row() -> None:
    with geo.MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            spellings = [row["name"], *(a for a in row["aliases"].split(";") if a)]
            for spelling in spellings:
                found = geo.find_municipality(spelling)
                assert found is not None and found.code == row["code"], spelling


@pytest.mark.parametrize("text", ["GM0777", "gm0777", "GM 0777", "777", "0777", " 777 "])
def test_cbs_codes_resolve(text: str) -> None:
    found = geo.find_municipality(text)
    assert found is not None
    assert found.name == "Etten-Leur"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "-",
        "'s",
        "Atlantis",
        "Bergen",  # two municipalities: Bergen (L.) and Bergen (NH.)
        "Antwerpen",
        "GM9999",
        "GM0000",
        "0",
        "12345",
        "🙂",
        "🏠 Breda 🏠" * 50,
        "x" * 10_000,
        "Breda" * 2_000,
        "\x00\x01\x02",
        "\ud800",
        "Ｂｒｅｄａ" * 30,
    ],
)
def test_odd_input_returns_none(text: str) -> None:
    assert geo.find_municipality(text) is None


@pytest.mark.parametrize("value", [None, 777, 7.77, b"Breda", ["Breda"]])
def test_non_text_input_returns_none(value: object) -> None:
    assert geo.find_municipality(value) is None  # type: ignore[arg-type]
    assert geo.normalize_name(value) == ""  # type: ignore[arg-type]


def test_fullwidth_and_emoji_around_a_name_still_match() -> None:
    assert geo.find_municipality("Ｂｒｅｄａ") == geo.find_municipality("Breda")
    assert geo.find_municipality("Breda 🙂") == geo.find_municipality("Breda")


def test_normalize_name_documented_examples() -> None:
    assert geo.normalize_name("'s-Hertogenbosch") == "shertogenbosch"
    assert geo.normalize_name("S-HERTOGENBOSCH") == "shertogenbosch"
    assert geo.normalize_name("Etten-Leur") == geo.normalize_name("etten leur") == "ettenleur"
    assert geo.normalize_name("Súdwest-Fryslân") == "sudwestfryslan"
    assert geo.normalize_name("IJsselstein") == "ysselstein"


def test_distance_breda_roosendaal_is_about_23_km() -> None:
    breda = geo.find_municipality("Breda")
    roosendaal = geo.find_municipality("Roosendaal")
    assert breda is not None and roosendaal is not None
    assert geo.distance_km(breda, roosendaal) == pytest.approx(23, abs=5)
    assert geo.distance_km(breda, roosendaal) == pytest.approx(geo.distance_km(roosendaal, breda))
    assert geo.distance_km(breda, breda) == 0


def test_distance_spans_the_country_plausibly() -> None:
    vaals = geo.find_municipality("Vaals")
    schiermonnikoog = geo.find_municipality("Schiermonnikoog")
    assert vaals is not None and schiermonnikoog is not None
    assert 280 < geo.distance_km(vaals, schiermonnikoog) < 320


def test_haversine_km_is_distance_km_between_bare_points() -> None:
    places = [geo.find_municipality(name) for name in ("Breda", "Vaals", "Schiermonnikoog")]
    for a in places:
        for b in places:
            assert geo.haversine_km(a.lat, a.lon, b.lat, b.lon) == geo.distance_km(a, b)
    assert geo.haversine_km(51.5, 4.5, 51.5, 4.5) == 0


def test_squared_km_scales_are_the_fixed_km_per_degree() -> None:
    # The catalog's stored rankings depend on these exact factors (see squared_km).
    assert geo.KM_PER_DEGREE_LAT == 111.2
    assert geo.squared_km_scales(0.0) == (111.2**2, 111.2**2)
    ky, kx = geo.squared_km_scales(60.0)
    assert ky == 111.2**2 and kx == pytest.approx((111.2 / 2) ** 2)


def test_squared_km_is_the_flat_distance_squared() -> None:
    breda, oudenbosch = (51.5889, 4.7757), (51.5300, 4.4600)
    ky, kx = geo.squared_km_scales(breda[0])
    expected = ky * (0.0589 * 0.0589) + kx * (0.3157 * 0.3157)
    assert geo.squared_km(breda, oudenbosch) == pytest.approx(expected, rel=1e-9)
    # Given scales give the very same float (what the SQL and ranking.py rely on).
    scales = geo.squared_km_scales(breda[0])
    assert geo.squared_km(breda, oudenbosch, scales) == geo.squared_km(breda, oudenbosch)
    assert geo.squared_km(breda, breda) == 0


def test_squared_km_is_close_to_the_great_circle_across_west_brabant() -> None:
    members = [geo.find_municipality(c) for c in sorted(geo.region_members("regio-west-brabant"))]
    for a in members:
        for b in members:
            if a == b:
                continue
            flat = geo.squared_km((a.lat, a.lon), (b.lat, b.lon)) ** 0.5
            great = geo.distance_km(a, b)
            assert flat == pytest.approx(great, rel=0.003, abs=0.15), (a.name, b.name)


def test_west_brabant_neighbours_are_close_and_known() -> None:
    for code in geo.region_members("regio-west-brabant"):
        m = geo.find_municipality(code)
        assert m is not None
        around = geo.neighbours(m)
        assert around, m
        for other in around:
            # Seats of neighbouring municipalities are never half a province apart.
            assert geo.distance_km(m, other) < 40, (m.name, other.name)


def test_breda_neighbours() -> None:
    breda = geo.find_municipality("Breda")
    assert breda is not None
    assert [m.name for m in geo.neighbours(breda)] == [
        "Alphen-Chaam",
        "Drimmelen",
        "Etten-Leur",
        "Gilze en Rijen",
        "Moerdijk",
        "Oosterhout",
        "Zundert",
    ]


def test_neighbours_are_symmetric_in_the_file() -> None:
    listed = _regions_file()["neighbours"]
    for code, others in listed.items():
        assert code not in others
        assert len(set(others)) == len(others)
        for other in others:
            if other in listed:
                assert code in listed[other], (code, other)


def test_neighbours_are_symmetric_through_the_api() -> None:
    for m in geo.all_municipalities():
        for other in geo.neighbours(m):
            assert m in geo.neighbours(other), (m.name, other.name)


def test_outsider_gets_its_west_brabant_neighbours() -> None:
    dongen = geo.find_municipality("Dongen")
    assert dongen is not None
    assert {m.name for m in geo.neighbours(dongen)} == {"Geertruidenberg", "Oosterhout"}


def test_region_file_names_only_known_codes() -> None:
    known = {m.code for m in geo.all_municipalities()}
    document = _regions_file()
    for region in document["regions"].values():
        assert set(region["members"]) <= known
    for code, others in document["neighbours"].items():
        assert code in known
        assert set(others) <= known


def test_region_entries_carry_sources_and_check_date() -> None:
    document = _regions_file()
    for region_id, region in document["regions"].items():
        assert region["source_urls"], region_id
        assert all(url.startswith("https://") for url in region["source_urls"])
        assert "2026-11-27" <= region["checked_on"] <= date.today().isoformat()
        assert region["note"]
    assert document["neighbours_source"]["source_urls"]
    assert document["neighbours_source"]["checked_on"] == "2026-11-27"
    assert set(geo.region_ids()) == set(document["regions"])


def test_data_files_are_found_from_any_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for cached in (
        geo._rows,
        geo._records,
        geo._by_code,
        geo._name_index,
        geo._regions_document,
        geo._region_members,
        geo._adjacency,
    ):
        cached.cache_clear()
    assert len(geo.all_municipalities()) == 342
    assert geo.region_members("west-brabant")


def _regions_file() -> dict:
    return yaml.safe_load(geo.REGIONS_YAML.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("place", "municipality"),
    [
        ("Oudenbosch", "Halderberge"),
        ("zevenbergen", "Moerdijk"),
        ("Prinsenbeek", "Breda"),
        ("sint willebrord", "Rucphen"),
        ("St. Willebrord", "Rucphen"),
        ("Halsteren", "Bergen op Zoom"),
        ("Breda", "Breda"),
        ("etten leur", "Etten-Leur"),
    ],
)
def test_towns_resolve_to_their_municipality(place: str, municipality: str) -> None:
    found = geo.municipality_for_place(place)
    assert found is not None and found.name == municipality


def test_every_town_lies_in_west_brabant_and_is_not_a_municipality_name() -> None:
    import csv

    with geo.PLACES_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 50
    for row in rows:
        assert geo.find_municipality(row["place"]) is None, row["place"]
        found = geo.municipality_for_place(row["place"])
        assert found is not None and geo.in_region(found, "west-brabant"), row["place"]


def test_unknown_place_is_none() -> None:
    assert geo.municipality_for_place("Atlantis") is None
    assert geo.municipality_for_place("x" * 10_000) is None
