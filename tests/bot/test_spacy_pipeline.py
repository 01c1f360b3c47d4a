import spacy

from bot.settings import PROJECT_ROOT
from bot.spacy_pipeline import build_pipeline, configured_model_dir, ensure_pipeline


def test_config_yml_names_the_pipeline_path():
    assert configured_model_dir() == PROJECT_ROOT / "models" / "spacy-nl"


def test_saved_pipeline_tokenizes_and_lemmatizes_like_the_built_one(tmp_path):
    target = ensure_pipeline(tmp_path / "spacy-nl")
    loaded = spacy.load(target)
    text = "Ik zoek cursussen o.a. computerlessen, bijv. in Etten-Leur!"
    built = build_pipeline()
    assert [t.text for t in loaded(text)] == [t.text for t in built(text)]
    doc = loaded(text)
    assert {"cursus", "o.a.", "bijv."} <= {t.lemma_ for t in doc} | {t.text for t in doc}
    assert loaded.lang == "nl"
    assert doc[0].is_stop
