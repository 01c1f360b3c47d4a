"""`make backup` on the running stack, then `make restore` after the stores are wiped.

Its own stack on its own var/ directory (tests/support/stack.py): a conversation through the
REST channel, a call-back request made in it, a course imported into the catalog; a backup while
another conversation goes on; the stack stopped, every store file deleted, the backup restored;
the stack started again on the same directory finds all three as they were.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import requests

from bot.settings import PROJECT_ROOT
from services.callbacks import CallbackStore
from services.catalog.importers.edudex import Provider, import_edudex
from services.catalog.store import open_store
from tests.support.stack import Citizen, buttons, running_stack, texts

pytestmark = pytest.mark.stack

EDUDEX_PROGRAM = PROJECT_ROOT / "tests/services/catalog/fixtures/edudex/single-program.xml"
COURSE_NAME = "Basis boekhouden voor zzp'ers"
PERSONAL = ("Fatima", "12345678")  # said in the conversation; never printed by the tool


def run_tool(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [sys.executable, "-m", "tools.backup", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = completed.stdout + completed.stderr
    assert "Traceback" not in output, output
    assert not any(word in output for word in PERSONAL), output
    return completed


def user_texts(stack, sender: str) -> list[str]:
    """What the citizen said, from the Rasa HTTP API (the tracker store)."""
    response = requests.get(
        f"{stack.config.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.config.rasa_auth_token},
        timeout=30,
    )
    assert response.status_code == 200
    return [e.get("text") for e in response.json()["events"] if e["event"] == "user"]


def catalog_root(stack) -> str:
    return f"http://{stack.config.host}:{stack.config.catalog_port}"


def catalog_counts(stack) -> dict[str, int]:
    return requests.get(f"{catalog_root(stack)}/health", timeout=10).json()["counts"]


def imported_course(stack) -> dict:
    found = requests.get(
        f"{stack.config.catalog_url}/courses",
        params={"q": "boekhouden", "pageSize": 50},
        timeout=10,
    ).json()["items"]
    (course,) = [c for c in found if c["name"][0]["value"] == COURSE_NAME]
    return requests.get(
        f"{stack.config.catalog_url}/courses/{course['courseId']}", timeout=10
    ).json()


def ask_for_a_call_back(citizen: Citizen) -> str:
    """The conversation of tests/e2e/test_stack.py; returns the request's reference."""
    offer = citizen.say("ik wil een mens spreken")
    assert "/request_callback" in [b["payload"] for b in buttons(offer)]
    citizen.say("/request_callback")
    citizen.say("Fatima")
    citizen.say("06-12345678")
    citizen.say('/inform{"daypart": "morning"}')
    confirmation = texts(citizen.say("/affirm"))
    return next(word.strip(".") for word in confirmation.split() if word.startswith("LW-"))


class Chatter(threading.Thread):
    """Another citizen who keeps talking, so that the stores are written during the backup."""

    def __init__(self, stack) -> None:
        super().__init__(daemon=True)
        self.citizen = Citizen(stack)
        self.stop = threading.Event()
        self.turns = 0
        self.errors: list[str] = []

    def run(self) -> None:
        lines = ("hallo", "ik zoek een computercursus in Breda", "wie betaalt mijn cursus?")
        while not self.stop.is_set():
            try:
                self.citizen.say(lines[self.turns % len(lines)])
                self.turns += 1
            except (AssertionError, requests.RequestException) as exc:
                self.errors.append(str(exc))
                return


def test_a_backup_of_the_running_stack_restores_after_the_stores_are_wiped(tmp_path):
    var_dir = tmp_path / "var"
    backups = tmp_path / "backups"
    with running_stack(var_dir) as stack:
        env = dict(os.environ)  # the stack's settings: VAR_DIR, ports, store URLs
        citizen = Citizen(stack)
        citizen.say("hallo")
        citizen.say("ik zoek een computercursus in Breda")
        reference = ask_for_a_call_back(citizen)
        said = user_texts(stack, citizen.sender)
        assert "ik zoek een computercursus in Breda" in said
        callbacks = CallbackStore(stack.config.callback_database_url)
        request = callbacks.get(reference)
        assert request is not None and request.first_name == "Fatima"
        callbacks.engine.dispose()

        # A course the example catalog does not have, so that a re-seeded catalog would show.
        catalog = open_store(f"sqlite:///{var_dir / 'catalog.db'}")
        try:
            import_edudex([EDUDEX_PROGRAM], catalog, Provider("PT-BACKUP", "Training Backup"))
        finally:
            catalog.close()
        counts = catalog_counts(stack)
        course = imported_course(stack)

        chatter = Chatter(stack)
        chatter.start()
        try:
            made = run_tool(env, "backup", "--to", str(backups))
        finally:
            chatter.stop.set()
            chatter.join(timeout=60)
        assert made.returncode == 0, made.stdout + made.stderr
        assert not chatter.errors and chatter.turns > 0
        (folder,) = [p for p in backups.iterdir() if p.is_dir()]
        assert f"Backup complete: {folder}" in made.stdout
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        entries = {e["store"]: e for e in manifest["stores"]}
        for name in ("tracker", "callbacks", "catalog"):
            assert entries[name]["status"] == "copied" and entries[name]["integrity_check"] == "ok"
        assert entries["callbacks"]["tables"]["callback_requests"] == 1
        assert entries["catalog"]["tables"]["courses"] == counts["courses"]

        refused = run_tool(env, "restore", str(folder))
        assert refused.returncode == 1
        assert "The stack seems to be running" in refused.stderr

    stores = sorted(var_dir.glob("*.db"))
    assert {p.name for p in stores} >= {"tracker.db", "callbacks.db", "catalog.db"}
    for path in var_dir.glob("*.db*"):
        path.unlink()

    restored = run_tool(env, "restore", str(folder))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Restored tracker, callbacks" in restored.stdout
    assert {p.name for p in var_dir.glob("*.db")} == {p.name for p in stores}

    with running_stack(var_dir) as stack:
        assert user_texts(stack, citizen.sender) == said
        request_after = CallbackStore(stack.config.callback_database_url).get(reference)
        assert request_after == request
        assert catalog_counts(stack) == counts
        assert imported_course(stack) == course
        # The conversation goes on where it was.
        assert texts(Citizen(stack, sender=citizen.sender).say("hallo")).strip()
