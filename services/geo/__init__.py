"""Dutch municipalities (CBS indeling 1 January 2026), name matching, distances and regions.

The single source of truth for "which gemeente is this?" in Leerwijzer. Data lives next to this
module in municipalities.csv and regions.yaml (see README.md for sources and yearly updates) and
is read once, on first use. It needs only the standard library and PyYAML, which every
component already has.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = [
    "Municipality",
    "all_municipalities",
    "distance_km",
    "haversine_km",
    "squared_km",
    "squared_km_scales",
    "find_municipality",
    "municipality_for_place",
    "in_region",
    "neighbours",
    "normalize_name",
    "region_ids",
    "region_members",
]

DATA_DIR = Path(__file__).resolve().parent
MUNICIPALITIES_CSV = DATA_DIR / "municipalities.csv"
REGIONS_YAML = DATA_DIR / "regions.yaml"
PLACES_CSV = DATA_DIR / "places.csv"

# Mean Earth radius (IUGG); the spherical error is far below what a town-hall point implies.
EARTH_RADIUS_KM = 6371.0088
# Kilometres per degree of latitude (and of longitude on the equator) for the flat
# (equirectangular) distances of squared_km. Across West-Brabant these stay within 0.3 % of
# the great-circle distance (at most 0.13 km, Woensdrecht to Altena, 58 km apart).
KM_PER_DEGREE_LAT = 111.2
# The longest name, alias included, is under 40 characters; anything much longer is not a
# municipality, and refusing it early keeps a pasted essay from costing a full normalisation.
MAX_QUERY_LENGTH = 100

_CODE_PATTERN = re.compile(r"^GM\d{4}$")
_CODE_QUERY = re.compile(r"^(?:gm)?0*(\d{1,4})$")
_APOSTROPHES = "'’‘`´ʼ"


@dataclass(frozen=True)
class Municipality:
    """A gemeente: CBS code (``GM0758``), CBS name, province and an approximate WGS84 point.

    The point is the municipal seat or main town, not a polygon centroid.
    """

    code: str
    name: str
    province: str
    lat: float
    lon: float


def normalize_name(text: str) -> str:
    """Return the key that names and aliases are matched on.

    Steps: Unicode NFKD with combining marks dropped (``Súdwest`` -> ``Sudwest``, the ``ĳ``
    ligature -> ``ij``); casefold; ``&`` read as ``en``; apostrophes dropped; the text split on
    every other non-alphanumeric character (spaces, hyphens, dots, commas, brackets, slashes); a
    leading word ``gemeente`` dropped; ``st`` read as ``sint``; ``ij`` written as ``y`` (people
    type both); the words joined without separator.

    So ``'s-Hertogenbosch``, ``s hertogenbosch`` and ``S-HERTOGENBOSCH`` all give
    ``shertogenbosch``, and ``Etten-Leur``, ``etten leur`` and ``ETTENLEUR`` give ``ettenleur``.
    Non-string input gives ``""``.
    """
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    plain = plain.replace("&", " en ")
    for apostrophe in _APOSTROPHES:
        plain = plain.replace(apostrophe, "")
    words = re.split(r"[\W_]+", plain)
    words = [word for word in words if word]
    if len(words) > 1 and words[0] == "gemeente":
        words = words[1:]
    words = ["sint" if word == "st" else word for word in words]
    return "".join(words).replace("ij", "y")


def all_municipalities() -> list[Municipality]:
    """Every municipality, ordered by CBS code."""
    return list(_records())


def find_municipality(text: str) -> Municipality | None:
    """Find a municipality by name, alias or CBS code; ``None`` when nothing matches.

    Names and aliases are compared through :func:`normalize_name`. Codes may be given as
    ``GM0777``, ``gm777``, ``0777`` or ``777``. A key shared by two municipalities (``Bergen``)
    matches neither. Never raises: empty, oversized or non-text input gives ``None``.
    """
    if not isinstance(text, str):
        return None
    query = text.strip()
    if not query or len(query) > MAX_QUERY_LENGTH:
        return None
    code_match = _CODE_QUERY.match(re.sub(r"\s+", "", query).casefold())
    if code_match:
        return _by_code().get(f"GM{int(code_match.group(1)):04d}")
    code = _name_index().get(normalize_name(query))
    return _by_code()[code] if code else None


def municipality_for_place(text: str) -> Municipality | None:
    """Like :func:`find_municipality`, but also knows towns and villages (``Oudenbosch``).

    People name the place they live in, not always its municipality. places.csv maps the
    towns of West-Brabant to their municipality; a municipality's own name always wins.
    """
    found = find_municipality(text)
    if found or not isinstance(text, str) or len(text) > MAX_QUERY_LENGTH:
        return found
    code = _places().get(normalize_name(text))
    return _by_code()[code] if code else None


def distance_km(a: Municipality, b: Municipality) -> float:
    """Great-circle (haversine) distance between the two points, in kilometres."""
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def haversine_km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    """Great-circle distance between two WGS84 points (degrees), in kilometres."""
    lat_a, lat_b = math.radians(lat_a), math.radians(lat_b)
    half_dlat = (lat_b - lat_a) / 2
    half_dlon = math.radians(lon_b - lon_a) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(half_dlon) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def squared_km_scales(lat: float) -> tuple[float, float]:
    """``(ky, kx)``: squared km per squared degree of latitude and of longitude near ``lat``.

    The factors of :func:`squared_km`; computed once per origin when many points are compared
    with it, and passed as SQL parameters when a database computes the same expression.
    """
    return KM_PER_DEGREE_LAT**2, (KM_PER_DEGREE_LAT * math.cos(math.radians(lat))) ** 2


def squared_km(
    origin: tuple[float, float],
    point: tuple[float, float],
    scales: tuple[float, float] | None = None,
) -> float:
    """Squared flat (equirectangular) distance in km² between two (lat, lon) points.

    ``ky·Δlat·Δlat + kx·Δlon·Δlon``, in that order, with ``scales`` from
    :func:`squared_km_scales` of the origin's latitude (computed when not given). No square
    root: compare it with a squared radius. The catalog's SQL computes the same expression with
    the same factors (services/catalog/store/course_search.py), so both give the same floats.
    """
    lat0, lon0 = origin
    lat, lon = point
    ky, kx = squared_km_scales(lat0) if scales is None else scales
    return ky * (lat - lat0) * (lat - lat0) + kx * (lon - lon0) * (lon - lon0)


def region_ids() -> list[str]:
    """Identifiers of the regions in regions.yaml, sorted."""
    return sorted(_region_members())


def region_members(region_id: str) -> frozenset[str]:
    """CBS codes of the members of a region; ``KeyError`` for an unknown region id."""
    members = _region_members()
    if region_id not in members:
        raise KeyError(f"unknown region {region_id!r}; known: {', '.join(sorted(members))}")
    return members[region_id]


def in_region(m: Municipality, region_id: str) -> bool:
    """Whether ``m`` belongs to the region; ``KeyError`` for an unknown region id."""
    return m.code in region_members(region_id)


def neighbours(m: Municipality) -> list[Municipality]:
    """Dutch municipalities sharing a border with ``m``, ordered by name.

    Complete only for the members of region ``regio-west-brabant``; any other municipality
    gets just those of its neighbours that are listed there (see regions.yaml).
    """
    by_code = _by_code()
    found = [by_code[code] for code in _adjacency().get(m.code, ())]
    return sorted(found, key=lambda municipality: municipality.name)


@lru_cache(maxsize=1)
def _rows() -> tuple[tuple[Municipality, tuple[str, ...]], ...]:
    rows = []
    with MUNICIPALITIES_CSV.open(encoding="utf-8", newline="") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            code = row["code"].strip()
            if not _CODE_PATTERN.match(code):
                raise ValueError(f"{MUNICIPALITIES_CSV.name}:{line_number}: bad code {code!r}")
            municipality = Municipality(
                code=code,
                name=row["name"].strip(),
                province=row["province"].strip(),
                lat=float(row["lat"]),
                lon=float(row["lon"]),
            )
            aliases = tuple(alias.strip() for alias in row["aliases"].split(";") if alias.strip())
            rows.append((municipality, aliases))
    codes = [municipality.code for municipality, _ in rows]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{MUNICIPALITIES_CSV.name}: duplicate municipality codes")
    return tuple(sorted(rows, key=lambda row: row[0].code))


@lru_cache(maxsize=1)
def _records() -> tuple[Municipality, ...]:
    return tuple(municipality for municipality, _ in _rows())


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Municipality]:
    return {municipality.code: municipality for municipality in _records()}


@lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    claims: dict[str, set[str]] = {}
    for municipality, aliases in _rows():
        for spelling in (municipality.name, *aliases):
            key = normalize_name(spelling)
            if key:
                claims.setdefault(key, set()).add(municipality.code)
    # A key two municipalities share (say "bergen") would make the answer a guess.
    return {key: next(iter(codes)) for key, codes in claims.items() if len(codes) == 1}


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    with PLACES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    known = _by_code()
    places = {}
    for row in rows:
        _require_known(row["municipality_code"], known, f"places.csv ({row['place']})")
        places[normalize_name(row["place"])] = row["municipality_code"]
    return places


@lru_cache(maxsize=1)
def _regions_document() -> dict[str, object]:
    document = yaml.safe_load(REGIONS_YAML.read_text(encoding="utf-8"))
    known = _by_code()
    for region_id, region in _mapping(document.get("regions"), "regions").items():
        region = _mapping(region, f"regions.{region_id}")
        for code in _codes(region.get("members"), f"regions.{region_id}.members"):
            _require_known(code, known, f"regions.{region_id}.members")
    for code, listed in _mapping(document.get("neighbours"), "neighbours").items():
        _require_known(code, known, "neighbours")
        for other in _codes(listed, f"neighbours.{code}"):
            _require_known(other, known, f"neighbours.{code}")
    return document


@lru_cache(maxsize=1)
def _region_members() -> dict[str, frozenset[str]]:
    regions = _mapping(_regions_document()["regions"], "regions")
    return {
        region_id: frozenset(_codes(_mapping(region, region_id)["members"], region_id))
        for region_id, region in regions.items()
    }


@lru_cache(maxsize=1)
def _adjacency() -> dict[str, frozenset[str]]:
    # Borders are mutual, so a pair listed under either municipality counts for both; this is
    # what gives a municipality outside West-Brabant its West-Brabant neighbours.
    pairs: dict[str, set[str]] = {}
    for code, listed in _mapping(_regions_document()["neighbours"], "neighbours").items():
        for other in _codes(listed, code):
            if other != code:
                pairs.setdefault(code, set()).add(other)
                pairs.setdefault(other, set()).add(code)
    return {code: frozenset(others) for code, others in pairs.items()}


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{REGIONS_YAML.name}: {where} must be a mapping")
    return value


def _codes(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{REGIONS_YAML.name}: {where} must be a list of codes")
    return value


def _require_known(code: str, known: dict[str, Municipality], where: str) -> None:
    if code not in known:
        where = where if where.startswith("places.csv") else f"{REGIONS_YAML.name}: {where}"
        raise ValueError(f"{where} names unknown municipality code {code!r}")
