"""The desk under load: `make bench-desk` (docs/performance.md, docs/desk.md).

    python -m tools.bench_desk [--advisors 20] [--waiting 200] [--messages 3] [--write-docs]
        [--stores sqlite,postgresql] [--time-limit 300] [--relay-delay 0]

The desk (services/desk) runs as a real process, as `make run` starts it: uvicorn with wsproto
on a free loopback port, its store on SQLite and then on a throwaway PostgreSQL
(deploy/local/throwaway_postgres.py; SQLite only when the PostgreSQL binaries are missing).
The call-back store is a temporary SQLite file in both runs (the load does not use it).

The desk relays what the citizen must see to the assistant, over HTTP, at ASSISTANT_URL +
/webhooks/desk/relay (services/desk/assistant.py). Here that is `StandInAssistant`, a small
threaded HTTP server on loopback that stands for Rasa's relay endpoint (bot/channels/desk.py):
it records every call with the moment it arrived and answers 200 `{"delivered": true}`.

The load, with asyncio and aiohttp (each advisor a client with its own cookie jar, like a
browser): two desks, open all week, with the advisors split over them. All advisors sign in
at once. Then the conversations join the queues through the internal API (as the assistant
does, with the bearer token), spread over the desks and arriving over a few seconds, each with
a short transcript. The advisors poll their queue and race to take waiting conversations
(a 409 means a colleague was first; they are counted). For each conversation taken, the
advisor sends `--messages` messages and the citizen answers each one (the assistant posting
the citizen's message to the desk), then the advisor hands it back. There are no pauses
besides polling an empty queue, so the figures are what one desk process sustains.

Checked afterwards, and the exit status is 1 when any check fails: every conversation was
taken by exactly one advisor and handed back; for each conversation the stand-in received,
in this order and once each, "joined", every advisor message (by `message_id`) in the order
sent, and "handed_back"; every citizen message is in the transcript exactly once
(GET /desk/api/handovers/{id}), in the order sent; no answer was an HTTP 5xx or otherwise
unexpected; the desk logged no warning or error. A failed run keeps the desk's log in
var/bench/desk-<store>.log. `--relay-delay` makes the stand-in slow, like a busy channel.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from deploy.local.throwaway_postgres import free_port
from services.desk.accounts import hash_password
from services.desk.store import Desk, DeskStore
from tools.machine import describe_machine, write_section

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOCS = PROJECT_ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- desk-bench -->", "<!-- /desk-bench -->"
HEADING = "The desk under load"
LOGS = PROJECT_ROOT / "var" / "bench"  # the desk's log of a failed run
TOKEN = "desk-bench-service-token"  # noqa: S105 - a value for this run only
PASSWORD = "een lang wachtwoord voor de benchmark"  # noqa: S105 - a value for this run only
ALWAYS = "ma-zo 00:00-24:00"
DESKS = (
    Desk("taalhuis", "Taalhuis Breda", "076 111 1111", ALWAYS, ("dutch", "reading-writing"), 60),
    Desk("werkloket", "Leerwerkloket West-Brabant", "076 222 2222", ALWAYS, ("*",), 60),
)
RELAY_PATH = "/webhooks/desk/relay"
TRANSCRIPT = (
    ("citizen", "Ik wil graag met een mens praten over een cursus."),
    ("assistant", "U kunt nu hier chatten met een medewerker. Wilt u dat?"),
    ("citizen", "ja"),
)
POLL_SECONDS = 0.25  # an advisor's page with an empty queue asks again after this
CANDIDATES = 3  # an advisor tries one of the oldest few waiting conversations
START_SECONDS = 60.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)
KEEPALIVE_SECONDS = 2.0
CSRF_COOKIE, CSRF_HEADER = "desk_csrf", "X-CSRF-Token"
TRACEBACK_LINES = (
    "Traceback (most recent call last)",
    "The above exception was the direct cause",
    "During handling of the above exception",
)


# -- the stand-in assistant ----------------------------------------------------------------------


@dataclass
class RelayCall:
    at: float  # time.monotonic() when it arrived
    path: str
    auth: str | None
    body: dict[str, Any]


class StandInAssistant:
    """Stands for Rasa's relay endpoint (POST /webhooks/desk/relay, bot/channels/desk.py): a
    threaded HTTP server on loopback that records every call's body and when it arrived, and
    answers 200 `{"delivered": true}`, at once or after `delay` seconds (a slow channel)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[RelayCall] = []
        lock = threading.Lock()
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                arrived = time.monotonic()
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"unreadable": raw.decode("utf-8", "replace")[:200]}
                with lock:
                    calls.append(
                        RelayCall(arrived, self.path, self.headers.get("Authorization"), body)
                    )
                if delay:
                    time.sleep(delay)
                answer = b'{"delivered": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the desk's 40 worker threads may all relay at once

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the desk process ----------------------------------------------------------------------------


def proc_status(pid: int, field_name: str) -> int:
    """A /proc/<pid>/status figure in bytes (VmHWM: peak resident set, VmRSS: now); 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def seed(url: str, advisors: int) -> list[tuple[str, str]]:
    """The two desks and the advisors (split over them), before the desk starts."""
    store = DeskStore(url)
    for desk in DESKS:
        store.save_desk(desk)
    hashed = hash_password(PASSWORD)
    accounts = []
    for number in range(1, advisors + 1):
        desk = DESKS[(number - 1) % len(DESKS)].id
        username = f"adviseur{number:02d}"
        store.add_user(username, f"Adviseur {number}", "advisor", hashed, [desk])
        accounts.append((username, desk))
    store.engine.dispose()
    return accounts


class DeskProcess:
    """`python -m uvicorn ... services.desk.app:app`, as `make run` starts the desk."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        assistant_url: str,
        token: str = TOKEN,
        **settings: str,
    ) -> None:
        """The desk on a free loopback port with its own settings: none of the shell's or
        `.env`'s desk settings leak in; `settings` adds or changes some (DESK_LOCKOUT_...)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "desk.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DESK_", "ASSISTANT_"))}
        env.update(
            DESK_PORT=str(self.port),
            DESK_DATABASE_URL=database_url,
            CALLBACK_DATABASE_URL=f"sqlite:///{folder / 'callbacks.db'}",
            DESK_SERVICE_TOKEN=token,
            ASSISTANT_URL=assistant_url,
            VAR_DIR=str(folder),
            DESK_OIDC_ISSUER="",  # password sign-in only, whatever .env says
            PYTHONUNBUFFERED="1",
            **settings,
        )
        command = [
            sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(self.port),
            "--ws", "wsproto", "--no-access-log", "services.desk.app:app",
        ]  # fmt: skip
        self.log = self.log_path.open("wb")
        self.popen = subprocess.Popen(  # noqa: S603 - our own command
            command, cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_ready(self, timeout: float = START_SECONDS) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"the desk exited ({self.popen.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/desk/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the desk was not healthy within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def complaints(self) -> Counter:
        """What the desk logged beyond uvicorn's own start and stop lines: the messages and
        exceptions (a traceback's last line), without the traceback's body, with counts."""
        self.log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return Counter(
            line.strip()
            for line in text.splitlines()
            if line.strip()
            and not line.startswith(("INFO:", " ", "[SQL:", "[parameters:", "(Background on"))
            and not line.startswith(TRACEBACK_LINES)
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self.log.close()


# -- the load ------------------------------------------------------------------------------------


@dataclass
class Sent:
    handover: int
    message_id: int
    text: str
    posted_at: float


@dataclass
class Conversation:
    conversation: str
    desk: str
    join_started: float
    handover: int | None = None
    taken_by: list[str] = field(default_factory=list)
    taken_at: float | None = None
    handed_back: bool = False
    sequence: list[tuple[str, str]] = field(default_factory=list)  # (from, text) as sent
    finished: bool = False  # handed back, or given up after an error


@dataclass
class Load:
    """What the clients saw."""

    base: str
    advisors: list[tuple[str, str]]
    waiting: int
    messages: int
    arrival_seconds: float
    statuses: Counter = field(default_factory=Counter)  # (what, status) -> count
    unexpected: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    conversations: dict[str, Conversation] = field(default_factory=dict)
    by_handover: dict[int, Conversation] = field(default_factory=dict)
    known: dict[int, asyncio.Future] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    conflicts: int = 0
    joins_done: bool = False
    started: float = 0.0
    ended: float = 0.0
    signed_in_at: float = 0.0

    def future(self, handover: int) -> asyncio.Future:
        if handover not in self.known:
            self.known[handover] = asyncio.get_running_loop().create_future()
        return self.known[handover]

    def all_finished(self) -> bool:
        return self.joins_done and all(c.finished for c in self.conversations.values())


async def call(
    load: Load,
    session: aiohttp.ClientSession,
    what: str,
    method: str,
    path: str,
    expected: tuple[int, ...],
    **kwargs: Any,
) -> tuple[int, Any, float]:
    """One request: its status, JSON answer and seconds; counted, and noted when unexpected."""
    started = time.monotonic()
    try:
        async with session.request(method, load.base + path, **kwargs) as response:
            status = response.status
            text = await response.text()
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        seconds = time.monotonic() - started
        load.statuses[(what, 0)] += 1
        load.unexpected.append(f"{what} {path}: {type(exc).__name__} {exc} after {seconds:.1f} s")
        return 0, None, seconds
    seconds = time.monotonic() - started
    load.statuses[(what, status)] += 1
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if status not in expected:
        load.unexpected.append(f"{what} {path}: HTTP {status} {text[:160]}")
    return status, body, seconds


def csrf(session: aiohttp.ClientSession, base: str) -> dict[str, str]:
    """The CSRF header from the `desk_csrf` cookie, read when sending (it changes at sign-in)."""
    cookie = session.cookie_jar.filter_cookies(URL(f"{base}/desk/")).get(CSRF_COOKIE)
    return {CSRF_HEADER: cookie.value if cookie else ""}


def client(cookie_jar: aiohttp.abc.AbstractCookieJar | None = None) -> aiohttp.ClientSession:
    # A kept-alive connection is dropped before uvicorn's own 5 s, so that a request never
    # goes out on a connection the server is closing (a browser would retry it).
    connector = aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS)
    return aiohttp.ClientSession(
        connector=connector, cookie_jar=cookie_jar, timeout=REQUEST_TIMEOUT
    )


def browser() -> aiohttp.ClientSession:
    # The desk's cookies are for 127.0.0.1 (an IP address: aiohttp's jar needs `unsafe`), path
    # /desk, and not Secure on plain http to loopback.
    return client(aiohttp.CookieJar(unsafe=True))


async def sign_in(load: Load, session: aiohttp.ClientSession, username: str) -> bool:
    await call(load, session, "login page", "GET", "/desk/login", (200,))
    status, _, seconds = await call(
        load, session, "sign-in", "POST", "/desk/api/login", (200,),
        json={"username": username, "password": PASSWORD}, headers=csrf(session, load.base),
    )  # fmt: skip
    load.latencies["sign-in"].append(seconds)
    return status == 200


async def join(load: Load, assistant: aiohttp.ClientSession, number: int, run: str) -> None:
    desk = DESKS[number % len(DESKS)].id
    name = f"bench-{run}-{number:04d}"
    conversation = Conversation(name, desk, time.monotonic())
    load.conversations[name] = conversation
    transcript = [{"from": sender, "text": text} for sender, text in TRANSCRIPT]
    status, body, seconds = await call(
        load, assistant, "join", "POST", "/desk/internal/handovers", (201,),
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"conversation": name, "channel": "socketio", "desk": desk, "language": "nl",
              "transcript": transcript},
    )  # fmt: skip
    load.latencies["join"].append(seconds)
    if status != 201 or not body:
        conversation.finished = True
        return
    conversation.handover = body["id"]
    load.by_handover[body["id"]] = conversation
    future = load.future(body["id"])
    if not future.done():
        future.set_result(conversation)


async def arrivals(load: Load, assistant: aiohttp.ClientSession, run: str) -> None:
    """The conversations join at an even pace over `arrival_seconds`, whatever the answers take."""
    load.started = time.monotonic()
    gap = load.arrival_seconds / max(1, load.waiting)
    tasks = []
    for number in range(load.waiting):
        delay = load.started + number * gap - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(join(load, assistant, number, run)))
    await asyncio.gather(*tasks)
    load.joins_done = True


async def work(
    load: Load,
    session: aiohttp.ClientSession,
    assistant: aiohttp.ClientSession,
    username: str,
    conversation: Conversation,
) -> None:
    """Messages both ways, interleaved, then the hand-back."""
    handover = conversation.handover
    for number in range(1, load.messages + 1):
        text = f"Bericht {number} van {username} in gesprek {handover}."
        posted = time.monotonic()
        status, body, seconds = await call(
            load, session, "advisor message", "POST", f"/desk/api/handovers/{handover}/messages",
            (201,), json={"text": text}, headers=csrf(session, load.base),
        )  # fmt: skip
        load.latencies["advisor message POST"].append(seconds)
        if status != 201 or not body:
            return
        if body.get("delivered") is not True:
            load.unexpected.append(f"advisor message {body['message']['id']}: not delivered")
        load.sent.append(Sent(handover, body["message"]["id"], text, posted))
        conversation.sequence.append(("advisor", text))

        answer = f"Antwoord {number} van de inwoner van {conversation.conversation}."
        status, _, seconds = await call(
            load, assistant, "citizen message", "POST", "/desk/internal/citizen-message", (200,),
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={"conversation": conversation.conversation, "text": answer},
        )  # fmt: skip
        load.latencies["citizen message"].append(seconds)
        if status != 200:
            return
        conversation.sequence.append(("citizen", answer))
    status, _, seconds = await call(
        load, session, "hand-back", "POST", f"/desk/api/handovers/{handover}/hand-back", (200,),
        headers=csrf(session, load.base),
    )  # fmt: skip
    load.latencies["hand-back"].append(seconds)
    conversation.handed_back = status == 200


async def advisor(
    load: Load, session: aiohttp.ClientSession, assistant: aiohttp.ClientSession, username: str
) -> None:
    """Poll the queue, race for one of the oldest waiting conversations, work it, repeat."""
    randomness = random.Random(username)  # noqa: S311 - not for security
    while not load.all_finished():
        status, body, seconds = await call(
            load, session, "queue", "GET", "/desk/api/handovers", (200,)
        )
        load.latencies["queue list"].append(seconds)
        waiting = [h for h in (body or {}).get("handovers", []) if h["status"] == "waiting"]
        if not waiting:
            await asyncio.sleep(POLL_SECONDS * (0.5 + randomness.random()))
            continue
        candidates = waiting[:CANDIDATES]
        randomness.shuffle(candidates)
        for candidate in candidates:
            handover = candidate["id"]
            status, _, seconds = await call(
                load, session, "take", "POST", f"/desk/api/handovers/{handover}/take",
                (200, 409), headers=csrf(session, load.base),
            )  # fmt: skip
            if status == 409:
                load.conflicts += 1
                load.latencies["take (409)"].append(seconds)
                continue
            if status != 200:
                continue
            load.latencies["take"].append(seconds)
            conversation = await load.future(handover)  # its join answer may still be on its way
            conversation.taken_by.append(username)
            conversation.taken_at = time.monotonic()
            load.latencies["queue wait"].append(conversation.taken_at - conversation.join_started)
            try:
                await work(load, session, assistant, username, conversation)
            finally:
                conversation.finished = True
                load.ended = max(load.ended, time.monotonic())
            break


async def drive(load: Load, run: str, time_limit: float, pid: int) -> dict[str, Any]:
    """Sign in, let the conversations join and the advisors work them, read the transcripts."""
    sessions = {username: browser() for username, _ in load.advisors}
    assistant = client()
    outcome: dict[str, Any] = {"timed_out": False, "transcripts": {}}
    try:
        signed = await asyncio.gather(*(sign_in(load, sessions[u], u) for u, _ in load.advisors))
        load.signed_in_at = time.monotonic()
        outcome["rss_after_sign_in"] = proc_status(pid, "VmHWM")
        if not all(signed):
            load.unexpected.append("not every advisor could sign in")
            return outcome
        workers = [advisor(load, sessions[u], assistant, u) for u, _ in load.advisors]
        try:
            await asyncio.wait_for(
                asyncio.gather(arrivals(load, assistant, run), *workers), time_limit
            )
        except asyncio.TimeoutError:
            outcome["timed_out"] = True
        outcome["transcripts"] = await transcripts(load, sessions)
    finally:
        for session in (*sessions.values(), assistant):
            await session.close()
    return outcome


async def transcripts(
    load: Load, sessions: dict[str, aiohttp.ClientSession]
) -> dict[int, dict[str, Any]]:
    """Each conversation as the desk stores it, read by an advisor of its desk."""
    reader = {desk: sessions[username] for username, desk in reversed(load.advisors)}
    limit = asyncio.Semaphore(8)
    found: dict[int, dict[str, Any]] = {}

    async def read(conversation: Conversation) -> None:
        async with limit:
            status, body, _ = await call(
                load, reader[conversation.desk], "transcript", "GET",
                f"/desk/api/handovers/{conversation.handover}", (200,),
            )  # fmt: skip
        if status == 200 and body:
            found[conversation.handover] = body  # type: ignore[index]

    await asyncio.gather(*(read(c) for c in load.conversations.values() if c.handover is not None))
    return found


# -- checks and figures --------------------------------------------------------------------------


def verify(load: Load, calls: list[RelayCall], outcome: dict[str, Any]) -> list[str]:
    """What went wrong; empty when every check passed."""
    problems: list[str] = []

    def problem(kind: str, details: list[str]) -> None:
        if details:
            shown = "; ".join(details[:5])
            more = f" (and {len(details) - 5} more)" if len(details) > 5 else ""
            problems.append(f"{kind}: {len(details)}: {shown}{more}")

    if outcome.get("timed_out"):
        problems.append("the load did not finish within the time limit")
    server_errors = sum(n for (_, status), n in load.statuses.items() if status >= 500)
    if server_errors:
        problems.append(f"HTTP 5xx answers: {server_errors}")
    problem("unexpected answers", load.unexpected)

    conversations = list(load.conversations.values())
    joined = [c for c in conversations if c.handover is not None]
    problem("conversations that did not join", [c.conversation for c in conversations
                                                if c.handover is None])  # fmt: skip
    problem("not taken exactly once", [f"{c.handover} by {c.taken_by}" for c in joined
                                       if len(c.taken_by) != 1])  # fmt: skip
    problem("not handed back", [str(c.handover) for c in joined if not c.handed_back])

    # What the stand-in assistant received, per conversation, in the order it arrived.
    problem("relay calls with a wrong path or token", [
        f"{call.path} {call.auth!r}" for call in calls
        if call.path != RELAY_PATH or call.auth != f"Bearer {TOKEN}"
    ])  # fmt: skip
    relayed: dict[str, list[RelayCall]] = defaultdict(list)
    for relay_call in sorted(calls, key=lambda c: c.at):
        relayed[str(relay_call.body.get("conversation"))].append(relay_call)
    sent_by_handover: dict[int, list[Sent]] = defaultdict(list)
    for sent in load.sent:
        sent_by_handover[sent.handover].append(sent)
    wrong_relays = []
    for conversation in conversations:
        if conversation.handover is None or not conversation.taken_by:
            continue
        mine = sent_by_handover[conversation.handover]
        expected = [("joined", None), *(("message", s.message_id) for s in mine)]
        if conversation.handed_back:
            expected.append(("handed_back", None))
        got = [
            (c.body.get("kind"), c.body.get("message_id"))
            for c in relayed.pop(conversation.conversation, [])
        ]
        if got != expected:
            wrong_relays.append(f"{conversation.handover}: expected {expected}, got {got}")
    problem("relayed otherwise than sent (missing, twice or out of order)", wrong_relays)
    problem("relay calls for unknown conversations", sorted(relayed))
    counts = Counter(c.body.get("message_id") for c in calls if c.body.get("kind") == "message")
    problem("message ids relayed more than once", [f"{m} x{n}" for m, n in counts.items() if n > 1])

    # The transcripts the desk keeps.
    found = outcome.get("transcripts", {})
    wrong_transcripts = []
    for conversation in conversations:
        if conversation.handover is None:
            continue
        body = found.get(conversation.handover)
        if body is None:
            wrong_transcripts.append(f"{conversation.handover}: not read")
            continue
        if conversation.handed_back and body["handover"]["status"] != "handed_back":
            wrong_transcripts.append(f"{conversation.handover}: {body['handover']['status']}")
        lines = [(m["from"], m["text"]) for m in body["messages"] if m["from"] != "system"]
        expected_lines = [*TRANSCRIPT, *conversation.sequence]
        if lines != expected_lines:
            wrong_transcripts.append(
                f"{conversation.handover}: expected {len(expected_lines)} lines in order, "
                f"got {lines}"
            )
    problem("transcripts otherwise than sent (citizen or advisor message missing, twice "
            "or out of order)", wrong_transcripts)  # fmt: skip
    return problems


def percentile(values: list[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def figures(load: Load, calls: list[RelayCall], outcome: dict[str, Any], pid_peak: int) -> dict:
    arrived: dict[int, float] = {}
    for relay_call in calls:
        message_id = relay_call.body.get("message_id")
        if relay_call.body.get("kind") == "message" and message_id not in arrived:
            arrived[message_id] = relay_call.at
    relayed = [arrived[s.message_id] - s.posted_at for s in load.sent if s.message_id in arrived]
    lat = load.latencies

    def pair(name: str, values: list[float] | None = None) -> dict[str, float | None]:
        values = lat[name] if values is None else values
        return {"p50": percentile(values, 0.50), "p95": percentile(values, 0.95)}

    return {
        "conversations": sum(1 for c in load.conversations.values() if c.handed_back),
        "advisor_messages": len(load.sent),
        "citizen_messages": len(lat["citizen message"]),
        "total_seconds": (load.ended or time.monotonic()) - load.started,
        "sign_in": pair("sign-in"),
        "join": pair("join"),
        "queue_list": pair("queue list"),
        "take": pair("take"),
        "advisor_message": pair("advisor message", relayed),
        "citizen_message": pair("citizen message"),
        "queue_wait": pair("queue wait"),
        "take_conflicts": load.conflicts,
        "requests": sum(load.statuses.values()),
        "server_errors": sum(n for (_, status), n in load.statuses.items() if status >= 500),
        "peak_rss_bytes": pid_peak,
        "rss_after_sign_in_bytes": outcome.get("rss_after_sign_in", 0),
    }


# -- one store -----------------------------------------------------------------------------------


@dataclass
class StoreRun:
    store: str  # "SQLite" or "PostgreSQL"
    version: str
    load_average: str
    figures: dict[str, Any]
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def run_store(
    store: str,
    advisors: int = 20,
    waiting: int = 200,
    messages: int = 3,
    time_limit: float = 300.0,
    arrival_seconds: float | None = None,
    relay_delay: float = 0.0,
) -> StoreRun:
    """The whole load on one store ("sqlite" or "postgresql"), with a fresh desk process."""
    if advisors < 1 or waiting < 1 or messages < 0:
        raise ValueError("at least one advisor and one conversation")
    load_average = "{:.1f} / {:.1f}".format(*os.getloadavg()[:2])
    with contextlib.ExitStack() as cleanup:
        assistant = StandInAssistant(relay_delay)
        cleanup.callback(assistant.close)
        folder, url, version = cleanup.enter_context(bench_database(store, "desk"))
        accounts = seed(url, advisors)
        desk = DeskProcess(url, folder, assistant.url)
        cleanup.callback(desk.stop)  # before its database goes
        desk.wait_ready()
        arrival = arrival_seconds if arrival_seconds is not None else min(5.0, waiting * 0.025)
        load = Load(desk.url, accounts, waiting, messages, arrival)
        run = f"{store[:2]}{os.getpid()}"
        outcome = asyncio.run(drive(load, run, time_limit, desk.pid))
        peak = proc_status(desk.pid, "VmHWM")
        calls = list(assistant.calls)
        problems = verify(load, calls, outcome)
        complaints = desk.complaints()
        if complaints:
            shown = "; ".join(f"{n} x {line[:160]}" for line, n in complaints.most_common(5))
            problems.append(f"the desk logged: {shown}")
        if problems:
            LOGS.mkdir(parents=True, exist_ok=True)
            kept = LOGS / f"desk-{store}.log"
            shutil.copyfile(desk.log_path, kept)
            problems.append(f"the desk's log is kept in {kept.relative_to(PROJECT_ROOT)}")
        return StoreRun(
            "PostgreSQL" if store == "postgresql" else "SQLite",
            version,
            load_average,
            figures(load, calls, outcome, peak),
            problems,
        )


def figures_table(runs: list[Any], rows: Any) -> list[str]:
    """A Markdown table with a column per store run (`store`, `version`, `figures`, `passed`)
    and a row per (label, how to show it from the figures), then the checks."""
    lines = [
        "| Figure | " + " | ".join(f"{r.store} {r.version}" for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    lines += [
        f"| {label} | " + " | ".join(show(r.figures) for r in runs) + " |" for label, show in rows
    ]
    lines.append(
        "| Checks | " + " | ".join("passed" if r.passed else "FAILED" for r in runs) + " |"
    )
    return lines


@contextlib.contextmanager
def bench_database(store: str, name: str) -> Iterator[tuple[Path, str, str]]:
    """A throwaway folder and a database in it ("sqlite") or on a throwaway PostgreSQL
    ("postgresql"): (folder, URL, server version). Both are removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-bench-"))
    postgres = None
    try:
        if store == "postgresql":
            from deploy.local.throwaway_postgres import ThrowawayPostgres

            postgres = ThrowawayPostgres()
            postgres.start()
            url = postgres.create_database(name)
            version = postgres.psql("SHOW server_version").strip().split()[0]
        else:
            import sqlite3

            url, version = f"sqlite:///{folder / f'{name}.db'}", sqlite3.sqlite_version
        yield folder, url, version
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def chosen_stores(parser: argparse.ArgumentParser, value: str) -> tuple[list[str], str]:
    """The stores of `--stores` ("sqlite,postgresql"), without PostgreSQL when its binaries are
    missing; the note says so (for docs/performance.md)."""
    stores = [s.strip() for s in value.split(",") if s.strip()]
    if not stores or set(stores) - {"sqlite", "postgresql"}:
        parser.error("--stores: sqlite, postgresql or both")
    note = ""
    if "postgresql" in stores:
        missing = postgres_available()
        if missing:
            stores.remove("postgresql")
            note = f"PostgreSQL was not measured: {missing.splitlines()[0]}"
            print(note, flush=True)
    return stores, note


def postgres_available() -> str | None:
    """None when the PostgreSQL binaries are there; else why not."""
    from deploy.local.throwaway_postgres import PostgresUnavailable, find_bindir

    try:
        find_bindir()
    except PostgresUnavailable as exc:
        return str(exc)
    return None


# -- the report ----------------------------------------------------------------------------------


def _ms(pair: dict[str, float | None]) -> str:
    if pair["p50"] is None:
        return "-"
    return f"{pair['p50'] * 1000:.0f} / {pair['p95'] * 1000:.0f} ms"


def _s(pair: dict[str, float | None]) -> str:
    if pair["p50"] is None:
        return "-"
    return f"{pair['p50']:.1f} / {pair['p95']:.1f} s"


def _mb(value: int) -> str:
    return f"{value / 1024 / 1024:.0f} MB" if value else "-"


ROWS = (
    ("Total, first join to last hand-back", lambda f: f"{f['total_seconds']:.1f} s"),
    ("Conversations handed back", lambda f: str(f["conversations"])),
    ("Messages advisor / citizen", lambda f: f"{f['advisor_messages']} / {f['citizen_messages']}"),
    ("Sign-in, all at once, p50 / p95", lambda f: _ms(f["sign_in"])),
    ("Join the queue (internal API) p50 / p95", lambda f: _ms(f["join"])),
    ("Queue list (GET /desk/api/handovers) p50 / p95", lambda f: _ms(f["queue_list"])),
    ("Take p50 / p95", lambda f: _ms(f["take"])),
    ("Take conflicts (409)", lambda f: str(f["take_conflicts"])),
    ("Advisor message, POST to relayed, p50 / p95", lambda f: _ms(f["advisor_message"])),
    ("Citizen message POST p50 / p95", lambda f: _ms(f["citizen_message"])),
    ("Queue wait, join to taken, p50 / p95", lambda f: _s(f["queue_wait"])),
    ("Requests / HTTP 5xx", lambda f: f"{f['requests']} / {f['server_errors']}"),
    ("Desk peak RSS (VmHWM) after sign-in / whole run",
     lambda f: f"{_mb(f['rss_after_sign_in_bytes'])} / {_mb(f['peak_rss_bytes'])}"),
)  # fmt: skip


def report(
    runs: list[StoreRun],
    command: str,
    advisors: int,
    waiting: int,
    messages: int,
    note: str = "",
    relay_delay: float = 0.0,
) -> str:
    answers = f"after {relay_delay:g} s" if relay_delay else "at once"
    loads = "; ".join(f"{r.store} {r.load_average}" for r in runs)
    lines = [
        BEGIN,
        "",
        f"Machine: {describe_machine()}. Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        f"Load average (1 / 5 min) when each store's run started, from other work on the "
        f"machine: {loads}.",
        "",
        f"Command: `make bench-desk` (`{command}`). {advisors} advisors on 2 desks, all signed "
        f"in at once; {waiting} conversations join over a few seconds; each is taken, gets "
        f"{messages} advisor and {messages} citizen messages, interleaved, and is handed back. "
        f"One desk process (uvicorn); a stand-in for the assistant's relay endpoint answers "
        f"{answers}; no pauses but {POLL_SECONDS} s between polls of an empty queue.",
        "",
        *figures_table(runs, ROWS),
    ]
    lines += [
        "",
        "Verified in each run: every conversation was taken by exactly one advisor and handed "
        "back; the stand-in assistant received, per conversation and in this order, "
        '"joined", each advisor message once (by `message_id`) in the order sent, and '
        '"handed_back"; each citizen message is in the transcript '
        "(GET /desk/api/handovers/{id}) exactly once, in the order sent; no HTTP 5xx or other "
        "unexpected answer, and nothing logged by the desk.",
    ]
    if note:
        lines += ["", note]
    for run in runs:
        if run.problems:
            shown = [p if len(p) <= 400 else p[:400] + " ..." for p in run.problems]
            lines += ["", f"{run.store} failed:", *(f"- {p}" for p in shown)]
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--advisors", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per store")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument(
        "--relay-delay", type=float, default=0.0, help="seconds the stand-in takes to answer"
    )
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    stores, note = chosen_stores(parser, args.stores)
    runs = []
    for store in stores:
        print(f"{store}: running ...", flush=True)
        run = run_store(
            store,
            args.advisors,
            args.waiting,
            args.messages,
            args.time_limit,
            relay_delay=args.relay_delay,
        )
        runs.append(run)
        print(f"{store}: {'passed' if run.passed else 'FAILED'}", flush=True)
    for run in runs:
        for problem in run.problems:
            print(f"{run.store}: {problem}", flush=True)
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m tools.bench_desk", *given])
    section = report(
        runs, command, args.advisors, args.waiting, args.messages, note, args.relay_delay
    )
    print(section)
    if args.write_docs:
        write_section(DOCS, BEGIN, END, HEADING, section)
    return 0 if runs and all(r.passed for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
