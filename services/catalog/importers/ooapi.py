"""Import from a provider's OOAPI v5 endpoint: /organizations, /courses and their offerings.

Pages are walked with pageSize=250 until hasNextPage is false. Leerwijzer's own ext fields
(topics, audiences, helpsWith, ...) are used when the provider sends them; otherwise topics
are inferred from the course text.

Every record's provenance is the feed (its base URL) and the import day, not example data;
a record that carries its own valid ``ext.provenance`` (another Leerwijzer catalog does)
keeps it, and a record marked as example data (``exampleData`` or ``provenance.example``)
stays example data.

An organization's service area (``ext.servesMunicipalities``, CBS codes) is kept when every
entry is a known CBS code; otherwise the organization is skipped and reported, because a
dropped or guessed code could send a person to a desk that does not serve them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import lru_cache
from typing import Any

import requests

from services import geo
from services.catalog.domain import (
    LEVELS,
    MODES,
    TIMES_OF_DAY,
    Address,
    CatalogBatch,
    Course,
    Offering,
    Organization,
    Provenance,
    record_id,
)
from services.catalog.importers import (
    FeedError,
    ImportReport,
    infer_topics,
    municipality_code,
    write,
)
from services.catalog.store import SqlStore
from services.catalog.vocabulary import vocabulary

PAGE_SIZE = 250
MAX_PAGES = 10_000
TIMEOUT_SECONDS = 30
MAX_SOURCE_CHARS = 1000
_MODES = {"on campus": "situated", "distance-learning": "online", **{m: m for m in MODES}}


def import_ooapi(
    base_url: str,
    store: SqlStore,
    *,
    session: requests.Session | None = None,
    today: date | None = None,
) -> ImportReport:
    feed = OoapiFeed(base_url.rstrip("/"), session or requests.Session())
    report = ImportReport(source=feed.base_url)
    read = Provenance(source=feed.base_url, checked_on=today or date.today(), example=False)
    batch = CatalogBatch()
    known_orgs: set[str] = set()
    for raw in feed.pages("/organizations"):
        organization = _organization(raw, report, read)
        if organization:
            batch.organizations.append(organization)
            known_orgs.add(organization.organization_id)
    for raw in feed.pages("/courses"):
        course = _course(raw, report, read, known_orgs, store)
        if course is None:
            continue
        offerings = []
        for raw_offering in feed.pages(f"/courses/{course.course_id}/offerings"):
            offering = _offering(raw_offering, course, report, read)
            if offering:
                offerings.append(offering)
        modes = tuple(dict.fromkeys(o.mode for o in offerings)) or course.modes_of_delivery
        batch.courses.append(_with_modes(course, modes))
        batch.offerings.extend(offerings)
    return write(store, batch, report)


class OoapiFeed:
    def __init__(self, base_url: str, session: requests.Session) -> None:
        self.base_url = base_url
        self.session = session

    def pages(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for number in range(1, MAX_PAGES + 1):
            body = self._get(path, {"pageSize": PAGE_SIZE, "pageNumber": number})
            page_items = body.get("items")
            if not isinstance(page_items, list):
                raise FeedError(f"{path} page {number}: no 'items' list")
            items.extend(item for item in page_items if isinstance(item, dict))
            if not body.get("hasNextPage"):
                return items
        raise FeedError(f"{path}: more than {MAX_PAGES} pages")

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.get(url, params=params, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            raise FeedError(f"{url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise FeedError(f"{url}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise FeedError(f"{url}: response is not JSON") from exc
        if not isinstance(body, dict):
            raise FeedError(f"{url}: response is not a JSON object")
        return body


def _dutch(values: Any) -> str | None:
    if not isinstance(values, list):
        return None
    texts = [v for v in values if isinstance(v, dict) and isinstance(v.get("value"), str)]
    for value in texts:
        if str(value.get("language", "")).lower().startswith("nl"):
            return value["value"].strip() or None
    return texts[0]["value"].strip() or None if texts else None


def _code(raw: dict[str, Any]) -> str | None:
    primary = raw.get("primaryCode")
    if isinstance(primary, dict) and isinstance(primary.get("code"), str) and primary["code"]:
        return primary["code"].strip()[:200]
    return None


def _code_and_name(
    raw: dict[str, Any], kind: str, report: ImportReport
) -> tuple[str, str, str] | None:
    """(primary code, Dutch name, description for reports), or None after reporting why not."""
    code = _code(raw)
    where = f"{kind} {code or raw.get(kind + 'Id', '?')}"
    name = _dutch(raw.get("name"))
    if not code:
        report.reject(where, "no primaryCode")
        return None
    if not name:
        report.reject(where, "no name")
        return None
    return code, name, where


def _id(raw: dict[str, Any], key: str, kind: str, code: str) -> str:
    value = raw.get(key)
    return value if isinstance(value, str) and len(value) == 36 else record_id(kind, code)


def _address(raw: Any) -> Address | None:
    if not isinstance(raw, list) or not raw or not isinstance(raw[0], dict):
        return None
    first = raw[0]
    ext = first.get("ext") if isinstance(first.get("ext"), dict) else {}
    city = first.get("city") if isinstance(first.get("city"), str) else None
    code = municipality_code(ext.get("municipalityCode"), ext.get("municipality"), city)
    if not city and not code:
        return None
    point = first.get("geolocation") if isinstance(first.get("geolocation"), dict) else {}
    return Address(
        city=city or "",
        municipality_code=code,
        street=first.get("street"),
        street_number=first.get("streetNumber"),
        postal_code=first.get("postalCode"),
        location_name=ext.get("locationName"),
        lat=point.get("latitude"),
        lon=point.get("longitude"),
        verified=bool(ext.get("addressVerified", False)),
    )


def _strings(value: Any, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    items = [v for v in value if isinstance(v, str)]
    return tuple(v for v in items if allowed is None or v in allowed)


def _ext(raw: dict[str, Any]) -> dict[str, Any]:
    ext = raw.get("ext")
    return ext if isinstance(ext, dict) else {}


def _provenance(ext: dict[str, Any], read: Provenance, example_data: bool) -> Provenance:
    """The record's own ``ext.provenance`` when it is complete and valid, else ``read`` (this
    feed, today). Example data stays example data either way."""
    own = ext.get("provenance")
    own = own if isinstance(own, dict) else {}
    example = example_data or own.get("example") is True
    source = own.get("source")
    checked_on = _day(own.get("checkedOn"))
    if (
        isinstance(source, str)
        and source.strip()
        and len(source) <= MAX_SOURCE_CHARS
        and isinstance(own.get("example"), bool)
        and checked_on is not None
        and read.checked_on is not None
        and checked_on <= read.checked_on
    ):
        return Provenance(source.strip(), checked_on, example)
    return replace(read, example=example) if example else read


def _organization(
    raw: dict[str, Any], report: ImportReport, read: Provenance
) -> Organization | None:
    named = _code_and_name(raw, "organization", report)
    if named is None:
        return None
    code, name, where = named
    ext = _ext(raw)
    area = _service_area(ext.get("servesMunicipalities"))
    if isinstance(area, str):
        report.reject(where, f"ext.servesMunicipalities: {area}")
        return None
    parent = raw.get("parent")
    org_type = raw.get("organizationType")
    example_data = bool(ext.get("exampleData", False))
    return Organization(
        organization_id=_id(raw, "organizationId", "organization", code),
        primary_code=code,
        name=name,
        short_name=str(raw.get("shortName") or name)[:256],
        organization_type=org_type if isinstance(org_type, str) else "institute",
        description=_dutch(raw.get("description")),
        link=raw.get("link") if isinstance(raw.get("link"), str) else None,
        parent_id=parent if isinstance(parent, str) else None,
        address=_address(raw.get("addresses")),
        phone=ext.get("phone") if isinstance(ext.get("phone"), str) else None,
        walk_in_hours=_strings(ext.get("walkInHours")),
        helps_with=_strings(ext.get("helpsWith"), vocabulary().helps_with_ids()),
        accessibility=_strings(ext.get("accessibility"), vocabulary().accessibility_ids()),
        languages=_strings(ext.get("languages")),
        example_data=example_data,
        verification={
            k: str(v) for k, v in (ext.get("verification") or {}).items() if isinstance(k, str)
        },
        source=read.source,
        provenance=_provenance(ext, read, example_data),
        serves_municipalities=area,
    )


def _service_area(raw: Any) -> tuple[str, ...] | str:
    """Sorted CBS codes of ``ext.servesMunicipalities`` (absent, null or empty: () = serves
    everyone), or why it cannot be used: not a list, or an entry that is not a known CBS
    code such as ``GM0758`` (names are not accepted: a name could be read wrongly)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        return "not a list of CBS municipality codes"
    known = _municipality_codes()
    for entry in raw:
        if not isinstance(entry, str) or entry not in known:
            return f"{str(entry)[:40]!r} is not a known CBS municipality code"
    return tuple(sorted(set(raw)))


@lru_cache(maxsize=1)
def _municipality_codes() -> frozenset[str]:
    return frozenset(m.code for m in geo.all_municipalities())


def _course(
    raw: dict[str, Any],
    report: ImportReport,
    read: Provenance,
    known_orgs: set[str],
    store: SqlStore,
) -> Course | None:
    named = _code_and_name(raw, "course", report)
    if named is None:
        return None
    code, name, where = named
    organization = raw.get("organization")
    if isinstance(organization, dict):
        organization = organization.get("organizationId")
    if not isinstance(organization, str) or (
        organization not in known_orgs and store.get_organization(organization) is None
    ):
        report.reject(where, "organization missing or unknown")
        return None
    description = _dutch(raw.get("description")) or name
    ext = _ext(raw)
    provenance = _provenance(ext, read, bool(ext.get("exampleData", False)))
    vocab = vocabulary()
    topics = _strings(ext.get("topics"), vocab.topic_ids())
    audiences = _strings(ext.get("audiences"), vocab.audience_ids())
    if not topics:
        topics, inferred_audiences = infer_topics(name, description)
        audiences = audiences or inferred_audiences
    language = raw.get("teachingLanguage")
    level = raw.get("level")
    load = raw.get("studyLoad") if isinstance(raw.get("studyLoad"), dict) else {}
    return Course(
        course_id=_id(raw, "courseId", "course", code),
        primary_code=code,
        organization_id=organization,
        name=name,
        description=description,
        teaching_language=language if isinstance(language, str) and len(language) == 3 else "nld",
        level=level if level in LEVELS else "undefined",
        topics=topics,
        audiences=audiences,
        support_languages=_strings(ext.get("supportLanguages")),
        modes_of_delivery=tuple(
            _MODES[m] for m in _strings(raw.get("modeOfDelivery")) if m in _MODES
        ),
        duration=raw.get("duration") if isinstance(raw.get("duration"), str) else None,
        study_load_hours=(
            int(load["value"])
            if load.get("studyLoadUnit") == "hour" and isinstance(load.get("value"), int | float)
            else None
        ),
        link=raw.get("link") if isinstance(raw.get("link"), str) else None,
        example_data=provenance.example,
        source=read.source,
        provenance=provenance,
    )


def _offering(
    raw: dict[str, Any], course: Course, report: ImportReport, read: Provenance
) -> Offering | None:
    code = _code(raw)
    where = f"offering {code or raw.get('offeringId', '?')} of course {course.primary_code}"
    if not code:
        report.reject(where, "no primaryCode")
        return None
    try:
        start = date.fromisoformat(str(raw.get("startDate")))
        end = date.fromisoformat(str(raw.get("endDate")))
    except ValueError:
        report.reject(where, "startDate or endDate is not a date")
        return None
    if end < start:
        report.reject(where, "endDate is before startDate")
        return None
    modes = [_MODES[m] for m in _strings(raw.get("modeOfDelivery")) if m in _MODES]
    ext = _ext(raw)
    # An offering of an example course is example data too.
    example = bool(ext.get("exampleData", False)) or course.example_data
    provenance = _provenance(ext, read, example)
    address = _address(raw.get("addresses"))
    mode = modes[0] if modes else ("situated" if address else "online")
    if mode != "online" and address is None:
        report.reject(where, "in-person offering without an address")
        return None
    time_of_day = ext.get("timeOfDay") if ext.get("timeOfDay") in TIMES_OF_DAY else "daytime"
    return Offering(
        offering_id=_id(raw, "offeringId", "offering", code),
        primary_code=code,
        course_id=course.course_id,
        organization_id=course.organization_id,
        start_date=start,
        end_date=end,
        mode=mode,
        time_of_day=time_of_day,
        schedule=ext.get("schedule") if isinstance(ext.get("schedule"), str) else None,
        address=address,
        cost_cents=_cost(raw.get("priceInformation")),
        max_students=_count(raw.get("maxNumberStudents")),
        accessibility=_strings(ext.get("accessibility"), vocabulary().accessibility_ids()),
        enroll_end_date=_day(raw.get("enrollEndDate")),
        link=raw.get("link") if isinstance(raw.get("link"), str) else None,
        example_data=provenance.example,
        source=read.source,
        enroll_start_date=_day(raw.get("enrollStartDate")),
        enrolled_students=_count(raw.get("enrolledNumberStudents")),
        provenance=provenance,
    )


def _count(raw: Any) -> int | None:
    """A number of students (OOAPI: number, int32, minimum 0); anything else is unknown."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    if raw != raw or raw < 0 or raw > 2**31 - 1 or raw != int(raw):
        return None
    return int(raw)


def _day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _cost(raw: Any) -> int | None:
    if not isinstance(raw, list):
        return None
    for cost in raw:
        if isinstance(cost, dict) and cost.get("costType") == "total costs":
            try:
                return round(float(cost["amount"]) * 100)
            except (KeyError, TypeError, ValueError):
                return None
    return None


def _with_modes(course: Course, modes: tuple[str, ...]) -> Course:
    return replace(course, modes_of_delivery=modes)
