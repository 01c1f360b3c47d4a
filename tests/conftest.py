"""Shared fixtures. Tests never depend on the developer's .env or running stack."""

from __future__ import annotations

import os

import pytest

from bot.settings import settings
from tests.support import tracked
from tests.support.postgres import throwaway_cluster

# Settings read by bot/settings.py; tests start from a clean slate of these.
SETTING_NAMES = (
    "LEERWIJZER_HOST RASA_PORT ACTION_PORT CATALOG_PORT BUDGET_PORT WEB_PORT RASA_AUTH_TOKEN "
    "CORS_ORIGINS CATALOG_URL BUDGET_URL SERVICE_TIMEOUT_SECONDS VAR_DIR TRACKER_DB "
    "CALLBACK_DATABASE_URL RETENTION_DAYS PRIVACY_URL WHATSAPP_PHONE_NUMBER_ID "
    "WHATSAPP_ACCESS_TOKEN WHATSAPP_APP_SECRET WHATSAPP_VERIFY_TOKEN WHATSAPP_SENDER_ID_KEY "
    "WHATSAPP_API_BASE_URL WHATSAPP_STORE_URL "
    "TRACKER_STORE_URL LOCK_STORE_URL LOCK_LIFETIME_SECONDS ACTION_SERVER_URL "
    "PREFLIGHT_TIMEOUT_SECONDS RATE_LIMIT_MESSAGES RATE_LIMIT_WINDOW_SECONDS MAX_MESSAGE_CHARS "
    "REDIS_URL RETENTION_EVERY_HOURS CALLBACK_DESK_NAME CALLBACK_DESK_PHONE CALLBACK_DESK_HOURS "
    "CALLBACK_DESK_WORKING_DAYS "
    "DESK_PORT DESK_URL DESK_DATABASE_URL DESK_SERVICE_TOKEN ASSISTANT_URL DESK_COOKIE_SECURE "
    "DESK_LOCKOUT_ATTEMPTS DESK_LOCKOUT_MINUTES DESK_SESSION_IDLE_MINUTES DESK_SESSION_HOURS "
    "DESK_AUDIT_DAYS CALLBACK_FINISHED_DAYS DESK_TIMEZONE DESK_OIDC_ISSUER DESK_OIDC_CLIENT_ID "
    "DESK_OIDC_CLIENT_SECRET DESK_OIDC_REDIRECT_URL DESK_OIDC_SCOPES DESK_OIDC_USERNAME_CLAIM "
    "EVENT_BROKER EVENT_BROKER_URL RABBITMQ_URL RABBITMQ_QUEUE INSIGHTS_DATABASE_URL INSIGHTS_K "
    "INSIGHTS_GRAIN INSIGHTS_FACTS_DAYS INSIGHTS_EVERY_MINUTES INSIGHTS_CLOSE_AFTER_MINUTES"
).split()


@pytest.fixture
def clean_settings(monkeypatch, tmp_path):
    """Settings from defaults only: no .env file, no inherited environment values."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("bot.settings.ENV_FILE", tmp_path / "absent.env")
    settings.cache_clear()
    yield monkeypatch
    settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_cluster():
    """One throwaway PostgreSQL cluster for the session (tests/support/postgres.py)."""
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def shared_stack(tmp_path_factory):
    """The whole stack with default settings, started once for every test that needs nothing
    else (tests/e2e, tests/security, tests/browser): one start instead of one per package."""
    from tests.support.stack import started_stack

    with started_stack(tmp_path_factory.mktemp("var-shared")) as running:
        yield running


@pytest.fixture(autouse=True)
def _isolated_settings_cache():
    settings.cache_clear()
    yield
    settings.cache_clear()


def pytest_configure(config):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(config, items):
    """Every test on the running stack is marked `stack`, also those that get it through a
    fixture (tests/browser): `make test` runs the others while the model trains."""
    for item in items:
        if "shared_stack" in item.fixturenames and not item.get_closest_marker("stack"):
            item.add_marker(pytest.mark.stack)


_TRACKED_AT_START: dict[str, dict[str, str] | None] = {}


def pytest_sessionstart(session):
    _TRACKED_AT_START["state"] = tracked.snapshot()


def pytest_sessionfinish(session, exitstatus):
    """A run that changed a tracked file fails, naming it (tests/support/tracked.py)."""
    changed = tracked.changed_since(_TRACKED_AT_START.get("state"))
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "Tests changed tracked files (write to var/ instead): " + ", ".join(changed)
        if reporter:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
