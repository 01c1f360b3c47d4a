"""An intent classifier that combines DIET's intent ranking with a linear model.

DIET learns from a few thousand examples without pretrained embeddings (none can be
downloaded here), and so does a regularised logistic regression on the same sparse
features: the character n-grams, words and lookup-table matches the featurizers in
config.yml compute. They make different mistakes, and the weighted mean of their
probabilities is right more often than either (docs/nlu-report.md).

The linear model sees each message's sentence features (from the featurizers named in its
`featurizers` option, like DIET's; all by default), weighted as tf-idf
(sublinear term frequency, smoothed inverse document frequency, unit length), and is
stored as plain numpy arrays: no pickle in the model archive. When DIET gave no ranking
(or a pipeline without DIET) the linear model decides alone; a message without features,
or with none the featurizers learned (only emoji, say), keeps whatever intent it had.

Put it after DIETClassifier (with `ranking_length: 0`, so DIET ranks every intent) and
before FallbackClassifier, which then judges the combined confidence.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_intent.npz"
RANKING_LENGTH = 10


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, each row scaled to unit length."""
    weighted = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    weighted.data = np.where(weighted.data > 0, 1.0 + np.log(np.abs(weighted.data)), 0.0)
    weighted = weighted @ sp.diags(idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)


def smoothed_idf(counts: sp.csr_matrix) -> np.ndarray:
    documents = counts.shape[0]
    frequency = np.bincount(sp.csr_matrix(counts).indices, minlength=counts.shape[1])
    return np.log((1.0 + documents) / (1.0 + frequency)) + 1.0


def sentence_features(
    message: Message, featurizers: list[str] | None = None
) -> sp.csr_matrix | None:
    """The message's sparse sentence features from the named featurizers (all when none)."""
    _, sentence = message.get_sparse_features(TEXT, featurizers or None)
    if sentence is None:
        return None
    return sp.csr_matrix(sentence.features)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentEnsemble(IntentClassifier, GraphComponent):
    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Share of DIET in the combined probability; the linear model gets the rest.
            "diet_weight": 0.3,
            # Inverse regularisation strength of the logistic regression.
            "C": 20.0,
            "max_iter": 3000,
            # Aliases of the featurizers whose features the regression reads; empty: all.
            "featurizers": [],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        if not 0.0 <= float(self.config["diet_weight"]) <= 1.0:
            raise ValueError("IntentEnsemble: diet_weight must be between 0 and 1.")
        self._model_storage = model_storage
        self._resource = resource
        self._model: dict[str, np.ndarray] | None = None
        if model is not None:
            self._use(model)

    def _use(self, model: dict[str, np.ndarray]) -> None:
        """Keep the stored arrays, and derive once what every message needs."""
        self._model = model
        self._classes = [str(name) for name in model["classes"]]
        self._idf = model["idf"].astype(np.float64)
        self._coef_t = np.ascontiguousarray(model["coef"].T, dtype=np.float64)
        self._intercept = model["intercept"].astype(np.float64)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentEnsemble:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        rows, intents = [], []
        for example in training_data.intent_examples:
            features = sentence_features(example, self.config["featurizers"])
            if features is not None and example.get(INTENT):
                rows.append(features)
                intents.append(example.get(INTENT))
        if len(set(intents)) < 2:
            logger.debug("IntentEnsemble: fewer than two intents with features, not trained.")
            return self._resource
        counts = sp.vstack(rows).tocsr()
        idf = smoothed_idf(counts)
        regression = LogisticRegression(
            C=float(self.config["C"]), max_iter=int(self.config["max_iter"]), random_state=1
        )
        regression.fit(tfidf(counts, idf), np.array(intents))
        model = {
            "classes": regression.classes_.astype(str),
            "coef": regression.coef_.astype(np.float32),
            "intercept": regression.intercept_.astype(np.float32),
            "idf": idf.astype(np.float32),
        }
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / MODEL_FILE, **model)
        self._use(model)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> IntentEnsemble:
        try:
            with (
                model_storage.read_from(resource) as directory,
                np.load(directory / MODEL_FILE, allow_pickle=False) as stored,
            ):
                model = {key: stored[key] for key in stored.files}
        except (ValueError, FileNotFoundError):
            logger.debug("IntentEnsemble: no trained model found; DIET decides alone.")
            model = None
        return cls(config, model_storage, resource, model)

    def linear_probabilities(self, features: sp.csr_matrix) -> np.ndarray:
        assert self._model is not None
        scores = tfidf(features, self._idf) @ self._coef_t + self._intercept
        return softmax(np.asarray(scores), axis=1)[0]

    def combine(self, message: Message, linear: np.ndarray) -> dict[str, float]:
        classes = self._classes
        diet = {
            entry["name"]: float(entry["confidence"])
            for entry in message.get(INTENT_RANKING_KEY) or []
        }
        weight = float(self.config["diet_weight"]) if diet else 0.0
        names = set(classes) | set(diet)
        linear_by_name = dict(zip(classes, linear.tolist(), strict=True))
        return {
            name: weight * diet.get(name, 0.0) + (1.0 - weight) * linear_by_name.get(name, 0.0)
            for name in names
        }

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        for message in messages:
            features = sentence_features(message, self.config["featurizers"])
            if (
                features is None
                or features.nnz == 0  # nothing the featurizers know: no evidence either way
                or features.shape[1] != self._idf.shape[0]
            ):
                continue
            combined = self.combine(message, self.linear_probabilities(features))
            ranking = sorted(
                ({"name": name, "confidence": value} for name, value in combined.items()),
                key=lambda entry: -entry["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[:RANKING_LENGTH], add_to_output=True)
        return messages
