import shutil

import pytest

from bot.settings import PROJECT_ROOT
from bot.validate import responses_sent_by_actions, validate


@pytest.fixture
def project(tmp_path):
    for name in ("data", "actions"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    for name in ("domain.yml", "config.yml"):
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    return tmp_path


def test_the_project_is_valid():
    assert validate() == []


def test_responses_sent_by_actions_are_found():
    assert "catalog_unavailable" in responses_sent_by_actions()


def test_an_unused_response_is_a_failure(project):
    domain = project / "domain.yml"
    domain.write_text(
        domain.read_text(encoding="utf-8")
        + '\n  utter_forgotten:\n    - text: "Nooit gebruikt."\n',
        encoding="utf-8",
    )
    problems = validate(project)
    assert any("utter_forgotten" in p for p in problems)


def test_an_action_sending_an_unknown_response_is_a_failure(project):
    (project / "actions" / "extra.py").write_text(
        'def run(dispatcher):\n    dispatcher.utter_message(response="missing_reply")\n',
        encoding="utf-8",
    )
    assert "missing_reply" in " ".join(validate(project))


def test_an_intent_without_examples_is_a_failure(project):
    domain = project / "domain.yml"
    text = domain.read_text(encoding="utf-8").replace(
        "  - inform\n", "  - inform\n  - unused_intent\n"
    )
    domain.write_text(text, encoding="utf-8")
    assert any("unused_intent" in p for p in validate(project))
