"""README.md, claim by claim (docs/readme-claims.md).

docs/readme-claims.md names, for every claim of the README, the tests that prove it. This file
holds the checks for the claims no other test covered: what the Makefile targets run and when,
the numbers and defaults the README states, the commands it shows, its links and paths. The
first tests keep that table honest: its quotes are still in the README, every test it names
exists, and every test here proves one of its rows.

Cheap on purpose: `make -n` (a dry run: nothing is installed, built or started), the settings,
short subprocesses; the one start is the web page and the budget service on free ports.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from bot.settings import PROJECT_ROOT, settings
from tests.support.ports import free_port

ROOT = PROJECT_ROOT
README = (ROOT / "README.md").read_text(encoding="utf-8")
FLAT_README = " ".join(README.split())
CLAIMS = ROOT / "docs" / "readme-claims.md"
THIS_FILE = "tests/test_readme_claims.py"
MAKE = shutil.which("make")
needs_make = pytest.mark.skipif(MAKE is None, reason="GNU make is not installed")

# `tests/path.py::test_name` (a pytest test) or `tests/conversations/x.yml::story name`.
TEST_REF = re.compile(r"`(tests/[^`:]+)::([^`]+)`")
# The tests that check the table itself; every other test here proves a row of it.
TABLE_CHECKS = {
    "test_every_claim_in_the_table_is_quoted_from_the_readme",
    "test_every_test_the_claims_table_names_exists",
    "test_every_claim_names_a_test_or_says_none",
    "test_every_test_here_proves_a_claim_in_the_table",
}
LANGUAGE_CODES = {
    "Dutch": "nl",
    "English": "en",
    "Arabic": "ar",
    "Turkish": "tr",
    "Ukrainian": "uk",
    "Polish": "pl",
}


def readme_match(pattern: str) -> re.Match:
    """The README's sentence this pattern reads (whitespace folded); a rewording fails here."""
    found = re.search(pattern, FLAT_README)
    assert found, f"README.md no longer says: {pattern}"
    return found


def readme_number(pattern: str) -> int:
    return int(readme_match(pattern).group(1).replace(",", ""))


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


@cache
def tracked_files() -> tuple[str, ...]:
    listed = git("ls-files")
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    return tuple(listed.stdout.splitlines())


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any Leerwijzer setting, plus `values`."""
    from tests.conftest import SETTING_NAMES

    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(values)
    return env


# -- the table ----------------------------------------------------------------------------------


@cache
def claim_rows() -> tuple[tuple[str, str], ...]:
    rows = []
    for line in CLAIMS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or re.fullmatch(r"\|[-|\s:]+\|", line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "Claim (README)":
            continue
        assert len(cells) == 2, f"a row has two cells, claim and proof: {line}"
        rows.append((cells[0], cells[1]))
    return tuple(rows)


def defines(path: Path, name: str) -> bool:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        pattern = rf"^\s*(?:async\s+)?def {re.escape(name)}\("
    else:  # a Rasa test story
        pattern = rf"^\s*-\s*story:\s*{re.escape(name)}\s*$"
    return re.search(pattern, text, re.M) is not None


def test_every_claim_in_the_table_is_quoted_from_the_readme():
    rows = claim_rows()
    assert len(rows) >= 100
    missing = []
    for claim, _ in rows:
        assert claim.startswith('"') and claim.count('"') >= 2, f"not a quote: {claim}"
        quote = claim[1 : claim.rindex('"')]
        parts = [part.strip() for part in quote.split("…")]
        missing += [
            f"{part!r} (row {claim})" for part in parts if not part or part not in FLAT_README
        ]
    assert not missing, "quotes no longer in README.md:\n" + "\n".join(missing)


def test_every_test_the_claims_table_names_exists():
    refs = [ref for _, proof in claim_rows() for ref in TEST_REF.findall(proof)]
    assert len(refs) >= 200
    broken = [
        f"{path}::{name}"
        for path, name in refs
        if not (ROOT / path).is_file() or not defines(ROOT / path, name)
    ]
    assert not broken, "docs/readme-claims.md names tests that do not exist:\n" + "\n".join(broken)


def test_every_claim_names_a_test_or_says_none():
    unproved = [
        claim
        for claim, proof in claim_rows()
        if not TEST_REF.search(proof) and not proof.startswith("none: ")
    ]
    assert not unproved, unproved


def test_every_test_here_proves_a_claim_in_the_table():
    named = {
        name
        for _, proof in claim_rows()
        for path, name in TEST_REF.findall(proof)
        if path == THIS_FILE
    }
    here = set(re.findall(r"^def (test_\w+)\(", Path(__file__).read_text(encoding="utf-8"), re.M))
    assert here - TABLE_CHECKS - named == set(), "add these to docs/readme-claims.md"


# -- Python, Rasa and the Makefile --------------------------------------------------------------


def test_it_runs_on_rasa_open_source_3_6_and_python_3_10():
    from importlib import metadata

    assert sys.version_info[:2] == (3, 10)
    assert metadata.version("rasa").startswith("3.6.")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.10,<3.11"' in pyproject
    assert re.search(r'"rasa\[spacy\]==3\.6\.\d+"', pyproject)


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    if env is None:  # not the jobserver or flags of a `make test` this may run under
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        [MAKE, "--no-print-directory", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@cache
def dry_run(*args: str) -> str:
    """What `make <args>` would run (`-n`: printed, not run; only `$(MAKE)` lines recurse, also
    with -n)."""
    result = make("-n", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@cache
def make_database() -> str:
    return dry_run("-p", "-r", "-R", "help")


@cache
def rules() -> dict[str, list[str]]:
    """Every target with its normal prerequisites, from make's own database."""
    found: dict[str, list[str]] = {}
    for line in make_database().splitlines():
        rule = re.match(r"^([^\s#:=%][^:=]*?):(?![:=])\s*(.*)$", line)
        if rule and "=" not in rule.group(2):
            found[rule.group(1)] = rule.group(2).partition("|")[0].split()
    return found


def in_order(text: str, steps: list[str]) -> list[str]:
    """The steps that do not come after the one before them in `text` (empty: all in order)."""
    out_of_order, position = [], 0
    for step in steps:
        found = text.find(step, position)
        if found < 0:
            out_of_order.append(step)
        else:
            position = found + len(step)
    return out_of_order


PRINT_PYTHON = "lw-print-python: ; @echo '$(call find_python310)'"


@needs_make
def test_make_finds_python_3_10_on_the_path_or_in_pyenv(tmp_path):
    home, path = tmp_path / "home", tmp_path / "bin"
    pyenv = home / ".pyenv" / "versions" / "3.10.99" / "bin"
    pyenv.mkdir(parents=True)
    path.mkdir()
    (pyenv / "python3.10").symlink_to(sys.executable)
    env = {"HOME": str(home), "PATH": str(path)}
    found = make("--eval", PRINT_PYTHON, "lw-print-python", env=env)
    assert found.stdout.strip() == str(pyenv / "python3.10"), found.stderr
    (path / "python3.10").symlink_to(sys.executable)
    found = make("--eval", PRINT_PYTHON, "lw-print-python", env=env)
    assert found.stdout.strip() == "python3.10", found.stderr


@needs_make
def test_make_stops_with_a_clear_message_without_python_3_10(tmp_path):
    venv = tmp_path / "venv"
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path)}
    # Only the (empty) PATH is searched: this machine may have a python3.10 in /usr/bin.
    result = make(f"VENV={venv}", "PYTHON310_CANDIDATES=python3.10", f"{venv}/.installed", env=env)
    assert result.returncode != 0
    assert "Leerwijzer needs Python 3.10" in result.stdout, result.stdout + result.stderr
    assert "pyenv install 3.10" in result.stdout
    assert not venv.exists()


@needs_make
def test_every_make_target_the_readme_names_exists():
    named = set(re.findall(r"`make ([a-z][\w-]*)`", README))
    named |= set(re.findall(r"^make ([a-z][\w-]*)", README, re.M))
    assert {"run", "test", "shell", "purge", "fuzz", "task-success", "bench-load"} <= named
    assert named - set(rules()) == set()


@needs_make
def test_make_run_installs_builds_trains_and_starts():
    plan = dry_run(
        "-W", "pyproject.toml", "-W", "bot/spacy_pipeline.py", "-W", "web/build.mjs", "run"
    )
    steps = [
        "pip install",
        "-m bot.spacy_pipeline",
        "node web/build.mjs",
        "-m tools.training",
        "-m bot.launcher",
    ]
    assert in_order(plan, steps) == [], plan


@needs_make
def test_make_test_runs_lint_then_pytest_then_conversations_scale_and_stack_tests():
    plan = dry_run("-W", "web/build.mjs", "test")
    steps = [
        "node web/build.mjs",
        "apt-install.sh chromium chromium-driver",
        "apt-install.sh postgresql",
        "apt-install.sh postgresql redis-server nginx",
        "ruff check .",
        "ruff format --check .",
        "-m tools.training > var/training.log",
        'pytest -m "not stack"',
        "test core --stories tests/conversations",
        "--fail-on-prediction-errors",
        "pytest tests/scale/test_scale.py",
        "pytest -m stack",
    ]
    assert in_order(plan, steps) == [], plan
    assert plan.strip().splitlines()[-1].endswith("pytest -m stack"), "its summary ends the run"
    database = make_database()
    assert re.search(r"^test: LEERWIJZER_REQUIRE_BROWSER := 1$", database, re.M)
    assert re.search(r"^test: LEERWIJZER_REQUIRE_BINARIES := 1$", database, re.M)


@needs_make
def test_make_test_runs_the_services_tests_on_python_3_12():
    """While the model trains: tests/services on 3.12 after the 3.10 run, and a failure stops."""
    plan = dry_run("-W", "web/build.mjs", "test")
    assert in_order(plan, ['pytest -m "not stack"', "-m tools.services_py312"]) == [], plan
    line = next(x for x in plan.splitlines() if "tools.services_py312" in x)
    assert "tests=$?" in line
    assert "test-services-py312" in rules()


@needs_make
def test_install_and_web_build_run_again_only_when_their_inputs_change():
    found = rules()
    assert found[".venv/.installed"] == ["pyproject.toml", "constraints.txt"]
    assert found["install"] == [".venv/.installed"]
    assert ".venv/.installed" in found["models/spacy-nl/meta.json"]
    assert found["web-build"] == ["web/vendor/manifest.json"]
    assert found["web/vendor/manifest.json"] == ["node_modules/.package-lock.json", "web/build.mjs"]
    assert found["node_modules/.package-lock.json"] == ["package.json", "package-lock.json"]
    plan = dry_run("-W", "package-lock.json", "web-build")
    assert in_order(plan, ["npm ci", "node web/build.mjs"]) == []
    assert in_order(dry_run("-W", "pyproject.toml", "install"), ["pip install"]) == []


@needs_make
def test_only_make_screenshots_and_task_success_write_the_docs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert makefile.count("LEERWIJZER_WRITE_DOCS=1") == 2
    assert "LEERWIJZER_WRITE_DOCS=1" in dry_run("screenshots").split("pytest tests/browser")[0]
    assert "LEERWIJZER_WRITE_DOCS=1" in dry_run("task-success").split("pytest tests/personas")[0]
    assert "LEERWIJZER_WRITE_DOCS" not in dry_run("test")


def test_ci_runs_make_test():
    run = ROOT / ".ci" / "run"
    assert os.access(run, os.X_OK)
    commands = [
        line.strip()
        for line in run.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert "make test" in commands


@needs_make
def test_make_nlu_report_is_5_fold_into_docs():
    from tools import nlu_report

    assert readme_number(r"`make nlu-report` \((\d+)-fold") == nlu_report.DEFAULT_FOLDS
    assert nlu_report.DEFAULT_REPORT == ROOT / "docs" / "nlu-report.md"
    command = next(
        line for line in dry_run("nlu-report").splitlines() if "tools.nlu_report" in line
    )
    assert "--folds" not in command and "--report" not in command


def env_default(path: Path, name: str) -> str:
    """The default of `os.environ.get(name, default)` in a file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == name
        ):
            return node.args[1].value
    raise AssertionError(f"{path} does not read {name}")


@needs_make
def test_the_fuzz_and_scale_runs_have_the_readme_sizes():
    fuzz = ROOT / "tests" / "security" / "test_fuzz.py"
    in_make_test = readme_number(r"a fuzz run of ([\d,]+) generated messages")
    in_make_fuzz = readme_number(r"`make fuzz` sends ([\d,]+)")
    assert readme_number(r"`make fuzz` \(([\d,]+) generated messages\)") == in_make_fuzz
    assert int(env_default(fuzz, "FUZZ_MESSAGES")) == in_make_test
    assert f"FUZZ_MESSAGES={in_make_fuzz} " in dry_run("fuzz")
    scale = ROOT / "tests" / "scale" / "test_scale.py"
    conversations = readme_number(r"runs (\d+) concurrent conversations through nginx")
    assert int(env_default(scale, "SCALE_CONVERSATIONS")) == conversations
    assert "SCALE_CONVERSATIONS" not in dry_run("test-scale")


# -- what runs ----------------------------------------------------------------------------------


def read_until(lines: queue.Queue, marker: str, timeout: float) -> str:
    """The launcher's output up to and including the line with `marker`."""
    output, deadline = "", time.monotonic() + timeout
    while marker not in output:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} within {timeout} s:\n{output}"
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        assert line is not None, f"the launcher ended:\n{output}"
        output += line
    return output


def follow(stream) -> queue.Queue:
    """A queue of the stream's lines, None at its end (read by a thread: never blocks a test)."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_launcher_starts_waits_for_health_prints_the_address_and_stops_on_ctrl_c(tmp_path):
    """`make run` ends in `python -m bot.launcher`; here with two of its processes (no model)."""
    web, budget = free_port(), free_port()
    token = "readme-claims-token-" + "k" * 24
    env = clean_environment(
        WEB_PORT=str(web), BUDGET_PORT=str(budget), VAR_DIR=str(tmp_path), RASA_AUTH_TOKEN=token
    )
    # The launcher as `make run` starts it, but with .env and .env.example out of the way.
    code = (
        "import sys; from pathlib import Path; import bot.settings as s;"
        f"s.ENV_FILE = Path({str(tmp_path / 'absent.env')!r});"
        f"s.ENV_EXAMPLE_FILE = Path({str(tmp_path / 'absent.env.example')!r});"
        "from bot.launcher import main; sys.exit(main(sys.argv[1:]))"
    )
    launcher = subprocess.Popen(
        [sys.executable, "-c", code, "--only", "web,budget"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = follow(launcher.stdout)
    try:
        started = read_until(lines, "Press Ctrl-C to stop.", timeout=120)
        assert in_order(started, ["ready: budget", "Leerwijzer is running"]) == [], started
        assert in_order(started, ["ready: web", "Leerwijzer is running"]) == [], started
        assert f"Open the assistant:  http://127.0.0.1:{web}/" in started
        assert requests.get(f"http://127.0.0.1:{budget}/health", timeout=5).status_code == 200
        config_js = requests.get(f"http://127.0.0.1:{web}/config.js", timeout=5).text
        assert '"rasaPort": 5005' in config_js
        assert token not in config_js and "token" not in config_js.lower()

        launcher.send_signal(signal.SIGINT)  # Ctrl-C
        stopped = read_until(lines, "Stopped.", timeout=60)
        assert launcher.wait(timeout=30) == 0, stopped
        assert not listening(web) and not listening(budget)
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGINT)
            try:
                launcher.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
                launcher.wait()


README_PROCESSES = {
    "Rasa server": "rasa",
    "Action server": "actions",
    "Course-catalog service": "catalog",
    "Budget and schemes service": "budget",
    "Desk for advisors": "desk",
    "Static web page": "web",
}


def readme_process_table() -> dict[str, tuple[int, str]]:
    table = README.split("| Process | Port | Code | Health check |", 1)[1]
    rows = {}
    for line in table.strip().splitlines()[1:]:
        if not line.startswith("|"):
            break
        process, port, _code, health = (cell.strip() for cell in line.strip().strip("|").split("|"))
        name = next(v for k, v in README_PROCESSES.items() if process.startswith(k))
        rows[name] = (int(port), health.strip("`"))
    return rows


def test_the_process_table_is_what_the_launcher_starts(clean_settings, tmp_path):
    from rasa.shared.utils.common import class_from_module_path

    from bot.launcher import stack_processes

    config = settings()
    processes = {p.name: p for p in stack_processes(config, tmp_path / "model.tar.gz")}
    table = readme_process_table()
    assert set(table) == set(processes)
    for name, (port, health) in table.items():
        url = urlsplit(processes[name].health_url)
        path = url.path + (f"?{url.query}" if url.query else "")
        assert (processes[name].port, path.replace(config.rasa_auth_token, "…")) == (port, health)
    rasa = processes["rasa"].argv
    assert "--enable-api" in rasa and f"--auth-token={config.rasa_auth_token}" in rasa
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    channels = {class_from_module_path(path).name() for path in credentials}
    assert channels == {"rest", "socketio", "whatsapp", "desk"}  # desk: the desk's relay


def test_the_defaults_the_readme_states_are_the_settings(clean_settings):
    config = settings()
    stated = {
        name: float(value.replace(",", ""))
        for name, value in re.findall(r"`([A-Z][A-Z_]+)` \((\d[\d,]*)\)", FLAT_README)
    }
    stated["PREFLIGHT_TIMEOUT_SECONDS"] = readme_number(
        r"`PREFLIGHT_TIMEOUT_SECONDS`, default (\d+) s"
    )
    expected = {
        "RATE_LIMIT_MESSAGES",
        "RATE_LIMIT_WINDOW_SECONDS",
        "MAX_MESSAGE_CHARS",
        "RETENTION_DAYS",
        "RETENTION_EVERY_HOURS",
        "PREFLIGHT_TIMEOUT_SECONDS",
        "INSIGHTS_K",
    }
    assert set(stated) == expected
    assert {name: getattr(config, name.lower()) for name in stated} == stated
    assert config.host == readme_match(r"`LEERWIJZER_HOST` \(default `([^`]+)`\)").group(1)


def test_embedded_defaults_are_sqlite_files_under_var_and_in_memory_locks(clean_settings):
    from bot.launcher import store_environment
    from services.catalog.config import CatalogConfig

    clean_settings.delenv("CATALOG_DATABASE_URL", raising=False)
    config = settings()
    var = ROOT / "var"
    assert config.var_dir == var
    assert config.tracker_store_url == f"sqlite:///{var / 'tracker.db'}"
    assert config.callback_database_url == f"sqlite:///{var / 'callbacks.db'}"
    assert config.desk_database_url == f"sqlite:///{var / 'desk.db'}"
    assert config.event_broker_url == f"sqlite:///{var / 'events.db'}"
    assert config.insights_database_url == f"sqlite:///{var / 'insights.db'}"
    assert CatalogConfig.from_env().database_url == f"sqlite:///{var / 'catalog.db'}"
    assert store_environment(config)["LOCK_STORE_TYPE"] == "in_memory"
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["tracker_store"]["type"] == "bot.tracker_store.PrivacyTrackerStore"
    assert endpoints["event_broker"]["type"] == "bot.event_broker.MinimalEventBroker"
    assert config.event_broker == "sql"


# -- settings -----------------------------------------------------------------------------------


def test_every_setting_bot_settings_reads_is_in_env_example():
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'_env(?:_number)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert {"RASA_AUTH_TOKEN", "LEERWIJZER_HOST", "CALLBACK_DESK_NAME"} <= names
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert names - documented == set()


def test_every_setting_the_readme_names_is_read_by_the_code():
    names = set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`", README))
    prefixes = set(re.findall(r"`([A-Z][A-Z0-9]*_)\*`", README))
    assert len(names) >= 20 and prefixes == {"WHATSAPP_"}
    code = "\n".join(
        (ROOT / name).read_text(encoding="utf-8")
        for name in tracked_files()
        if name.endswith((".py", ".yml", ".yaml", ".sh"))
        if not name.startswith(("tests/", "docs/"))
    )
    unknown = sorted(name for name in names if not re.search(rf"\b{name}\b", code))
    assert not unknown, "README.md names settings no code reads"
    assert all(re.search(rf"\b{prefix}[A-Z]", code) for prefix in prefixes)


def test_the_catalog_reads_its_own_settings(monkeypatch, tmp_path):
    from dataclasses import fields

    from bot.settings import Settings
    from services.catalog.config import CatalogConfig

    names = readme_match(r"the catalog reads `([A-Z_]+)` and `([A-Z_]+)` itself").groups()
    assert names == ("CATALOG_DATABASE_URL", "CATALOG_CONTACT_EMAIL")
    monkeypatch.setenv(names[0], f"sqlite:///{tmp_path / 'own.db'}")
    monkeypatch.setenv(names[1], "catalogus@gemeente.example")
    config = CatalogConfig.from_env()
    assert config.database_url == f"sqlite:///{tmp_path / 'own.db'}"
    assert config.contact_email == "catalogus@gemeente.example"
    assert not {"catalog_database_url", "catalog_contact_email"} & {
        f.name for f in fields(Settings)
    }


# -- what the README quotes and counts ----------------------------------------------------------


def test_the_example_label_is_the_one_the_chat_shows():
    from actions.i18n import say

    assert say("nl", "example_label") == readme_match(r'the chat labels it "([^"]+)"').group(1)


def locale_codes() -> set[str]:
    return {path.stem for path in (ROOT / "actions" / "locales").glob("*.yml")}


def test_the_languages_the_readme_names_are_the_locales():
    listed = readme_match(r"Newcomers can use it in ((?:[A-Z]\w+, )*[A-Z]\w+) and ([A-Z]\w+)")
    names = [*listed.group(1).split(", "), listed.group(2)]
    assert {"nl"} | {LANGUAGE_CODES[name] for name in names} == locale_codes()
    assert len(locale_codes()) == 6
    assert "read in all six languages" in FLAT_README


def test_the_persona_count_is_the_readme_number():
    files = sorted((ROOT / "tests" / "personas" / "personas").glob("*.yml"))
    total = sum(len(yaml.safe_load(f.read_text(encoding="utf-8"))["personas"]) for f in files)
    stated = {int(n) for n in re.findall(r"(\d+) personas", FLAT_README)}
    assert stated == {total}
    assert {f.stem for f in files} == locale_codes(), "personas in six languages"


@needs_make
def test_the_task_success_suite_runs_in_make_test():
    import tests.personas.test_task_success as suite

    marks = suite.pytestmark if isinstance(suite.pytestmark, list) else [suite.pytestmark]
    assert "stack" in {mark.name for mark in marks}
    assert "pytest -m stack" in dry_run("test")


def test_the_persona_floor_only_goes_up():
    relative = "tests/personas/floor.yml"
    committed = git("show", f"HEAD:{relative}")
    if committed.returncode != 0:
        pytest.skip("no committed floor to compare with")
    before = yaml.safe_load(committed.stdout)
    now = yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))
    lowered = {
        key: (value, now.get(key)) for key, value in before.items() if now.get(key, -1) < value
    }
    assert not lowered, "the floor only goes up: (committed, now)"


def test_the_persona_driver_takes_the_readme_options():
    command = readme_match(r"`\.venv/bin/python -m (tests\.personas\.driver) ([^`]+)`")
    options = re.findall(r"--[a-z-]+", command.group(2))
    assert options == ["--token", "--show"]
    shown = subprocess.run(
        [sys.executable, "-m", command.group(1), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert all(option in shown.stdout for option in options), shown.stdout


# -- commands -----------------------------------------------------------------------------------


def test_the_staff_command_lists_and_purges_call_back_requests(tmp_path):
    from services.callbacks import CallbackRequest, CallbackStore

    module = readme_match(r"`\.venv/bin/python -m (services\.callbacks) list` \(and `purge`")
    url = f"sqlite:///{tmp_path / 'callbacks.db'}"
    store = CallbackStore(url, retention_days=30)
    now = datetime.now(timezone.utc)
    current = store.add(
        CallbackRequest("Fatma", "0612345678", "ochtend", "Taalhuis Breda"), now=now
    )
    expired = store.add(
        CallbackRequest("Piet", "0687654321", "middag", "Bibliotheek Roosendaal"),
        now=now - timedelta(days=31),
    )
    env = clean_environment(CALLBACK_DATABASE_URL=url, VAR_DIR=str(tmp_path))

    def staff(command: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", module.group(1), command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = staff("list")
    assert current.reference in listed and "Fatma" in listed and "0612345678" in listed
    assert expired.reference in listed
    assert "Deleted 1 expired" in staff("purge")
    listed = staff("list")
    assert current.reference in listed and expired.reference not in listed


def test_the_import_ooapi_command_reaches_the_importer(tmp_path):
    command = readme_match(r"\.venv/bin/python -m (services\.catalog) (import-ooapi) https://\S+")
    database = f"sqlite:///{tmp_path / 'catalog.db'}"
    feed = f"http://127.0.0.1:{free_port()}/v5"  # nothing answers: the import must say so
    done = subprocess.run(
        [sys.executable, "-m", command.group(1), "--database", database, command.group(2), feed],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "feed not imported, catalog unchanged" in done.stderr and feed in done.stderr


def test_the_spacy_pipeline_is_built_without_the_network(tmp_path):
    """`make run` builds models/spacy-nl with this code; any connection attempt fails it."""
    code = """
import sys
from pathlib import Path

attempts = []

def no_network(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        attempts.append(f"{event} {args!r}")  # kept: a caller may swallow the error
        raise OSError(f"network use while building the spaCy pipeline: {event} {args!r}")

sys.addaudithook(no_network)
import spacy
from bot.spacy_pipeline import ensure_pipeline

nlp = spacy.load(ensure_pipeline(Path(sys.argv[1]), force=True))
print(" ".join(token.lemma_ for token in nlp("Ik zoek cursussen")))
print("network attempts:", attempts)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "spacy-nl")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lemmas, attempts = done.stdout.strip().splitlines()[-2:]
    assert lemmas.split()[-1] == "cursus"
    assert attempts == "network attempts: []"
    assert 'spacy.blank("nl")' in README and "spacy-lookups-data" in README


# -- web ----------------------------------------------------------------------------------------


@needs_make
def test_the_web_build_copies_what_the_readme_lists():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    assert package["engines"]["node"] == ">=18"
    assert readme_number(r"Node (\d+) or later") == 18
    packages = set(package["devDependencies"])
    css = {name for name in packages if re.fullmatch(r"@utrecht/[a-z0-9-]+-css", name)}
    tokens = {name for name in packages if name.endswith("design-tokens")}
    assert css and tokens, "NL Design System CSS components and design tokens from npm"
    build = (ROOT / "web" / "build.mjs").read_text(encoding="utf-8")
    assert '"@utrecht/${component}-css"' in build.replace("`", '"')
    for name in ("socket.io-client", "qrcode-generator", "axe-core", *tokens):
        assert name in packages
        assert f'"{name}"' in build, f"web/build.mjs does not copy {name}"
    assert 'join(webDir, "vendor")' in build
    assert "apt-install.sh nodejs npm" in dry_run("node-bin")


def test_the_generated_folders_are_git_ignored():
    tracked_files()  # skips outside a git checkout
    for path in ("web/vendor/manifest.json", "node_modules/x", "models/spacy-nl/meta.json", ".env"):
        assert git("check-ignore", "-q", path).returncode == 0, f"{path} is not git-ignored"


def without_js_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)(^|\s)//.*$", r"\1", text)


def test_the_web_pages_load_nothing_from_elsewhere():
    files = [name for name in tracked_files() if name.startswith("web/")]
    assert "web/widget/leerwijzer-widget.js" in files and "web/kiosk/index.html" in files
    elsewhere = r"(?:https?:)?//(?!www\.w3\.org/2000/svg)[^\s\"'`)>]+"
    problems = []
    for name in files:
        if name.endswith((".woff", ".woff2", ".ttf", ".otf", ".eot")):
            problems.append(f"{name}: a font file")
            continue
        text = (ROOT / name).read_text(encoding="utf-8")
        if name.endswith(".html"):
            text = re.sub(r"<pre\b.*?</pre>", "", text, flags=re.S)  # the embed tag, shown
            loads = r"<(?:script|link|img|iframe|source|audio|video|embed|object)\b[^>]*?"
            problems += re.findall(loads + r"\b(?:src|href|data)\s*=\s*[\"']?" + elsewhere, text)
        if name.endswith((".css", ".html")):
            problems += re.findall(r"(?:url\(|@import)\s*[\"']?" + elsewhere, text)
            problems += re.findall(r"@font-face", text)
        if name.endswith((".js", ".mjs", ".html")):
            code = without_js_comments(text)
            problems += [f"{name}: {m}" for m in re.findall(r"[\"'`]" + elsewhere, code)]
            problems += [f"{name}: {m}" for m in re.findall(r"document\.cookie", code)]
    assert not problems, problems


def test_the_widget_reads_every_option_the_readme_names():
    attributes = set(re.findall(r"\bdata-([a-z]+(?:-[a-z]+)*)=", README))
    attributes |= set(re.findall(r"`data-([a-z]+(?:-[a-z]+)*)`", README))
    documented = {"server-url", "storage", "theme-css", "theme-class", "container", "privacy-url"}
    assert documented | {"place"} <= attributes
    widget = (ROOT / "web" / "widget" / "leerwijzer-widget.js").read_text(encoding="utf-8")

    def camel(attribute: str) -> str:
        return re.sub(r"-([a-z])", lambda m: m.group(1).upper(), attribute)

    unread = sorted(a for a in attributes if f'pick("{camel(a)}"' not in widget)
    assert not unread, "the widget does not read these data-* options"
    assert 'pick("storage", "session") === "memory"' in widget
    assert "sessionStorage" in widget


def test_the_kiosk_warns_after_90_s_and_resets_after_120_s():
    stated = readme_match(
        r'After (\d+) s without a touch it asks "(Bent u er nog\?)", after (\d+) s it resets'
    )
    warn, question, reset = int(stated.group(1)), stated.group(2), int(stated.group(3))
    kiosk = (ROOT / "web" / "kiosk" / "kiosk.js").read_text(encoding="utf-8")
    assert f'seconds("warn", {warn})' in kiosk
    assert f'seconds("reset", {reset})' in kiosk
    strings = (ROOT / "web" / "widget" / "strings.js").read_text(encoding="utf-8")
    assert f'"{question}"' in strings
    assert f"?warn={warn}&reset={reset}" in README


# -- links and paths ----------------------------------------------------------------------------


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_links_and_anchors_exist():
    links = [link for link in re.findall(r"\]\(([^)\s]+)\)", README) if not re.match(r"\w+:", link)]
    assert len(links) >= 15
    broken = []
    for link in links:
        path, _, anchor = link.partition("#")
        target = ROOT / (path or "README.md")
        if not target.exists():
            broken.append(link)
        elif anchor:
            text = target.read_text(encoding="utf-8")
            headings = {github_anchor(h) for h in re.findall(r"^#+\s+(.+)$", text, re.M)}
            if anchor not in headings:
                broken.append(link)
    assert not broken


def test_the_paths_the_readme_names_exist():
    top = {name.split("/")[0] for name in tracked_files()}
    candidates = set(re.findall(r"[\w.*-]+(?:/[\w.*-]*)+", README))
    named = sorted(path for path in candidates if path.split("/")[0] in top)
    assert len(named) >= 40
    missing = [
        path
        for path in named
        if not (list(ROOT.glob(path)) if "*" in path else (ROOT / path).exists())
        and git("check-ignore", "-q", path).returncode != 0  # built or written at run time
    ]
    assert not missing, "README.md names paths that do not exist"


def test_the_readme_commands_create_the_first_desk_and_admin(tmp_path):
    """The two commands of the README's desk paragraph, run as written (the password is
    asked on the terminal: given on standard input here), make a desk an admin can use."""
    import shlex

    from services.desk.accounts import Accounts
    from services.desk.store import DeskStore

    block = README.split("Create the first desk and admin account:", 1)[1].split("```sh", 1)[1]
    commands = block.split("```", 1)[0].replace("\\\n", " ").strip().splitlines()
    assert len(commands) == 2
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    env = clean_environment(DESK_DATABASE_URL=url, VAR_DIR=str(tmp_path))
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == ".venv/bin/python"
        if "add-user" in argv:
            argv.append("--password-stdin")
        done = subprocess.run(
            [sys.executable, *argv[1:]], cwd=ROOT, env=env, input="een lang wachtwoord\n",
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    store = DeskStore(url)
    [desk] = store.desks()
    assert desk.hours == "ma-vr 09:00-17:00" and desk.topics == ("*",)
    admin = Accounts(store).check_password("beheer", "een lang wachtwoord")
    assert admin.role == "admin"
    assert admin.desks == (desk.id,)  # a member of the desk: signed in, it is staffed
