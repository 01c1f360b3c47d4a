"""`make bench-insights` (tools/bench_insights.py), small: synthetic facts, the aggregation in a
child process, its checks and figures."""

from __future__ import annotations

from collections import Counter

from services.insights.store import FACT_TABLES
from tools.bench_insights import (
    BEGIN,
    END,
    ROWS,
    TABLE_ORDER,
    main,
    report,
    run_store,
    synthetic,
    vocabulary,
)


def test_synthetic_facts_use_the_projects_codes_and_the_expected_rates():
    words = vocabulary()
    assert len(words["municipalities"]) == 16 and "Breda" in words["municipalities"]
    assert "dutch" in words["subjects"] and "stap-budget" in words["schemes"]

    rows: Counter = Counter()
    per_period: Counter = Counter()
    seen: dict[str, set] = {"language": set(), "place": set(), "subject": set()}
    for batch in synthetic(20_000, chunk=7_000):
        per_period.update(batch.per_period)
        for name, found in batch.rows.items():
            rows[name] += len(found)
        seen["language"] |= {row[2] for row in batch.rows["insight_conversations"]}
        seen["place"] |= {row[3] for row in batch.rows["insight_searches"]}
        seen["subject"] |= {row[2] for row in batch.rows["insight_searches"]}

    assert rows["insight_conversations"] == sum(per_period.values()) == 20_000
    assert len(per_period) == 12
    assert 1.1 < rows["insight_searches"] / 20_000 < 1.35
    assert 0.4 < rows["insight_schemes"] / 20_000 < 0.6
    assert 0.15 < rows["insight_help"] / 20_000 < 0.25
    assert 0.07 < rows["insight_handovers"] / 20_000 < 0.13
    assert seen["language"] == {"nl", "en", "ar", "tr", "uk", "pl"}
    assert {"Breda", "online", None} <= seen["place"]
    assert seen["place"] - {"online", None} <= set(words["municipalities"])
    assert seen["subject"] <= set(words["subjects"]) | {"any"}


def test_a_small_run_on_sqlite_passes_its_checks_and_fills_in_the_figures():
    run = run_store("sqlite", conversations=3_000, k=10)

    assert run.problems == []
    figures = run.figures
    assert figures["conversations"] == figures["rows"]["insight_conversations"] == 3_000
    assert set(figures["rows"]) == {t.name for t in FACT_TABLES} == set(TABLE_ORDER)
    assert figures["periods"] == 12
    assert figures["cells"] > 12 * 20 and figures["suppressed"] > 0
    assert 0 < figures["aggregate_seconds"] < 30 and figures["load_seconds"] > 0
    assert figures["peak_rss_bytes"] >= figures["rss_before_bytes"] > 10 * 1024 * 1024
    assert figures["peak_rss_bytes"] < 500 * 1024 * 1024  # the child's own, not the parent's

    section = report([run], "python -m tools.bench_insights --conversations 3000", 3_000, 10)
    assert section.startswith(BEGIN) and section.endswith(END)
    assert section.count("\n| ") == len(ROWS) + 2  # the header, one row per figure, the checks
    assert "| Checks | passed |" in section and "3,000 / " in section


def test_a_failed_check_shows_in_the_report_and_the_exit_status(monkeypatch, capsys):
    import tools.bench_insights as bench

    def verify_fails(*args, **kwargs):
        return ["published totals differ from those generated: {'2026-01': (9, 10)}"]

    monkeypatch.setattr(bench, "verify", verify_fails)

    assert main(["--conversations", "200", "--stores", "sqlite"]) == 1
    printed = capsys.readouterr().out
    assert "| Checks | FAILED |" in printed and "SQLite failed:" in printed
