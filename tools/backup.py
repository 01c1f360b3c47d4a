"""Backups and restore of the embedded SQLite stores (`make backup`, `make restore`).

    python -m tools.backup backup [--to DIR]     # into DIR/<UTC time>/, default VAR_DIR/backups/
    python -m tools.backup restore [FOLDER] [--only STORE,...] [--force]

The stores, each chosen by its own setting (bot/settings.py, services/catalog/config.py):

    tracker    TRACKER_STORE_URL       conversations (Rasa's tracker store), var/tracker.db
    callbacks  CALLBACK_DATABASE_URL   call-back requests (services/callbacks), var/callbacks.db
    whatsapp   WHATSAPP_STORE_URL      WhatsApp channel state (bot/channels/whatsapp_store.py),
                                       var/whatsapp.db, made when WhatsApp is first used
    catalog    CATALOG_DATABASE_URL    the course catalog (services/catalog), var/catalog.db
    desk       DESK_DATABASE_URL       the desk: accounts, hand-overs, audit log (services/desk),
                                       var/desk.db
    events     EVENT_BROKER_URL        the event broker's minimised events (docs/insights.md),
                                       var/events.db
    insights   INSIGHTS_DATABASE_URL   anonymous facts and published cells, var/insights.db

Not backed up, because they are made again: Rasa's training cache (.rasa/cache/cache.db) and the
trained model (models/, `make train`). `.env` holds secrets (RASA_AUTH_TOKEN,
WHATSAPP_SENDER_ID_KEY): keep it in the secret store, not next to these copies.

**backup** copies every SQLite store with SQLite's online backup API in one step: one read
transaction, so each copy is a consistent snapshot even while the stack runs and writes (on the
WAL stores writers go on meanwhile; on the tracker, Rasa's writes wait for the copy, well under
a second for a library's conversations). Each copy is checked (`PRAGMA integrity_check`,
row counts per table) and described in `manifest.json`. The folder appears under its final name
only when it is complete. Stores on PostgreSQL are skipped with a pointer to pg_dump.

**restore** checks the manifest and every copy (checksum, integrity, row counts) before it
touches anything, refuses while the stack seems to run (its ports answer, or a process has a
store file open) unless `--force`, and then replaces each store file atomically: a temporary
copy in the same folder, fsync, stale -wal/-shm/-journal files of the old database removed,
rename. A store is written to where the current settings put it, so a backup can be restored on
another machine or into another VAR_DIR.

Only paths, sizes and counts are printed; never the contents. Exit status 0 on success, 1 on any
problem (with a message, not a traceback), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.launcher import redact
from bot.settings import PROJECT_ROOT, settings

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
PARTIAL_SUFFIX = ".partial"
SIDE_FILES = ("-wal", "-shm", "-journal")
SOURCE_BUSY_TIMEOUT = 30.0  # seconds to wait for a writer's lock before copying
INTEGRITY_LINES = 20  # at most this many problems are kept from PRAGMA integrity_check
DOCS = 'docs/operations.md, "Backups and restore"'

Report = Callable[[str], None]


class BackupError(Exception):
    """An expected problem; the message says what the operator can do about it."""


# -- the stores -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    name: str
    setting: str  # the setting that chooses it
    url: str
    what: str  # what it holds, for messages

    @property
    def kind(self) -> str:
        """sqlite, postgresql, memory or other."""
        url = self.url.strip()
        if "://" not in url:
            return "sqlite" if url and url != ":memory:" else "memory"
        scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
        if scheme in ("postgresql", "postgres"):
            return "postgresql"
        if scheme == "memory":
            return "memory"
        if scheme == "sqlite":
            return "sqlite" if self.path is not None else "memory"
        return "other"

    @property
    def path(self) -> Path | None:
        """The SQLite file (absolute; relative paths are from the repository, the stack's
        working directory), or None when the URL names no file."""
        url = self.url.strip()
        if "://" not in url:
            raw = url
        else:
            scheme, rest = url.split("://", 1)
            if scheme.split("+", 1)[0].lower() != "sqlite" or not rest.startswith("/"):
                return None  # sqlite:// alone is an in-memory database
            raw = urllib.parse.unquote(rest[1:].split("?", 1)[0])
        if raw in ("", ":memory:"):
            return None
        path = Path(raw)
        return path if path.is_absolute() else PROJECT_ROOT / path


def configured_stores() -> list[Store]:
    """The five stores as the stack would open them with the current settings and `.env`."""
    config = settings()  # also puts the values of .env into the environment
    from bot.channels.whatsapp_store import configured_store_url
    from services.catalog.config import CatalogConfig

    catalog_url = CatalogConfig.from_env().database_url
    return [
        Store("tracker", "TRACKER_STORE_URL", config.tracker_store_url, "conversations"),
        Store(
            "callbacks",
            "CALLBACK_DATABASE_URL",
            config.callback_database_url,
            "call-back requests",
        ),
        Store("whatsapp", "WHATSAPP_STORE_URL", configured_store_url(), "WhatsApp channel state"),
        Store("catalog", "CATALOG_DATABASE_URL", catalog_url, "course catalog"),
        Store("desk", "DESK_DATABASE_URL", config.desk_database_url, "desk"),
        Store("events", "EVENT_BROKER_URL", config.event_broker_url, "event broker's events"),
        Store("insights", "INSIGHTS_DATABASE_URL", config.insights_database_url, "insights"),
    ]


def show(path: Path) -> str:
    """A path for messages: relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    value, units = float(size), ["kB", "MB", "GB", "TB"]
    for unit in units:
        value /= 1000
        if value < 1000 or unit == units[-1]:
            break
    return f"{value:.1f} {unit}"


# -- inspecting a copy ------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    integrity: list[str]  # ["ok"] when sound
    tables: dict[str, int]  # rows per table (virtual tables excluded, their shadow tables not)
    shadow: frozenset[str]  # tables that belong to a virtual table (FTS5 index data)

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"]

    def summary(self) -> str:
        main = {name: rows for name, rows in self.tables.items() if name not in self.shadow}
        return ", ".join(f"{name} {rows}" for name, rows in main.items()) or "no tables"


def inspect_copy(path: Path) -> Inspection:
    """Integrity and row counts of a closed SQLite file, read without changing it (no -wal or
    -shm files are made next to it). A file SQLite cannot read at all is reported as damaged;
    rows are counted only in a sound file."""
    uri = f"{path.resolve().as_uri()}?immutable=1"
    connection = sqlite3.connect(uri, uri=True)
    try:
        integrity = [
            str(row[0]) for row in connection.execute(f"PRAGMA integrity_check({INTEGRITY_LINES})")
        ] or ["no result"]
        if integrity != ["ok"]:
            return Inspection(integrity, {}, frozenset())
        rows = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
        virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
        tables: dict[str, int] = {}
        for name, _sql in rows:
            if name.startswith("sqlite_") or name in virtual:
                continue
            quoted = '"' + name.replace('"', '""') + '"'
            (count,) = connection.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()  # noqa: S608
            tables[name] = int(count)
    except sqlite3.DatabaseError as exc:
        return Inspection([f"unreadable: {exc}"], {}, frozenset())
    finally:
        connection.close()
    shadow = frozenset(t for t in tables for v in virtual if t.startswith(f"{v}_"))
    return Inspection(integrity, tables, shadow)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file or a folder to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- backup ----------------------------------------------------------------------------------


@dataclass
class BackupResult:
    folder: Path | None  # None when nothing was copied
    entries: list[dict[str, Any]]

    @property
    def problems(self) -> list[dict[str, Any]]:
        return [
            e
            for e in self.entries
            if e["status"] == "failed" or (e["status"] == "copied" and e["integrity_check"] != "ok")
        ]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def copy_store(store: Store, target: Path) -> float:
    """Copy the store's SQLite file to `target` in one backup step; returns the seconds taken.

    One step is one read transaction on the source: the copy is the database as it was at one
    commit. A stepwise copy would let writers in between the steps and start over after each
    write, which on a busy store might never end.
    """
    source_path = store.path
    assert source_path is not None
    started = time.monotonic()
    # mode=rw: never create a database that is not there.
    source = sqlite3.connect(
        f"{source_path.resolve().as_uri()}?mode=rw", uri=True, timeout=SOURCE_BUSY_TIMEOUT
    )
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return time.monotonic() - started


def backup_store(store: Store, folder: Path, report: Report) -> dict[str, Any]:
    """Back up one store into `folder`; the manifest entry says what happened."""
    entry: dict[str, Any] = {"store": store.name, "setting": store.setting, "holds": store.what}
    kind = store.kind
    if kind == "postgresql":
        report(
            f"  {store.name:9} skipped: on PostgreSQL ({store.setting}={redact(store.url)}). "
            f"Back it up with pg_dump -Fc ({DOCS})."
        )
        return {**entry, "status": "skipped", "reason": "PostgreSQL: use pg_dump -Fc"}
    if kind == "memory":
        report(f"  {store.name:9} skipped: kept in memory only ({store.setting}), nothing on disk")
        return {**entry, "status": "skipped", "reason": "in memory"}
    if kind == "other":
        report(
            f"  {store.name:9} skipped: {store.setting} is neither SQLite nor PostgreSQL; back "
            "it up with that database's own tools"
        )
        return {**entry, "status": "skipped", "reason": "not SQLite"}
    source = store.path
    assert source is not None
    entry["source"] = str(source)
    if not source.exists():
        report(f"  {store.name:9} skipped: {show(source)} does not exist (nothing stored yet)")
        return {**entry, "status": "skipped", "reason": "no file yet"}
    target = folder / f"{store.name}.db"
    entry["file"] = target.name
    copied_at = utc_now()
    try:
        seconds = copy_store(store, target)
        target.chmod(0o600)
        fsync_path(target)
        inspection = inspect_copy(target)
    except (sqlite3.Error, OSError) as exc:
        target.unlink(missing_ok=True)
        report(f"  {store.name:9} FAILED: cannot copy {show(source)}: {exc}")
        return {**entry, "status": "failed", "error": str(exc), "copied_at": iso(copied_at)}
    entry.update(
        status="copied",
        copied_at=iso(copied_at),
        seconds=round(seconds, 3),
        size_bytes=target.stat().st_size,
        sha256=sha256_of(target),
        integrity_check="ok" if inspection.ok else inspection.integrity,
        tables=inspection.tables,
    )
    if inspection.ok:
        report(
            f"  {store.name:9} {show(source)}: {human_size(entry['size_bytes'])} in "
            f"{seconds:.2f} s, integrity ok; rows: {inspection.summary()}"
        )
    else:
        report(
            f"  {store.name:9} DAMAGED: the copy of {show(source)} fails PRAGMA integrity_check "
            f"({inspection.integrity[0]}); the database itself is damaged. Restore it from an "
            "earlier backup, or run `sqlite3 FILE .recover` on a copy."
        )
    return entry


def new_folder(parent: Path, now: datetime) -> tuple[Path, Path]:
    """(the work folder, the final name): <stamp>.partial until complete, then <stamp>."""
    stamp = now.astimezone(timezone.utc).strftime(STAMP_FORMAT)
    for attempt in range(1, 100):
        name = stamp if attempt == 1 else f"{stamp}-{attempt}"
        final = parent / name
        work = parent / f"{name}{PARTIAL_SUFFIX}"
        if final.exists() or work.exists():
            continue
        work.mkdir(mode=0o700)  # personal data: the owner only
        return work, final
    raise BackupError(f"Too many backups named {stamp} in {show(parent)}.")


def backup(
    stores: Iterable[Store], parent: Path, report: Report = print, now: datetime | None = None
) -> BackupResult:
    """Copy every SQLite store into a new folder `parent/<UTC time>/` with its manifest."""
    started = now or utc_now()
    try:
        parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        work, final = new_folder(parent, started)
    except OSError as exc:
        raise BackupError(f"Cannot make a backup folder in {show(parent)}: {exc}") from exc
    report(f"Backing up the stores into {show(final)}/")
    try:
        entries = []
        copied: dict[Path, str] = {}  # two settings may name one file: copied once
        for store in stores:
            same = copied.get(store.path) if store.kind == "sqlite" else None
            if same:
                report(f"  {store.name:9} skipped: the same file as {same}, copied there")
                entries.append(
                    {"store": store.name, "setting": store.setting, "holds": store.what}
                    | {"status": "skipped", "reason": f"same file as {same}"}
                )
                continue
            entries.append(backup_store(store, work, report))
            if entries[-1]["status"] == "copied":
                copied[store.path] = store.name
        if not any(e["status"] == "copied" for e in entries):
            shutil.rmtree(work)
            return BackupResult(None, entries)
        manifest = {
            "format": MANIFEST_FORMAT,
            "project": "leerwijzer",
            "created_at": iso(started),
            "finished_at": iso(utc_now()),
            "sqlite_version": sqlite3.sqlite_version,
            "stores": entries,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (work / MANIFEST).chmod(0o600)
        fsync_path(work / MANIFEST)
        fsync_path(work)
        work.rename(final)
        fsync_path(parent)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise BackupError(f"Cannot write the backup into {show(parent)}: {exc}") from exc
    except BaseException:  # interrupted: no half-made backup is left behind
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupResult(final, entries)


# -- is the stack running? --------------------------------------------------------------------


def stack_ports() -> list[tuple[str, str, int]]:
    """(process, host, port) of every process `make run` starts, from the current settings."""
    config = settings()
    host = "127.0.0.1" if config.host in ("0.0.0.0", "") else config.host
    return [
        ("rasa", host, config.rasa_port),
        ("actions", host, config.action_port),
        ("catalog", host, config.catalog_port),
        ("budget", host, config.budget_port),
        ("web", host, config.web_port),
    ]


def port_answers(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def processes_using(paths: Iterable[Path]) -> list[str]:
    """Other processes that have one of these files (or its -wal/-shm/-journal) open. Linux's
    /proc only; elsewhere, and for other users' processes, nothing is found."""
    proc = Path("/proc")
    wanted: dict[str, Path] = {}
    for path in paths:
        real = os.path.realpath(path)
        for name in (real, *(real + suffix for suffix in SIDE_FILES)):
            wanted[name] = path
    if not proc.is_dir() or not wanted:
        return []
    found: list[str] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue  # gone, or not ours
        held = sorted({show(wanted[link]) for link in links if link in wanted})
        if held:
            try:
                command = (entry / "comm").read_text(encoding="utf-8").strip()
            except OSError:
                command = "?"
            found.append(f"process {entry.name} ({command}) has {', '.join(held)} open")
    return found


def running_signs(
    stores: Iterable[Store], ports: Iterable[tuple[str, str, int]] | None = None
) -> list[str]:
    """Why the stack seems to be running; empty when nothing suggests it."""
    signs = [
        f"port {port} ({name}) answers on {host}"
        for name, host, port in (stack_ports() if ports is None else ports)
        if port_answers(host, port)
    ]
    files = [s.path for s in stores if s.kind == "sqlite" and s.path is not None]
    return signs + processes_using(files)


# -- restore ---------------------------------------------------------------------------------


def list_backups(parent: Path) -> list[Path]:
    """Complete backups in `parent`, oldest first."""
    if not parent.is_dir():
        return []
    return sorted(
        p
        for p in parent.iterdir()
        if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX) and (p / MANIFEST).is_file()
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a backup folder, checked for the fields restore relies on."""
    if not folder.exists():
        raise BackupError(f"There is no backup folder {show(folder)}.")
    if not folder.is_dir():
        raise BackupError(f"{show(folder)} is not a folder; give the backup's folder.")
    path = folder / MANIFEST
    if not path.is_file():
        inside = list_backups(folder)
        hint = (
            f" It holds backups; the newest is {show(inside[-1])}."
            if inside
            else " It is not a backup made by `make backup`."
        )
        raise BackupError(f"{show(folder)} has no {MANIFEST}.{hint}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{show(path)} cannot be read ({exc}); the backup is damaged.") from exc
    bad = f"{show(path)} is not a Leerwijzer backup manifest"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("stores"), list):
        raise BackupError(f"{bad} (no list of stores).")
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(
            f"{bad} of format {MANIFEST_FORMAT} (it says {manifest.get('format')!r}); use the "
            "version of Leerwijzer that made it."
        )
    seen: set[str] = set()
    for entry in manifest["stores"]:
        name = entry.get("store") if isinstance(entry, dict) else None
        if (
            not isinstance(name, str)
            or name in seen
            or entry.get("status")
            not in (
                "copied",
                "skipped",
                "failed",
            )
        ):
            raise BackupError(f"{bad} (a store entry without a known name and status).")
        seen.add(name)
        if entry["status"] != "copied":
            continue
        file = entry.get("file")
        if (
            not isinstance(file, str)
            or Path(file).name != file
            or file.startswith(".")
            or not isinstance(entry.get("sha256"), str)
            or not isinstance(entry.get("size_bytes"), int)
            or not isinstance(entry.get("tables"), dict)
        ):
            raise BackupError(f"{bad} (the entry of {name!r} lacks its file, size or checksum).")
    return manifest


def verify_copy(folder: Path, entry: dict[str, Any]) -> Inspection:
    """The copy exists and is exactly what the manifest describes, and SQLite finds it sound."""
    name, path = entry["store"], folder / entry["file"]
    if not path.is_file():
        raise BackupError(f"{name}: the copy {show(path)} is missing.")
    if path.stat().st_size != entry["size_bytes"] or sha256_of(path) != entry["sha256"]:
        raise BackupError(
            f"{name}: {show(path)} differs from the manifest (size or checksum); the copy is "
            "damaged."
        )
    inspection = inspect_copy(path)
    if not inspection.ok:
        raise BackupError(
            f"{name}: {show(path)} fails PRAGMA integrity_check ({inspection.integrity[0]})."
        )
    if inspection.tables != entry["tables"]:
        raise BackupError(f"{name}: the row counts of {show(path)} differ from the manifest.")
    return inspection


def replace_file(copy: Path, target: Path, sha256: str) -> None:
    """Put `copy` at `target` atomically: a temporary file next to the target, fsync, the old
    database's -wal/-shm/-journal removed (SQLite would apply them to the new file), rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".restoring", dir=target.parent
    )
    temporary_path = Path(temporary)
    try:
        digest = hashlib.sha256()
        with os.fdopen(descriptor, "wb") as out, copy.open("rb") as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise BackupError(f"{show(copy)} changed while it was being restored.")
        if target.exists():
            temporary_path.chmod(target.stat().st_mode & 0o777)
        for suffix in SIDE_FILES:
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(temporary_path, target)
        fsync_path(target.parent)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise


def restore(
    folder: Path,
    stores: Iterable[Store],
    *,
    force: bool = False,
    only: set[str] | None = None,
    running: Callable[[list[Store]], list[str]] | None = None,
    report: Report = print,
) -> list[str]:
    """Replace the configured SQLite stores with the copies in `folder`; returns the names of
    the stores restored. Everything is checked before the first file is replaced."""
    stores = list(stores)
    configured = {store.name: store for store in stores}
    manifest = read_manifest(folder)
    entries = {entry["store"]: entry for entry in manifest["stores"]}
    if only is not None:
        unknown = sorted(only - entries.keys())
        if unknown:
            raise BackupError(
                f"This backup has no store {', '.join(unknown)}; it has "
                f"{', '.join(entries) or 'none'}."
            )
    chosen = [entries[name] for name in entries if only is None or name in only]
    failed = [e["store"] for e in chosen if e["status"] == "failed"]
    if failed:
        usable = [e["store"] for e in chosen if e["status"] == "copied"]
        raise BackupError(
            f"The backup of {', '.join(failed)} failed when it was made; nothing restored. "
            + (f"Restore the others with --only {','.join(usable)}." if usable else "")
        )
    to_restore = [e for e in chosen if e["status"] == "copied"]
    if not to_restore:
        raise BackupError(f"{show(folder)} holds no copy to restore.")

    targets: dict[str, Path] = {}
    for entry in to_restore:
        store = configured.get(entry["store"])
        if store is None:
            raise BackupError(f"{entry['store']} is not a store of this version of Leerwijzer.")
        if store.kind != "sqlite" or store.path is None:
            raise BackupError(
                f"{store.name}: {store.setting} is now {redact(store.url) or 'empty'}, not a "
                f"SQLite file; this backup holds a SQLite copy. Point {store.setting} at a "
                "SQLite file to restore it, or move the data yourself."
            )
        targets[store.name] = store.path

    report(f"Checking {show(folder)} (made {manifest.get('created_at', '?')}) ...")
    for entry in chosen:
        if entry["status"] == "skipped":
            report(
                f"  {entry['store']:9} not in this backup ({entry.get('reason', 'skipped')}); "
                "left as it is"
            )
    for entry in to_restore:
        inspection = verify_copy(folder, entry)
        report(f"  {entry['store']:9} copy sound; rows: {inspection.summary()}")

    if force:
        report("  --force: not checking whether the stack runs")
    else:
        signs = (running or running_signs)([configured[name] for name in targets])
        if signs:
            raise BackupError(
                "The stack seems to be running:\n    "
                + "\n    ".join(signs)
                + "\n  Stop it first (Ctrl-C where `make run` runs, or stop its service), then "
                "restore again. Only when you are sure those belong to something else: --force."
            )

    restored = []
    for entry in to_restore:
        target = targets[entry["store"]]
        try:
            replace_file(folder / entry["file"], target, entry["sha256"])
        except OSError as exc:
            raise BackupError(
                f"{entry['store']}: cannot write {show(target)}: {exc}. Restored so far: "
                f"{', '.join(restored) or 'none'}."
            ) from exc
        restored.append(entry["store"])
        report(f"  {entry['store']:9} restored: {show(target)}")
    return restored


# -- command line ----------------------------------------------------------------------------


def default_parent() -> Path:
    return settings().var_dir / "backups"


def run_backup(parent: Path | None) -> int:
    stores = configured_stores()
    result = backup(stores, parent or default_parent())
    if result.folder is None:
        print("Nothing to back up here: no store is a SQLite file that exists.")
        return 0
    problems = result.problems
    if problems:
        names = ", ".join(e["store"] for e in problems)
        print(
            f"Backup written to {show(result.folder)}, but not usable for {names} (see above). "
            "Restore the others with --only.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Backup complete: {show(result.folder)} ({MANIFEST}). It holds personal data: keep it "
        f"encrypted, off this machine, and no longer than needed ({DOCS})."
    )
    return 0


def run_restore(folder: Path | None, only: str | None, force: bool) -> int:
    if folder is None:
        parent = default_parent()
        backups = list_backups(parent)
        if not backups:
            print(f"Which backup? There is none in {show(parent)}.", file=sys.stderr)
            return 2
        print(f"Backups in {show(parent)}, oldest first:")
        for path in backups:
            print(f"  {show(path)}")
        print(
            "Say which one: python -m tools.backup restore FOLDER (make restore FROM=FOLDER).",
            file=sys.stderr,
        )
        return 2
    names = {n.strip() for n in only.split(",") if n.strip()} if only is not None else None
    restored = restore(folder, configured_stores(), force=force, only=names)
    print(
        f"Restored {', '.join(restored)} from {show(folder)}. What was stored after the backup "
        "is gone. Start the stack again (make run)."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.backup",
        description="Back up and restore Leerwijzer's SQLite stores.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser(
        "backup", help="consistent copies of the SQLite stores, also while the stack runs"
    )
    make.add_argument(
        "--to",
        type=Path,
        metavar="DIR",
        help="folder in which the backup's <UTC time> folder is made (default: VAR_DIR/backups)",
    )
    back = commands.add_parser("restore", help="put a backup back (the stack must be stopped)")
    back.add_argument(
        "folder", type=Path, nargs="?", help="the backup's folder; without it, the list"
    )
    back.add_argument(
        "--only", metavar="STORE,...", help="tracker, callbacks, whatsapp, catalog, desk"
    )
    back.add_argument(
        "--force",
        action="store_true",
        help="restore although the stack seems to run (only when its ports belong to another "
        "program)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            return run_backup(args.to)
        return run_restore(args.folder, args.only, args.force)
    except (BackupError, OSError) as exc:  # OSError: a permission, a full disk
        verb = "Backup" if args.command == "backup" else "Restore"
        print(f"{verb} failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
