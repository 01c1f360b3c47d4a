"""tools/backup.py: consistent copies of the SQLite stores while they are written, and a restore
that checks everything first and refuses while the stack runs.

The stores here are plain SQLite files with small tables of their own: the tool copies files
and knows no schema. With the real stores and a running stack: tests/e2e/test_backup.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tools import backup as tool
from tools.backup import Store

PORT_SETTINGS = ("RASA_PORT", "ACTION_PORT", "CATALOG_PORT", "BUDGET_PORT", "WEB_PORT")
BATCH = 7  # rows the writer commits at once

# Writes batches of BATCH rows until the stop file appears. Each transaction also sets the
# one-row `total` table to the number of rows: in a consistent copy the two agree, every batch
# is whole and every row matches its digest.
WRITER = r"""
import hashlib, os, sqlite3, sys, time
path, mode, stop, ready, batch_size = sys.argv[1:6]
batch_size = int(batch_size)
db = sqlite3.connect(path, timeout=30, isolation_level=None)
db.execute(f"PRAGMA journal_mode={mode}")

def write(batch, rows):
    db.execute("BEGIN IMMEDIATE")
    for i in range(rows):
        payload = f"{batch}-{i}-" + "x" * 400
        digest = hashlib.sha256(payload.encode()).hexdigest()
        db.execute("INSERT INTO items (batch, payload, digest) VALUES (?, ?, ?)",
                   (batch, payload, digest))
    db.execute("UPDATE total SET rows = rows + ?", (rows,))
    db.execute("COMMIT")

write(0, 20000)  # a few MB, so that a copy takes a while
open(ready, "w").close()
batch = 0
while not os.path.exists(stop):
    batch += 1
    write(batch, batch_size)
    time.sleep(0.002)  # a busy server, not a bulk load: readers get their turn
"""


def make_database(path: Path, rows: int = 3, journal_mode: str = "wal") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA journal_mode={journal_mode}")
        db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("CREATE INDEX IF NOT EXISTS notes_by_text ON notes (text)")
        db.executemany(
            "INSERT INTO notes (text) VALUES (?)", [(f"note {i} " * 5,) for i in range(rows)]
        )
    sqlite3.connect(path).close()  # the last connection: WAL checkpointed and removed


def note_count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM notes").fetchone()[0]


def sqlite_store(name: str, path: Path) -> Store:
    return Store(name, f"{name.upper()}_URL", f"sqlite:///{path}", name)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quiet(line: str) -> None:
    pass


def not_running(stores: list[Store]) -> list[str]:
    return []


@pytest.fixture
def var(clean_settings, tmp_path):
    """Settings that point every store into tmp_path/var, on ports nothing listens on."""
    var_dir = tmp_path / "var"
    clean_settings.delenv("CATALOG_DATABASE_URL", raising=False)
    clean_settings.setenv("VAR_DIR", str(var_dir))
    for name in PORT_SETTINGS:
        clean_settings.setenv(name, str(free_port()))
    return var_dir


@pytest.fixture
def made(var):
    """Tracker, call-back and catalog databases (no WhatsApp file), and a backup of them."""
    make_database(var / "tracker.db", rows=5, journal_mode="delete")
    make_database(var / "callbacks.db", rows=2)
    make_database(var / "catalog.db", rows=9)
    assert tool.main(["backup"]) == 0
    (folder,) = tool.list_backups(var / "backups")
    return folder


# -- the stores --------------------------------------------------------------------------------


def test_the_stores_follow_the_settings(var, clean_settings):
    stores = {s.name: s for s in tool.configured_stores()}
    assert {name: s.path for name, s in stores.items()} == {
        "tracker": var / "tracker.db",
        "callbacks": var / "callbacks.db",
        "whatsapp": var / "whatsapp.db",
        "catalog": var / "catalog.db",
        "desk": var / "desk.db",
        "events": var / "events.db",
        "insights": var / "insights.db",
    }
    assert {s.kind for s in stores.values()} == {"sqlite"}
    clean_settings.setenv("CALLBACK_DATABASE_URL", "postgresql://u:pw@db:5432/callbacks")
    clean_settings.setenv("WHATSAPP_STORE_URL", "memory://")
    clean_settings.setenv("CATALOG_DATABASE_URL", "catalog/here.db")
    tool.settings.cache_clear()
    stores = {s.name: s for s in tool.configured_stores()}
    assert stores["callbacks"].kind == "postgresql"
    assert stores["whatsapp"].kind == "memory"
    assert stores["catalog"].path == tool.PROJECT_ROOT / "catalog/here.db"


@pytest.mark.parametrize(
    ("url", "kind", "path"),
    [
        ("sqlite:///var/x.db", "sqlite", tool.PROJECT_ROOT / "var/x.db"),
        ("sqlite:////srv/x.db?timeout=5", "sqlite", Path("/srv/x.db")),
        ("sqlite+pysqlite:////srv/x.db", "sqlite", Path("/srv/x.db")),
        ("sqlite://", "memory", None),
        ("sqlite:///:memory:", "memory", None),
        ("postgres://u:pw@db/catalog", "postgresql", None),
        ("postgresql+psycopg2://u:pw@db:5432/tracker", "postgresql", None),
        ("mysql://db/x", "other", None),
    ],
)
def test_store_urls(url, kind, path):
    store = Store("x", "X_URL", url, "x")
    assert (store.kind, store.path) == (kind, path)


# -- backup ------------------------------------------------------------------------------------


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_a_backup_while_another_process_writes_is_a_consistent_snapshot(tmp_path, journal_mode):
    """WAL: the call-back, WhatsApp and catalog stores; delete (rollback journal): Rasa's
    tracker store."""
    path = tmp_path / "live.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, batch INTEGER, payload TEXT, digest TEXT)"
        )
        db.execute("CREATE TABLE total (rows INTEGER NOT NULL)")
        db.execute("INSERT INTO total VALUES (0)")
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), journal_mode, str(stop), str(ready), str(BATCH)]
    )
    store = sqlite_store("tracker", path)
    snapshots = []
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.05)
        with sqlite3.connect(path, timeout=30) as live:
            for _ in range(6):
                before = live.execute("SELECT COUNT(*) FROM items").fetchone()[0]
                result = tool.backup([store], tmp_path / "backups", report=quiet)
                after = live.execute("SELECT COUNT(*) FROM items").fetchone()[0]
                snapshots.append((before, result, after))
    finally:
        stop.touch()
        assert writer.wait(timeout=60) == 0
    assert any(after > before for before, _, after in snapshots), "the writer kept writing"

    for before, result, after in snapshots:
        (entry,) = result.entries
        assert entry["status"] == "copied" and entry["integrity_check"] == "ok"
        copy = result.folder / entry["file"]
        with sqlite3.connect(f"{copy.as_uri()}?immutable=1", uri=True) as db:
            count = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            (total,) = db.execute("SELECT rows FROM total").fetchone()
            torn = db.execute(
                "SELECT batch FROM items WHERE batch > 0 GROUP BY batch HAVING COUNT(*) != ?",
                (BATCH,),
            ).fetchall()
            bad_rows = [
                row_id
                for row_id, payload, row_digest in db.execute(
                    "SELECT id, payload, digest FROM items"
                )
                if hashlib.sha256(payload.encode()).hexdigest() != row_digest
            ]
        assert count == total, "the copy is the database at one commit"
        assert before <= count <= after
        assert (count - 20000) % BATCH == 0 and not torn and not bad_rows
        assert entry["tables"] == {"items": count, "total": 1}


def test_the_backup_folder_and_manifest(var, capsys):
    make_database(var / "tracker.db", rows=4, journal_mode="delete")
    make_database(var / "catalog.db", rows=6)
    assert tool.main(["backup"]) == 0
    out = capsys.readouterr().out
    (folder,) = tool.list_backups(var / "backups")
    assert len(folder.name) == len("20250101T120000Z") and folder.name.endswith("Z")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    manifest = json.loads((folder / "manifest.json").read_text())
    entries = {e["store"]: e for e in manifest["stores"]}
    assert manifest["format"] == 1 and manifest["created_at"].endswith("Z")
    tracker = entries["tracker"]
    assert tracker["status"] == "copied" and tracker["source"] == str(var / "tracker.db")
    assert tracker["tables"] == {"notes": 4} and tracker["integrity_check"] == "ok"
    assert tracker["size_bytes"] == (folder / "tracker.db").stat().st_size
    assert tracker["sha256"] == digest(folder / "tracker.db")
    assert entries["catalog"]["tables"] == {"notes": 6}
    assert stat.S_IMODE((folder / "catalog.db").stat().st_mode) == 0o600
    # Nothing stored yet: skipped, and said so.
    assert entries["callbacks"]["status"] == entries["whatsapp"]["status"] == "skipped"
    assert "callbacks.db does not exist" in out and "Backup complete" in out
    assert sorted(p.name for p in folder.iterdir()) == ["catalog.db", "manifest.json", "tracker.db"]
    # The source of a WAL store is left as SQLite leaves it: no files of the backup next to it.
    assert sorted(p.name for p in var.iterdir()) == ["backups", "catalog.db", "tracker.db"]


def test_backup_to_another_folder_twice_in_one_second(var, tmp_path):
    make_database(var / "callbacks.db")
    stores = [sqlite_store("callbacks", var / "callbacks.db")]
    moment = tool.utc_now()
    first = tool.backup(stores, tmp_path / "elsewhere", report=quiet, now=moment)
    second = tool.backup(stores, tmp_path / "elsewhere", report=quiet, now=moment)
    assert second.folder.name == f"{first.folder.name}-2"
    assert tool.main(["backup", "--to", str(tmp_path / "third")]) == 0
    assert len(tool.list_backups(tmp_path / "third")) == 1


def test_two_settings_naming_one_file_copy_it_once(var, clean_settings, capsys):
    shared = var / "shared.db"
    make_database(shared)
    clean_settings.setenv("CALLBACK_DATABASE_URL", f"sqlite:///{shared}")
    clean_settings.setenv("WHATSAPP_STORE_URL", f"sqlite:///{shared}")
    assert tool.main(["backup"]) == 0
    assert "whatsapp  skipped: the same file as callbacks" in capsys.readouterr().out
    (folder,) = tool.list_backups(var / "backups")
    assert sorted(p.name for p in folder.iterdir()) == ["callbacks.db", "manifest.json"]
    assert tool.main(["restore", str(folder)]) == 0
    assert note_count(shared) == 3


def test_postgresql_stores_are_skipped_with_the_pg_dump_hint(var, clean_settings, capsys):
    make_database(var / "catalog.db")
    clean_settings.setenv("TRACKER_STORE_URL", "postgresql://rasa:s3cret@db:5432/tracker")
    clean_settings.setenv("CALLBACK_DATABASE_URL", "postgresql://rasa:s3cret@db:5432/callbacks")
    assert tool.main(["backup"]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out
    for name in ("tracker", "callbacks"):
        line = next(line for line in out.splitlines() if line.strip().startswith(name))
        assert "PostgreSQL" in line and "pg_dump -Fc" in line and "docs/operations.md" in line
        assert "rasa:***@db:5432" in line
    (folder,) = tool.list_backups(var / "backups")
    entries = {e["store"]: e for e in json.loads((folder / "manifest.json").read_text())["stores"]}
    assert entries["tracker"]["status"] == "skipped" and entries["catalog"]["status"] == "copied"
    assert "s3cret" not in (folder / "manifest.json").read_text()


def test_only_postgresql_leaves_nothing_to_back_up(tmp_path, capsys):
    stores = [Store("tracker", "TRACKER_STORE_URL", "postgresql://u:pw@db/tracker", "c")]
    result = tool.backup(stores, tmp_path / "backups")
    assert result.folder is None and list((tmp_path / "backups").iterdir()) == []
    assert "pg_dump" in capsys.readouterr().out


def test_a_damaged_store_is_reported_and_fails_the_backup(var, capsys):
    make_database(var / "tracker.db", rows=3000, journal_mode="delete")
    make_database(var / "callbacks.db")
    data = (var / "tracker.db").read_bytes()
    at = data.index(b"note 1500 ")
    (var / "tracker.db").write_bytes(data[:at] + b"NOTE" + data[at + 4 :])  # index no longer fits
    (var / "catalog.db").write_bytes(b"this is not a database" * 100)
    assert tool.main(["backup"]) == 1
    captured = capsys.readouterr()
    assert "tracker   DAMAGED" in captured.out and "catalog   FAILED" in captured.out
    assert "not usable for tracker, catalog" in captured.err
    assert "Traceback" not in captured.out + captured.err
    (folder,) = tool.list_backups(var / "backups")
    entries = {e["store"]: e for e in json.loads((folder / "manifest.json").read_text())["stores"]}
    assert (
        entries["tracker"]["integrity_check"] != "ok" and entries["catalog"]["status"] == "failed"
    )
    assert entries["callbacks"]["integrity_check"] == "ok"


# -- restore -----------------------------------------------------------------------------------


def test_restore_replaces_the_files_and_removes_a_stale_wal(var, made, capsys):
    tracker, callbacks, catalog = (var / f"{n}.db" for n in ("tracker", "callbacks", "catalog"))
    # After the backup: more rows, and a WAL of the old database left behind.
    make_database(tracker, rows=10, journal_mode="delete")
    live = sqlite3.connect(callbacks)
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.executemany("INSERT INTO notes (text) VALUES (?)", [("later",)] * 50)
    live.commit()
    stale = {suffix: Path(f"{callbacks}{suffix}").read_bytes() for suffix in ("-wal", "-shm")}
    live.close()
    for suffix, data in stale.items():
        Path(f"{callbacks}{suffix}").write_bytes(data)  # SQLite would apply it to any new file
    catalog.unlink()  # wiped
    capsys.readouterr()

    assert tool.main(["restore", str(made)]) == 0
    out = capsys.readouterr().out
    assert "Restored tracker, callbacks, catalog" in out
    assert (note_count(tracker), note_count(callbacks), note_count(catalog)) == (5, 2, 9)
    assert sorted(p.name for p in var.iterdir() if p.is_file()) == [
        "callbacks.db",
        "catalog.db",
        "tracker.db",
    ]
    for name in ("tracker", "callbacks", "catalog"):
        assert digest(var / f"{name}.db") == digest(made / f"{name}.db")
        assert tool.inspect_copy(var / f"{name}.db").ok


def test_restore_only_some_stores(var, made, capsys):
    make_database(var / "tracker.db", rows=10, journal_mode="delete")
    make_database(var / "catalog.db", rows=1)
    assert tool.main(["restore", str(made), "--only", "catalog"]) == 0
    assert (note_count(var / "tracker.db"), note_count(var / "catalog.db")) == (15, 9)
    assert tool.main(["restore", str(made), "--only", "whatsapp"]) == 1
    assert "holds no copy to restore" in capsys.readouterr().err
    assert tool.main(["restore", str(made), "--only", "nothing"]) == 1
    assert "has no store nothing" in capsys.readouterr().err


def corrupt_keeping_the_manifest_true(folder: Path, name: str) -> None:
    """Damage the copy inside (an index no longer matches its table) and update the manifest's
    size and checksum, as if the damage had been there when the backup was made."""
    copy = folder / f"{name}.db"
    data = copy.read_bytes()
    at = data.index(b"note 1 ")
    copy.write_bytes(data[:at] + b"NOTE" + data[at + 4 :])
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["stores"]:
        if entry["store"] == name:
            entry.update(sha256=digest(copy), size_bytes=copy.stat().st_size)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", ["changed bytes", "fails integrity_check", "missing copy"])
def test_restore_refuses_a_damaged_copy_and_changes_nothing(var, made, capsys, damage):
    make_database(var / "tracker.db", rows=10, journal_mode="delete")
    before = {p.name: digest(p) for p in var.glob("*.db")}
    if damage == "changed bytes":
        copy = made / "catalog.db"
        data = bytearray(copy.read_bytes())
        data[len(data) // 2] ^= 0xFF
        copy.write_bytes(bytes(data))
        expected = "differs from the manifest"
    elif damage == "fails integrity_check":
        corrupt_keeping_the_manifest_true(made, "catalog")
        expected = "fails PRAGMA integrity_check"
    else:
        (made / "catalog.db").unlink()
        expected = "is missing"
    capsys.readouterr()
    assert tool.main(["restore", str(made)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Restore failed: catalog:") and expected in err
    assert "Traceback" not in err
    assert {p.name: digest(p) for p in var.glob("*.db")} == before
    assert not list(var.glob(".*restoring"))


def test_restore_refuses_while_a_port_of_the_stack_answers(var, made, clean_settings, capsys):
    make_database(var / "tracker.db", rows=10, journal_mode="delete")
    before = digest(var / "tracker.db")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        clean_settings.setenv("RASA_PORT", str(port))
        tool.settings.cache_clear()
        capsys.readouterr()
        assert tool.main(["restore", str(made)]) == 1
        err = capsys.readouterr().err
        assert "The stack seems to be running" in err and f"port {port} (rasa) answers" in err
        assert "--force" in err and "Traceback" not in err
        assert digest(var / "tracker.db") == before
        assert tool.main(["restore", str(made), "--force"]) == 0
    assert note_count(var / "tracker.db") == 5


def test_restore_refuses_while_a_process_has_a_store_open(var, made, capsys):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
            "db.execute('SELECT COUNT(*) FROM notes').fetchone(); print('open', flush=True); "
            "sys.stdin.read()",
            str(var / "callbacks.db"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        capsys.readouterr()
        assert tool.main(["restore", str(made)]) == 1
        err = capsys.readouterr().err
        assert f"process {holder.pid} (python" in err and "callbacks.db" in err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert tool.main(["restore", str(made)]) == 0


def test_restore_into_a_store_now_on_postgresql_is_refused(var, made, clean_settings, capsys):
    clean_settings.setenv("TRACKER_STORE_URL", "postgresql://rasa:s3cret@db:5432/tracker")
    tool.settings.cache_clear()
    capsys.readouterr()
    assert tool.main(["restore", str(made)]) == 1
    err = capsys.readouterr().err
    assert "tracker: TRACKER_STORE_URL is now postgresql://rasa:***@db:5432/tracker" in err
    assert "s3cret" not in err


def test_a_failed_store_in_the_backup_points_to_only(var, made, capsys):
    manifest = json.loads((made / "manifest.json").read_text())
    for entry in manifest["stores"]:
        if entry["store"] == "tracker":
            entry.clear()
            entry.update(store="tracker", status="failed", error="disk I/O error")
    (made / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert tool.main(["restore", str(made)]) == 1
    err = capsys.readouterr().err
    assert "The backup of tracker failed" in err and "--only callbacks,catalog" in err
    assert tool.main(["restore", str(made), "--only", "callbacks,catalog"]) == 0


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("no folder", "There is no backup folder"),
        ("a file", "is not a folder"),
        ("no manifest", "has no manifest.json. It is not a backup made by `make backup`."),
        ("parent folder", "It holds backups; the newest is"),
        ("not json", "cannot be read"),
        ("not a manifest", "is not a Leerwijzer backup manifest (no list of stores)"),
        ("other format", "of format 1 (it says 99)"),
        ("path outside", "lacks its file, size or checksum"),
    ],
)
def test_restore_explains_expected_problems_without_a_traceback(var, made, capsys, setup, expected):
    folder = var / "elsewhere"
    manifest_path = made / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if setup == "a file":
        folder.parent.mkdir(exist_ok=True)
        folder.write_text("x")
    elif setup == "no manifest":
        folder.mkdir()
    elif setup == "parent folder":
        folder = made.parent
    elif setup == "not json":
        folder = made
        manifest_path.write_text("{not json")
    elif setup == "not a manifest":
        folder = made
        manifest_path.write_text("[1, 2]")
    elif setup == "other format":
        folder = made
        manifest_path.write_text(json.dumps({**manifest, "format": 99}))
    elif setup == "path outside":
        folder = made
        manifest["stores"][0]["file"] = "../../tracker.db"
        manifest_path.write_text(json.dumps(manifest))
    capsys.readouterr()
    assert tool.main(["restore", str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("Restore failed: ") and expected in captured.err
    assert "Traceback" not in captured.out + captured.err


def test_restore_without_a_folder_lists_the_backups(var, made, capsys):
    assert tool.main(["restore"]) == 2
    captured = capsys.readouterr()
    assert made.name in captured.out and "make restore FROM=" in captured.err


def test_the_command_line_runs_as_a_module(var, made):
    """`make backup` and `make restore` run it as `python -m tools.backup`."""
    env = {**os.environ, "VAR_DIR": str(var)}
    listed = subprocess.run(
        [sys.executable, "-m", "tools.backup", "restore"],
        cwd=tool.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 2 and made.name in listed.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "tools.backup", "restore", str(var / "nothing")],
        cwd=tool.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "There is no backup folder" in missing.stderr
    assert "Traceback" not in missing.stderr
