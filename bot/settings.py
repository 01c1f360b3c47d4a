"""Runtime settings, read once from the environment and `.env` (python-dotenv).

Every port, URL, path and token is defined here with its default; `.env.example`
documents the same names. Other modules import `settings()` instead of reading
os.environ themselves, so that a value has exactly one source.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = PROJECT_ROOT / ".env"
ENV_EXAMPLE_FILE = PROJECT_ROOT / ".env.example"
TOKEN_PLACEHOLDER = "generate-on-first-run"  # noqa: S105 - a marker, not a secret


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_number(name: str, default: int | float) -> int | float:
    """A number setting of the same type as its default; a bad value names the setting."""
    raw = _env(name, str(default))
    kind = type(default)
    try:
        return kind(raw)
    except ValueError as exc:
        what = "a whole number" if kind is int else "a number"
        raise SystemExit(f"Setting {name} must be {what}, got {raw!r}.") from exc


# The longest message a citizen may send (the widget and kiosk stop at the same length).
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Settings:
    host: str
    rasa_port: int
    action_port: int
    catalog_port: int
    budget_port: int
    web_port: int
    rasa_auth_token: str
    catalog_url: str
    budget_url: str
    service_timeout_seconds: float
    tracker_db: Path
    var_dir: Path
    privacy_url: str
    retention_days: int
    callback_database_url: str
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    # Abuse limits for every input channel (bot/guard.py) and the retention job.
    rate_limit_messages: int = 30
    rate_limit_window_seconds: float = 60.0
    max_message_chars: int = MAX_MESSAGE_CHARS
    redis_url: str = ""
    retention_every_hours: float = 24.0
    # Scale-out (docs/operations.md): shared stores and where the action server is.
    tracker_store_url: str = ""
    lock_store_url: str = ""
    lock_lifetime_seconds: int = 60
    action_server_url: str = ""
    preflight_timeout_seconds: float = 3.0
    # The desk that has agreed to call citizens back (docs/conversation.md, "A person"). Without
    # a name, a phone number and a number of working days, no call-back is offered.
    callback_desk_name: str = ""
    callback_desk_phone: str = ""
    callback_desk_hours: str = ""
    callback_desk_working_days: int = 0
    # The desk (services/desk, docs/desk.md): advisors, live hand-over and call-backs.
    desk_port: int = 8003
    desk_url: str = ""
    desk_database_url: str = ""
    desk_service_token: str = ""
    assistant_url: str = ""
    desk_cookie_secure: bool = True
    desk_lockout_attempts: int = 5
    desk_lockout_minutes: int = 15
    desk_session_idle_minutes: int = 60
    desk_session_hours: int = 10
    desk_audit_days: int = 365
    callback_finished_days: int = 7
    desk_timezone: str = "Europe/Amsterdam"
    # Anonymous insights (services/insights, docs/insights.md).
    event_broker: str = "sql"
    event_broker_url: str = ""
    rabbitmq_url: str = ""
    rabbitmq_queue: str = "leerwijzer_events"
    insights_database_url: str = ""
    insights_k: int = 10
    insights_grain: str = "month"
    insights_facts_days: int = 400
    insights_every_minutes: float = 15.0
    insights_close_after_minutes: float = 60.0

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return self.action_server_url or f"http://{self.host}:{self.action_port}"

    @property
    def desk_health_url(self) -> str:
        return f"http://{self.host}:{self.desk_port}/desk/health"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"


def load_env_file(path: Path | None = None) -> None:
    """Put values from `.env` into os.environ without overriding what is already set."""
    path = path or ENV_FILE  # read at call time, so tests can point it elsewhere
    if not path.exists():
        return
    for key, value in dotenv_values(path).items():
        if value is not None and key not in os.environ:
            os.environ[key] = value


def ensure_env_file() -> Path:
    """Create `.env` from `.env.example` on first run, with a fresh random API token."""
    if not ENV_FILE.exists() and ENV_EXAMPLE_FILE.exists():
        text = ENV_EXAMPLE_FILE.read_text(encoding="utf-8")
        text = text.replace(TOKEN_PLACEHOLDER, secrets.token_urlsafe(32))
        ENV_FILE.write_text(text, encoding="utf-8")
        ENV_FILE.chmod(0o600)
    return ENV_FILE


def _project_path(raw: str) -> Path:
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


@lru_cache(maxsize=1)
def settings() -> Settings:
    load_env_file()
    host = _env("LEERWIJZER_HOST", "127.0.0.1")
    catalog_port = _env_number("CATALOG_PORT", 8001)
    budget_port = _env_number("BUDGET_PORT", 8002)
    web_port = _env_number("WEB_PORT", 8000)
    var_dir = _project_path(_env("VAR_DIR", "var"))
    tracker_db = _project_path(_env("TRACKER_DB", str(var_dir / "tracker.db")))
    token = _env("RASA_AUTH_TOKEN", "")
    if token in ("", TOKEN_PLACEHOLDER):
        # Never run the HTTP API without a token; a per-process one keeps it closed.
        token = secrets.token_urlsafe(32)
    origins = _env("CORS_ORIGINS", f"http://localhost:{web_port},http://127.0.0.1:{web_port}")
    return Settings(
        host=host,
        rasa_port=_env_number("RASA_PORT", 5005),
        action_port=_env_number("ACTION_PORT", 5055),
        catalog_port=catalog_port,
        budget_port=budget_port,
        web_port=web_port,
        rasa_auth_token=token,
        catalog_url=_env("CATALOG_URL", f"http://{host}:{catalog_port}/v5").rstrip("/"),
        budget_url=_env("BUDGET_URL", f"http://{host}:{budget_port}").rstrip("/"),
        service_timeout_seconds=_env_number("SERVICE_TIMEOUT_SECONDS", 2.0),
        tracker_db=tracker_db,
        var_dir=var_dir,
        privacy_url=_env("PRIVACY_URL", f"http://localhost:{web_port}/privacy.html"),
        retention_days=_env_number("RETENTION_DAYS", 30),
        callback_database_url=_env(
            "CALLBACK_DATABASE_URL", f"sqlite:///{var_dir / 'callbacks.db'}"
        ),
        cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        rate_limit_messages=_env_number("RATE_LIMIT_MESSAGES", 30),
        rate_limit_window_seconds=_env_number("RATE_LIMIT_WINDOW_SECONDS", 60.0),
        max_message_chars=_env_number("MAX_MESSAGE_CHARS", MAX_MESSAGE_CHARS),
        redis_url=_env("REDIS_URL", ""),
        retention_every_hours=_env_number("RETENTION_EVERY_HOURS", 24.0),
        callback_desk_name=_env("CALLBACK_DESK_NAME", "").strip(),
        callback_desk_phone=_env("CALLBACK_DESK_PHONE", "").strip(),
        callback_desk_hours=_env("CALLBACK_DESK_HOURS", "").strip(),
        callback_desk_working_days=_env_number("CALLBACK_DESK_WORKING_DAYS", 0),
        **_scale_settings(tracker_db),
        **_desk_settings(host, var_dir, token, _env_number("RASA_PORT", 5005)),
        **_insights_settings(var_dir),
    )


def _insights_settings(var_dir: Path) -> dict[str, object]:
    """Anonymous insights (docs/insights.md): the event broker, the facts and what is published."""
    broker = _env("EVENT_BROKER", "sql").strip().lower()
    grain = _env("INSIGHTS_GRAIN", "month").strip().lower()
    return {
        # sql: Rasa's SQL event broker (EVENT_BROKER_URL); pika: RabbitMQ (RABBITMQ_URL); off.
        "event_broker": broker if broker in ("sql", "pika", "off") else "sql",
        # The raw (minimised) events: SQLite by default, or postgresql://...
        "event_broker_url": _env("EVENT_BROKER_URL", f"sqlite:///{var_dir / 'events.db'}"),
        "rabbitmq_url": _env("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        "rabbitmq_queue": _env("RABBITMQ_QUEUE", "leerwijzer_events"),
        "insights_database_url": _env(
            "INSIGHTS_DATABASE_URL", f"sqlite:///{var_dir / 'insights.db'}"
        ),
        # Every published cell counts at least this many distinct conversations.
        "insights_k": max(2, int(_env_number("INSIGHTS_K", 10))),
        "insights_grain": grain if grain in ("month", "quarter") else "month",
        "insights_facts_days": _env_number("INSIGHTS_FACTS_DAYS", 400),
        # How often the desk turns finished conversations into facts and republishes (0: never).
        "insights_every_minutes": _env_number("INSIGHTS_EVERY_MINUTES", 15.0),
        # A conversation is finished when it has been quiet this long (Rasa's session expiry).
        "insights_close_after_minutes": _env_number("INSIGHTS_CLOSE_AFTER_MINUTES", 60.0),
    }


def _desk_settings(host: str, var_dir: Path, rasa_token: str, rasa_port: int) -> dict[str, object]:
    """The desk's settings (docs/desk.md)."""
    port = _env_number("DESK_PORT", 8003)
    # The token between the assistant and the desk; by default derived from the Rasa token,
    # which every process of `make run` shares.
    derived = hashlib.sha256(f"leerwijzer-desk:{rasa_token}".encode()).hexdigest()
    return {
        "desk_port": port,
        "desk_url": _env("DESK_URL", f"http://{host}:{port}").rstrip("/"),
        "desk_database_url": _env("DESK_DATABASE_URL", f"sqlite:///{var_dir / 'desk.db'}"),
        "desk_service_token": _env("DESK_SERVICE_TOKEN", derived),
        # Where the desk reaches the assistant's relay endpoint: one Rasa server, or nginx.
        "assistant_url": _env("ASSISTANT_URL", f"http://{host}:{rasa_port}").rstrip("/"),
        "desk_cookie_secure": _env("DESK_COOKIE_SECURE", "1") not in ("0", "false", "no"),
        "desk_lockout_attempts": _env_number("DESK_LOCKOUT_ATTEMPTS", 5),
        "desk_lockout_minutes": _env_number("DESK_LOCKOUT_MINUTES", 15),
        "desk_session_idle_minutes": _env_number("DESK_SESSION_IDLE_MINUTES", 60),
        "desk_session_hours": _env_number("DESK_SESSION_HOURS", 10),
        "desk_audit_days": _env_number("DESK_AUDIT_DAYS", 365),
        "callback_finished_days": _env_number("CALLBACK_FINISHED_DAYS", 7),
        "desk_timezone": _env("DESK_TIMEZONE", "Europe/Amsterdam"),
    }


# -- scale-out settings (docs/operations.md) --------------------------------------------------


def _scale_settings(tracker_db: Path) -> dict[str, object]:
    return {
        # Conversations: sqlite:///path (one machine) or postgresql://user:pw@host:5432/db.
        "tracker_store_url": _env("TRACKER_STORE_URL", f"sqlite:///{tracker_db}"),
        # Conversation locks: empty for in-memory (one Rasa process), redis://host:6379/1 for
        # several Rasa processes.
        "lock_store_url": _env("LOCK_STORE_URL", ""),
        "lock_lifetime_seconds": _env_number("LOCK_LIFETIME_SECONDS", 60),
        # How Rasa reaches the action server when it is not on LEERWIJZER_HOST:ACTION_PORT.
        "action_server_url": _env("ACTION_SERVER_URL", "").rstrip("/"),
        "preflight_timeout_seconds": _env_number("PREFLIGHT_TIMEOUT_SECONDS", 3.0),
    }
