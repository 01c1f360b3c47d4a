"""An NLU component that notes in which of the assistant's languages a message is written.

Offline: lingua-language-detector ships its models in the package; only the six languages
of the assistant are loaded. The result goes into the parse data as
`detected_language: {"language": "en", "confidence": 0.93}` (nothing when unsure), and
actions.welcome.ActionDetectLanguage asks whether to continue in that language. The intent
is never changed: a question in English is still answered.

Short messages are unreliable in Latin script ("hallo" looks English, "ja" Polish), so a
Latin-script message needs at least MIN_LATIN_WORDS words and a clear winner. Arabic and
Cyrillic script decide by themselves: among the six languages only Arabic uses Arabic
script and only Ukrainian uses Cyrillic.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

OUTPUT_KEY = "detected_language"
MIN_LATIN_WORDS = 3
MIN_CONFIDENCE = 0.6
MIN_MARGIN = 0.3  # over the second most likely language
MAX_CHARS = 500
ARABIC = re.compile(r"[\u0600-\u06FF]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    languages = (
        Language.DUTCH,
        Language.ENGLISH,
        Language.ARABIC,
        Language.TURKISH,
        Language.UKRAINIAN,
        Language.POLISH,
    )
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect(text: str) -> dict[str, Any] | None:
    """{"language": ISO 639-1 code, "confidence": 0..1}, or None when unsure or a payload."""
    text = (text or "").strip()[:MAX_CHARS]
    if not text or text.startswith("/"):
        return None
    words = WORD.findall(text)
    if not words:
        return None
    arabic = len(ARABIC.findall(text))
    cyrillic = len(CYRILLIC.findall(text))
    letters = sum(len(w) for w in words)
    if arabic > letters / 2:
        return {"language": "ar", "confidence": 1.0}
    if cyrillic > letters / 2:
        return {"language": "uk", "confidence": 1.0}
    if len(words) < MIN_LATIN_WORDS:
        return None
    values = _detector().compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    second = values[1].value if len(values) > 1 else 0.0
    if best.value < MIN_CONFIDENCE or best.value - second < MIN_MARGIN:
        return None
    return {
        "language": best.language.iso_code_639_1.name.lower(),
        "confidence": round(best.value, 2),
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageDetector(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = detect(message.get(TEXT) or "")
            if found:
                message.set(OUTPUT_KEY, found, add_to_output=True)
        return messages
