"""Train the Rasa model only when its inputs changed.

The model file name carries a content hash of everything that shapes the model
(training data, domain, config, custom NLU components, the spaCy pipeline and the
Rasa version), so an unchanged project reuses its model instead of retraining.
Run: `python -m bot.training` (prints the model path).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from bot.rasa_cli import DOMAIN_PATH
from bot.settings import PROJECT_ROOT
from bot.spacy_pipeline import configured_model_dir, ensure_pipeline

MODEL_PREFIX = "leerwijzer-"
MODELS_DIR = PROJECT_ROOT / "models"
KEEP_MODELS = 3
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


def _prune_old_models(keep: Path) -> None:
    models = sorted(
        MODELS_DIR.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in [m for m in models if m != keep][KEEP_MODELS - 1 :]:
        old.unlink(missing_ok=True)


def ensure_model(force: bool = False) -> Path:
    """Return the model for the current inputs, training it first when it does not exist."""
    ensure_pipeline()
    target = model_path()
    if target.exists() and not force:
        return target
    MODELS_DIR.mkdir(exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "bot.rasa_cli",  # `rasa train` with faster schema checks
        "train",
        "--config",
        "config.yml",
        "--domain",
        DOMAIN_PATH,
        "--data",
        "data",
        "--out",
        str(MODELS_DIR),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    print(f"Training the Rasa model ({target.name}); this takes a few minutes.", flush=True)
    subprocess.run(command, cwd=PROJECT_ROOT, check=True)
    if not target.exists():
        raise SystemExit(f"Rasa training finished but {target} is missing.")
    _prune_old_models(keep=target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the Rasa model when inputs changed.")
    parser.add_argument("--force", action="store_true", help="train even when up to date")
    parser.add_argument("--print-path", action="store_true", help="only print the model path")
    args = parser.parse_args(argv)
    if args.print_path:
        print(model_path())
        return 0
    print(ensure_model(force=args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
