"""Where tests put what they write for people to read (screenshots, the task-success report).

A test run never changes a tracked file: by default these go to var/test-artifacts/ (ignored
by git). `make screenshots` and `make task-success` set LEERWIJZER_WRITE_DOCS=1 to write them
into docs/, where the README and the docs link to them.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.settings import PROJECT_ROOT

WRITE_DOCS = "LEERWIJZER_WRITE_DOCS"


def artifact_path(relative: str) -> Path:
    """docs/<relative> when asked for, else var/test-artifacts/<relative>; folders made."""
    base = PROJECT_ROOT / "docs" if os.environ.get(WRITE_DOCS) == "1" else _scratch()
    path = base / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _scratch() -> Path:
    return PROJECT_ROOT / "var" / "test-artifacts"
