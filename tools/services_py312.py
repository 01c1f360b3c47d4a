"""The services outside Rasa on Python 3.12: their own venv and their tests (`make test`).

Rasa 3.6 keeps the assistant on Python 3.10, whose security support ends in October 2026. The
services that do not need Rasa (services/: the catalog, the budget service, geo, call-backs,
plain_language, content_check) also run on Python 3.12 (docs/operations.md, "Python runtime").
This script checks that they do:

1. It finds Python 3.12: $PYTHON312 when set, else python3.12 on the PATH, in pyenv
   ($PYENV_ROOT or ~/.pyenv, versions/3.12*), /usr/local/bin or /usr/bin. Each candidate must
   run and say 3.12 (a pyenv shim for a version that is not selected does not).
2. It creates .venv-services with services/requirements-test.txt (which includes
   services/requirements.txt): every version is pinned there, so it installs without
   dependencies and then `pip check`s them. It does this anew only when one of those files
   changed or another Python 3.12 is used; the stamp .venv-services/.installed says which.
3. It runs the services' tests on it: `.venv-services/bin/python -m pytest tests/services -q
   -p no:cacheprovider`, followed by any arguments given here (e.g. `-x`, `-k budget`).

Run from anywhere with any Python 3 (standard library only): `python3 -m tools.services_py312`.
`--install-only` stops after step 2. Without Python 3.12 it fails (exit status 1) and says how to
install it: `make test` must not pass without this run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-services"
STAMP_NAME = ".installed"
REQUIREMENTS = (ROOT / "services" / "requirements.txt", ROOT / "services" / "requirements-test.txt")
INSTALL = REQUIREMENTS[1]  # includes the other one with -r
# The tests that run on 3.12: all of tests/services. None needs Rasa or rasa_sdk: besides
# services/ they import bot/settings.py (python-dotenv), actions/clients/catalog.py in the catalog
# contract tests (pybreaker, requests) and bot/channels/whatsapp_store.py in test_migrations.py
# (SQLAlchemy, alembic). Should one of them ever need Rasa, this run fails to collect it.
SELECTION = ("tests/services",)
WANTED = (3, 12)
IS_WANTED = f"import sys; sys.exit(sys.version_info[:2] != {WANTED!r})"
HOW_TO_INSTALL = """\
The services' tests run on Python 3.12 as well (docs/operations.md, "Python runtime"), and no
python3.12 was found: looked for {looked}.
Install it, then run make again:
  - with pyenv:  pyenv install 3.12   (found in ~/.pyenv/versions/3.12*; no need to select it)
  - Ubuntu 24.04:  apt-get install python3.12 python3.12-venv
  - or point PYTHON312 at a python3.12:  make test PYTHON312=/opt/python3.12/bin/python3.12"""


class Problem(Exception):
    """Something a person has to fix; the message says what."""


def candidates() -> list[str]:
    """Where python3.12 may be, in the order they are tried."""
    pyenv_roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    in_pyenv: list[Path] = []
    for root in dict.fromkeys(r for r in pyenv_roots if r):
        in_pyenv += (Path(root) / "versions").glob("3.12*/bin/python3.12")
    newest_first = sorted(in_pyenv, key=lambda p: _version_key(p.parent.parent.name), reverse=True)
    return [
        "python3.12",
        *(str(p) for p in newest_first),
        "/usr/local/bin/python3.12",
        "/usr/bin/python3.12",
    ]


def _version_key(name: str) -> tuple[int, ...]:
    """'3.12.10' sorts after '3.12.9'; a name like '3.12-dev' sorts first."""
    parts = []
    for part in name.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def is_python312(command: str) -> bool:
    try:
        checked = subprocess.run(
            [command, "-c", IS_WANTED], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return checked.returncode == 0


def find_python312() -> str:
    """The first candidate that runs as Python 3.12 (or $PYTHON312, which must)."""
    configured = os.environ.get("PYTHON312")
    if configured:
        if not is_python312(configured):
            raise Problem(f"PYTHON312={configured} does not run as Python 3.12.")
        return configured
    tried = candidates()
    for command in tried:
        if is_python312(command):
            return command
    raise Problem(HOW_TO_INSTALL.format(looked=", ".join(tried)))


def base_interpreter(python: str) -> dict[str, str]:
    """What the venv is made from: the real executable and its full version."""
    found = subprocess.run(
        [python, "-c", "import sys; print(sys.executable); print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    return {"executable": str(Path(found[0]).resolve()), "version": found[1]}


def wanted_stamp(python: str) -> dict[str, object]:
    digest = hashlib.sha256()
    for path in REQUIREMENTS:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return {"requirements_sha256": digest.hexdigest(), "python": base_interpreter(python)}


def current_stamp(venv: Path) -> dict[str, object] | None:
    try:
        return json.loads((venv / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run(command: list[str], what: str) -> None:
    if subprocess.run(command, cwd=ROOT, check=False).returncode != 0:
        raise Problem(f"{what} failed: {' '.join(command)}")


def ensure_venv(python: str, venv: Path = VENV) -> Path:
    """The venv's python, (re)created when the requirements or the base Python changed."""
    stamp = wanted_stamp(python)
    venv_python = venv / "bin" / "python"
    if current_stamp(venv) == stamp and venv_python.exists():
        return venv_python
    if venv.exists():
        if not (venv / "pyvenv.cfg").exists():
            raise Problem(f"{venv} exists but is not a venv; move it away and run again.")
        print(f"Recreating {venv.name}: services/requirements*.txt or Python changed.", flush=True)
        shutil.rmtree(venv)
    else:
        version = stamp["python"]["version"]
        print(f"Creating {venv.name} with {python} (Python {version}).", flush=True)
    created = subprocess.run([python, "-m", "venv", str(venv)], cwd=ROOT, check=False)
    if created.returncode != 0:
        raise Problem(
            f"{python} -m venv {venv} failed. On Debian and Ubuntu the venv module is a package "
            "of its own: apt-get install python3.12-venv."
        )
    pip = [str(venv_python), "-m", "pip", "--disable-pip-version-check"]
    # The same pip as the Rasa venv (the Makefile upgrades it the same way).
    run([*pip, "install", "--quiet", "-c", "constraints.txt", "--upgrade", "pip"], "pip upgrade")
    run([*pip, "install", "--quiet", "--no-deps", "-r", str(INSTALL)], "installing the services")
    # --no-deps: everything is pinned; a dependency missing from the lists fails here.
    run([*pip, "check"], "pip check (a dependency missing from services/requirements*.txt?)")
    (venv / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return venv_python


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.services_py312",
        description="The services' tests on Python 3.12, in .venv-services.",
        epilog="Other arguments go to pytest, after the selection (tests/services).",
    )
    parser.add_argument("--install-only", action="store_true", help="only create the venv")
    args, pytest_args = parser.parse_known_args(argv)
    try:
        venv_python = ensure_venv(find_python312())
    except Problem as exc:
        print(f"services on Python 3.12: {exc}", file=sys.stderr, flush=True)
        return 1
    if args.install_only:
        return 0
    command = [str(venv_python), "-m", "pytest", *SELECTION, "-q", "-p", "no:cacheprovider"]
    print(f"Python 3.12: {' '.join(command[1:] + pytest_args)}", flush=True)
    return subprocess.run([*command, *pytest_args], cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
