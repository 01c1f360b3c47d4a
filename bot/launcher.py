"""Start the whole stack as child processes, wait until each is healthy, stop all on Ctrl-C.

Run: `python -m bot.launcher` (what `make run` does). The catalog and budget services,
the action server, the Rasa server and a static server for web/ each run as their own
process group with logs under var/log/. Ctrl-C or SIGTERM stops every child.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings, ensure_env_file, settings

STOP_GRACE_SECONDS = 10.0
CREDENTIALS_FILE = PROJECT_ROOT / "credentials.yml"
DEFAULT_START_TIMEOUT = 240.0
PROCESS_NAMES = ("catalog", "budget", "desk", "actions", "rasa", "web")


class StackError(RuntimeError):
    """The stack could not start; the message says what a person can do about it."""


@dataclass
class Process:
    name: str
    argv: list[str]
    port: int
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen | None = None
    log_path: Path | None = None

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def child_environment(config: Settings) -> dict[str, str]:
    """Environment for every child: .env values plus what endpoints.yml and the actions read."""
    env = dict(os.environ)
    env.update(
        {
            "ACTION_ENDPOINT_URL": f"{config.action_url}/webhook",
            "TRACKER_DB": str(config.tracker_db),
            **store_environment(config),
            "CATALOG_URL": config.catalog_url,
            "BUDGET_URL": config.budget_url,
            "RASA_AUTH_TOKEN": config.rasa_auth_token,
            "SANIC_HOST": config.host,
            "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            # Sanic (Rasa, action server) closes idle keep-alive connections after 5 s, while
            # its clients (Rasa's aiohttp to the action server, nginx) reuse them longer: under
            # load a reused, just-closed connection lost action calls ("Cannot write to closing
            # transport"). Keep them open longer than any client does.
            "SANIC_KEEP_ALIVE_TIMEOUT": env.get("SANIC_KEEP_ALIVE_TIMEOUT", "75"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # Rasa refuses to start when credentials.yml names an undefined ${VAR}; a channel that
    # is not set up (WhatsApp) gets empty values and answers 503 instead.
    for name in credential_variables():
        env.setdefault(name, "")
    return env


def redis_parts(url: str) -> dict[str, str]:
    """host, port, db and password of a redis://[:password@]host[:port][/db] URL."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "redis" or not parsed.hostname:
        raise StackError(
            f"LOCK_STORE_URL must look like redis://host:6379/1 (or be empty for one Rasa "
            f"process), got {redact(url)!r}."
        )
    db = parsed.path.strip("/") or "1"
    if not db.isdigit():
        raise StackError(f"LOCK_STORE_URL: the Redis database must be a number, got {db!r}.")
    return {
        "host": parsed.hostname,
        "port": str(parsed.port or 6379),
        "db": db,
        "password": urllib.parse.unquote(parsed.password or ""),
    }


def store_environment(config: Settings) -> dict[str, str]:
    """What endpoints.yml reads to choose the tracker and lock store (TRACKER_/LOCK_STORE_URL)."""
    env = {
        "TRACKER_STORE_URL": config.tracker_store_url,
        "TICKET_LOCK_LIFETIME": str(config.lock_lifetime_seconds),  # read by Rasa itself
        "LOCK_STORE_TYPE": "in_memory",
        "LOCK_STORE_HOST": "",
        "LOCK_STORE_PORT": "6379",
        "LOCK_STORE_DB": "1",
        "LOCK_STORE_PASSWORD": "",
    }
    if config.lock_store_url:
        redis = redis_parts(config.lock_store_url)
        env.update(
            LOCK_STORE_TYPE="redis",
            LOCK_STORE_HOST=redis["host"],
            LOCK_STORE_PORT=redis["port"],
            LOCK_STORE_DB=redis["db"],
            LOCK_STORE_PASSWORD=redis["password"],
        )
    return env


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parsed = urllib.parse.urlsplit(url)
    if not parsed.password:
        return url
    netloc = parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parsed._replace(netloc=netloc))


# -- preflight: the shared stores must answer before anything starts ------------------------


@dataclass(frozen=True)
class Dependency:
    setting: str
    url: str
    needed_by: str  # the process that uses it

    @property
    def kind(self) -> str:
        return "Redis" if self.url.startswith("redis") else "PostgreSQL"


def external_dependencies(config: Settings) -> list[Dependency]:
    """Network stores in the configuration; SQLite files and in-memory locks need no check."""
    candidates = [
        Dependency("TRACKER_STORE_URL", config.tracker_store_url, "rasa"),
        Dependency("LOCK_STORE_URL", config.lock_store_url, "rasa"),
        Dependency("CALLBACK_DATABASE_URL", config.callback_database_url, "actions"),
        # Read by the catalog service itself (services/catalog), checked here all the same.
        Dependency("CATALOG_DATABASE_URL", os.environ.get("CATALOG_DATABASE_URL", ""), "catalog"),
    ]
    return [d for d in candidates if d.url.startswith(("postgres", "redis"))]


def check_dependency(dependency: Dependency, timeout: float) -> str | None:
    """None when the store answers within `timeout` seconds, else what is wrong."""
    url = dependency.url
    if dependency.kind == "Redis":
        parts = redis_parts(url)
        host, port = parts["host"], int(parts["port"])
    else:
        parsed = urllib.parse.urlsplit(url)
        host, port = parsed.hostname or "localhost", parsed.port or 5432
    where = f"{dependency.kind} at {host}:{port} ({dependency.setting}={redact(url)})"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        return f"{where} is not reachable: {exc.strerror or exc}"
    try:
        if dependency.kind == "Redis":
            import redis

            client = redis.Redis(
                host=host,
                port=port,
                db=int(parts["db"]),
                password=parts["password"] or None,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
            client.ping()
            client.close()
        else:
            import sqlalchemy as sa

            engine = sa.create_engine(url, connect_args={"connect_timeout": max(2, round(timeout))})
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
            finally:
                engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure is reported with its message
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"{where} answers, but not as expected: {first_line}"
    return None


def preflight(config: Settings, names: set[str] | None = None) -> None:
    """Raise StackError naming every configured store that does not answer in time."""
    problems = [
        problem
        for dependency in external_dependencies(config)
        if names is None or dependency.needed_by in names
        if (problem := check_dependency(dependency, config.preflight_timeout_seconds))
    ]
    if problems:
        raise StackError(
            "Not started, a store in .env is missing:\n  "
            + "\n  ".join(problems)
            + "\nStart it, or correct the setting in .env (docs/operations.md)."
        )


def credential_variables(path: Path = CREDENTIALS_FILE) -> list[str]:
    """The ${VAR} names that credentials.yml uses outside comments."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return sorted(set(re.findall(r"\$\{(\w+)\}", text)))


def stack_processes(config: Settings, model: Path) -> list[Process]:
    python = sys.executable
    # No websockets in the services; uvicorn's websockets support clashes with the websockets 10
    # that Rasa 3.6 pins.
    uvicorn = [python, "-m", "uvicorn", "--host", config.host, "--no-access-log", "--ws", "none"]
    origins = list(config.cors_origins) or ["null"]
    return [
        Process(
            "catalog",
            [*uvicorn, "--port", str(config.catalog_port), "services.catalog.app:app"],
            config.catalog_port,
            f"http://{config.host}:{config.catalog_port}/health",
        ),
        Process(
            "budget",
            [*uvicorn, "--port", str(config.budget_port), "services.budget.app:app"],
            config.budget_port,
            f"http://{config.host}:{config.budget_port}/health",
        ),
        Process(
            "desk",
            # The desk's pages get live updates over WebSocket: wsproto, not the websockets
            # library that Rasa pins.
            [
                *uvicorn[:-2],
                "--ws",
                "wsproto",
                "--port",
                str(config.desk_port),
                "services.desk.app:app",
            ],  # fmt: skip
            config.desk_port,
            config.desk_health_url,
        ),
        Process(
            "actions",
            [python, "-m", "rasa_sdk", "--actions", "actions", "-p", str(config.action_port)],
            config.action_port,
            f"{config.action_url}/health",
        ),
        Process(
            "rasa",
            [
                python,
                "-m",
                "bot.rasa_cli",  # `rasa run` with faster schema checks (bot/rasa_cli.py)
                "run",
                "--model",
                str(model),
                "--interface",
                config.host,
                "--port",
                str(config.rasa_port),
                "--enable-api",
                # One argument: a random token may start with "-", which argparse would
                # take for an option ("--auth-token: expected one argument").
                f"--auth-token={config.rasa_auth_token}",
                "--credentials",
                "credentials.yml",
                "--endpoints",
                "endpoints.yml",
                "--cors",
                *origins,
            ],
            config.rasa_port,
            f"{config.rasa_url}/status?token={config.rasa_auth_token}",
        ),
        Process(
            "web",
            [python, "-m", "bot.web_server"],
            config.web_port,
            f"{config.web_url}/",
        ),
    ]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Stack:
    """The running children. Use as a context manager so that they always stop."""

    def __init__(
        self,
        config: Settings,
        model: Path,
        log_dir: Path | None = None,
        only: set[str] | None = None,
        console_logs: bool = False,
    ) -> None:
        self.config = config
        self.console_logs = console_logs  # children write to our stdout (containers)
        self.processes = [
            p for p in stack_processes(config, model) if only is None or p.name in only
        ]
        self.log_dir = log_dir or config.var_dir / "log"

    def start(
        self, timeout: float = DEFAULT_START_TIMEOUT, report: Callable[[str], None] = print
    ) -> None:
        preflight(self.config, {p.name for p in self.processes})
        busy = [p for p in self.processes if port_in_use(self.config.host, p.port)]
        if busy:
            names = ", ".join(f"{p.port} ({p.name})" for p in busy)
            raise StackError(
                f"Port already in use: {names}. Stop the program that uses it, "
                "or choose another port in .env."
            )
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.config.tracker_db.parent.mkdir(parents=True, exist_ok=True)
        env = child_environment(self.config)
        for process in self.processes:
            process.log_path = None if self.console_logs else self.log_dir / f"{process.name}.log"
            with (
                contextlib.nullcontext(None)
                if process.log_path is None
                else process.log_path.open("wb")
            ) as log:
                process.popen = subprocess.Popen(
                    process.argv,
                    cwd=PROJECT_ROOT,
                    env={**env, **process.env},
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # own process group: Ctrl-C is handled here
                )
        self._wait_until_healthy(timeout, report)

    def _wait_until_healthy(self, timeout: float, report: Callable[[str], None]) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.processes)
        while waiting:
            for process in list(waiting):
                if process.popen and process.popen.poll() is not None:
                    raise StackError(
                        f"{process.name} stopped while starting (exit code "
                        f"{process.popen.returncode}). Last lines of {process.log_path}:\n"
                        f"{process.log_tail()}"
                    )
                if healthy(process.health_url):
                    report(f"  ready: {process.name:8} port {process.port}")
                    waiting.remove(process)
            if waiting and time.monotonic() > deadline:
                names = ", ".join(p.name for p in waiting)
                raise StackError(f"Not healthy after {timeout:.0f} s: {names}. See {self.log_dir}.")
            if waiting:
                time.sleep(0.2)  # a short poll: the start is ready as soon as Rasa is

    def stop(self) -> None:
        running = [p for p in self.processes if p.popen and p.popen.poll() is None]
        for process in running:
            _signal_group(process.popen, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process.popen, signal.SIGKILL)
                process.popen.wait()
        # Children of a child (e.g. Sanic workers) share its group; make sure none remain.
        for process in self.processes:
            if process.popen:
                _signal_group(process.popen, signal.SIGKILL)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(popen: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, sig)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start the Leerwijzer stack.")
    parser.add_argument("--timeout", type=float, default=DEFAULT_START_TIMEOUT)
    parser.add_argument(
        "--only",
        help=f"comma-separated subset of {','.join(PROCESS_NAMES)}: one process per container "
        "(deploy/)",
    )
    parser.add_argument(
        "--console-logs", action="store_true", help="children log to stdout, not var/log/"
    )
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if only and not only <= set(PROCESS_NAMES):
        parser.error(f"--only takes names from {', '.join(PROCESS_NAMES)}")

    ensure_env_file()
    from bot.model import require_model

    config = settings()
    # `make run` trains first when needed (tools/training.py); the image has its model built in.
    model = require_model() if only is None or "rasa" in only else Path("no-model")
    # Explicit handlers: a shell starts background jobs with SIGINT ignored, and a closed
    # terminal sends SIGHUP; either way every child must stop.
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _raise_keyboard_interrupt)
    stack = Stack(config, model, only=only, console_logs=args.console_logs)
    print(f"Starting Leerwijzer with model {model.name} ...", flush=True)
    try:
        with stack:
            stack.start(timeout=args.timeout)
            print(
                "\nLeerwijzer is running.\n"
                f"  Open the assistant:  {config.web_url}/\n"
                f"  Library kiosk:       {config.web_url}/kiosk/\n"
                f"  Talk in a terminal:  make shell\n"
                f"  REST channel:        {config.rasa_url}/webhooks/rest/webhook\n"
                f"  Catalog API docs:    http://{config.host}:{config.catalog_port}/docs\n"
                f"  Budget API docs:     http://{config.host}:{config.budget_port}/docs\n"
                f"  Logs:                {stack.log_dir}\n"
                "Press Ctrl-C to stop.",
                flush=True,
            )
            while True:
                for process in stack.processes:
                    if process.popen and process.popen.poll() is not None:
                        raise StackError(
                            f"{process.name} stopped unexpectedly. Last lines:\n"
                            f"{process.log_tail()}"
                        )
                time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping Leerwijzer ...", flush=True)
    except StackError as exc:
        print(f"\nLeerwijzer could not run: {exc}", file=sys.stderr, flush=True)
        return 1
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
