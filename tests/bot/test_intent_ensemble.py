"""The intent ensemble, trained and run with real Rasa tokenizer and featurizer components."""

import numpy as np
import pytest
import scipy.sparse as sp
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer

from bot.components.intent_ensemble import MODEL_FILE, IntentEnsemble, smoothed_idf, tfidf
from bot.settings import PROJECT_ROOT

EXAMPLES = {
    "greet": ["hallo", "goedemorgen", "hoi daar", "goedemiddag", "hallo allemaal", "dag hoi"],
    "find_course": [
        "ik zoek een cursus",
        "cursus computer",
        "ik wil leren typen",
        "een cursus nederlands",
        "waar kan ik leren rekenen",
        "cursus in breda",
    ],
    "goodbye": ["doei", "tot ziens", "houdoe", "doei doei", "tot later", "fijne dag verder"],
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), storage, Resource("tokenizer"), context
    )
    featurizer = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "max_ngram": 3},
        storage,
        Resource("featurizer"),
        context,
    )
    data = TrainingData(
        [
            Message.build(text=text, intent=intent)
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)

    def featurize(text: str) -> Message:
        message = Message(data={TEXT: text})
        tokenizer.process([message])
        featurizer.process([message])
        return message

    return storage, context, data, featurize


@pytest.fixture(scope="module")
def trained(pipeline):
    storage, context, data, _ = pipeline
    resource = Resource("ensemble")
    ensemble = IntentEnsemble.create({}, storage, resource, context)
    ensemble.train(data)
    return ensemble, resource


def test_tfidf_equals_sklearn_sublinear_smoothed_l2():
    counts = sp.csr_matrix(np.array([[3, 0, 1, 0], [0, 2, 0, 0], [1, 1, 1, 5], [0, 0, 0, 0]]))
    expected = TfidfTransformer(sublinear_tf=True, smooth_idf=True).fit_transform(counts)
    actual = tfidf(counts, smoothed_idf(counts))
    np.testing.assert_allclose(actual.toarray(), expected.toarray(), atol=1e-12)


def test_linear_model_alone_classifies_and_ranks(pipeline, trained):
    ensemble, _ = trained
    featurize = pipeline[3]
    messages = [featurize("goedemorgen allemaal"), featurize("cursus rekenen"), featurize("doei")]
    ensemble.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == ["greet", "find_course", "goodbye"]
    for message in messages:
        ranking = message.get(INTENT_RANKING_KEY)
        assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)
        assert ranking[0] == message.get(INTENT)
        assert [e["confidence"] for e in ranking] == sorted(
            (e["confidence"] for e in ranking), reverse=True
        )


def test_combines_diet_ranking_with_its_weight(pipeline, trained):
    ensemble, _ = trained
    featurize = pipeline[3]
    alone = featurize("hallo")
    ensemble.process([alone])
    linear = {entry["name"]: entry["confidence"] for entry in alone.get(INTENT_RANKING_KEY)}

    message = featurize("hallo")
    diet = {"greet": 0.1, "find_course": 0.0, "goodbye": 0.9}
    message.set(INTENT_RANKING_KEY, [{"name": k, "confidence": v} for k, v in diet.items()])
    message.set(INTENT, {"name": "goodbye", "confidence": 0.9})
    ensemble.process([message])
    weight = ensemble.config["diet_weight"]
    combined = {entry["name"]: entry["confidence"] for entry in message.get(INTENT_RANKING_KEY)}
    for name in EXAMPLES:
        assert combined[name] == pytest.approx(weight * diet[name] + (1 - weight) * linear[name])
    assert message.get(INTENT)["name"] == max(combined, key=combined.get)


def test_diet_alone_and_linear_alone_are_the_two_ends(pipeline):
    storage, context, data, featurize = pipeline
    for weight, expected in ((1.0, "goodbye"), (0.0, "greet")):
        ensemble = IntentEnsemble.create(
            {"diet_weight": weight}, storage, Resource(f"ensemble-{weight}"), context
        )
        ensemble.train(data)
        message = featurize("hallo")
        message.set(INTENT_RANKING_KEY, [{"name": "goodbye", "confidence": 1.0}])
        ensemble.process([message])
        assert message.get(INTENT)["name"] == expected


def test_loaded_model_predicts_the_same_and_is_stored_without_pickle(pipeline, trained):
    ensemble, resource = trained
    storage, context, _, featurize = pipeline
    loaded = IntentEnsemble.load({}, storage, resource, context)
    first, second = featurize("ik wil een cursus"), featurize("ik wil een cursus")
    ensemble.process([first])
    loaded.process([second])
    assert first.get(INTENT_RANKING_KEY) == second.get(INTENT_RANKING_KEY)
    with (
        storage.read_from(resource) as directory,
        np.load(directory / MODEL_FILE, allow_pickle=False) as stored,
    ):
        assert set(stored.files) == {"classes", "coef", "intercept", "idf"}
        assert list(stored["classes"]) == sorted(EXAMPLES)


def test_message_without_features_keeps_its_intent(trained):
    ensemble, _ = trained
    message = Message(data={TEXT: ""})
    message.set(INTENT, {"name": "greet", "confidence": 0.7})
    ensemble.process([message])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.7}


def test_message_whose_features_are_all_zero_keeps_its_intent(trained):
    ensemble, _ = trained
    width = ensemble._model["idf"].shape[0]
    message = Message(data={TEXT: "?"})
    message.add_features(Features(sp.csr_matrix((1, width)), FEATURE_TYPE_SENTENCE, TEXT, "cvf"))
    message.set(INTENT, {"name": "greet", "confidence": 0.7})
    ensemble.process([message])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.7}


def test_untrained_component_changes_nothing(pipeline):
    storage, context, _, featurize = pipeline
    loaded = IntentEnsemble.load({}, storage, Resource("never-trained"), context)
    message = featurize("hallo")
    message.set(INTENT, {"name": "greet", "confidence": 0.7})
    loaded.process([message])
    assert message.get(INTENT) == {"name": "greet", "confidence": 0.7}


def test_training_needs_two_intents(pipeline):
    storage, context, data, featurize = pipeline
    ensemble = IntentEnsemble.create({}, storage, Resource("one-intent"), context)
    only_greet = TrainingData([m for m in data.training_examples if m.get(INTENT) == "greet"])
    ensemble.train(only_greet)
    message = featurize("hallo")
    ensemble.process([message])
    assert message.get(INTENT) is None


def test_weight_outside_zero_to_one_is_refused(pipeline):
    storage, context, _, _ = pipeline
    with pytest.raises(ValueError, match="diet_weight"):
        IntentEnsemble.create({"diet_weight": 1.5}, storage, Resource("bad"), context)


def test_config_places_the_ensemble_between_diet_and_the_fallback():
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    names = [component["name"] for component in config["pipeline"]]
    diet = names.index("bot.components.fast_load.FastLoadDIETClassifier")
    ensemble = names.index("bot.components.intent_ensemble.IntentEnsemble")
    assert diet < ensemble < names.index("FallbackClassifier")
    # DIET must rank every intent, or the weighted mean misses the intents it left out.
    assert config["pipeline"][diet]["ranking_length"] == 0


def test_word_pairs_reach_the_regression_but_not_diet():
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    components = [c for c in config["pipeline"] if c["name"].endswith("Featurizer")]
    # Every featurizer is named, so the lists below cannot silently miss a new one.
    assert all(component.get("alias") for component in components)
    featurizers = {component["alias"]: component for component in components}
    assert len(featurizers) == len(components) == 5
    assert featurizers["word_pairs"]["max_ngram"] == 2
    assert featurizers["words"].get("max_ngram", 1) == 1
    diet = next(c for c in config["pipeline"] if c["name"].endswith("DIETClassifier"))
    ensemble = next(c for c in config["pipeline"] if c["name"].endswith("IntentEnsemble"))
    assert sorted(diet["featurizers"]) == sorted(set(featurizers) - {"word_pairs"})
    assert sorted(ensemble["featurizers"]) == sorted(set(featurizers) - {"words"})


def test_reads_only_the_featurizers_it_names(pipeline):
    storage, context, _, _ = pipeline
    message = Message(data={TEXT: "hallo", INTENT: "greet"})
    for name, width in [("chars", 5), ("words", 3)]:
        message.add_features(
            Features(sp.csr_matrix(np.ones((1, width))), FEATURE_TYPE_SENTENCE, TEXT, name)
        )
    other = Message(data={TEXT: "doei", INTENT: "goodbye"})
    other.add_features(
        Features(sp.csr_matrix(np.ones((1, 5))), FEATURE_TYPE_SENTENCE, TEXT, "chars")
    )
    other.add_features(
        Features(sp.csr_matrix(np.zeros((1, 3))), FEATURE_TYPE_SENTENCE, TEXT, "words")
    )
    widths = {}
    for names in ([], ["chars"], ["words"]):
        ensemble = IntentEnsemble.create(
            {"featurizers": names}, storage, Resource(f"only-{names}"), context
        )
        ensemble.train(TrainingData([message, other]))
        widths[tuple(names)] = ensemble._idf.shape[0]
    assert widths == {(): 8, ("chars",): 5, ("words",): 3}
