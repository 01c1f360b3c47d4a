"""Service metadata (/v5/) and the health check (/health)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from services.catalog import schemas
from services.catalog.routers.common import Store

router = APIRouter(tags=["service metadata"])
OOAPI_VERSION = "5.0.0"


@router.get("/v5/", summary="Service metadata", responses={200: {"model": schemas.Service}})
def service(request: Request, store: Store) -> JSONResponse:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "contactEmail": request.app.state.config.contact_email,
            "specification": f"{base}/openapi.json",
            "documentation": f"{base}/docs",
            "ext": {
                "ooapiVersion": OOAPI_VERSION,
                "store": store.kind,
                "exampleData": "Every record says where it comes from in ext.provenance; "
                "example: true marks invented example data, never to act on.",
            },
        }
    )


@router.get("/health", summary="Health: store status and counts")
def health(store: Store) -> JSONResponse:
    try:
        counts = store.counts()
        seeded = store.get_meta("seed_date")
    except Exception as exc:  # noqa: BLE001 - health reports any store failure
        return JSONResponse(
            {"status": "error", "store": store.kind, "detail": type(exc).__name__},
            status_code=503,
        )
    return JSONResponse(
        {"status": "ok", "store": store.kind, "counts": counts, "exampleDataLoadedOn": seeded}
    )
