"""The persona suite, played once per test session against the shared stack: the task-success
tests (test_task_success.py) and the insights made of the same conversations (test_insights.py)
read the same outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.personas.driver import Assistant, render, run
from tests.support.artifacts import artifact_path

REPORT_NAME = "task-success.md"


@pytest.fixture(scope="session")
def report() -> Path:
    return artifact_path(REPORT_NAME)


@pytest.fixture(scope="session")
def outcomes(shared_stack, report):
    config = shared_stack.config
    assistant = Assistant(
        f"http://127.0.0.1:{config.rasa_port}",
        config.catalog_url,
        config.budget_url,
        config.rasa_auth_token,
    )
    found = run(assistant)
    report.write_text(render(found, "make task-success"), encoding="utf-8")
    return found
