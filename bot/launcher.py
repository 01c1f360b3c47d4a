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
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings, ensure_env_file, settings

STOP_GRACE_SECONDS = 10.0
CREDENTIALS_FILE = PROJECT_ROOT / "credentials.yml"
DEFAULT_START_TIMEOUT = 240.0


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
            "CATALOG_URL": config.catalog_url,
            "BUDGET_URL": config.budget_url,
            "RASA_AUTH_TOKEN": config.rasa_auth_token,
            "SANIC_HOST": config.host,
            "TF_CPP_MIN_LOG_LEVEL": env.get("TF_CPP_MIN_LOG_LEVEL", "2"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # Rasa refuses to start when credentials.yml names an undefined ${VAR}; a channel that
    # is not set up (WhatsApp) gets empty values and answers 503 instead.
    for name in credential_variables():
        env.setdefault(name, "")
    return env


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
                "rasa",
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

    def __init__(self, config: Settings, model: Path, log_dir: Path | None = None) -> None:
        self.config = config
        self.processes = stack_processes(config, model)
        self.log_dir = log_dir or config.var_dir / "log"

    def start(
        self, timeout: float = DEFAULT_START_TIMEOUT, report: Callable[[str], None] = print
    ) -> None:
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
            process.log_path = self.log_dir / f"{process.name}.log"
            with process.log_path.open("wb") as log:
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
                time.sleep(0.5)

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
    args = parser.parse_args(argv)

    ensure_env_file()
    from bot.training import ensure_model  # deferred: imports Rasa

    config = settings()
    model = ensure_model()
    # Explicit handlers: a shell starts background jobs with SIGINT ignored, and a closed
    # terminal sends SIGHUP; either way every child must stop.
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _raise_keyboard_interrupt)
    stack = Stack(config, model)
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
