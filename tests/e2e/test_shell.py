"""`make shell` (tools/shell.py) on the running stack: a conversation typed in a terminal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.stack

# tools.shell as `make shell` runs it, but with its `.env` in a temporary folder, so the test
# leaves the checkout as it was.
RUN_SHELL = (
    "import sys; from pathlib import Path; import bot.settings as s;"
    " s.ENV_FILE = Path(sys.argv[1]); from tools.shell import main; sys.exit(main())"
)


def test_the_shell_talks_to_the_running_stack_and_buttons_are_chosen_by_number(
    shared_stack, tmp_path
):
    env = {
        **os.environ,
        "RASA_PORT": str(shared_stack.config.rasa_port),
        "LEERWIJZER_HOST": shared_stack.config.host,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    typed = "Ik zoek een computercursus\n2\n/stop\n"
    result = subprocess.run(
        [sys.executable, "-c", RUN_SHELL, str(tmp_path / ".env")],
        input=typed,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "The stack is not running" not in out  # it used the running one
    assert "Leerwijzer: In welke plaats woont u?" in out
    assert "  2. Roosendaal" in out
    # "2" chose the second button: a course search in Roosendaal.
    assert "Waar: Roosendaal" in out.split("  2. Roosendaal", 1)[1]
