"""What every fault test does in the middle of a conversation: time the answer, check that it
is clear (a phone number, within 3 seconds) and that the log names the fault."""

from __future__ import annotations

import time

from actions.contacts import fallback_contact
from tests.support.stack import Citizen, process, texts

ANSWER_WITHIN_SECONDS = 3.0


def timed(citizen: Citizen, text: str) -> tuple[str, float]:
    started = time.monotonic()
    answer = texts(citizen.say(text))
    return answer, time.monotonic() - started


def assert_clear_answer(answer: str, elapsed: float) -> None:
    assert fallback_contact().phone in answer, answer
    assert elapsed < ANSWER_WITHIN_SECONDS, f"answered after {elapsed:.1f} s"


def rasa_log(stack) -> str:  # noqa: ANN001
    return process(stack, "rasa").log_path.read_text(errors="replace")


def through_a_fault(stack, citizen: Citizen, break_it, repair, logged: str, stored) -> None:  # noqa: ANN001
    """A course search; the part breaks before the place is given: a clear answer within 3 s
    and a log line naming the fault; once repaired the place, sent again, is answered and the
    conversation holds each message once (`stored`: the user messages kept for the citizen)."""
    assert "In welke plaats woont u?" in texts(citizen.say("Ik zoek een computercursus"))
    break_it()
    try:
        answer, elapsed = timed(citizen, "Breda")
        assert_clear_answer(answer, elapsed)
        assert logged in rasa_log(stack)
    finally:
        repair()
    assert "Waar: Breda" in texts(citizen.say("Breda"))
    assert stored(citizen.sender) == ["Ik zoek een computercursus", "Breda"]
