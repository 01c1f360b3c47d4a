"""What the API asks a store: typed queries and pages, independent of SQL dialect."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from services.catalog.domain import Course, Offering, Organization
from services.catalog.search import SearchGroup

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    size: int = 10
    number: int = 1

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # None: not counted (a large search ranked only as far as the page); see ``more``.
    total: int | None
    # Whether items follow this page; None: derived from ``total``.
    more: bool | None = None


@dataclass(frozen=True)
class OfferingFilter:
    """Conditions on offerings; a course matches when one of its offerings does."""

    since: date | None = None
    until: date | None = None
    starts_before: date | None = None
    max_cost_cents: int | None = None
    time_of_day: str | None = None
    modes: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    # The asked municipality's point and a radius; None means no place was given (no distance
    # filter or ranking). Online offerings count as everywhere, at distance 0.
    origin: tuple[float, float] | None = None
    radius_km: float = 25.0

    @property
    def narrows(self) -> bool:
        """Whether this filter asks for more than "not in the past"."""
        return any(
            (
                self.until,
                self.starts_before,
                self.max_cost_cents is not None,
                self.time_of_day,
                self.modes,
                self.accessibility,
                self.origin is not None,
            )
        )


@dataclass(frozen=True)
class CourseQuery:
    groups: tuple[SearchGroup, ...] = ()
    impossible: bool = False
    # AND of ORs of facet tags: ((topicdigital, topiconlinesafety), (audienceolderpeople,)).
    tags: tuple[tuple[str, ...], ...] = ()
    organization_id: str | None = None
    primary_code: str | None = None
    teaching_language: str | None = None
    level: str | None = None
    offerings: OfferingFilter = field(default_factory=OfferingFilter)
    # Courses without a matching upcoming offering are left out.
    require_offering: bool = False
    sort: tuple[str, ...] = ("relevance",)
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True)
class CourseHit:
    course: Course
    offering: Offering | None
    distance_km: float | None
    score: int


@dataclass(frozen=True)
class OfferingQuery:
    course_id: str | None = None
    organization_id: str | None = None
    text: str | None = None
    teaching_language: str | None = None
    modes: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    sort: tuple[str, ...] = ("startDate",)
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True)
class OrganizationQuery:
    primary_code: str | None = None
    organization_type: str | None = None
    text: str | None = None
    helps_with: tuple[str, ...] = ()
    near: dict[str, int] | None = None
    # The person's municipality (CBS code): an organization with a service area
    # (Organization.serves_municipalities) that does not include it is left out.
    serving: str | None = None
    sort: tuple[str, ...] = ("name",)
    page: PageRequest = field(default_factory=PageRequest)


@dataclass(frozen=True)
class OrganizationHit:
    organization: Organization
    distance_km: float | None
