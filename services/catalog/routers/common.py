"""What the resource routers share: the store dependency, pagination envelopes, course search."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from services import geo
from services.catalog import params, render
from services.catalog.domain import LEVELS, MODES, TIMES_OF_DAY
from services.catalog.problems import bad_request
from services.catalog.search import distances_from, plan_query, tag_filter
from services.catalog.store import SqlStore
from services.catalog.store.queries import CourseHit, CourseQuery, OfferingFilter, Page, PageRequest
from services.catalog.text import SUBJECT_KIND
from services.catalog.vocabulary import vocabulary

DEFAULT_MAX_DISTANCE_KM = 25.0
MODES_OF_DELIVERY = ("distance-learning", "on campus", "online", "hybrid", "situated")
COURSE_SORTS = ("courseId", "name", "-courseId", "-name")
# OOAPI's "on campus" and "distance-learning" are mapped onto the catalog's three modes.
_MODE_ALIASES = {"on campus": "situated", "distance-learning": "online"}


def store(request: Request) -> SqlStore:
    return request.app.state.store


Store = Annotated[SqlStore, Depends(store)]


def today() -> date:
    return date.today()


def envelope(page: Page[Any], request: PageRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
    """OOAPI pagination; ``totalPages`` (optional in OOAPI) is left out when a large search
    was ranked only as far as the asked page (docs/catalog.md, "Pagination")."""
    body: dict[str, Any] = {
        "pageSize": request.size,
        "pageNumber": request.number,
        "hasPreviousPage": request.number > 1,
    }
    if page.total is None:
        body["hasNextPage"] = bool(page.more)
    else:
        total_pages = max(1, math.ceil(page.total / request.size))
        body["hasNextPage"] = request.number < total_pages
        body["totalPages"] = total_pages
    body["items"] = items
    return body


def municipality(raw: str | None) -> geo.Municipality | None:
    """The municipality a ``municipality`` parameter names: a CBS name, alias or code, or a
    town or village in it (``Prinsenbeek`` is Breda, ``Oudenbosch`` Halderberge), as the
    assistant and the budget service read places (geo.municipality_for_place)."""
    if raw is None or raw.strip() == "":
        return None
    found = geo.municipality_for_place(raw)
    if found is None:
        raise bad_request(
            f"municipality {raw[:60]!r} is not a Dutch municipality; give a name such as "
            "'Breda' or a CBS code such as 'GM0758'"
        )
    return found


def near(origin: geo.Municipality | None, max_km: float | None) -> dict[str, int] | None:
    if origin is None:
        return None
    km = DEFAULT_MAX_DISTANCE_KM if max_km is None else max_km
    return {code: round(value * 10) for code, value in distances_from(origin, km).items()}


def modes(raws: list[str] | None) -> tuple[str, ...]:
    values = params.choices(raws, "modeOfDelivery", MODES_OF_DELIVERY)
    return tuple(dict.fromkeys(_MODE_ALIASES.get(v, v) for v in values))


@dataclass(frozen=True)
class CourseParams:
    """Query parameters of the course lists (OOAPI's plus Leerwijzer's extensions)."""

    q: str | None
    primary_code: str | None
    page_size: str | None
    page_number: str | None
    teaching_language: str | None
    level: str | None
    mode_of_delivery: list[str] | None
    sort: str | None
    topic: list[str] | None
    audience: list[str] | None
    municipality: str | None
    max_distance_km: str | None
    max_cost: str | None
    time_of_day: str | None
    starts_before: str | None
    support_language: list[str] | None
    accessibility: list[str] | None


def course_params(
    q: Annotated[str | None, Query(description="Free text; forgiving Dutch search.")] = None,
    primaryCode: Annotated[str | None, Query()] = None,  # noqa: N803 - OOAPI names
    pageSize: Annotated[str | None, Query(description="10, 20, 50, 100 or 250")] = None,  # noqa: N803
    pageNumber: Annotated[str | None, Query()] = None,  # noqa: N803
    consumer: Annotated[str | None, Query(description="Accepted and ignored.")] = None,
    teachingLanguage: Annotated[str | None, Query(description="ISO 639-2, e.g. nld")] = None,  # noqa: N803
    level: Annotated[str | None, Query()] = None,
    modeOfDelivery: Annotated[list[str] | None, Query()] = None,  # noqa: N803
    sort: Annotated[
        str | None,
        Query(
            description="name, -name, courseId or -courseId. Default: relevance when a "
            "search or Leerwijzer parameter is given, else name."
        ),
    ] = None,
    topic: Annotated[
        list[str] | None, Query(description="Leerwijzer: topic id(s) from topics.yaml.")
    ] = None,
    audience: Annotated[
        list[str] | None, Query(description="Leerwijzer: audience id(s), e.g. older-people.")
    ] = None,
    municipality: Annotated[
        str | None,
        Query(
            description="Leerwijzer: rank by distance from this municipality (name or CBS "
            "code): in-person offerings nearest first, online offerings after them."
        ),
    ] = None,
    maxDistanceKm: Annotated[  # noqa: N803
        str | None, Query(description="Leerwijzer: radius around municipality, default 25.")
    ] = None,
    maxCost: Annotated[  # noqa: N803
        str | None, Query(description="Leerwijzer: highest price in euros; 0 = free only.")
    ] = None,
    timeOfDay: Annotated[  # noqa: N803
        str | None, Query(description="Leerwijzer: daytime or evening (flexible always fits).")
    ] = None,
    startsBefore: Annotated[  # noqa: N803
        str | None, Query(description="Leerwijzer: an offering must start on or before this date.")
    ] = None,
    supportLanguage: Annotated[  # noqa: N803
        list[str] | None, Query(description="Leerwijzer: ISO 639-2 code of a support language.")
    ] = None,
    accessibility: Annotated[
        list[str] | None, Query(description="Leerwijzer: wheelchair and/or hearing-loop.")
    ] = None,
) -> CourseParams:
    return CourseParams(
        q,
        primaryCode,
        pageSize,
        pageNumber,
        teachingLanguage,
        level,
        modeOfDelivery,
        sort,
        topic,
        audience,
        municipality,
        maxDistanceKm,
        maxCost,
        timeOfDay,
        startsBefore,
        supportLanguage,
        accessibility,
    )


CourseParamsDep = Annotated[CourseParams, Depends(course_params)]


def course_query(
    p: CourseParams, store_: SqlStore, organization_id: str | None = None
) -> CourseQuery:
    vocab = vocabulary()
    text = params.text(p.q, "q")
    topics = params.choices(p.topic, "topic", vocab.topic_ids())
    audiences = params.choices(p.audience, "audience", vocab.audience_ids())
    support = tuple(params.teaching_language(v) or "" for v in _split(p.support_language))
    access = params.choices(p.accessibility, "accessibility", vocab.accessibility_ids())
    origin = municipality(p.municipality)
    max_km = params.number(p.max_distance_km, "maxDistanceKm", maximum=400)
    max_cost = params.number(p.max_cost, "maxCost", maximum=1_000_000)
    plan = plan_query(text, store_.term_index()) if text and text.strip() else None
    if origin is None and plan is not None:
        origin = plan.municipality
    tags = []
    for topic in topics:
        # Courses about the topic (their first topic, or a sub-topic of it), text.SUBJECT_KIND.
        tags.append(tag_filter(SUBJECT_KIND, _topic_family(topic)))
    if audiences:
        tags.append(tag_filter("audience", audiences))
    if support:
        tags.append(tag_filter("support", support))
    searching = bool(
        text
        or topics
        or audiences
        or support
        or access
        or origin
        or p.max_cost
        or p.time_of_day
        or p.starts_before
    )
    default_sort = ("relevance",) if searching else ("name",)
    offering_filter = OfferingFilter(
        since=today(),
        starts_before=params.day(p.starts_before, "startsBefore"),
        max_cost_cents=round(max_cost * 100) if max_cost is not None else None,
        time_of_day=params.choice(p.time_of_day, "timeOfDay", TIMES_OF_DAY[:2]),
        modes=modes(p.mode_of_delivery),
        accessibility=access,
        origin=(origin.lat, origin.lon) if origin else None,
        radius_km=DEFAULT_MAX_DISTANCE_KM if max_km is None else max_km,
    )
    return CourseQuery(
        groups=plan.groups if plan else (),
        impossible=plan.impossible if plan else False,
        tags=tuple(tags),
        organization_id=organization_id,
        primary_code=p.primary_code or None,
        teaching_language=params.teaching_language(p.teaching_language),
        level=params.choice(p.level, "level", LEVELS),
        offerings=offering_filter,
        sort=params.sort(p.sort, COURSE_SORTS, default_sort),
        page=params.page(p.page_size, p.page_number),
    )


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for raw in values or [] for part in raw.split(",") if part.strip()]


def _topic_family(topic: str) -> tuple[str, ...]:
    return vocabulary().topic_with_children(topic)


def course_page(store_: SqlStore, query: CourseQuery) -> dict[str, Any]:
    page = store_.search_courses(query)
    organizations = store_.get_organizations({hit.course.organization_id for hit in page.items})
    return envelope(page, query.page, [_course_item(hit, organizations) for hit in page.items])


def _course_item(hit: CourseHit, organizations: dict) -> dict[str, Any]:
    return render.course(
        hit.course,
        organization=organizations.get(hit.course.organization_id),
        offering=hit.offering,
        distance_km=hit.distance_km,
    )


__all__ = ["MODES", "course_page", "course_query", "envelope"]
