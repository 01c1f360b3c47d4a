"""Build trackers the way the action server receives them."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker


def make_tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots or {},
        latest_message={
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "text": text,
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_factory():
    return make_tracker


@pytest.fixture(autouse=True)
def _fresh_circuit_breakers():
    """Each test starts with closed circuits: a failure test must not open them for the next."""
    from actions.clients import base

    base._breakers.clear()
    yield
    base._breakers.clear()


DESK = {
    "CALLBACK_DESK_NAME": "Leerwerkloket West-Brabant",
    "CALLBACK_DESK_PHONE": "076 000 0000",
    "CALLBACK_DESK_HOURS": "maandag tot en met vrijdag 9:00-17:00",
    "CALLBACK_DESK_WORKING_DAYS": "2",
}


@pytest.fixture
def desk(monkeypatch):
    """A desk that has agreed to call citizens back (settings CALLBACK_DESK_*)."""
    from bot.settings import settings

    for name, value in DESK.items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    yield DESK
    settings.cache_clear()


@pytest.fixture
def no_desk(monkeypatch):
    """No desk has agreed to call back (the default)."""
    from bot.settings import settings

    for name in DESK:
        monkeypatch.setenv(name, "")
    settings.cache_clear()
    yield
    settings.cache_clear()
