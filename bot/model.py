"""Which trained model belongs to the project as it is: a content hash of its inputs.

The model file name carries a hash of everything that shapes the model (training data, the
domain, config, custom NLU components, the spaCy pipeline and the Rasa version), so an
unchanged project reuses its model. Training is tooling (tools/training.py, `make train`);
the launcher only finds the model here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from bot.rasa_cli import DOMAIN_PATH
from bot.settings import PROJECT_ROOT
from bot.spacy_pipeline import configured_model_dir

MODEL_PREFIX = "leerwijzer-"
MODELS_DIR = PROJECT_ROOT / "models"
# The domain is the folder domain/: core.yml and responses.yml, generated from actions/locales/.
TRAINING_INPUTS = ("data", DOMAIN_PATH, "config.yml", "bot/components")


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif path.is_file():
            found.append(path)
    return sorted(found)


def fingerprint(root: Path = PROJECT_ROOT) -> str:
    # The installed version from package metadata: importing Rasa would cost seconds.
    digest = hashlib.sha256(f"rasa={version('rasa')}\n".encode())
    spacy_meta = configured_model_dir(root) / "meta.json"
    inputs = [root / name for name in TRAINING_INPUTS] + [spacy_meta]
    for file in _files(inputs):
        digest.update(str(file.relative_to(root)).encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(fp: str | None = None) -> Path:
    return MODELS_DIR / f"{MODEL_PREFIX}{fp or fingerprint()}.tar.gz"


def require_model() -> Path:
    """The model for the project as it is; a clear message when it has not been trained."""
    target = model_path()
    if not target.exists():
        raise SystemExit(
            f"No trained model for the project as it is ({target.name}): run `make train` "
            "(or `make run`, which trains when needed)."
        )
    return target
