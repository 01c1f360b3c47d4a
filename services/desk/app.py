"""The desk: a FastAPI application for advisors (docs/desk.md). Run: `make run`, or
`uvicorn --ws wsproto services.desk.app:app --port 8003`.

- /desk/api/...: the advisors' JSON API, signed in by a session cookie, CSRF-checked.
- /desk/internal/...: what the assistant calls (a bearer token shared with it).
- /desk/socket.io: live updates for the pages (python-socketio), signed in by the cookie.
- /desk/, /desk/login, /desk/callbacks, /desk/admin: the pages (services/desk/static/).
- /desk/inzichten...: the anonymous insights for partners and admins (services/desk/insights.py).

One process: the live updates go to the pages connected to it. The hand-overs themselves
live in the store, so several Rasa servers share them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import math
import secrets
import statistics
import threading
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import anyio
import socketio
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.settings import MAX_MESSAGE_CHARS, PROJECT_ROOT, Settings, settings
from services.callbacks.store import FINISHED, CallbackRequest, CallbackStore
from services.desk.accounts import Accounts, Session, SignInRefused, hash_password
from services.desk.assistant import AssistantRelay
from services.desk.hours import HoursError, is_open, parse_hours
from services.desk.insights import API as INSIGHTS_API
from services.desk.insights import PAGE as INSIGHTS_PAGE
from services.desk.insights import LazyInsights, insights_router, run_job
from services.desk.oidc import OidcClient, OidcError, oidc_config_from_env
from services.desk.store import Desk, DeskStore, User, now_utc
from services.insights.store import InsightsStore

logger = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
VENDOR = PROJECT_ROOT / "web" / "vendor"
VENDOR_FILES = (
    "nl-design-system.css",
    "voorbeeld-theme.css",
    "socket.io.min.js",
    "vega.min.js",
    "vega-interpreter.js",
    "vega-lite.min.js",
    "vega-embed.min.js",
)
SESSION_COOKIE = "desk_session"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
CSRF_COOKIE = "desk_csrf"
CSRF_HEADER = "X-CSRF-Token"
CHANNELS = ("socketio", "whatsapp")
SWEEP_SECONDS = 2.0
RETRY_DELIVERY = timedelta(minutes=10)  # an advisor's message is sent again this long
DEFAULT_WAIT_SECONDS = 120.0  # per person ahead, until the desk has its own figures
PAGES = {"": "index.html", "callbacks": "callbacks.html", "admin": "admin.html"}
STAFF = ("advisor", "editor", "admin")  # the queue and call-back pages
# What a partner may use besides the insights: who am I, and signing out.
PARTNER_APIS = ("/desk/api/me", "/desk/api/logout", "/desk/api/logout-everywhere")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

# What an advisor reads (Dutch, like the pages).
REFUSED = "Gebruikersnaam of wachtwoord klopt niet."
LOCKED = (
    "Dit account is tijdelijk op slot na te veel pogingen. Probeer het later of vraag de beheerder."
)
NOT_SIGNED_IN = "U bent niet ingelogd."
NOT_ALLOWED = "Dit mag u niet."
BAD_CSRF = "Het formulier is verlopen. Laad de pagina opnieuw."
GONE = "Dit gesprek of verzoek bestaat niet (meer)."
TAKEN = "Een collega heeft dit al."
NOT_YOURS = "Neem het gesprek eerst aan."


# The fields of a form in the advisor's words, for a refused request.
FIELD_LABELS = {
    "username": "gebruikersnaam (2 tot 80 kleine letters, cijfers of . _ @ -)",
    "password": "wachtwoord",
    "name": "naam",
    "role": "rol",
    "desks": "balies",
    "active": "actief",
    "id": "code van de balie (2 tot 40 kleine letters, cijfers of -)",
    "phone": "telefoonnummer",
    "hours": "openingstijden (bijvoorbeeld ma-vr 09:00-17:00)",
    "topics": "onderwerpen",
    "max_wait_minutes": "maximale wachttijd (1 tot 120 minuten)",
    "text": "bericht (1 tot 2000 tekens)",
    "note": "notitie (hoogstens 2000 tekens)",
    "status": "status",
    "__root__": "het verzoek",
}
LAST_ADMIN = "Er moet altijd één actieve beheerder zijn. Maak eerst een andere beheerder."


# -- request bodies -----------------------------------------------------------------------


class Body(BaseModel):
    class Config:
        extra = "forbid"
        anystr_strip_whitespace = True


class LoginBody(Body):
    username: str = Field(..., min_length=1, max_length=80)
    password: str = Field(..., min_length=1, max_length=200)


class TextBody(Body):
    text: str = Field(..., min_length=1, max_length=MAX_MESSAGE_CHARS)


class NoteBody(Body):
    note: str = Field(..., max_length=2000)


class StatusBody(Body):
    status: str = Field(..., regex="^(called|unreachable|done)$")


class UserBody(Body):
    username: str = Field(..., regex=r"^[a-z0-9._@-]{2,80}$")
    name: str = Field(..., min_length=1, max_length=120)
    role: str = Field(..., regex="^(advisor|editor|admin|partner)$")
    desks: list[str] = Field(default_factory=list)
    password: str | None = Field(None, max_length=200)


class UserChange(Body):
    name: str | None = Field(None, min_length=1, max_length=120)
    role: str | None = Field(None, regex="^(advisor|editor|admin|partner)$")
    desks: list[str] | None = None
    active: bool | None = None
    password: str | None = Field(None, max_length=200)


class DeskBody(Body):
    id: str = Field(..., regex=r"^[a-z0-9-]{2,40}$")
    name: str = Field(..., min_length=1, max_length=120)
    phone: str = Field("", max_length=40)
    hours: str = Field("", max_length=200)
    topics: list[str] = Field(default_factory=list)
    max_wait_minutes: int = Field(5, ge=1, le=120)

    @validator("hours")
    def readable_hours(cls, value: str) -> str:  # noqa: N805 - pydantic's validator
        try:
            parse_hours(value)
        except HoursError as exc:
            raise ValueError(
                f"Openingstijden: schrijf bijvoorbeeld 'ma-vr 09:00-17:00' ({exc})"
            ) from None
        return value


class LineBody(Body):
    sender: str = Field(..., alias="from", regex="^(citizen|assistant)$")
    text: str = Field(..., max_length=MAX_MESSAGE_CHARS)
    at: datetime | None = None


class HandoverBody(Body):
    conversation: str = Field(..., min_length=1, max_length=128)
    channel: str = Field(..., regex="^(socketio|whatsapp)$")
    desk: str = Field(..., min_length=1, max_length=40)
    language: str = Field("nl", regex="^[a-z]{2}$")
    transcript: list[LineBody] = Field(default_factory=list, max_items=200)


class ConversationBody(Body):
    conversation: str = Field(..., min_length=1, max_length=128)


class CitizenMessageBody(ConversationBody):
    text: str = Field(..., min_length=1, max_length=MAX_MESSAGE_CHARS)


class PresenceBody(ConversationBody):
    present: bool


class AvailabilityBody(Body):
    topic: str | None = Field(None, max_length=60)


# -- the application ----------------------------------------------------------------------


class Desks:
    """The desk's work, independent of HTTP: queue, hand-overs, call-backs, live updates."""

    def __init__(self, config: Settings, store: DeskStore, callbacks: CallbackStore) -> None:
        self.config = config
        self.store = store
        self.callbacks = callbacks
        self.accounts = Accounts(
            store,
            config.desk_lockout_attempts,
            config.desk_lockout_minutes,
            config.desk_session_idle_minutes,
            config.desk_session_hours,
        )
        self.relay = AssistantRelay(config.assistant_url, config.desk_service_token)
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=None)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._send_locks: dict[int, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        oidc = oidc_config_from_env()
        self.oidc = OidcClient(oidc) if oidc else None

    # live updates ----------------------------------------------------------------------

    def changed(self, what: str, desk_id: str, item: int | None = None) -> None:
        """Tell the pages of a desk that something changed (from any thread)."""
        if self.loop is None:
            return
        coroutine = self.sio.emit("changed", {"what": what, "id": item}, room=f"desk:{desk_id}")
        if _in_loop(self.loop):
            self.loop.create_task(coroutine)
        else:
            asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    # desks -----------------------------------------------------------------------------

    def open_now(self, desk: Desk) -> bool:
        return is_open(desk.hours, now_utc(), self.config.desk_timezone)

    def staffed(self, desk: Desk) -> bool:
        """Open by its hours, and someone of the desk is signed in."""
        if not self.open_now(desk):
            return False
        idle = timedelta(minutes=self.config.desk_session_idle_minutes)
        return self.store.signed_in_advisors(desk.id, idle) > 0

    def expected_minutes(self, desk: Desk, position: int) -> int:
        waits = self.store.recent_waits(desk.id)
        per_person = statistics.median(waits) if waits else DEFAULT_WAIT_SECONDS
        per_person = max(30.0, per_person)
        return max(1, min(desk.max_wait_minutes, math.ceil(position * per_person / 60)))

    def desk_for(self, topic: str | None) -> Desk | None:
        """The staffed desk for this subject: one that names it, else one for everything."""
        staffed = [d for d in self.store.desks() if self.staffed(d)]
        return next((d for d in staffed if topic and topic in d.topics), None) or next(
            (d for d in staffed if not d.topics or "*" in d.topics), None
        )

    def queue_status(self, desk: Desk, handover: dict[str, Any] | None = None) -> dict[str, Any]:
        waiting = len(self.store.handovers_of([desk.id], ("waiting",)))
        position = self.store.position(handover) if handover else waiting + 1
        return {
            "desk": {"id": desk.id, "name": desk.name, "phone": desk.phone},
            "waiting": waiting,
            "position": position,
            "expected_wait_minutes": self.expected_minutes(desk, position or 1),
        }

    # hand-overs ------------------------------------------------------------------------

    def view(self, handover: dict[str, Any]) -> dict[str, Any]:
        return self.views([handover])[0]

    def views(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The hand-overs as the pages show them: desks and advisors read once per list."""
        names = {d.id: d.name for d in self.store.desks()}
        takers = {i: self.store.user_by_id(i) for i in {h["taken_by"] for h in found} if i}
        return [
            {
                "id": h["id"],
                "desk": h["desk_id"],
                "desk_name": names.get(h["desk_id"], h["desk_id"]),
                "status": h["status"],
                "channel": h["channel"],
                "language": h["language"],
                "created_at": h["created_at"].isoformat(),
                "position": self.store.position(h),
                "taken_by": takers[h["taken_by"]].username if h["taken_by"] in takers else None,
                "taken_by_name": takers[h["taken_by"]].name if h["taken_by"] in takers else None,
                "citizen_present": bool(h["citizen_present"]),
            }
            for h in found
        ]

    def deliver_pending(self, handover: dict[str, Any], wait: bool = True) -> set[int]:
        """Send the advisor's messages of this hand-over that did not arrive yet, oldest first,
        stopping at the first the assistant does not take; returns the ids delivered.

        One sender per hand-over at a time (the desk is one process): a message is relayed
        once, and in order, whether the advisor's request or the sweeper sends it."""
        with self._locks_lock:
            lock = self._send_locks.setdefault(handover["id"], threading.Lock())
        if not lock.acquire(blocking=wait):
            return set()  # someone is sending them now
        try:
            desk = self.store.desk(handover["desk_id"])
            delivered: set[int] = set()
            oldest = now_utc() - RETRY_DELIVERY
            for message in self.store.undelivered(handover["id"]):
                if message["at"] < oldest:
                    continue  # the advisor was told it did not arrive; no endless retries
                if not self.relay.send(
                    handover,
                    "message",
                    text=message["text"],
                    author=message["author"],
                    desk_name=desk.name if desk else None,
                    message_id=message["id"],
                ):
                    break  # the next ones wait: the citizen reads them in order
                self.store.mark_delivered(message["id"])
                delivered.add(message["id"])
            return delivered
        finally:
            lock.release()

    def end_unanswered(self, handover: dict[str, Any]) -> None:
        if self.store.set_handover(
            handover["id"], ("waiting",), status="unanswered", ended_at=now_utc()
        ):
            desk = self.store.desk(handover["desk_id"])
            self.store.add_message(handover["id"], "system", "Niemand nam het gesprek aan.")
            self.relay.send(
                handover,
                "unanswered",
                desk_name=desk.name if desk else None,
                desk_phone=desk.phone if desk else None,
            )
            self.changed("queue", handover["desk_id"], handover["id"])

    def sweep(self) -> None:
        """Waiting too long or the desk closed: offer a call-back. Retry undelivered messages."""
        moment = now_utc()
        for desk in self.store.desks():
            limit = timedelta(minutes=desk.max_wait_minutes)
            closed = not self.open_now(desk)
            for handover in self.store.handovers_of([desk.id], ("waiting",)):
                if closed or moment - handover["created_at"] > limit:
                    self.end_unanswered(handover)
        for handover_id in sorted({m["handover_id"] for m in self.store.undelivered()}):
            handover = self.store.handover(handover_id)
            if handover and handover["status"] == "active":
                self.deliver_pending(handover, wait=False)

    def retention(self) -> None:
        self.store.delete_expired(self.config.desk_audit_days)
        self.store.end_stale_sessions(
            timedelta(minutes=self.config.desk_session_idle_minutes),
            timedelta(hours=self.config.desk_session_hours),
        )
        self.callbacks.delete_expired()


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _cookie(request: Request, name: str) -> str | None:
    return request.cookies.get(name)


def create_app(
    config: Settings | None = None,
    store: DeskStore | None = None,
    callbacks: CallbackStore | None = None,
    insights: InsightsStore | None = None,
) -> Any:
    """The ASGI application: FastAPI with Socket.IO at /desk/socket.io. The insights store
    (INSIGHTS_DATABASE_URL) is opened when first needed."""
    config = config or settings()
    store = store or DeskStore(config.desk_database_url, config.retention_days)
    callbacks = callbacks or CallbackStore(config.callback_database_url, config.retention_days)
    desks = Desks(config, store, callbacks)
    insights_store = LazyInsights(config.insights_database_url, insights)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        desks.loop = asyncio.get_running_loop()
        task = asyncio.create_task(_sweeper(desks, insights_store))
        try:
            yield
        finally:
            task.cancel()

    api = FastAPI(
        title="Leerwijzer desk", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    api.state.desks = desks

    @api.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for error in exc.errors():
            name = str(error.get("loc", ("", ""))[-1])
            label = FIELD_LABELS.get(name, name)
            if label and label not in fields:
                fields.append(label)
        detail = f"Controleer: {', '.join(fields)}." if fields else "Dit verzoek klopt niet."
        return JSONResponse({"detail": detail}, status_code=422)

    @api.exception_handler(Exception)
    async def failed(_: Request, exc: Exception) -> JSONResponse:
        logger.error("Desk request failed: %s", type(exc).__name__)
        return JSONResponse({"detail": "Er ging iets mis. Probeer het opnieuw."}, status_code=500)

    # -- who is asking ----------------------------------------------------------------

    def session_of(request: Request) -> Session:
        session = desks.accounts.session(_cookie(request, SESSION_COOKIE))
        if session is None:
            raise HTTPException(401, NOT_SIGNED_IN)
        if request.method not in ("GET", "HEAD"):
            sent = request.headers.get(CSRF_HEADER, "")
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                raise HTTPException(403, BAD_CSRF)
        if session.user.role == "partner" and not _partner_may(request.url.path):
            raise HTTPException(403, NOT_ALLOWED)
        return session

    def admin_of(session: Session = Depends(session_of)) -> Session:
        if session.user.role != "admin":
            raise HTTPException(403, NOT_ALLOWED)
        return session

    def service(request: Request) -> None:
        header = request.headers.get("Authorization", "")
        expected = f"Bearer {config.desk_service_token}"
        if not hmac.compare_digest(header.encode(), expected.encode()):
            raise HTTPException(401, "A valid service token is required.")

    def my_desks(user: User) -> list[str]:
        if user.role == "partner":
            return []
        return [d.id for d in store.desks()] if user.role == "admin" else list(user.desks)

    def my_handover(session: Session, handover_id: int) -> dict[str, Any]:
        handover = store.handover(handover_id)
        # Another desk's conversation is as unknown as one that does not exist.
        if handover is None or handover["desk_id"] not in my_desks(session.user):
            raise HTTPException(404, GONE)
        return handover

    def me(session: Session) -> dict[str, Any]:
        mine = set(my_desks(session.user))
        return {
            "username": session.user.username,
            "name": session.user.name,
            "role": session.user.role,
            "desks": [
                {"id": d.id, "name": d.name, "open_now": desks.open_now(d)}
                for d in store.desks()
                if d.id in mine
            ],
        }

    def secure(request: Request) -> bool:
        """Cookies are Secure (sent over HTTPS only), except on plain http to this machine
        itself, where a browser would not send them back (`make run`)."""
        local = request.url.scheme == "http" and request.url.hostname in LOOPBACK
        return config.desk_cookie_secure and not local

    def signed_in(request: Request, response: Response, session: Session) -> None:
        secure_cookie = secure(request)
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            httponly=True,
            secure=secure_cookie,
            samesite="strict",
            path="/desk",
        )
        response.set_cookie(
            CSRF_COOKIE, session.csrf, secure=secure_cookie, samesite="strict", path="/desk"
        )

    # -- pages ------------------------------------------------------------------------

    def page(
        request: Request,
        name: str,
        public: bool = False,
        roles: tuple[str, ...] = STAFF,
        render: Any = None,
    ) -> Response:
        """A page (static/<name>, or what `render(session)` makes) for these roles. A partner
        on another page goes to the insights."""
        session = desks.accounts.session(_cookie(request, SESSION_COOKIE))
        if not public and session is None:
            return RedirectResponse("/desk/login", status_code=303)
        if not public and session is not None and session.user.role not in roles:
            if session.user.role == "partner":
                return RedirectResponse(INSIGHTS_PAGE, status_code=303)
            raise HTTPException(403, NOT_ALLOWED)
        response: Response = (
            render(session) if render else FileResponse(STATIC / name, media_type="text/html")
        )
        if session is not None:
            signed_in(request, response, session)
        elif not _cookie(request, CSRF_COOKIE):
            response.set_cookie(
                CSRF_COOKIE,
                secrets.token_urlsafe(32),
                secure=secure(request),
                samesite="strict",
                path="/desk",
            )
        return response

    @api.get("/desk/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/desk/login")
    def login_page(request: Request) -> Response:
        return page(request, "login.html", public=True)

    api.include_router(insights_router(insights_store, store, session_of, page))

    @api.get("/desk")
    def desk_root() -> Response:
        return RedirectResponse("/desk/", status_code=308)

    @api.get("/desk/")
    def queue_page(request: Request) -> Response:
        return page(request, PAGES[""])

    @api.get("/desk/{name}")
    def other_page(request: Request, name: str) -> Response:
        if name not in PAGES:
            raise HTTPException(404, "Deze pagina bestaat niet.")
        return page(request, PAGES[name], roles=("admin",) if name == "admin" else STAFF)

    @api.get("/desk/static/{name}")
    def static(name: str) -> Response:
        path = STATIC / name
        if "/" in name or name.endswith(".html") or not path.is_file():
            raise HTTPException(404, "Niet gevonden.")
        response = FileResponse(path)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @api.get("/desk/vendor/{name}")
    def vendor(name: str) -> Response:
        if name not in VENDOR_FILES or not (VENDOR / name).is_file():
            raise HTTPException(404, "Niet gevonden.")
        response = FileResponse(VENDOR / name)
        response.headers["Cache-Control"] = "max-age=604800"
        return response

    # -- sign-in ----------------------------------------------------------------------

    @api.get("/desk/api/login-options")
    def login_options() -> dict[str, bool]:
        return {"oidc": desks.oidc is not None}

    @api.post("/desk/api/login")
    def login(body: LoginBody, request: Request) -> Response:
        cookie = _cookie(request, CSRF_COOKIE) or ""
        sent = request.headers.get(CSRF_HEADER, "")
        if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            raise HTTPException(403, BAD_CSRF)
        try:
            user = desks.accounts.check_password(body.username, body.password)
        except SignInRefused as refused:
            store.log(body.username.strip().lower()[:80], "sign-in refused", "")
            raise HTTPException(
                423 if refused.locked else 401, LOCKED if refused.locked else REFUSED
            ) from None
        old = _cookie(request, SESSION_COOKIE)
        if old:
            store.end_session(old)
        session = desks.accounts.start_session(user)
        store.log(user.username, "signed in", "password")
        response = JSONResponse({"user": me(session)})
        signed_in(request, response, session)
        return response

    @api.get("/desk/oidc/start")
    def oidc_start() -> Response:
        if desks.oidc is None:
            raise HTTPException(404, "Inloggen via uw organisatie staat uit.")
        try:
            url, pending = desks.oidc.start()
        except OidcError as exc:
            logger.warning("OIDC start failed: %s", exc)
            raise HTTPException(502, "Inloggen via uw organisatie lukt nu niet.") from None
        store.put_pending(pending["state"], pending)
        return RedirectResponse(url, status_code=303)

    @api.get("/desk/oidc/callback")
    def oidc_callback(request: Request) -> Response:
        query = dict(request.query_params)
        pending = store.take_pending(query.get("state", "")) if desks.oidc else None
        if desks.oidc is None or pending is None:
            raise HTTPException(400, "Dit inloggen is verlopen. Probeer het opnieuw.")
        try:
            username = desks.oidc.finish(query, pending)
        except OidcError as exc:
            logger.warning("OIDC sign-in refused: %s", exc)
            raise HTTPException(401, "Inloggen via uw organisatie is niet gelukt.") from None
        user = store.user(username)
        if user is None or not user.active:
            store.log(username[:80], "sign-in refused", "oidc: no account")
            raise HTTPException(403, "U heeft nog geen account bij de desk. Vraag de beheerder.")
        session = desks.accounts.start_session(user)
        store.log(user.username, "signed in", "oidc")
        response = RedirectResponse("/desk/", status_code=303)
        signed_in(request, response, session)
        return response

    @api.post("/desk/api/logout", status_code=204)
    def logout(session: Session = Depends(session_of)) -> Response:
        store.end_session(session.token)
        store.log(session.user.username, "signed out", "")
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/desk")
        return response

    @api.post("/desk/api/logout-everywhere", status_code=204)
    def logout_everywhere(session: Session = Depends(session_of)) -> Response:
        ended = store.end_sessions_of(session.user.id)
        store.log(session.user.username, "signed out everywhere", f"{ended} sessions")
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/desk")
        return response

    @api.get("/desk/api/me")
    def whoami(session: Session = Depends(session_of)) -> dict[str, Any]:
        return me(session)

    # -- live hand-over ---------------------------------------------------------------

    @api.get("/desk/api/handovers")
    def list_handovers(session: Session = Depends(session_of)) -> dict[str, Any]:
        return {"handovers": desks.views(store.handovers_of(my_desks(session.user)))}

    @api.get("/desk/api/handovers/{handover_id}")
    def open_handover(handover_id: int, session: Session = Depends(session_of)) -> dict[str, Any]:
        handover = my_handover(session, handover_id)
        store.log(session.user.username, "opened conversation", f"handover {handover_id}")
        return {
            "handover": desks.view(handover),
            "messages": [
                {
                    "id": m["id"],
                    "from": m["sender"],
                    "author": m["author"],
                    "text": m["text"],
                    "at": m["at"].isoformat(),
                }
                for m in store.messages_of(handover_id)
            ],
        }

    @api.post("/desk/api/handovers/{handover_id}/take")
    def take(handover_id: int, session: Session = Depends(session_of)) -> dict[str, Any]:
        handover = my_handover(session, handover_id)
        user = session.user
        if handover["status"] == "active" and handover["taken_by"] == user.id:
            return {"handover": desks.view(handover)}
        if not store.set_handover(
            handover_id, ("waiting",), status="active", taken_by=user.id, taken_at=now_utc()
        ):
            raise HTTPException(409, TAKEN)
        store.log(user.username, "took conversation", f"handover {handover_id}")
        handover = store.handover(handover_id)
        assert handover is not None
        desk = store.desk(handover["desk_id"])
        store.add_message(handover_id, "system", f"{user.name} nam het gesprek aan.")
        desks.relay.send(
            handover, "joined", author=user.name, desk_name=desk.name if desk else None
        )
        desks.changed("queue", handover["desk_id"], handover_id)
        return {"handover": desks.view(handover)}

    def active_and_mine(session: Session, handover_id: int) -> dict[str, Any]:
        handover = my_handover(session, handover_id)
        if handover["status"] != "active" or handover["taken_by"] != session.user.id:
            raise HTTPException(409, NOT_YOURS)
        return handover

    @api.post("/desk/api/handovers/{handover_id}/messages", status_code=201)
    def send_message(
        handover_id: int, body: TextBody, session: Session = Depends(session_of)
    ) -> dict[str, Any]:
        handover = active_and_mine(session, handover_id)
        message = store.add_message(
            handover_id, "advisor", body.text, author=session.user.name, delivered=False
        )
        delivered = message["id"] in desks.deliver_pending(handover)
        desks.changed("handover", handover["desk_id"], handover_id)
        return {
            "message": {
                "id": message["id"],
                "from": "advisor",
                "author": message["author"],
                "text": message["text"],
                "at": message["at"].isoformat(),
            },
            "delivered": delivered,
        }

    @api.post("/desk/api/handovers/{handover_id}/hand-back")
    def hand_back(handover_id: int, session: Session = Depends(session_of)) -> dict[str, Any]:
        handover = my_handover(session, handover_id)
        if handover["status"] == "active" and handover["taken_by"] != session.user.id:
            raise HTTPException(409, TAKEN)
        if handover["status"] not in ("active", "left"):
            raise HTTPException(409, NOT_YOURS)
        store.set_handover(handover_id, status="handed_back", ended_at=now_utc())
        store.add_message(handover_id, "system", f"{session.user.name} gaf het gesprek terug.")
        store.log(session.user.username, "handed back conversation", f"handover {handover_id}")
        if handover["status"] == "active":
            desks.relay.send(handover, "handed_back")
        desks.changed("queue", handover["desk_id"], handover_id)
        return {"handover": desks.view(store.handover(handover_id))}  # type: ignore[arg-type]

    # -- call-back queue --------------------------------------------------------------

    def callback_view(request: CallbackRequest) -> dict[str, Any]:
        return {
            "reference": request.reference,
            "first_name": request.first_name,
            "phone": request.phone,
            "daypart": request.daypart,
            "organization": request.organization,
            "subject": request.subject,
            "created_at": request.created_at.isoformat() if request.created_at else None,
            "status": request.status,
            "claimed_by": request.claimed_by,
            "note": request.note,
            "attempts": request.attempts,
            "finished_at": request.finished_at.isoformat() if request.finished_at else None,
        }

    def my_callbacks(user: User) -> list[CallbackRequest]:
        mine = [d for d in store.desks() if d.id in my_desks(user)]
        return callbacks.for_desks([d.id for d in mine], [d.name for d in mine])

    def my_callback(session: Session, reference: str) -> CallbackRequest:
        found = next((r for r in my_callbacks(session.user) if r.reference == reference), None)
        if found is None:
            raise HTTPException(404, GONE)
        return found

    def desk_of_callback(request: CallbackRequest) -> str:
        if request.desk_id:
            return request.desk_id
        return next((d.id for d in store.desks() if d.name == request.organization), "")

    def callback_changed(request: CallbackRequest | None) -> None:
        if request is not None:
            desks.changed("callbacks", desk_of_callback(request))

    @api.get("/desk/api/callbacks")
    def list_callbacks(session: Session = Depends(session_of)) -> dict[str, Any]:
        found = my_callbacks(session.user)
        store.log(session.user.username, "read call-back queue", f"{len(found)} requests")
        return {"callbacks": [callback_view(r) for r in found]}

    @api.post("/desk/api/callbacks/{reference}/claim")
    def claim(reference: str, session: Session = Depends(session_of)) -> dict[str, Any]:
        request = my_callback(session, reference)
        if (
            request.claimed_by not in (None, session.user.username)
            and request.status not in FINISHED
        ):
            raise HTTPException(409, TAKEN)
        updated = callbacks.update_work(reference, claimed_by=session.user.username)
        store.log(session.user.username, "claimed call-back", reference)
        callback_changed(updated)
        return {"callback": callback_view(updated)} if updated else {}

    @api.post("/desk/api/callbacks/{reference}/note")
    def note(
        reference: str, body: NoteBody, session: Session = Depends(session_of)
    ) -> dict[str, Any]:
        my_callback(session, reference)
        updated = callbacks.update_work(reference, note=body.note)
        store.log(session.user.username, "noted call-back", reference)
        callback_changed(updated)
        return {"callback": callback_view(updated)} if updated else {}

    @api.post("/desk/api/callbacks/{reference}/status")
    def outcome(
        reference: str, body: StatusBody, session: Session = Depends(session_of)
    ) -> dict[str, Any]:
        request = my_callback(session, reference)
        if request.claimed_by not in (None, session.user.username):
            raise HTTPException(409, TAKEN)
        updated = callbacks.update_work(
            reference,
            status=body.status,
            claimed_by=request.claimed_by or session.user.username,
            finished_days=config.callback_finished_days,
        )
        store.log(session.user.username, f"call-back {body.status}", reference)
        callback_changed(updated)
        return {"callback": callback_view(updated)} if updated else {}

    # -- administration ---------------------------------------------------------------

    def user_view(user: User) -> dict[str, Any]:
        return {
            "username": user.username,
            "name": user.name,
            "role": user.role,
            "desks": list(user.desks),
            "locked": bool(user.locked_until and user.locked_until > now_utc()),
            "active": user.active,
        }

    @api.get("/desk/api/users")
    def list_users(session: Session = Depends(admin_of)) -> dict[str, Any]:
        return {"users": [user_view(u) for u in store.users()]}

    def known_desks(ids: list[str]) -> list[str]:
        known = {d.id for d in store.desks()}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise HTTPException(422, f"Deze balie bestaat niet: {', '.join(unknown)}")
        return ids

    def password_hash(password: str) -> str:
        try:
            return hash_password(password)
        except ValueError:
            raise HTTPException(422, "Een wachtwoord heeft minstens 12 tekens.") from None

    @api.post("/desk/api/users", status_code=201)
    def add_user(body: UserBody, session: Session = Depends(admin_of)) -> dict[str, Any]:
        if store.user(body.username):
            raise HTTPException(409, "Deze gebruikersnaam bestaat al.")
        hashed = password_hash(body.password) if body.password else None
        user = store.add_user(body.username, body.name, body.role, hashed, known_desks(body.desks))
        store.log(session.user.username, "added account", f"{user.username} ({user.role})")
        return {"user": user_view(user)}

    @api.post("/desk/api/users/{username}")
    def change_user(
        username: str, body: UserChange, session: Session = Depends(admin_of)
    ) -> dict[str, Any]:
        values = body.dict(exclude_none=True)
        current = store.user(username)
        demoted = values.get("active") is False or values.get("role", "admin") != "admin"
        if current and current.role == "admin" and demoted and store.count_admins() <= 1:
            raise HTTPException(409, LAST_ADMIN)
        if "password" in values:
            values["password_hash"] = password_hash(values.pop("password"))
        if "desks" in values:
            known_desks(values["desks"])
        user = store.update_user(username, **values)
        if user is None:
            raise HTTPException(404, GONE)
        if "password_hash" in values or values.get("active") is False or "role" in values:
            store.end_sessions_of(user.id)  # a changed account signs in again
        store.log(
            session.user.username, "changed account", f"{username}: {', '.join(sorted(values))}"
        )
        return {"user": user_view(user)}

    @api.post("/desk/api/users/{username}/unlock")
    def unlock(username: str, session: Session = Depends(admin_of)) -> dict[str, Any]:
        user = store.user(username)
        if user is None:
            raise HTTPException(404, GONE)
        store.clear_failures(user.id)
        store.log(session.user.username, "unlocked account", username)
        return {"user": user_view(store.user(username))}  # type: ignore[arg-type]

    def desk_view(desk: Desk) -> dict[str, Any]:
        return {
            "id": desk.id,
            "name": desk.name,
            "phone": desk.phone,
            "hours": desk.hours,
            "topics": list(desk.topics),
            "max_wait_minutes": desk.max_wait_minutes,
            "open_now": desks.open_now(desk),
        }

    @api.get("/desk/api/desks")
    def list_desks(session: Session = Depends(session_of)) -> dict[str, Any]:
        mine = set(my_desks(session.user))
        return {"desks": [desk_view(d) for d in store.desks() if d.id in mine]}

    @api.post("/desk/api/desks")
    def save_desk(body: DeskBody, session: Session = Depends(admin_of)) -> dict[str, Any]:
        desk = store.save_desk(
            Desk(
                body.id,
                body.name,
                body.phone,
                body.hours,
                tuple(t.strip() for t in body.topics if t.strip()),
                body.max_wait_minutes,
            )
        )
        store.log(session.user.username, "saved desk", desk.id)
        return {"desk": desk_view(desk)}

    @api.get("/desk/api/audit")
    def audit_log(session: Session = Depends(admin_of)) -> dict[str, Any]:
        entries = store.audit_entries()
        return {
            "entries": [
                {
                    "at": e["at"].isoformat(),
                    "username": e["username"],
                    "action": e["action"],
                    "target": e["target"],
                }
                for e in entries
            ]
        }

    # -- what the assistant calls -----------------------------------------------------

    @api.post("/desk/internal/availability", dependencies=[Depends(service)])
    def availability(body: AvailabilityBody) -> dict[str, Any]:
        desk = desks.desk_for(body.topic)
        return {"available": desk is not None, **(desks.queue_status(desk) if desk else {})}

    @api.post("/desk/internal/handovers", status_code=201, dependencies=[Depends(service)])
    def start_handover(body: HandoverBody) -> dict[str, Any]:
        existing = store.open_handover_of(body.conversation)
        if existing:
            desk = store.desk(existing["desk_id"])
            assert desk is not None
            return {
                "id": existing["id"],
                "status": existing["status"],
                **desks.queue_status(desk, existing),
            }
        desk = store.desk(body.desk)
        if desk is None or not desks.staffed(desk):
            raise HTTPException(409, "This desk is closed now.")
        lines = [(line.sender, line.text, line.at or now_utc()) for line in body.transcript]
        handover = store.add_handover(
            body.conversation, body.channel, desk.id, body.language, lines
        )
        desks.changed("queue", desk.id, handover["id"])
        return {"id": handover["id"], "status": "waiting", **desks.queue_status(desk, handover)}

    def open_of(conversation: str) -> dict[str, Any]:
        handover = store.open_handover_of(conversation)
        if handover is None:
            raise HTTPException(404, "No open hand-over for this conversation.")
        return handover

    @api.post("/desk/internal/citizen-message", dependencies=[Depends(service)])
    def citizen_message(body: CitizenMessageBody) -> dict[str, Any]:
        handover = open_of(body.conversation)
        store.add_message(handover["id"], "citizen", body.text)
        if not handover["citizen_present"]:
            store.set_handover(handover["id"], citizen_present=True)
        desks.changed("handover", handover["desk_id"], handover["id"])
        desk = store.desk(handover["desk_id"])
        assert desk is not None
        return {
            "id": handover["id"],
            "status": handover["status"],
            **desks.queue_status(desk, handover),
        }

    @api.post("/desk/internal/presence", status_code=204, dependencies=[Depends(service)])
    def presence(body: PresenceBody) -> Response:
        handover = store.open_handover_of(body.conversation)
        if handover and bool(handover["citizen_present"]) != body.present:
            store.set_handover(handover["id"], citizen_present=body.present)
            desks.changed("handover", handover["desk_id"], handover["id"])
        return Response(status_code=204)

    @api.post("/desk/internal/leave", status_code=204, dependencies=[Depends(service)])
    def leave(body: ConversationBody) -> Response:
        handover = store.open_handover_of(body.conversation)
        if handover:
            store.set_handover(
                handover["id"], status="left", citizen_present=False, ended_at=now_utc()
            )
            store.add_message(handover["id"], "system", "De inwoner heeft het gesprek verlaten.")
            desks.changed("queue", handover["desk_id"], handover["id"])
        return Response(status_code=204)

    @api.post("/desk/internal/forget", dependencies=[Depends(service)])
    def forget(body: ConversationBody) -> dict[str, int]:
        return {"deleted": store.forget(body.conversation)}

    # -- live updates -----------------------------------------------------------------

    sio = desks.sio

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        token = cookies[SESSION_COOKIE].value if SESSION_COOKIE in cookies else None
        session = await anyio.to_thread.run_sync(desks.accounts.session, token)
        if session is None or session.user.role == "partner":
            return False
        for desk_id in await anyio.to_thread.run_sync(my_desks, session.user):
            await sio.enter_room(sid, f"desk:{desk_id}")
        return True

    return socketio.ASGIApp(sio, other_asgi_app=api, socketio_path="desk/socket.io")


def _partner_may(path: str) -> bool:
    """A partner's session opens the insights' API and its own sign-out, nothing else."""
    return path in PARTNER_APIS or path == INSIGHTS_API or path.startswith(INSIGHTS_API + "/")


async def _sweeper(desks: Desks, insights: LazyInsights) -> None:
    last_retention = 0.0
    loop = asyncio.get_running_loop()
    last_insights = loop.time()  # the first run one interval after the start
    job: asyncio.Future | None = None
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await anyio.to_thread.run_sync(desks.sweep)
            if loop.time() - last_retention > 3600:
                last_retention = loop.time()
                await anyio.to_thread.run_sync(desks.retention)
        except Exception as exc:  # noqa: BLE001 - the sweeper keeps going
            logger.error("Desk sweep failed: %s", type(exc).__name__)
        # The insights job (services/insights/job.py) in a worker thread of its own, one at a
        # time: the sweeps go on meanwhile.
        every = desks.config.insights_every_minutes * 60
        if every > 0 and loop.time() - last_insights >= every and (job is None or job.done()):
            last_insights = loop.time()
            job = loop.run_in_executor(None, run_job, desks.config, insights)


def __getattr__(name: str) -> Any:
    """`services.desk.app:app` for uvicorn, made on first use (importing builds nothing)."""
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)
