"""Build the offline Dutch spaCy pipeline that Rasa's SpacyNLP loads.

No model can be downloaded here, so the pipeline starts from `spacy.blank("nl")`
(tokenizer, stop words, lexical attributes) and adds the lookup lemmatizer from
spacy-lookups-data. Run: `python -m bot.spacy_pipeline [--force]`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from bot.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from spacy.language import Language

PIPELINE_NAME = "leerwijzer_nl"
PIPELINE_VERSION = "1.1.0"
# Turkish writes case endings after a name with an apostrophe: "Breda'da" (in Breda),
# "Oosterhout'tan" (from Oosterhout), "Roosendaal'a" (to Roosendaal). Split the ending off, so
# the name is a token of its own and the place is found. Dutch and English endings ("auto's",
# "z'n", "don't") are not in this list.
TURKISH_CASE_ENDING = r"(?<=[^\W\d_])['’](?:d[ae]n?|t[ae]n?|y?[ae]|y?[ıiuü]|n?[ıiuü]n|y?l[ae])"


def configured_model_dir(root: Path = PROJECT_ROOT) -> Path:
    """The path that config.yml gives SpacyNLP, so the path is written only there."""
    config_file = root / "config.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for component in config.get("pipeline", []):
        if component.get("name") == "SpacyNLP":
            path = Path(component["model"])
            return path if path.is_absolute() else root / path
    raise SystemExit(f"{config_file} has no SpacyNLP component with a model path.")


def build_pipeline() -> Language:
    import spacy  # deferred: importing spaCy pulls in TensorFlow, seconds the launcher can skip
    from spacy.util import compile_suffix_regex

    nlp = spacy.blank("nl")
    suffixes = [*nlp.Defaults.suffixes, TURKISH_CASE_ENDING]
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # Loads the Dutch lookup table from spacy-lookups-data; fails loudly when it is missing.
    nlp.initialize()
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = PIPELINE_VERSION
    nlp.meta["description"] = (
        "spacy.blank('nl') + Turkish case endings split off + lookup lemmatizer "
        "(spacy-lookups-data)"
    )
    return nlp


def ensure_pipeline(target: Path | None = None, force: bool = False) -> Path:
    target = target or configured_model_dir()
    meta = target / "meta.json"
    if meta.exists() and not force:
        return target
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    build_pipeline().to_disk(tmp)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when present")
    args = parser.parse_args(argv)
    path = ensure_pipeline(force=args.force)
    print(f"spaCy pipeline ready at {path.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
