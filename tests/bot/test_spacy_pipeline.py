import pytest
import spacy

from bot.settings import PROJECT_ROOT
from bot.spacy_pipeline import build_pipeline, configured_model_dir, ensure_pipeline


def test_config_yml_names_the_pipeline_path():
    assert configured_model_dir() == PROJECT_ROOT / "models" / "spacy-nl"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The pipeline as `make` saves it, loaded back the way Rasa's SpacyNLP loads it."""
    return spacy.load(ensure_pipeline(tmp_path_factory.mktemp("spacy") / "spacy-nl"))


def test_saved_pipeline_tokenizes_and_lemmatizes_like_the_built_one(loaded):
    text = "Ik zoek cursussen o.a. computerlessen, bijv. in Etten-Leur!"
    built = build_pipeline()
    assert [t.text for t in loaded(text)] == [t.text for t in built(text)]
    doc = loaded(text)
    assert {"cursus", "o.a.", "bijv."} <= {t.lemma_ for t in doc} | {t.text for t in doc}
    assert loaded.lang == "nl"
    assert doc[0].is_stop


def test_turkish_case_endings_are_split_off_and_dutch_words_are_not(loaded):
    tokens = lambda text: [token.text for token in loaded(text)]  # noqa: E731
    assert tokens("Breda'da kurs var mı") == ["Breda", "'da", "kurs", "var", "mı"]
    assert tokens("Oosterhout'tan Roosendaal'a") == ["Oosterhout", "'tan", "Roosendaal", "'a"]
    assert tokens("Etten-Leur'de ve Zundert’te")[-2:] == ["Zundert", "’te"]
    assert tokens("Bergen op Zoom'un kütüphanesi")[:4] == ["Bergen", "op", "Zoom", "'un"]
    for dutch in ["auto's", "z'n", "m'n", "zo'n", "don't", "Breda's"]:
        assert tokens(dutch) == [dutch]
