import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionAskCallbackConsent, ActionSubmitCallback, ValidateCallbackForm
from services.callbacks import CallbackStore
from tests.actions.conftest import make_tracker


@pytest.fixture
def store(tmp_path):
    return CallbackStore(f"sqlite:///{tmp_path / 'callbacks.db'}", retention_days=30)


SLOTS = {
    "callback_name": "Fatima",
    "callback_phone": "+31612345678",
    "callback_daypart": "morning",
    "callback_consent": True,
    "callback_organization": "Taalhuis Breda",
    "callback_subject": "dutch",
}


def submit(store, slots):
    dispatcher = CollectingDispatcher()
    events = ActionSubmitCallback(store).run(dispatcher, make_tracker(slots), {})
    return dispatcher.messages, events


def test_a_confirmed_request_is_stored_before_the_confirmation(store):
    messages, events = submit(store, SLOTS)
    [confirmation] = messages
    assert confirmation["response"] == "callback_confirmed"
    stored = store.get(confirmation["reference"])
    assert stored is not None
    assert (stored.first_name, stored.phone, stored.daypart) == (
        "Fatima",
        "+31612345678",
        "morning",
    )
    assert stored.organization == "Taalhuis Breda"
    # The call-back details leave the conversation once they are in the store.
    assert {e["name"] for e in events if e["value"] is None} >= {"callback_phone", "callback_name"}


def test_without_consent_nothing_is_stored(store):
    messages, _ = submit(store, {**SLOTS, "callback_consent": False})
    assert messages[0]["response"] == "callback_declined"
    assert store.open_requests() == []


def test_a_store_failure_promises_nothing(store, monkeypatch):
    def broken(_request):
        raise OSError("disk full")

    monkeypatch.setattr(store, "add", broken)
    messages, _ = submit(store, SLOTS)
    assert messages[0]["response"] == "callback_failed"
    assert messages[0]["phone"]


def validate(slot, value):
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateCallbackForm(), f"validate_{slot}")
    return method(value, dispatcher, make_tracker(), {}), dispatcher.messages


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("06-12345678", "+31612345678"),
        ("+31 6 1234 5678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("076 529 1234", "+31765291234"),
        ("+32 470 12 34 56", "+32470123456"),
        ("12345", None),
        ("0900-1234567", None),
        ("bel me maar", None),
    ],
)
def test_phone_numbers_dutch_or_international(typed, stored):
    result, messages = validate("callback_phone", typed)
    assert result == {"callback_phone": stored}
    assert bool(messages) == (stored is None)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("fatima", "Fatima"), ("Ik heet Jan", "Jan"), ("Anne-Marie", "Anne-Marie"),
     ("Олена", "Олена"), ("1234", None), ("x" * 80, None)],
)  # fmt: skip
def test_first_names(typed, stored):
    assert validate("callback_name", typed)[0] == {"callback_name": stored}


def test_consent_only_from_an_explicit_answer():
    assert validate("callback_consent", True)[0] == {"callback_consent": True}
    assert validate("callback_consent", "ja hoor")[0] == {"callback_consent": None}


def test_consent_question_names_the_organization_and_retention():
    dispatcher = CollectingDispatcher()
    ActionAskCallbackConsent().run(dispatcher, make_tracker(SLOTS), {})
    [question] = dispatcher.messages
    assert question["response"] == "callback_consent_question"
    assert question["name"] == "Taalhuis Breda"
    assert question["retention_days"] == 30
