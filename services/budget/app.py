"""Budget service: which learning budgets and schemes fit a person, as dated rules with sources.

Run: ``python -m uvicorn services.budget.app:app --port 8002`` from the repository root. The
scheme files are loaded and validated when this module is imported, so a broken file stops the
service before it answers anything. API, rule language and operator guide: docs/budget.md.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.budget.eligibility import eligibility_for
from services.budget.profile import Profile
from services.budget.schemes import SCHEMES_DIR, Scheme, load_schemes, stale_schemes

__all__ = ["MAX_BODY_BYTES", "app", "create_app", "today_in_nl"]

log = logging.getLogger("services.budget")

# A full profile is under 300 bytes; 16 KiB leaves room for clients that send extra fields.
MAX_BODY_BYTES = 16 * 1024
# Beyond this an oversized body is not even read to find out which field made it large.
MAX_INSPECTED_BYTES = 2 * 1024 * 1024
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today_in_nl() -> date:
    """Today's date in the Netherlands, whatever the server's time zone."""
    try:
        return datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    except ZoneInfoNotFoundError:  # pragma: no cover - a system without tz data
        return date.today()


class Result(BaseModel):
    scheme_id: str
    name: str
    status: str
    reasons: list[str]
    next_step: str
    cost_to_you: str
    amount: str | None
    apply_url: str | None
    source_urls: list[str]
    checked_on: str
    missing: list[str] = []


class EligibilityAnswer(BaseModel):
    results: list[Result]


class SchemeSummary(BaseModel):
    id: str
    name: str
    summary: str
    status: str
    cost_to_you: str
    source_urls: list[str]
    checked_on: str


class SchemeList(BaseModel):
    schemes: list[SchemeSummary]


class SchemeDetail(SchemeSummary):
    provider: str
    amount: str | None
    how_to_apply: str
    apply_url: str | None
    valid_from: str
    valid_until: str | None
    stale: bool


class StaleScheme(BaseModel):
    id: str
    checked_on: str


class Health(BaseModel):
    status: str
    schemes: int
    stale_schemes: list[StaleScheme]


def create_app(schemes_dir: Path = SCHEMES_DIR, today: Callable[[], date] = today_in_nl) -> FastAPI:
    """The service with the schemes in ``schemes_dir``; raises SchemeError on a broken file."""
    schemes = load_schemes(schemes_dir)
    for scheme in stale_schemes(schemes, today()):
        log.warning(
            "scheme %s is stale: its facts were last checked on %s, more than 12 months ago; "
            "re-check its source_urls and update checked_on (%s)",
            scheme.id,
            scheme.checked_on.isoformat(),
            scheme.path,
        )
    log.info("loaded %d schemes from %s", len(schemes), schemes_dir)

    service = FastAPI(
        title="Leerwijzer budget",
        version="1.0.0",
        description=(
            "Which learning budgets and schemes fit a person, as dated rules with sources. "
            "Reasons and next steps are plain Dutch (B1). See docs/budget.md."
        ),
    )
    service.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    service.add_exception_handler(RequestValidationError, _validation_problem)
    service.add_exception_handler(StarletteHTTPException, _http_problem)
    by_id = {scheme.id: scheme for scheme in schemes}

    def evaluation_day(raw: str | None) -> date:
        if raw is None:
            return today()
        return _parse_day(raw)

    @service.get("/health", response_model=Health)
    def health() -> dict:
        stale = stale_schemes(schemes, today())
        return {
            "status": "ok",
            "schemes": len(schemes),
            "stale_schemes": [
                {"id": scheme.id, "checked_on": scheme.checked_on.isoformat()} for scheme in stale
            ],
        }

    @service.get("/v1/schemes", response_model=SchemeList)
    def list_schemes(
        day: str | None = Query(None, alias="date", description="YYYY-MM-DD; default today"),
    ) -> dict:
        on = evaluation_day(day)
        return {"schemes": [_summary(scheme, on) for scheme in schemes]}

    @service.get("/v1/schemes/{scheme_id}", response_model=SchemeDetail)
    def scheme_detail(
        scheme_id: str,
        day: str | None = Query(None, alias="date", description="YYYY-MM-DD; default today"),
    ) -> dict:
        scheme = by_id.get(scheme_id)
        if scheme is None:
            raise HTTPException(status_code=404, detail=f"unknown scheme {scheme_id!r}")
        on = evaluation_day(day)
        return {
            **_summary(scheme, on),
            "provider": scheme.provider,
            "amount": scheme.amount,
            "how_to_apply": scheme.how_to_apply,
            "apply_url": scheme.apply_url,
            "valid_from": scheme.valid_from.isoformat(),
            "valid_until": scheme.valid_until.isoformat() if scheme.valid_until else None,
            "stale": scheme.is_stale(today()),
        }

    @service.post("/v1/eligibility", response_model=EligibilityAnswer)
    def eligibility(
        profile: Profile | None = None,
        day: str | None = Query(
            None, alias="date", description="Evaluate on this day (YYYY-MM-DD); default today"
        ),
    ) -> dict:
        on = evaluation_day(day)
        return {"results": eligibility_for(profile or Profile(), schemes, on)}

    return service


def _summary(scheme: Scheme, day: date) -> dict:
    return {
        "id": scheme.id,
        "name": scheme.name,
        "summary": scheme.summary,
        "status": "open" if scheme.is_open(day) else "closed",
        "cost_to_you": scheme.cost_to_you,
        "source_urls": list(scheme.source_urls),
        "checked_on": scheme.checked_on.isoformat(),
    }


def _parse_day(raw: str) -> date:
    problem = None
    parsed = None
    if not _ISO_DATE.match(raw):
        problem = "date must be written as YYYY-MM-DD, for example 2026-11-27"
    else:
        try:
            parsed = date.fromisoformat(raw)
        except ValueError:
            problem = "date is not a real day in the calendar"
    if parsed is not None and not EARLIEST_DATE <= parsed <= LATEST_DATE:
        problem = f"date must be between {EARLIEST_DATE} and {LATEST_DATE}"
    if problem:
        raise RequestValidationError(
            [{"loc": ("query", "date"), "msg": problem, "type": "value_error.date"}]
        )
    return parsed


def _problem(loc: list[Any], message: str, kind: str) -> dict:
    field = ".".join(str(part) for part in loc[1:]) or str(loc[0])
    return {"loc": loc, "field": field, "msg": f"{field}: {message}", "type": kind}


async def _validation_problem(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 whose every message starts with the field it is about (``age: ...``)."""
    details = []
    for item in error.errors():
        loc = list(item.get("loc", ("body",)))
        message = str(item.get("msg", "invalid value"))
        kind = str(item.get("type", "value_error"))
        if kind in ("value_error.jsondecode", "json_invalid"):
            loc, message = ["body"], 'not valid JSON; send an object such as {"age": 61}'
        elif loc == ["body"] and kind in ("type_error.dict", "value_error.missing"):
            message = 'send a JSON object such as {"age": 61}'
        details.append(_problem(loc, message, kind))
    return JSONResponse(status_code=422, content=jsonable_encoder({"detail": details}))


async def _http_problem(request: Request, error: StarletteHTTPException) -> JSONResponse:
    # FastAPI answers 400 when the body cannot be parsed at all (e.g. JSON nested 5,000 deep);
    # the contract says bad input is a 422 naming the field, and here that field is the body.
    if error.status_code == 400:
        detail = _problem(["body"], "could not be read as JSON", "value_error.body")
        return JSONResponse(status_code=422, content={"detail": [detail]})
    return await http_exception_handler(request, error)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with a 422 that names the field at fault.

    The body is buffered (it is small by contract) and replayed to the application. For an
    oversized JSON object the message names its largest field, so that a 1 MB municipality is
    reported as ``municipality``; anything else is reported as ``body``.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > MAX_INSPECTED_BYTES:
            await self._refuse(scope, send, declared, None)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= MAX_INSPECTED_BYTES:
                chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if size > self.limit:
            await self._refuse(scope, send, size, body if size <= MAX_INSPECTED_BYTES else None)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send, size: int, body: bytes | None) -> None:
        loc: list[Any] = ["body"]
        largest = _largest_field(body) if body is not None else None
        if largest is not None:
            loc.append(largest)
        message = f"request body is {size} bytes; at most {self.limit} bytes are accepted"
        detail = _problem(loc, message, "value_error.body_too_large")
        if largest is None:
            detail["msg"] = f"body: {message}"
        response = JSONResponse(status_code=422, content={"detail": [detail]})
        await response(scope, _nothing, send)


async def _nothing() -> Message:  # pragma: no cover - JSONResponse does not read the request
    return {"type": "http.disconnect"}


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _largest_field(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or not document:
        return None
    sizes = {}
    for key, value in document.items():
        try:
            sizes[key] = len(json.dumps(value))
        except (ValueError, RecursionError, TypeError):
            sizes[key] = len(body)
    largest = max(sizes, key=sizes.__getitem__)
    # The name goes back to the client only; keep it short and printable.
    return largest if largest.isprintable() and len(largest) <= 64 else None


app = create_app()
