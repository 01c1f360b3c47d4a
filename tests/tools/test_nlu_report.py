"""The NLU report is built from Rasa's own cross-validation files."""

from __future__ import annotations

import json
from pathlib import Path

from tools import nlu_report
from tools.nlu_report import RunInfo

INFO = RunInfo(
    command="python -m rasa test nlu --cross-validation",
    started="2026-11-27 06:00 UTC",
    seconds=600.0,
    cpus=2,
    ram_gib=24.0,
    python="3.10.13",
    rasa="3.6.21",
    folds=5,
)


def row(p: float, r: float, f1: float, support: int) -> dict:
    return {"precision": p, "recall": r, "f1-score": f1, "support": support}


def scored(text: str, intent: str, predicted: str, confidence: float = 0.9) -> dict:
    return {
        "text": text,
        "intent": intent,
        "intent_prediction": {"name": predicted, "confidence": confidence},
    }


def write_nlu(root: Path) -> Path:
    nlu = root / "nlu"
    (nlu / "en").mkdir(parents=True)
    (nlu / "basics.yml").write_text(
        "version: '3.1'\nnlu:\n- intent: greet\n  examples: |\n    - hallo\n    - goedemorgen\n"
        "- intent: find_course\n  examples: |\n    - cursus in [Breda](municipality)\n",
        encoding="utf-8",
    )
    (nlu / "en" / "basics.yml").write_text(
        "version: '3.1'\nnlu:\n- intent: greet\n  examples: |\n    - hello\n"
        "- intent: find_course\n  examples: |\n"
        '    - course in [Breda]{"entity": "municipality"}\n'
        "- synonym: digital\n  examples: |\n    - computer\n",
        encoding="utf-8",
    )
    return nlu


def test_example_languages_come_from_the_folder_and_drop_annotations(tmp_path):
    languages = nlu_report.example_languages(write_nlu(tmp_path))
    assert languages == {
        "hallo": "nl",
        "goedemorgen": "nl",
        "cursus in Breda": "nl",
        "hello": "en",
        "course in Breda": "en",
    }


def test_language_rows_score_each_language_on_its_own_examples():
    languages = {"hallo": "nl", "goedemorgen": "nl", "cursus in Breda": "nl", "hello": "en"}
    predictions = [
        scored("hallo", "greet", "greet"),
        scored("goedemorgen", "greet", "find_course"),
        scored("cursus in Breda", "find_course", "find_course"),
        scored("hello", "greet", "greet"),
    ]
    rows = nlu_report.language_rows(predictions, languages)
    assert rows["en"] == {"intents": 1, "macro_f1": 1.0, "accuracy": 1.0, "support": 1}
    # nl: greet P=1 R=0.5 F1=2/3; find_course P=0.5 R=1 F1=2/3.
    assert rows["nl"]["support"] == 3
    assert abs(rows["nl"]["macro_f1"] - 2 / 3) < 1e-9
    assert abs(rows["nl"]["accuracy"] - 2 / 3) < 1e-9


def test_render_reports_target_languages_confusions_and_keeps_notes(tmp_path, monkeypatch):
    out = tmp_path / "cv"
    out.mkdir()
    (out / "intent_report.json").write_text(
        json.dumps(
            {
                "greet": row(1.0, 0.5, 0.667, 2),
                "find_course": row(0.5, 1.0, 0.667, 1),
                "accuracy": 0.667,
                "macro avg": row(0.75, 0.75, 0.667, 3),
                "weighted avg": row(0.83, 0.67, 0.667, 3),
            }
        ),
        encoding="utf-8",
    )
    (out / "intent_errors.json").write_text(
        json.dumps([scored("goedemorgen", "greet", "find_course", 0.3)]), encoding="utf-8"
    )
    (out / "intent_successes.json").write_text(
        json.dumps([scored("hallo", "greet", "greet"), scored("hello", "greet", "greet")]),
        encoding="utf-8",
    )
    monkeypatch.setattr(nlu_report, "NLU_DIR", write_nlu(tmp_path))
    text = nlu_report.render(out, INFO, notes="\nWritten by hand.\n")
    assert "**Intent macro-F1: 0.667** (target 0.92: **not met**)" in text
    assert "| `greet` | `find_course` | 1 | goedemorgen |" in text
    assert "1 have a confidence below the FallbackClassifier threshold" in text
    assert "## Per language" in text
    assert "| `en` | 1 | 1.000 | 1.000 | 1 |" in text
    assert text.endswith(nlu_report.NOTES_MARKER + "\nWritten by hand.\n")
    report = tmp_path / "report.md"
    report.write_text(text, encoding="utf-8")
    assert nlu_report.kept_notes(report) == "\nWritten by hand.\n"
