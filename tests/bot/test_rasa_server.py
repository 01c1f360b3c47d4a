import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_server import install_action_result_validator


@pytest.fixture
def patched(monkeypatch):
    monkeypatch.setattr(
        RemoteAction, "_validate_action_result", RemoteAction._validate_action_result
    )
    install_action_result_validator()
    return RemoteAction("action_test", None)


def test_valid_responses_pass_without_rechecking_the_schema(patched, monkeypatch):
    def no_check(*args, **kwargs):
        raise AssertionError("the schema is checked once, at start")

    monkeypatch.setattr(jsonschema.validators.Draft4Validator, "check_schema", no_check)
    monkeypatch.setattr(jsonschema.validators.Draft7Validator, "check_schema", no_check)
    monkeypatch.setattr(jsonschema.validators.Draft202012Validator, "check_schema", no_check)
    result = {"events": [{"event": "slot", "name": "topic", "value": "dutch"}], "responses": []}
    assert patched._validate_action_result(result) is True


def test_invalid_responses_fail_as_in_rasa(patched):
    bad = {"events": [{"name": "topic"}], "responses": []}  # an event without its type
    with pytest.raises(ValidationError) as error:
        patched._validate_action_result(bad)
    with pytest.raises(ValidationError) as original:
        jsonschema.validate(bad, RemoteAction.action_response_format_spec())
    assert error.value.message.startswith(original.value.message)
    assert "Failed to validate Action server response" in error.value.message
