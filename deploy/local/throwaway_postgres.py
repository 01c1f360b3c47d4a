"""A disposable PostgreSQL cluster for tests and local experiments (see README.md here).

Generic on purpose: it starts a server and creates databases; what goes in them is up to the
caller (the catalog's tests today, Rasa's tracker store tomorrow).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DEFAULT_USER_WHEN_ROOT = "postgres"
START_TIMEOUT_SECONDS = 60


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the cluster would not start."""


def find_bindir() -> Path:
    """Directory with initdb and pg_ctl: $PG_BINDIR, else Debian's newest, else the PATH."""
    configured = os.environ.get("PG_BINDIR")
    candidates = [configured] if configured else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version(p), reverse=True
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "pg_ctl").exists()
        ):
            return Path(candidate)
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found; install them with "
        "'deploy/local/apt-install.sh postgresql' or set PG_BINDIR"
    )


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayPostgres:
    """initdb + pg_ctl start in a temp dir; stop() (or leaving the ``with``) removes it all."""

    def __init__(self, *, run_as: str | None = None, port: int | None = None) -> None:
        self.bindir = find_bindir()
        self.run_as = run_as if run_as is not None else _default_user()
        self.port = port or free_port()
        self.base = Path(tempfile.mkdtemp(prefix="pg-throwaway-"))
        self.data = self.base / "data"
        self.socket_dir = self.base
        self.log = self.base / "server.log"
        self.superuser = "postgres"
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ThrowawayPostgres:
        if self.run_as:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.base, user.pw_uid, user.pw_gid)
        os.chmod(self.base, 0o700)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                self.superuser,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        self.resume()
        return self

    def resume(self) -> None:
        """Start the server on its data (after `halt`): a restart, as after an upgrade."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=50 -c shared_buffers=64MB"
        )
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "start",
            ]
        )
        self._started = True
        self._wait_ready()

    def halt(self) -> None:
        """Stop the server and keep its data (fast shutdown: clients are disconnected)."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
        self._started = False

    def stop(self) -> None:
        if self._started:
            with contextlib.suppress(subprocess.CalledProcessError, PostgresUnavailable):
                self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ]
                )
            self._started = False
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database (fails if it exists) and return its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError("database names here are letters, digits and underscores")
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def psql(self, sql: str, database: str = "postgres") -> str:
        psql = self.bindir / "psql"
        command = [
            str(psql if psql.exists() else "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.superuser,
            "-d",
            database,
            "-At",
            "-c",
            sql,
        ]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    # -- internals ---------------------------------------------------------------------------

    def _run(self, command: list[str]) -> None:
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.base)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{Path(command[-1] if command[-1] != 'start' else 'pg_ctl start').name} failed "
                f"({result.returncode}): {result.stderr.strip()[-1500:]}\n{log}"
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                self.psql("SELECT 1")
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable("PostgreSQL did not accept connections") from None
                time.sleep(0.1)


def _default_user() -> str | None:
    """PostgreSQL refuses to run as root; then use PG_THROWAWAY_USER or 'postgres'."""
    if os.geteuid() != 0:
        return None
    return os.environ.get("PG_THROWAWAY_USER", DEFAULT_USER_WHEN_ROOT)


def main() -> None:
    with ThrowawayPostgres() as cluster:
        print(f"PostgreSQL running: {cluster.url()}  (data in {cluster.base}); Ctrl-C stops it")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
