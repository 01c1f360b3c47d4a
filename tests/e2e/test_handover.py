"""Hand-over honesty on the whole stack: without a desk that has agreed to call back (the
default), the assistant names a number to call and never offers or promises a call-back."""

from __future__ import annotations

import pytest

from tests.support.stack import CALLBACK_DESK, Citizen, buttons, running_stack, texts

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    no_desk = dict.fromkeys(CALLBACK_DESK, "")
    with running_stack(tmp_path_factory.mktemp("var-no-desk"), **no_desk) as running:
        yield running


def test_without_a_desk_a_person_gets_a_number_and_no_call_back_offer(stack):
    citizen = Citizen(stack)
    offer = citizen.say("ik wil een mens spreken")
    assert any(ch.isdigit() for ch in texts(offer)), "a phone number is given"
    assert "terugbelt" not in texts(offer)
    assert "/request_callback" not in [b["payload"] for b in buttons(offer)]
    # Asking for a call-back anyway: no name or number is asked, and no call is promised.
    answer = texts(citizen.say("/request_callback"))
    assert "Terugbellen kan hier nog niet" in answer
    assert "voornaam" not in answer and "belt u" not in answer
