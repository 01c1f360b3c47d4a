"""The whole stack for tests: started on free ports with its own var/ directory, and a
Citizen that talks to it through the REST channel.

`started_stack` is the session's shared stack (the `shared_stack` fixture in
tests/conftest.py); `running_stack` starts one with extra settings for a test package
(tests/faults, tests/e2e/test_handover.py). The trained model is reused: `make test` trains
it before the stack tests run. A developer's running stack and .env do not matter.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.launcher import Stack
from bot.settings import settings
from tests.support.ports import free_port
from tools.training import ensure_model

PORT_SETTINGS = ("RASA_PORT", "ACTION_PORT", "CATALOG_PORT", "BUDGET_PORT", "WEB_PORT", "DESK_PORT")
INHERITED = ("CATALOG_URL", "BUDGET_URL", "CORS_ORIGINS", "CATALOG_DATABASE_URL", "REDIS_URL")
INHERITED += ("RATE_LIMIT_MESSAGES", "RATE_LIMIT_WINDOW_SECONDS", "MAX_MESSAGE_CHARS")
# A stack that another test started on PostgreSQL and Redis does not lend them to the next.
INHERITED += ("TRACKER_STORE_URL", "LOCK_STORE_URL", "WHATSAPP_STORE_URL", "ACTION_SERVER_URL")
INHERITED += ("DESK_URL", "DESK_DATABASE_URL", "ASSISTANT_URL", "DESK_SERVICE_TOKEN")
INHERITED += ("EVENT_BROKER", "EVENT_BROKER_URL", "RABBITMQ_URL", "INSIGHTS_DATABASE_URL")


CALLBACK_DESK = {
    "CALLBACK_DESK_NAME": "Leerwerkloket West-Brabant",
    "CALLBACK_DESK_PHONE": "076 000 0000",
    "CALLBACK_DESK_HOURS": "maandag tot en met vrijdag 9:00-17:00",
    "CALLBACK_DESK_WORKING_DAYS": "2",
}


INSIGHTS = {
    "INSIGHTS_EVERY_MINUTES": "0.1",
    "INSIGHTS_CLOSE_AFTER_MINUTES": "0.5",
    "INSIGHTS_K": "3",
}


def stack_environment(env: pytest.MonkeyPatch, var_dir: Path) -> None:
    """Free loopback ports, its own var/ directory, no inherited service settings."""
    for name in INHERITED:
        env.delenv(name, raising=False)
    for name in PORT_SETTINGS:
        env.setenv(name, str(free_port()))
    env.setenv("VAR_DIR", str(var_dir))
    env.setenv("TRACKER_DB", str(var_dir / "tracker.db"))
    env.setenv("CALLBACK_DATABASE_URL", f"sqlite:///{var_dir / 'callbacks.db'}")
    env.setenv("LEERWIJZER_HOST", "127.0.0.1")
    # A desk that has agreed to call back (tests/e2e/test_handover.py runs without one).
    for name, value in CALLBACK_DESK.items():
        env.setenv(name, value)
    # The insights' job in seconds, not minutes (tests/personas/test_insights.py).
    for name, value in INSIGHTS.items():
        env.setenv(name, value)


@contextlib.contextmanager
def running_stack(var_dir: Path, **extra_env: str) -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as env:
        stack_environment(env, var_dir)
        for name, value in extra_env.items():
            env.setenv(name, value)
        settings.cache_clear()
        config = settings()
        try:
            with Stack(config, ensure_model(), log_dir=var_dir / "log") as running:
                running.start(report=lambda line: None)
                yield running
        finally:
            settings.cache_clear()


@contextlib.contextmanager
def started_stack(var_dir: Path) -> Iterator[Stack]:
    """A stack with default settings whose environment is set only while it starts.

    The children keep the environment they were started with; the test process gets its
    own back, so a stack that lives for the whole session does not leak its ports and
    directories into other tests' settings. Tests use `stack.config`.
    """
    with contextlib.ExitStack() as cleanup:
        with pytest.MonkeyPatch.context() as env:
            stack_environment(env, var_dir)
            settings.cache_clear()
            try:
                running = cleanup.enter_context(
                    Stack(settings(), ensure_model(), log_dir=var_dir / "log")
                )
                running.start(report=lambda line: None)
            finally:
                settings.cache_clear()
        yield running


def process(stack: Stack, name: str):
    return next(p for p in stack.processes if p.name == name)


class Citizen:
    """One conversation through the REST channel."""

    def __init__(
        self, stack: Stack, sender: str | None = None, metadata: dict | None = None
    ) -> None:
        self.stack = stack
        self.sender = sender or f"citizen-{uuid.uuid4().hex[:10]}"
        self.metadata = metadata  # what a kiosk or the widget sends with each message

    @property
    def url(self) -> str:
        return f"{self.stack.config.rasa_url}/webhooks/rest/webhook"

    def say(self, text: str, timeout: float = 30) -> list[dict]:
        body: dict = {"sender": self.sender, "message": text}
        if self.metadata:
            body["metadata"] = self.metadata
        response = requests.post(self.url, json=body, timeout=timeout)
        assert response.status_code == 200, f"{response.status_code} for {text!r}"
        answers = response.json()
        assert answers, f"no answer to {text!r}"
        return answers

    def stored_events(self) -> list[dict]:
        """This conversation's events in the SQLite tracker store, oldest first."""
        with sqlite3.connect(self.stack.config.tracker_db) as db:
            rows = db.execute(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (self.sender,)
            ).fetchall()
        return [json.loads(data) for (data,) in rows]


def texts(answers: list[dict]) -> str:
    return "\n".join(a.get("text") or "" for a in answers)


def buttons(answers: list[dict]) -> list[dict]:
    return [b for a in answers for b in a.get("buttons") or []]
