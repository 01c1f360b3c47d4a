"""tools/bench_load.py's bookkeeping: what it stores, reads back and reports against the targets
(the benchmark itself is `make bench-load`, not a test)."""

from __future__ import annotations

import os

from tools import bench_load
from tools.bench_load import LevelResult, SetupRun


def setup_run(turns_per_second: float, p50: float, rasa_cpu: float, rss_mb: int) -> SetupRun:
    levels = []
    for level in bench_load.LEVELS:
        result = LevelResult(level, 10, 30, 30 / turns_per_second, latencies=[p50] * 30)
        result.cpu = {"rasa": rasa_cpu * 30}
        levels.append(result)
    return SetupRun(levels, {"rasa": rss_mb * 2**20}, rss_mb * 2**20, 12.0, 9.0, (0.5, 0.4, 0.3))


def test_a_run_is_read_back_as_it_was_stored(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_load, "RESULTS_DIR", tmp_path)
    run = setup_run(50, 0.02, 0.015, 900)
    bench_load.save_run("embedded", run)
    back = bench_load.load_run("embedded")
    assert back.peaks == run.peaks and back.peak_pss == run.peak_pss
    assert back.ready_seconds == 12.0 and back.parse_ms == 9.0 and back.load == run.load
    assert [r.throughput for r in back.levels] == [r.throughput for r in run.levels]
    assert back.levels[0].percentile(0.5) == 0.02
    assert round(back.levels[0].cpu_ms_per_turn("rasa"), 6) == 15.0


def test_the_report_says_which_targets_are_met(monkeypatch):
    monkeypatch.setattr(bench_load, "machine", lambda: "test machine")
    floor = setup_run(50, 0.020, 0.015, 1200)
    embedded = setup_run(40, 0.023, 0.018, 900)  # x1.25 per turn, x1.15 latency, 900 MB
    text = bench_load.report({"floor": floor, "embedded": embedded})
    assert "- 1 concurrent: time per turn (1/throughput) x1.25 (target 1.2: not met)" in text
    assert "latency p50 x1.15 (target 1.2: met)" in text
    assert "- 20 concurrent: time per turn (1/throughput) x1.25 (target 1.1: not met)" in text
    assert "Rasa's CPU per turn x1.20" in text
    assert "900 MB PSS (target 1,000 MB: met)" in text
    assert "12.0 s after the command of a second `make run` (target 15 s: met)" in text


def test_cpu_time_of_this_process_group_grows_with_work():
    pgid = os.getpgid(0)
    before = bench_load.cpu_seconds(pgid)
    sum(i * i for i in range(3_000_000))
    assert bench_load.cpu_seconds(pgid) > before
    assert bench_load.pss_bytes(os.getpid()) > 0
