import shutil

import pytest

from bot.settings import PROJECT_ROOT
from tools.validate import responses_sent_by_actions, validate


def test_the_project_is_valid():
    assert validate() == []


def test_responses_sent_by_actions_are_found():
    assert "catalog_unavailable" in responses_sent_by_actions()


@pytest.fixture(scope="module")
def problems_of_a_broken_project(tmp_path_factory):
    """One validation of a copy with three independent defects (each run of Rasa's validator
    takes about 15 s); every test below checks that its own defect is reported."""
    project = tmp_path_factory.mktemp("broken")
    for name in ("data", "actions", "domain"):
        shutil.copytree(PROJECT_ROOT / name, project / name)
    shutil.copy(PROJECT_ROOT / "config.yml", project / "config.yml")
    # An intent without examples, and a response that nothing uses.
    core = project / "domain" / "core.yml"
    core.write_text(
        core.read_text(encoding="utf-8").replace("  - inform\n", "  - inform\n  - unused_intent\n"),
        encoding="utf-8",
    )
    responses = project / "domain" / "responses.yml"
    responses.write_text(
        responses.read_text(encoding="utf-8")
        + '  utter_forgotten:\n    - text: "Nooit gebruikt."\n',
        encoding="utf-8",
    )
    # An action that sends a response the domain lacks.
    (project / "actions" / "extra.py").write_text(
        'def run(dispatcher):\n    dispatcher.utter_message(response="missing_reply")\n',
        encoding="utf-8",
    )
    return validate(project)


def test_an_unused_response_is_a_failure(problems_of_a_broken_project):
    assert any("utter_forgotten" in p for p in problems_of_a_broken_project)


def test_an_action_sending_an_unknown_response_is_a_failure(problems_of_a_broken_project):
    assert "missing_reply" in " ".join(problems_of_a_broken_project)


def test_an_intent_without_examples_is_a_failure(problems_of_a_broken_project):
    assert any("unused_intent" in p for p in problems_of_a_broken_project)


def test_only_the_three_defects_are_reported(problems_of_a_broken_project):
    """The copy is otherwise the valid project: nothing else may be reported."""
    unexpected = [
        p
        for p in problems_of_a_broken_project
        if not any(name in p for name in ("utter_forgotten", "missing_reply", "unused_intent"))
    ]
    assert unexpected == []
