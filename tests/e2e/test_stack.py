"""The whole stack as real processes: services, action server, Rasa server and web page.

Starts on free ports with its own var/ directory, so a developer's running stack and
.env do not matter. Reuses the trained model (make test trains it before pytest).
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import time

import pytest
import requests

from actions.contacts import fallback_contact
from bot.launcher import Stack
from bot.settings import settings
from bot.training import ensure_model

pytestmark = pytest.mark.stack
PORT_SETTINGS = ("RASA_PORT", "ACTION_PORT", "CATALOG_PORT", "BUDGET_PORT", "WEB_PORT")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("var")
    with pytest.MonkeyPatch.context() as env:
        for name in PORT_SETTINGS:
            env.setenv(name, str(free_port()))
        env.setenv("VAR_DIR", str(var_dir))
        env.setenv("TRACKER_DB", str(var_dir / "tracker.db"))
        env.setenv("LEERWIJZER_HOST", "127.0.0.1")
        for inherited in ("CATALOG_URL", "BUDGET_URL", "CORS_ORIGINS"):
            env.delenv(inherited, raising=False)
        settings.cache_clear()
        config = settings()
        with Stack(config, ensure_model(), log_dir=var_dir / "log") as running:
            running.start(report=lambda line: None)
            yield running
    settings.cache_clear()


def say(stack: Stack, sender: str, text: str) -> list[dict]:
    response = requests.post(
        f"{stack.config.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=30,
    )
    assert response.status_code == 200
    return response.json()


def test_greeting_says_it_is_a_computer_program(stack):
    [answer] = say(stack, "e2e-greet", "hallo")
    assert "computerprogramma" in answer["text"]
    assert [b["title"] for b in answer["buttons"]]


def test_skeleton_conversation_shows_courses_from_the_catalog_service(stack):
    catalog = requests.get(
        f"{stack.config.catalog_url}/courses",
        params={"topic": "digital", "municipality": "Breda"},
        timeout=5,
    ).json()
    expected_names = [c["name"][0]["value"] for c in catalog["items"]][:3]
    assert expected_names, "the example catalog has computer courses in Breda"

    answers = say(stack, "e2e-course", "Ik zoek een computercursus in Breda")
    texts = [a.get("text", "") for a in answers]
    shown = [t.splitlines()[0] for t in texts if "\nWaar:" in t]
    assert shown == expected_names
    assert all("Start:" in t for t in texts if "\nWaar:" in t)
    assert answers[-1]["buttons"], "the citizen gets buttons for a next step"


def test_conversation_is_stored_in_the_sqlite_tracker_store(stack):
    say(stack, "e2e-stored", "hallo")
    with sqlite3.connect(stack.config.tracker_db) as db:
        count = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", ("e2e-stored",)
        ).fetchone()[0]
    assert count > 0


def test_web_page_is_served_with_the_rasa_address(stack):
    page = requests.get(f"{stack.config.web_url}/", timeout=5)
    assert page.status_code == 200 and "Leerwijzer" in page.text
    config_js = requests.get(f"{stack.config.web_url}/config.js", timeout=5).text
    assert f'"rasaPort": {stack.config.rasa_port}' in config_js


def test_http_api_needs_the_token(stack):
    url = f"{stack.config.rasa_url}/conversations/e2e-greet/tracker"
    assert requests.get(url, timeout=5).status_code == 401
    authorised = requests.get(url, params={"token": stack.config.rasa_auth_token}, timeout=5)
    assert authorised.status_code == 200


def test_catalog_down_gives_a_plain_answer_with_a_phone_number(stack):
    """Runs last in this module: it stops the catalog service."""
    catalog = next(p for p in stack.processes if p.name == "catalog")
    catalog.popen.send_signal(signal.SIGTERM)
    catalog.popen.wait(timeout=10)
    started = time.monotonic()
    answers = say(stack, "e2e-down", "Ik zoek een computercursus in Breda")
    elapsed = time.monotonic() - started
    text = " ".join(a.get("text", "") for a in answers)
    assert fallback_contact().phone in text
    assert "Leerwerkloket" in text
    assert elapsed < 3.0
