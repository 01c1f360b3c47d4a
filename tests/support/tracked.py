"""A test run must not change a tracked file (what `make test` leaves behind is in var/).

The state of the tracked files is taken when the session starts and compared when it ends; a
file that changed in between is named and the run fails. Not checked outside a git checkout,
nor under LEERWIJZER_WRITE_DOCS=1 (`make screenshots`, `make task-success`), whose job it is.
"""

from __future__ import annotations

import hashlib
import os
import subprocess

from bot.settings import PROJECT_ROOT
from tests.support.artifacts import WRITE_DOCS


def snapshot() -> dict[str, str] | None:
    """Hash of every tracked file that differs from the index (or None: no git checkout)."""
    if os.environ.get(WRITE_DOCS) == "1" or not (PROJECT_ROOT / ".git").exists():
        return None
    try:
        changed = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "ls-files", "--modified", "--deleted", "-z"],
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    state = {}
    for name in filter(None, changed.split("\0")):
        path = PROJECT_ROOT / name
        state[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "gone"
    return state


def changed_since(before: dict[str, str] | None) -> list[str]:
    """Tracked files whose content changed since `before` (by this run)."""
    if before is None:
        return []
    after = snapshot() or {}
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
