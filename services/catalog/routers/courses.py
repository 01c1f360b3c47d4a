"""/v5/courses and a course's offerings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from services.catalog import params, render, schemas
from services.catalog.routers.common import (
    CourseParamsDep,
    Store,
    course_page,
    course_query,
    envelope,
    modes,
    today,
)
from services.catalog.store.queries import OfferingQuery

router = APIRouter(prefix="/v5", tags=["courses"])
OFFERING_SORTS = (
    "offeringId",
    "name",
    "startDate",
    "endDate",
    "-offeringId",
    "-name",
    "-startDate",
    "-endDate",
)


@router.get(
    "/courses",
    summary="Search courses",
    responses={200: {"model": schemas.CoursePage}, **schemas.ERRORS},
)
def list_courses(p: CourseParamsDep, store: Store) -> JSONResponse:
    return JSONResponse(course_page(store, course_query(p, store)))


@router.get(
    "/courses/{courseId}",
    summary="One course",
    responses={200: {"model": schemas.Course}, **schemas.ERRORS},
)
def get_course(
    courseId: str,  # noqa: N803 - OOAPI name
    store: Store,
    expand: Annotated[str | None, Query(description="organization (others: none here)")] = None,
    returnTimelineOverrides: Annotated[str | None, Query()] = None,  # noqa: N803
) -> JSONResponse:
    course_id = params.record_id(courseId, "courseId")
    wanted = params.expand(
        expand, ("programs", "coordinators", "organization", "educationSpecification")
    )
    overrides = params.boolean(returnTimelineOverrides, "returnTimelineOverrides")
    course = params.found(store.get_course(course_id), "course", course_id)
    organization = store.get_organization(course.organization_id)
    next_offering = store.list_offerings(OfferingQuery(course_id=course_id, since=today()))
    document = render.course(
        course,
        organization=organization,
        offering=next_offering.items[0] if next_offering.items else None,
        expand_organization="organization" in wanted,
    )
    if "programs" in wanted:
        document["programs"] = []
    if "coordinators" in wanted:
        document["coordinators"] = []
    if overrides:
        document["timelineOverrides"] = []
    return JSONResponse(document)


@dataclass(frozen=True)
class OfferingParams:
    """Query parameters of the offering lists (OOAPI's)."""

    page_size: str | None
    page_number: str | None
    q: str | None
    teaching_language: str | None
    mode_of_delivery: list[str] | None
    result_expected: str | None
    since: str | None
    until: str | None
    sort: str | None

    def query(
        self, *, course_id: str | None = None, organization_id: str | None = None
    ) -> OfferingQuery:
        return OfferingQuery(
            course_id=course_id,
            organization_id=organization_id,
            text=params.text(self.q, "q"),
            teaching_language=params.teaching_language(self.teaching_language),
            modes=modes(self.mode_of_delivery),
            since=params.day(self.since, "since") or today(),
            until=params.day(self.until, "until"),
            sort=params.sort(self.sort, OFFERING_SORTS, ("startDate",)),
            page=params.page(self.page_size, self.page_number),
        )


def offering_params(
    pageSize: str | None = None,  # noqa: N803 - OOAPI names
    pageNumber: str | None = None,  # noqa: N803
    consumer: Annotated[str | None, Query(description="Accepted and ignored.")] = None,
    q: str | None = None,
    teachingLanguage: str | None = None,  # noqa: N803
    modeOfDelivery: Annotated[list[str] | None, Query()] = None,  # noqa: N803
    resultExpected: str | None = None,  # noqa: N803
    since: Annotated[str | None, Query(description="Default: today.")] = None,
    until: str | None = None,
    sort: Annotated[str | None, Query(description="Default: startDate.")] = None,
) -> OfferingParams:
    return OfferingParams(
        pageSize,
        pageNumber,
        q,
        teachingLanguage,
        modeOfDelivery,
        resultExpected,
        since,
        until,
        sort,
    )


OfferingParamsDep = Annotated[OfferingParams, Depends(offering_params)]


@router.get(
    "/courses/{courseId}/offerings",
    summary="Offerings of a course, by start date",
    responses={200: {"model": schemas.OfferingPage}, **schemas.ERRORS},
)
def course_offerings(courseId: str, p: OfferingParamsDep, store: Store) -> JSONResponse:  # noqa: N803
    course_id = params.record_id(courseId, "courseId")
    course = params.found(store.get_course(course_id), "course", course_id)
    expected = params.boolean(p.result_expected, "resultExpected")
    query = p.query(course_id=course_id)
    return JSONResponse(offering_page(store, query, {course.course_id: course}, expected))


def offering_page(
    store: Store, query: OfferingQuery, courses: dict, result_expected: bool | None
) -> dict[str, Any]:
    page = store.list_offerings(query)
    if result_expected:
        # No catalog offering ends in a grade or result.
        page = type(page)([], 0)
    for offering in page.items:
        if offering.course_id not in courses:
            courses[offering.course_id] = store.get_course(offering.course_id)
    organizations = store.get_organizations({o.organization_id for o in page.items})
    items = [
        render.offering_document(
            o, courses[o.course_id], organization=organizations.get(o.organization_id)
        )
        for o in page.items
        if courses.get(o.course_id) is not None
    ]
    return envelope(page, query.page, items)
