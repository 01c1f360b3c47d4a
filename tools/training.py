"""Train the Rasa model only when its inputs changed.

The model file name carries a content hash of everything that shapes the model
(training data, domain, config, custom NLU components, the spaCy pipeline and the
Rasa version), so an unchanged project reuses its model instead of retraining.
Run: `python -m tools.training` (prints the model path). Which model belongs to the inputs is
bot/model.py.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bot.model import MODEL_PREFIX, MODELS_DIR, TRAINING_INPUTS, fingerprint, model_path
from bot.rasa_cli import DOMAIN_PATH
from bot.settings import PROJECT_ROOT
from bot.spacy_pipeline import ensure_pipeline

__all__ = ["MODEL_PREFIX", "TRAINING_INPUTS", "ensure_model", "fingerprint", "model_path"]
KEEP_MODELS = 3


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
