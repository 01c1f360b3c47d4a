import jsonschema
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.rasa_cli import install_action_result_validator, install_training_data_validator


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


@pytest.fixture
def cached_training_data_validation(monkeypatch):
    from rasa.shared.utils import validation

    monkeypatch.setattr(validation, "validate_training_data", validation.validate_training_data)
    install_training_data_validator()
    return validation


def test_entity_annotations_parse_without_rechecking_the_schema(
    cached_training_data_validation, monkeypatch
):
    from rasa.shared.nlu.training_data.entities_parser import find_entities_in_training_example

    text = (
        "ik woon in [Breda](municipality) en wil "
        '[computerles]{"entity": "topic", "value": "digital"}'
    )
    find_entities_in_training_example(text)  # builds the validator once

    def no_check(*args, **kwargs):
        raise AssertionError("the schema is checked once")

    monkeypatch.setattr(jsonschema.validators.Draft4Validator, "check_schema", no_check)
    monkeypatch.setattr(jsonschema.validators.Draft7Validator, "check_schema", no_check)
    monkeypatch.setattr(jsonschema.validators.Draft202012Validator, "check_schema", no_check)
    entities = find_entities_in_training_example(text)
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("municipality", "Breda"),
        ("topic", "digital"),
    ]


def test_invalid_entity_annotations_fail_as_in_rasa(cached_training_data_validation):
    from rasa.shared.exceptions import SchemaValidationError
    from rasa.shared.nlu.training_data.entities_parser import find_entities_in_training_example

    with pytest.raises(SchemaValidationError) as error:
        find_entities_in_training_example('[Breda]{"value": "Breda"}')  # no entity type
    assert "Failed to validate data" in str(error.value)


def test_installing_twice_wraps_rasa_once(cached_training_data_validation):
    install_training_data_validator()
    patched = cached_training_data_validation.validate_training_data
    install_training_data_validator()
    assert cached_training_data_validation.validate_training_data is patched


def test_rasa_telemetry_is_off_unless_asked_for(monkeypatch):
    import importlib

    import rasa.telemetry

    import bot.rasa_cli

    monkeypatch.delenv("RASA_TELEMETRY_ENABLED", raising=False)
    importlib.reload(bot.rasa_cli)
    assert rasa.telemetry.is_telemetry_enabled() is False

    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")
    importlib.reload(bot.rasa_cli)
    assert rasa.telemetry.is_telemetry_enabled() is True


def test_button_payloads_are_not_taken_for_placeholders(capsys, caplog):
    """Rasa logged an ERROR with the slot values for every button with a JSON payload."""
    from rasa.core.nlg import interpolator

    from bot.rasa_cli import install_payload_interpolation

    install_payload_interpolation()
    payload = '/inform{"municipality": "Breda"}'
    response = {"text": "Ik bewaar dit {retention_days} dagen.", "buttons": [{"payload": payload}]}
    filled = interpolator.interpolate(response, {"retention_days": 30, "age": "67"})
    assert filled["text"] == "Ik bewaar dit 30 dagen."
    assert filled["buttons"][0]["payload"] == payload
    logged = capsys.readouterr().out + capsys.readouterr().err + caplog.text
    assert "interpolator" not in logged and "67" not in logged


def action_responses() -> list:
    """Responses an action server sends, valid and not."""
    import datetime

    from rasa_sdk import events

    made = [
        events.SlotSet("topic", "dutch"),
        events.AllSlotsReset(),
        events.ActiveLoop("course_form"),
        events.ActiveLoop(None),
        events.FollowupAction("action_listen"),
        events.Restarted(),
        events.UserUtteranceReverted(),
        events.ActionReverted(),
        events.ConversationPaused(),
        events.ConversationResumed(),
        events.SessionStarted(),
        events.BotUttered("hallo", {"buttons": []}),
        events.UserUttered("hoi", {"intent": {"name": "greet"}}),
        events.ActionExecuted("action_listen"),
        events.ReminderScheduled("EXTERNAL_x", datetime.datetime(2026, 12, 4, 10)),
        events.ReminderCancelled("reminder"),
        events.ActionExecutionRejected("action_x"),
        events.LoopInterrupted(True),
    ]
    good = [{"events": [event], "responses": []} for event in made]
    good += [
        {"events": made, "responses": [{"text": "hallo", "buttons": [{"title": "a"}]}]},
        {"events": []},
        {},
    ]
    bad = [
        {"events": [{"name": "topic"}], "responses": []},  # no event type
        {"events": [{"event": "slot", "name": "topic"}]},  # a slot without its value
        {"events": [{"event": "no_such_event"}]},
        {"events": [{"event": "slot", "name": 3, "value": 1}]},
        {"events": [{"event": "slot", "name": "x", "value": 1, "timestamp": "now"}]},
        {"events": "slot"},
        {"events": [["slot"]]},
        {"events": [], "responses": ["hallo"]},
        {"events": [{"event": 5}]},
        ["events"],
        "events",
    ]
    return [(response, True) for response in good] + [(response, False) for response in bad]


@pytest.mark.parametrize(("response", "valid"), action_responses())
def test_the_quick_check_of_action_responses_agrees_with_the_schema(response, valid):
    from bot.rasa_cli import event_type_check

    schema = RemoteAction.action_response_format_spec()
    assert jsonschema.validators.validator_for(schema)(schema).is_valid(response) is valid
    quick_yes = event_type_check(schema)
    assert quick_yes is not None
    assert quick_yes(response) is valid  # a yes only where the schema says yes


def test_the_quick_check_is_left_out_for_a_schema_it_does_not_know():
    from bot.rasa_cli import event_type_check

    assert event_type_check({"type": "object"}) is None
    schema = RemoteAction.action_response_format_spec()
    schema["properties"]["events"]["items"]["required"] = []
    assert event_type_check(schema) is None


def test_a_message_whose_ticket_expired_while_waiting_is_served(monkeypatch):
    """The ticket ahead (a Rasa server that died) and this message's own ticket both expire:
    Rasa's wait loop would then wait forever on a lock with no ticket."""
    import asyncio

    from rasa.core.lock_store import InMemoryLockStore, LockStore

    from bot.rasa_cli import install_expired_ticket_fix

    monkeypatch.setattr(LockStore, "_acquire_lock", LockStore._acquire_lock)
    install_expired_ticket_fix()
    store = InMemoryLockStore()
    store.issue_ticket("someone", 0.3)  # the dead server's ticket, never finished

    async def second_message() -> str:
        async with store.lock("someone", lock_lifetime=0.3, wait_time_in_seconds=0.5):
            return "served"

    assert asyncio.run(asyncio.wait_for(second_message(), timeout=5)) == "served"
    assert store.get_lock("someone") is None  # cleaned up after serving


def test_a_message_still_waits_while_the_ticket_ahead_is_alive(monkeypatch):
    import asyncio

    from rasa.core.lock_store import InMemoryLockStore, LockStore

    from bot.rasa_cli import install_expired_ticket_fix

    monkeypatch.setattr(LockStore, "_acquire_lock", LockStore._acquire_lock)
    install_expired_ticket_fix()
    store = InMemoryLockStore()
    store.issue_ticket("someone", 60)  # a message being processed

    async def second_message() -> None:
        async with store.lock("someone", lock_lifetime=60, wait_time_in_seconds=0.05):
            pass

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(asyncio.wait_for(second_message(), timeout=0.5))
