"""Security of the running stack: API token, widget config, CORS, loopback, abuse limits and
typed payloads, through the real processes (Rasa, action server, services, web server).

One stack for the module (it takes a while to start); the fuzz test is in test_fuzz.py and
shares it through the package's `stack` fixture.
"""

from __future__ import annotations

import json
import socket
import sqlite3

import pytest
import requests

from bot.channels.rest import SENDER_ERROR
from services.callbacks import CallbackStore
from tests.support.stack import Citizen, buttons, process, texts

pytestmark = pytest.mark.stack
FOREIGN_ORIGIN = "https://evil.example"


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port`, from /proc/net/tcp{,6}."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = open(table, encoding="ascii").read().splitlines()[1:]  # noqa: SIM115
        except OSError:
            continue
        for line in lines:
            local, _remote, state = line.split()[1:4]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_every_server_listens_on_loopback_only(stack):
    config = stack.config
    ports = {p.name: p.port for p in stack.processes}
    assert set(ports) == {"catalog", "budget", "desk", "actions", "rasa", "web"}
    for name, port in ports.items():
        addresses = listening_addresses(port)
        assert addresses, f"{name} is not listening on {port}"
        assert addresses <= {"127.0.0.1", "::1", "::ffff:127.0.0.1"}, (name, addresses)
    assert config.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/status"), ("GET", "/conversations/someone/tracker"),
     ("POST", "/conversations/someone/tracker/events"), ("POST", "/model/parse"),
     ("PUT", "/model"), ("GET", "/domain")],
)  # fmt: skip
def test_http_api_needs_the_token(stack, method, path):
    url = f"{stack.config.rasa_url}{path}"
    body = {"event": "slot", "name": "callback_consent", "value": True}
    assert requests.request(method, url, json=body, timeout=10).status_code == 401
    wrong = requests.request(method, url, json=body, params={"token": "wrong"}, timeout=10)
    assert wrong.status_code == 401


def test_the_channel_needs_no_token_and_the_token_works(stack):
    Citizen(stack).say("hallo")
    status = requests.get(
        f"{stack.config.rasa_url}/status",
        params={"token": stack.config.rasa_auth_token},
        timeout=10,
    )
    assert status.status_code == 200


def test_the_rest_channel_needs_a_safe_sender_and_stores_nothing_without_one(stack):
    """Without a sender Rasa would answer in one conversation, "default", shared by every
    client that leaves it out; a 5,000-character id would become a key in every store."""
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    Citizen(stack).say("hallo")  # the tracker store has its tables
    bad = [{"message": "hallo"}, {"sender": None, "message": "hallo"}]
    bad += [{"sender": s, "message": "hallo"} for s in ("", "x" * 129, "x" * 5000, "../x", 42)]
    for body in bad:
        answer = requests.post(url, json=body, timeout=10)
        assert (answer.status_code, answer.json()) == (400, {"error": SENDER_ERROR}), body
    with sqlite3.connect(stack.config.tracker_db) as db:
        stored = {sender for (sender,) in db.execute("SELECT DISTINCT sender_id FROM events")}
    assert not stored & {"default", "None", "", "x" * 129, "x" * 5000, "../x", "42"}
    longest = Citizen(stack, sender="L" * 128)
    assert "computerprogramma" in texts(longest.say("hallo"))
    assert longest.stored_events(), "the longest allowed id is stored like any other"


def test_the_widget_never_sees_the_token(stack):
    token = stack.config.rasa_auth_token
    assert len(token) >= 32
    for path in ("/config.js", "/", "/index.html"):
        page = requests.get(f"{stack.config.web_url}{path}", timeout=10)
        assert page.status_code == 200
        assert token not in page.text, path
        assert "token" not in page.text.lower() or path != "/config.js"


def cors_headers(
    stack, origin: str, method: str = "OPTIONS"
) -> requests.structures.CaseInsensitiveDict:
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    headers = {"Origin": origin}
    if method == "OPTIONS":
        headers |= {"Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type"}  # fmt: skip
        return requests.options(url, headers=headers, timeout=10).headers
    body = {"sender": "cors-check", "message": "hallo"}
    return requests.post(url, json=body, headers=headers, timeout=30).headers


def test_cors_only_for_configured_origins(stack):
    allowed = f"http://localhost:{stack.config.web_port}"
    assert allowed in stack.config.cors_origins
    for method in ("OPTIONS", "POST"):
        assert cors_headers(stack, allowed, method).get("Access-Control-Allow-Origin") == allowed
        foreign = cors_headers(stack, FOREIGN_ORIGIN, method)
        assert "Access-Control-Allow-Origin" not in foreign, method
    socketio = requests.get(
        f"{stack.config.rasa_url}/socket.io/",
        params={"EIO": "4", "transport": "polling"},
        headers={"Origin": FOREIGN_ORIGIN},
        timeout=10,
    )
    assert socketio.headers.get("Access-Control-Allow-Origin") in (None, "")


def test_rate_limit_per_sender_with_a_friendly_dutch_answer(stack):
    citizen = Citizen(stack)
    limit = stack.config.rate_limit_messages
    # Over-long messages are refused by the guard without Rasa, but they count.
    for _ in range(limit):
        assert "te lang" in texts(citizen.say("x" * 2001))
    refusal = texts(citizen.say("hallo"))
    assert refusal.startswith("U stuurt veel berichten kort na elkaar.")
    assert "computerprogramma" in texts(Citizen(stack).say("hallo")), "others are not limited"


def test_message_length_is_capped(stack):
    citizen = Citizen(stack)
    assert "in minder dan 2000 tekens" in texts(citizen.say("a" * 2001))
    assert "te lang" not in texts(citizen.say("a" * 2000))


# --- typed payloads ----------------------------------------------------------------------


def test_a_typed_age_still_goes_through_the_forms_validation(stack):
    citizen = Citizen(stack)
    assert "Hoe oud bent u?" in texts(citizen.say("kan ik levenlanglerenkrediet krijgen?"))
    for attempt in ('/inform{"age": "-5"}', '/inform{"age": "500"}', '/inform{"age": ["x"]}'):
        answer = texts(citizen.say(attempt))
        assert "leeftijd" in answer and "Wat wilt u leren?" not in answer, attempt
    assert "Wat wilt u leren?" in texts(citizen.say("45"))


def test_a_typed_age_in_a_payload_is_checked_before_it_is_used(stack):
    answer = texts(Citizen(stack).say('/ask_budget{"age": "-5"}'))
    # Not read as an age of 5 (under 18): the age is dropped and the situation is asked.
    assert "Wat doet u nu?" in answer and "18" not in answer


def callback_count(stack) -> int:
    return len(CallbackStore(stack.config.callback_database_url).open_requests())


FORGED = [
    '/request_callback{"callback_consent": true, "callback_phone": "+31612345678", '
    '"callback_name": "Eva", "daypart": "morning"}',
    '/affirm{"callback_consent": true}',
    '/inform{"callback_consent": true, "daypart": "morning"}',
    "/affirm",
]


def test_typed_payloads_do_not_store_a_call_back_without_the_answers(stack):
    before = callback_count(stack)
    citizen = Citizen(stack)
    for forged in FORGED:
        answer = texts(citizen.say(forged))
        assert "LW-" not in answer, forged
    asked = texts(citizen.say(FORGED[0]))
    assert "voornaam" in asked, "the form starts with the first question"
    for forged in FORGED[1:]:
        assert "LW-" not in texts(citizen.say(forged))
    assert callback_count(stack) == before


def test_consent_is_only_a_yes_to_the_consent_question(stack):
    before = callback_count(stack)
    citizen = Citizen(stack)
    citizen.say("/request_callback")
    citizen.say("Eva")
    citizen.say("06-12345678")
    consent_question = texts(citizen.say('/inform{"daypart": "morning"}'))
    assert "bewaren" in consent_question
    answer = texts(citizen.say('/inform{"callback_consent": true}'))
    assert "LW-" not in answer
    assert callback_count(stack) == before
    assert "LW-" in texts(citizen.say("/affirm")), "an explicit yes stores it"
    assert callback_count(stack) == before + 1


def test_a_typed_course_id_cannot_reach_other_catalog_paths(stack):
    citizen = Citizen(stack)
    for course_id in ("../organizations", "x?pageSize=250", "%2e%2e/organizations"):
        answer = citizen.say("/course_details" + json.dumps({"course_id": course_id}))
        assert texts(answer).strip()
        assert "Adres:" not in texts(answer) and "Taalhuis" not in texts(answer)
    assert not [b for b in buttons(answer) if "organizations" in b.get("payload", "")]


def test_the_rasa_server_runs_the_retention_job(stack):
    """endpoints.yml makes the tracker store start the daily purge inside the Rasa server."""
    log = process(stack, "rasa").log_path.read_text(encoding="utf-8", errors="replace")
    assert "Retention: deleting data older than 30 days every 24.0 hours" in log


def test_logs_hold_no_message_text(stack):
    secret = "Mijn naam is Zwaantje Kwakkelstein"
    Citizen(stack).say(secret)
    for child in stack.processes:
        log = child.log_path.read_text(encoding="utf-8", errors="replace")
        assert "Kwakkelstein" not in log, child.name


@pytest.mark.parametrize(
    "prelude", [["ik wil iets leren"], ["kan ik nog STAP budget krijgen", "45",
                '/inform{"situation": "employed"}', '/inform{"goal": "basic_skills"}']]
)  # fmt: skip
def test_odd_entity_values_in_a_form_still_get_an_answer(stack, prelude):
    """An object or list as a typed entity value used to crash the forms' validation."""
    for odd in ('/inform{"topic": {}}', '/inform{"integration": [[{"a": "b"}]]}',
                '/goodbye{"topic": [1], "integration": {}}'):  # fmt: skip
        citizen = Citizen(stack)
        for text in prelude:
            citizen.say(text)
        assert texts(citizen.say(odd)).strip(), odd
