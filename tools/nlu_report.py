"""Cross-validate the NLU pipeline and write docs/nlu-report.md.

Runs Rasa's own `rasa test nlu --cross-validation` on config.yml and data/nlu, then reads the
files Rasa writes (intent_report.json, intent_errors.json, <extractor>_report.json) so the
figures are Rasa's, not a re-implementation. Run: `python -m tools.nlu_report`; add
`--skip-run` to rebuild the report from the last run's files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "var" / "nlu-cv"
DEFAULT_REPORT = PROJECT_ROOT / "docs" / "nlu-report.md"
DEFAULT_FOLDS = 5
TARGET_MACRO_F1 = 0.92
TOP_CONFUSIONS = 10
RUN_FILE = "run.json"
LOG_FILE = "cross-validation.log"
# Everything below this line in docs/nlu-report.md is written by people and kept on rebuild.
NOTES_MARKER = "<!-- Notes below are written by hand; `python -m tools.nlu_report` keeps them. -->"
# Rasa's summary rows in a classification report, next to one row per label.
SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
# Examples in data/nlu/<code>/ are in that language; all other examples are Dutch.
DEFAULT_LANGUAGE = "nl"
LANGUAGE_DIRS = ("en", "ar", "tr", "uk", "pl")
# "[Breda](municipality)" and "[Breda]{...}" in training data are "Breda" in Rasa's results.
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass
class RunInfo:
    """When and where the cross-validation ran; saved next to Rasa's files."""

    command: str
    started: str
    seconds: float
    cpus: int
    ram_gib: float
    python: str
    rasa: str
    folds: int


def rasa_command(folds: int, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "bot.rasa_cli",  # `rasa test` with faster schema checks
        "test",
        "nlu",
        "--cross-validation",
        "--folds",
        str(folds),
        "--config",
        "config.yml",
        "--nlu",
        "data/nlu",
        "--out",
        _shown(out),
        "--successes",
    ]


def run_cross_validation(folds: int, out: Path) -> RunInfo:
    # A fresh directory, so a failed run cannot leave the previous run's files to be reported.
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = rasa_command(folds, out)
    started = datetime.now(timezone.utc)
    clock = time.monotonic()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    with (out / LOG_FILE).open("w", encoding="utf-8") as log:
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, check=False
        )
    if result.returncode != 0:
        raise SystemExit(f"rasa test nlu failed ({result.returncode}); see {out / LOG_FILE}")
    info = RunInfo(
        command=" ".join(["python", *command[1:]]),
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        seconds=round(time.monotonic() - clock, 1),
        cpus=os.cpu_count() or 0,
        ram_gib=round(_ram_bytes() / 2**30, 1),
        python=platform.python_version(),
        rasa=metadata.version("rasa"),
        folds=folds,
    )
    (out / RUN_FILE).write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
    return info


def _ram_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def label_rows(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The per-label rows of a Rasa/sklearn classification report, without summary rows."""
    return {
        label: row
        for label, row in report.items()
        if label not in SUMMARY_ROWS and isinstance(row, dict) and "f1-score" in row
    }


def top_confusions(errors: list[dict[str, Any]], most: int = TOP_CONFUSIONS) -> list[dict]:
    """The most frequent (true intent, predicted intent) pairs, with one example each."""
    pairs = Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors)
    examples: dict[tuple[str, str], str] = {}
    for error in errors:
        examples.setdefault((error["intent"], error["intent_prediction"]["name"]), error["text"])
    return [
        {"intent": intent, "predicted": predicted, "count": count, "example": examples[pair]}
        for pair, count in pairs.most_common(most)
        for intent, predicted in [pair]
    ]


def entity_reports(out: Path) -> dict[str, dict[str, Any]]:
    """Entity reports per extractor, e.g. {"FastLoadDIETClassifier": {...}}."""
    reports = {}
    for path in sorted(out.glob("*_report.json")):
        name = path.name.removesuffix("_report.json")
        if name not in ("intent", "response_selection"):
            reports[name] = read_json(path)
    return reports


def plain_text(example: str) -> str:
    return _ANNOTATION.sub(r"\1", example).strip()


def example_languages(nlu_dir: Path | None = None) -> dict[str, str]:
    """Plain example text -> language code, from the folder each NLU file is in."""
    nlu_dir = nlu_dir or NLU_DIR
    languages: dict[str, str] = {}
    for path in sorted(nlu_dir.rglob("*.yml")):
        parts = path.relative_to(nlu_dir).parts
        language = parts[0] if len(parts) > 1 and parts[0] in LANGUAGE_DIRS else DEFAULT_LANGUAGE
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    languages[plain_text(line[2:])] = language
    return languages


def language_rows(
    predictions: list[dict[str, Any]], languages: dict[str, str]
) -> dict[str, dict[str, float]]:
    """Per language: macro-F1 over its intents, accuracy and example count.

    `predictions` are Rasa's scored examples (successes and errors) with the true intent in
    "intent" and the prediction in "intent_prediction"; precision counts only predictions
    for examples of the same language.
    """
    by_language: dict[str, list[tuple[str, str]]] = {}
    for item in predictions:
        language = languages.get(item["text"].strip(), DEFAULT_LANGUAGE)
        by_language.setdefault(language, []).append(
            (item["intent"], item["intent_prediction"]["name"])
        )
    rows = {}
    for language, pairs in by_language.items():
        f1s = []
        for intent in sorted({true for true, _ in pairs}):
            hits = sum(1 for true, predicted in pairs if true == predicted == intent)
            predicted = sum(1 for _, p in pairs if p == intent)
            actual = sum(1 for t, _ in pairs if t == intent)
            precision = hits / predicted if predicted else 0.0
            recall = hits / actual
            f1s.append(2 * precision * recall / (precision + recall) if hits else 0.0)
        rows[language] = {
            "intents": len(f1s),
            "macro_f1": sum(f1s) / len(f1s),
            "accuracy": sum(1 for t, p in pairs if t == p) / len(pairs),
            "support": len(pairs),
        }
    return rows


def _language_table(rows: dict[str, dict[str, float]]) -> list[str]:
    order = [DEFAULT_LANGUAGE, *LANGUAGE_DIRS]
    lines = [
        "| language | intents | macro-F1 | accuracy | examples |",
        "|---|---:|---:|---:|---:|",
    ]
    for language in sorted(rows, key=lambda code: order.index(code) if code in order else 99):
        row = rows[language]
        lines.append(
            f"| `{language}` | {row['intents']} | {_f(row['macro_f1'])} | "
            f"{_f(row['accuracy'])} | {row['support']} |"
        )
    return lines


def fallback_threshold(config: Path = PROJECT_ROOT / "config.yml") -> float | None:
    """The FallbackClassifier threshold in config.yml, if the pipeline has one."""
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for component in document.get("pipeline", []):
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))  # Rasa's default threshold
    return None


def _f(value: float) -> str:
    return f"{value:.3f}"


def _table(rows: dict[str, dict[str, float]], first: str) -> list[str]:
    lines = [f"| {first} | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for label, row in sorted(rows.items(), key=lambda item: (item[1]["f1-score"], item[0])):
        lines.append(
            f"| `{label}` | {_f(row['precision'])} | {_f(row['recall'])} "
            f"| {_f(row['f1-score'])} | {int(row['support'])} |"
        )
    return lines


def _summary(report: dict[str, Any]) -> list[str]:
    lines = []
    for name in ("macro avg", "weighted avg"):
        if name in report:
            row = report[name]
            lines.append(
                f"| {name} | {_f(row['precision'])} | {_f(row['recall'])} "
                f"| **{_f(row['f1-score'])}** | {int(row['support'])} |"
            )
    return lines


def render(out: Path, info: RunInfo, notes: str = "") -> str:
    intents = read_json(out / "intent_report.json")
    errors_file = out / "intent_errors.json"
    errors = read_json(errors_file) if errors_file.exists() else []
    successes_file = out / "intent_successes.json"
    successes = read_json(successes_file) if successes_file.exists() else []
    macro = intents["macro avg"]["f1-score"]
    verdict = "met" if macro >= TARGET_MACRO_F1 else "**not met**"
    minutes = info.seconds / 60
    lines = [
        "# NLU cross-validation report",
        "",
        f"Generated by `python -m tools.nlu_report` (`make nlu-report`) on {info.started}. "
        f"{info.folds}-fold stratified cross-validation of the pipeline in `config.yml` on "
        "`data/nlu`, run by Rasa itself; every example is scored once, by the model that did "
        "not see it. Rasa scores the pipeline's final intent (from the last intent "
        "classifier): it undoes the FallbackClassifier's `nlu_fallback` before scoring.",
        "",
        f"**Intent macro-F1: {_f(macro)}** (target {TARGET_MACRO_F1:.2f}: {verdict}); "
        f"weighted F1 {_f(intents['weighted avg']['f1-score'])}; "
        f"accuracy {_f(intents.get('accuracy', 0.0))}; "
        f"{int(intents['macro avg']['support'])} examples.",
        "",
        "| | |",
        "|---|---|",
        f"| Command | `{info.command}` |",
        f"| Date | {info.started} |",
        f"| Machine | {info.cpus} CPUs (nproc), {info.ram_gib} GiB RAM, Python {info.python}, "
        f"Rasa {info.rasa} |",
        f"| Run time | {minutes:.1f} min for {info.folds} trainings and evaluations |",
        "",
        "## Intents",
        "",
        "Worst first.",
        "",
        *_table(label_rows(intents), "intent"),
        *_summary(intents),
        "",
    ]
    if successes:
        lines += [
            "## Per language",
            "",
            "Examples in `data/nlu/<code>/` count for that language, all others for Dutch. "
            "Macro-F1 over the intents that language has examples for; a wrong prediction "
            "of another intent counts against that intent's precision in the same language.",
            "",
            *_language_table(language_rows(successes + errors, example_languages())),
            "",
        ]
    lines += [
        f"## The {TOP_CONFUSIONS} most frequent confusions",
        "",
        "| true intent | predicted | count | example |",
        "|---|---|---:|---|",
    ]
    threshold = fallback_threshold()
    for row in top_confusions(errors):
        example = row["example"].replace("|", "\\|")
        lines.append(f"| `{row['intent']}` | `{row['predicted']}` | {row['count']} | {example} |")
    if not errors:
        lines.append("| – | – | 0 | no errors |")
    if threshold is not None and errors:
        caught = sum(1 for e in errors if e["intent_prediction"]["confidence"] < threshold)
        lines += [
            "",
            f"Of the {len(errors)} wrong intents, {caught} have a confidence below the "
            f"FallbackClassifier threshold ({threshold}); in a conversation those become "
            "`nlu_fallback` and the assistant asks again instead of acting on a wrong intent.",
        ]
    for extractor, report in entity_reports(out).items():
        lines += [
            "",
            f"## Entities ({extractor})",
            "",
            "Rasa scores entity type and span per token (BILOU); the value a synonym maps the "
            "text to is not part of this score.",
            "",
            *_table(label_rows(report), "entity"),
            *_summary(report),
        ]
    lines += ["", NOTES_MARKER]
    text = "\n".join(lines) + "\n"
    return text + notes.lstrip("\n") if notes.strip() else text


def kept_notes(report: Path) -> str:
    if not report.exists():
        return ""
    text = report.read_text(encoding="utf-8")
    return text.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in text else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=DEFAULT_FOLDS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Rasa's result files")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument(
        "--skip-run", action="store_true", help="only rebuild the report from --out"
    )
    parser.add_argument(
        "--fail-under", type=float, default=None, help="exit 1 when macro-F1 is lower"
    )
    args = parser.parse_args(argv)
    if args.skip_run:
        info = RunInfo(**read_json(args.out / RUN_FILE))
    else:
        info = run_cross_validation(args.folds, args.out)
    args.report.write_text(render(args.out, info, kept_notes(args.report)), encoding="utf-8")
    macro = read_json(args.out / "intent_report.json")["macro avg"]["f1-score"]
    print(f"Intent macro-F1 {macro:.3f}; report written to {_shown(args.report)}")
    if args.fail_under is not None and macro < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
