import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionAskCallbackConsent, ActionSubmitCallback, ValidateCallbackForm
from services.callbacks import CallbackStore
from tests.actions.conftest import make_tracker


@pytest.fixture(autouse=True)
def _a_desk_calls_back(request):
    """Call-backs need a desk that has agreed to call back; the no_desk tests go without."""
    if "no_desk" not in request.fixturenames:
        request.getfixturevalue("desk")


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
    # On behalf of the desk that agreed to call back, which says when and on which number.
    assert stored.organization == "Leerwerkloket West-Brabant"
    assert (confirmation["days"], confirmation["phone"]) == (2, "076 000 0000")
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


def test_without_a_desk_that_calls_back_nothing_is_promised_or_stored(store, no_desk):
    import asyncio

    messages, events = submit(store, SLOTS)
    [message] = messages
    assert message.get("response") is None and "1400" in message["text"]
    assert "terugbellen kan hier nog niet" in message["text"].lower()
    assert store.open_requests() == []
    asked = asyncio.run(
        ValidateCallbackForm().required_slots(
            ["callback_name", "callback_phone"], CollectingDispatcher(), make_tracker(), {}
        )
    )
    assert asked == []  # no name or number is asked for a call that will not come


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
        ("mijn nummer is 06-12345678", "+31612345678"),
        ("0031-(0)6-12345678", "+31612345678"),
        ("+31 6 1234567", None),
        ("085 123 4567", None),
        ("0800-1234567", None),
        ("06-12345678 of 076 529 1234", None),
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


def test_consent_question_names_the_desk_that_calls_back_and_retention():
    dispatcher = CollectingDispatcher()
    ActionAskCallbackConsent().run(dispatcher, make_tracker(SLOTS), {})
    [question] = dispatcher.messages
    assert question["response"] == "callback_consent_question"
    assert question["name"] == "Leerwerkloket West-Brabant"  # who will have the number
    assert question["retention_days"] == 30
