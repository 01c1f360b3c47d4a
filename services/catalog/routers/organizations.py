"""/v5/organizations: providers and the places that help (Taalhuis, Informatiepunt, ...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.catalog import params, render, schemas
from services.catalog.domain import ORGANIZATION_TYPES
from services.catalog.routers.common import (
    CourseParamsDep,
    Store,
    course_page,
    course_query,
    envelope,
    municipality,
    near,
)
from services.catalog.routers.courses import OfferingParamsDep, offering_page
from services.catalog.store.queries import OrganizationQuery
from services.catalog.vocabulary import vocabulary

router = APIRouter(prefix="/v5", tags=["organizations"])
ORGANIZATION_SORTS = ("organizationId", "name", "-organizationId", "-name")


@router.get(
    "/organizations",
    summary="Organizations, optionally: who helps with what near a municipality",
    responses={200: {"model": schemas.OrganizationPage}, **schemas.ERRORS},
)
def list_organizations(
    store: Store,
    primaryCode: str | None = None,  # noqa: N803 - OOAPI names
    pageSize: str | None = None,  # noqa: N803
    pageNumber: str | None = None,  # noqa: N803
    consumer: str | None = None,
    q: str | None = None,
    organizationType: str | None = None,  # noqa: N803
    sort: str | None = None,
    municipality_: Annotated[
        str | None,
        Query(
            alias="municipality",
            description="Leerwijzer: the person's municipality (name, CBS code, or a town "
            "in it such as Prinsenbeek): only organizations that serve it (ext."
            "servesMunicipalities absent or listing it), nearest first, within maxDistanceKm "
            "(default 25); organizations without an address (phone, online) come last.",
        ),
    ] = None,
    maxDistanceKm: str | None = None,  # noqa: N803
    helpsWith: Annotated[  # noqa: N803
        list[str] | None, Query(description="Leerwijzer: kind(s) of help, see docs/catalog.md.")
    ] = None,
) -> JSONResponse:
    origin = municipality(municipality_)
    query = OrganizationQuery(
        primary_code=primaryCode or None,
        organization_type=params.choice(organizationType, "organizationType", ORGANIZATION_TYPES),
        text=params.text(q, "q"),
        helps_with=params.choices(helpsWith, "helpsWith", vocabulary().helps_with_ids()),
        near=near(origin, params.number(maxDistanceKm, "maxDistanceKm", maximum=400)),
        serving=origin.code if origin else None,
        sort=params.sort(sort, ORGANIZATION_SORTS, ("name",)),
        page=params.page(pageSize, pageNumber),
    )
    page = store.search_organizations(query)
    items = [
        render.organization_document(hit.organization, distance_km=hit.distance_km)
        for hit in page.items
    ]
    return JSONResponse(envelope(page, query.page, items))


@router.get(
    "/organizations/{organizationId}",
    summary="One organization",
    responses={200: {"model": schemas.Organization}, **schemas.ERRORS},
)
def get_organization(
    organizationId: str,  # noqa: N803
    store: Store,
    expand: Annotated[str | None, Query(description="parent and/or children")] = None,
) -> JSONResponse:
    organization_id = params.record_id(organizationId, "organizationId")
    wanted = params.expand(expand, ("parent", "children"))
    organization = params.found(
        store.get_organization(organization_id), "organization", organization_id
    )
    parent = None
    if "parent" in wanted and organization.parent_id:
        parent = store.get_organization(organization.parent_id)
    child_ids = store.children_of(organization_id)
    children: list = list(child_ids)
    if "children" in wanted:
        found = store.get_organizations(set(child_ids))
        children = [render.organization_document(found[i]) for i in child_ids if i in found]
    return JSONResponse(
        render.organization_document(organization, parent=parent, children=children or None)
    )


@router.get(
    "/organizations/{organizationId}/courses",
    summary="Courses of an organization",
    responses={200: {"model": schemas.CoursePage}, **schemas.ERRORS},
)
def organization_courses(organizationId: str, p: CourseParamsDep, store: Store) -> JSONResponse:  # noqa: N803
    organization_id = params.record_id(organizationId, "organizationId")
    params.found(store.get_organization(organization_id), "organization", organization_id)
    return JSONResponse(course_page(store, course_query(p, store, organization_id)))


@router.get(
    "/organizations/{organizationId}/offerings",
    summary="Offerings of an organization",
    responses={200: {"model": schemas.OfferingPage}, **schemas.ERRORS},
)
def organization_offerings(
    organizationId: str,  # noqa: N803 - OOAPI names
    p: OfferingParamsDep,
    store: Store,
    offeringType: str | None = None,  # noqa: N803
) -> JSONResponse:
    organization_id = params.record_id(organizationId, "organizationId")
    params.found(store.get_organization(organization_id), "organization", organization_id)
    kind = params.choice(offeringType, "offeringType", ("program", "course", "component"))
    query = p.query(organization_id=organization_id)
    expected = params.boolean(p.result_expected, "resultExpected")
    if kind not in (None, "course"):
        expected = True  # only course offerings exist here: an empty page
    return JSONResponse(offering_page(store, query, {}, expected))
