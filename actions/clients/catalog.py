"""Client for the course-catalog service (Open Education API v5 plus Leerwijzer `ext`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from uuid import UUID

import pybreaker
import requests

from actions.clients.base import ServiceClient, breaker_for
from bot.settings import settings

SERVICE = "catalog"
API_PAGE_SIZE = 10  # OOAPI allows 10, 20, 50, 100 or 250


def dutch_text(values: list[dict[str, str]] | str | None) -> str:
    """Pick the Dutch value of an OOAPI LanguageTypedString list, else the first one."""
    if isinstance(values, str):
        return values
    if not values:
        return ""
    for item in values:
        if item.get("language", "").lower().startswith("nl"):
            return item.get("value", "")
    return values[0].get("value", "")


def format_address(address: dict[str, Any] | str | None) -> str:
    """An OOAPI address as one Dutch line: 'Nieuwe Inslag 2, Breda'."""
    if not address:
        return ""
    if isinstance(address, str):
        return address
    street = " ".join(p for p in (address.get("street"), address.get("streetNumber")) if p)
    location = (address.get("ext") or {}).get("locationName")
    return ", ".join(p for p in (location, street, address.get("city")) if p)


def codes(value: list[str] | str | None) -> tuple[str, ...]:
    """ISO 639-2 codes as a tuple, lower case: "nld" or ["nld"] -> ("nld",)."""
    if isinstance(value, str):
        value = [value]
    return tuple(str(code).lower() for code in value or () if code)


def as_text(value: list[str] | str | None) -> str | None:
    if isinstance(value, list):
        return "; ".join(value) or None
    return value or None


@dataclass(frozen=True)
class CourseSummary:
    course_id: str
    name: str
    place: str
    start_date: str | None
    schedule: str | None
    cost_eur: float | None
    provider: str | None
    # ISO 639-2 codes: the language of the lessons, and languages in which extra help is given.
    teaching_languages: tuple[str, ...] = ()
    support_languages: tuple[str, ...] = ()
    # How to get there and sign up (ext.nextOffering, docs/catalog.md); None when unknown.
    online: bool = False
    signup_link: str | None = None  # the offering's sign-up page, else the course page
    enroll_end_date: str | None = None  # last day to sign up (ISO date)
    places_left: int | None = None
    phone: str | None = None  # the provider's phone (only verified numbers are given)
    address: str | None = None  # one line: "Nieuwe Veste, Molenstraat 6, Breda"
    distance_km: float | None = None  # from the asked municipality; None for online
    website: str | None = None  # the provider's website
    example: bool = False  # made-up example data (ext.provenance.example): labelled in the chat
    town: str | None = None  # the town of the address ("Made"), when the offering has one

    @classmethod
    def from_ooapi(cls, course: dict[str, Any]) -> CourseSummary:
        ext = course.get("ext") or {}
        offering = ext.get("nextOffering") or {}
        cost = (offering.get("cost") or {}).get("amount")
        teaching = ext.get("languagesOfInstruction") or course.get("teachingLanguage") or []
        online = "online" in (offering.get("modeOfDelivery"), offering.get("municipality"))
        address = None
        if not online:
            address = (
                offering.get("addressLine")
                or format_address(offering.get("address"))
                or offering.get("locationName")
                or None
            )
        return cls(
            course_id=str(course.get("courseId", "")),
            name=dutch_text(course.get("name")),
            place=offering.get("municipality") or "",
            start_date=offering.get("startDate"),
            schedule=offering.get("schedule"),
            cost_eur=float(cost) if cost is not None else None,
            provider=ext.get("organizationName"),
            teaching_languages=codes(teaching),
            support_languages=codes(ext.get("supportLanguages")),
            online=online,
            signup_link=_text_or_none(offering.get("link")) or _text_or_none(course.get("link")),
            enroll_end_date=_text_or_none(offering.get("enrollEndDate")),
            places_left=_count(offering.get("placesLeft")),
            phone=_text_or_none(ext.get("organizationPhone")),
            address=address,
            town=None if online else _text_or_none((offering.get("address") or {}).get("city")),
            distance_km=None
            if online
            else _number(offering.get("distanceKm", ext.get("distanceKm"))),
            website=_text_or_none(ext.get("organizationWebsite")),
            example=is_example(course),
        )


def is_example(record: dict[str, Any]) -> bool:
    """Whether a record is made-up example data (docs/catalog.md, ext.provenance)."""
    provenance = (record.get("ext") or {}).get("provenance")
    return isinstance(provenance, dict) and provenance.get("example") is True


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number >= 0 and number.is_integer() else None


@dataclass(frozen=True)
class CourseDetails:
    summary: CourseSummary
    description: str
    address: str | None
    link: str | None
    phone: str | None
    accessibility: list[str] = field(default_factory=list)

    @classmethod
    def from_ooapi(cls, course: dict[str, Any]) -> CourseDetails:
        ext = course.get("ext") or {}
        offering = ext.get("nextOffering") or {}
        return cls(
            summary=CourseSummary.from_ooapi(course),
            description=dutch_text(course.get("description")),
            address=format_address(offering.get("address")) or offering.get("locationName"),
            link=course.get("link"),
            phone=ext.get("organizationPhone"),
            accessibility=list(offering.get("accessibility") or ext.get("accessibility") or []),
        )


@dataclass(frozen=True)
class Organization:
    name: str
    address: str
    phone: str | None
    walk_in_hours: str | None
    municipality: str | None
    languages: tuple[str, ...] = ()  # ISO 639-2: languages spoken there
    example: bool = False  # made-up example data (ext.provenance.example)
    # Hours exist but are not verified (ext.unverified): "ask when you can come", never the
    # made-up hours.
    hours_unknown: bool = False
    link: str | None = None

    @classmethod
    def from_ooapi(cls, item: dict[str, Any]) -> Organization:
        """Only verified facts: a fact the catalog marks as example data (ext.unverified) is
        left out, so no made-up hours, phone number or languages reach a citizen."""
        ext = item.get("ext") or {}
        unverified = set(ext.get("unverified") or [])
        addresses = [format_address(a) for a in item.get("addresses") or []]
        hours = as_text(ext.get("walkInHours"))
        return cls(
            name=dutch_text(item.get("name")),
            address=next((a for a in addresses if a), ""),
            phone=None if "phone" in unverified else ext.get("phone"),
            walk_in_hours=None if "walkInHours" in unverified else hours,
            municipality=ext.get("municipality"),
            languages=() if "languages" in unverified else codes(ext.get("languages")),
            example=is_example(item),
            hours_unknown=bool(hours) and "walkInHours" in unverified,
            link=item.get("link") if isinstance(item.get("link"), str) else None,
        )


@dataclass(frozen=True)
class CourseSearch:
    topic: str | None = None
    query: str | None = None
    municipality: str | None = None
    time_of_day: str | None = None
    free_only: bool = False
    support_language: str | None = None  # ISO 639-2: only courses with help in this language

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.topic:
            params["topic"] = self.topic
        if self.query:
            params["q"] = self.query
        if self.municipality and self.municipality != "online":
            params["municipality"] = self.municipality
        if self.municipality == "online":
            params["modeOfDelivery"] = "online"
        if self.time_of_day in ("daytime", "evening"):
            params["timeOfDay"] = self.time_of_day
        if self.free_only:
            params["maxCost"] = 0
        if self.support_language:
            params["supportLanguage"] = self.support_language
        return params


class CatalogClient(ServiceClient):
    service = SERVICE

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        super().__init__(
            base_url or settings().catalog_url, timeout, session, breaker or breaker_for(SERVICE)
        )

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
        return self.request_json("GET", path, params=params or {}, missing_ok=True)

    def search_courses(
        self,
        query: str | None = None,
        *,
        topic: str | None = None,
        municipality: str | None = None,
        page_size: int = API_PAGE_SIZE,
    ) -> list[CourseSummary]:
        search = CourseSearch(topic=topic, query=query, municipality=municipality)
        return self.find_courses(search, first=0, count=page_size)

    def find_courses(self, search: CourseSearch, first: int, count: int) -> list[CourseSummary]:
        """Courses first..first+count-1 of a search, best first (OOAPI pages of 10)."""
        results: list[CourseSummary] = []
        last = first + count - 1
        for page in range(first // API_PAGE_SIZE + 1, last // API_PAGE_SIZE + 2):
            params = {**search.params(), "pageSize": API_PAGE_SIZE, "pageNumber": page}
            body = self._get("/courses", params) or {}
            items = [CourseSummary.from_ooapi(item) for item in body.get("items", [])]
            offset = (page - 1) * API_PAGE_SIZE
            results += [c for i, c in enumerate(items, start=offset) if first <= i <= last]
            if not body.get("hasNextPage"):
                break
        return results

    def course(self, course_id: str) -> CourseDetails | None:
        """The course, or None when there is none with this id.

        The id can come from a typed payload: anything but a UUID (what OOAPI ids are) is
        unknown without asking the catalog, so bad ids cannot trip the circuit breaker for
        everyone; a UUID is quoted anyway, so it always stays one path segment.
        """
        try:
            UUID(str(course_id))
        except ValueError:
            return None
        body = self._get(f"/courses/{quote(str(course_id), safe='')}")
        return CourseDetails.from_ooapi(body) if body else None

    def find_organizations(
        self, helps_with: str | None, municipality: str | None, count: int = 3
    ) -> list[Organization]:
        params: dict[str, Any] = {"pageSize": API_PAGE_SIZE}
        if helps_with:
            params["helpsWith"] = helps_with
        if municipality and municipality != "online":
            params["municipality"] = municipality
        body = self._get("/organizations", params) or {}
        return [Organization.from_ooapi(item) for item in body.get("items", [])][:count]


class UsesCatalog:
    """Mixin for actions that ask the catalog; the client is made on first use."""

    def __init__(self, client: CatalogClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> CatalogClient:
        if self._client is None:
            self._client = CatalogClient()
        return self._client
