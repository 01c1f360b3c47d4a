"""/v5/offerings/{offeringId}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from services.catalog import params, render, schemas
from services.catalog.routers.common import Store

router = APIRouter(prefix="/v5", tags=["offerings"])
EXPANDABLE = (
    "program",
    "programOffering",
    "course",
    "courseOffering",
    "component",
    "organization",
    "academicSession",
)


@router.get(
    "/offerings/{offeringId}",
    summary="One offering",
    responses={200: {"model": schemas.Offering}, **schemas.ERRORS},
)
def get_offering(
    offeringId: str,  # noqa: N803 - OOAPI name
    store: Store,
    expand: Annotated[str | None, Query(description="course and/or organization")] = None,
) -> JSONResponse:
    offering_id = params.record_id(offeringId, "offeringId")
    wanted = params.expand(expand, EXPANDABLE)
    offering = params.found(store.get_offering(offering_id), "offering", offering_id)
    course = store.get_course(offering.course_id)
    if course is None:  # a dangling offering is not served
        params.found(None, "offering", offering_id)
    organization = store.get_organization(offering.organization_id)
    return JSONResponse(
        render.offering_document(offering, course, organization=organization, expand=wanted)
    )
