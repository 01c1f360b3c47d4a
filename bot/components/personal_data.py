"""An NLU component that notices a BSN in a message, so the assistant can warn about it.

It runs last in the pipeline. When the text contains a number that passes the BSN eleven
test, it sets the intent to `share_personal_number`, whatever else was predicted: the
warning matters more than the question. Masking before storage is separate
(bot/tracker_store.py).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.privacy import contains_bsn

INTENT_NAME = "share_personal_number"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonalNumberDetector(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonalNumberDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text and contains_bsn(text):
                detected = {"name": INTENT_NAME, "confidence": 1.0}
                ranking = [
                    r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != INTENT_NAME
                ]
                message.set(INTENT, detected, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [detected, *ranking], add_to_output=True)
        return messages
