"""The BSN detector in the NLU pipeline, on real Rasa messages."""

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.personal_data import INTENT_NAME, PersonalNumberDetector


def detect(text):
    predicted = {"name": "ask_course", "confidence": 0.9}
    message = Message(data={TEXT: text, INTENT: predicted, INTENT_RANKING_KEY: [predicted]})
    [result] = PersonalNumberDetector().process([message])
    return result.get(INTENT)["name"], [r["name"] for r in result.get(INTENT_RANKING_KEY)]


@pytest.mark.parametrize("text", ["mijn bsn is 111222333", "bsn: 1234.56.782", "12 34 56 782"])
def test_a_bsn_wins_over_the_predicted_intent(text):
    assert detect(text) == (INTENT_NAME, [INTENT_NAME, "ask_course"])


@pytest.mark.parametrize(
    "text",
    [
        "nummer 123456789 klopt niet",  # nine digits that fail the eleven test
        "bel 06-12345678",
        "iban NL91 ABNA 0417 1643 00",
        "ik ben 67 jaar",
    ],
)
def test_other_numbers_keep_the_predicted_intent(text):
    assert detect(text) == ("ask_course", ["ask_course"])
