import shutil

import pytest

from bot.settings import PROJECT_ROOT
from tools.training import MODEL_PREFIX, TRAINING_INPUTS, fingerprint, model_path


@pytest.fixture
def project(tmp_path):
    """A copy of everything that shapes the model, so tests may change it."""
    for name in TRAINING_INPUTS:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    meta = tmp_path / "models" / "spacy-nl" / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text('{"name": "leerwijzer_nl", "version": "1.0.0"}', encoding="utf-8")
    return tmp_path


def test_fingerprint_is_stable_when_nothing_changes(project):
    assert fingerprint(project) == fingerprint(project)


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / "data" / "nlu" / "basics.yml").write_text("changed", encoding="utf-8"),
        lambda root: (root / "domain" / "responses.yml").write_text("changed", encoding="utf-8"),
        lambda root: (root / "domain" / "core.yml").write_text("changed", encoding="utf-8"),
        lambda root: (root / "config.yml").write_text(
            (root / "config.yml").read_text(encoding="utf-8") + "\n# tuned\n", encoding="utf-8"
        ),
        lambda root: (root / "data" / "rules" / "new.yml").write_text("x", encoding="utf-8"),
        lambda root: (root / "bot" / "components" / "fast_load.py").write_text(
            "#", encoding="utf-8"
        ),
        lambda root: (root / "models" / "spacy-nl" / "meta.json").write_text(
            "{}", encoding="utf-8"
        ),
    ],
    ids=[
        "nlu data",
        "responses",
        "domain core",
        "config",
        "new rule file",
        "custom component",
        "spacy pipeline",
    ],
)
def test_fingerprint_changes_with_every_training_input(project, change):
    before = fingerprint(project)
    change(project)
    assert fingerprint(project) != before


def test_model_file_name_carries_the_fingerprint():
    path = model_path("abc123")
    assert path.name == f"{MODEL_PREFIX}abc123.tar.gz"
    assert path.parent == PROJECT_ROOT / "models"


def test_training_reads_the_domain_folder_that_actions_i18n_writes():
    from actions.i18n import RESPONSES_FILE
    from tools.training import DOMAIN_PATH

    assert DOMAIN_PATH in TRAINING_INPUTS
    assert RESPONSES_FILE.parent == PROJECT_ROOT / DOMAIN_PATH
