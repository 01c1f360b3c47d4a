"""The insights' aggregation at scale: `make bench-insights` (docs/performance.md).

    python -m tools.bench_insights [--conversations 1000000] [--stores sqlite,postgresql]
        [--k 10] [--grain month] [--write-docs]

Synthetic facts for a year (52 weeks) of conversations in West-Brabant: municipalities from
services/geo weighted by their size, subjects from services/catalog/topics.yaml, schemes from
the budget service's scheme files, languages nl/en/ar/tr/uk/pl. Per conversation about 1.2
course searches, 0.5 scheme checks, 0.2 kinds of help shown and 0.1 hand-overs, as the
issue's estimate. They go in with bulk inserts (SQLite: executemany on one connection with
synchronous off; PostgreSQL: COPY, then ANALYZE as autovacuum would after a bulk load); that
load time is reported apart and is not what is measured.

Measured: `aggregate(store, all_periods=True)` (services/insights/aggregate.py), in a child
process of its own so that its peak resident memory (VmHWM) is the aggregation's, on
SQLite and then on a throwaway PostgreSQL (deploy/local/throwaway_postgres.py; SQLite only
when the PostgreSQL binaries are missing). Checked afterwards, and the exit status is 1 when a
check fails: every month was published, each month's published total of conversations is the
number generated for it, and no published cell counts fewer than k.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.insights.store import (
    ALL,
    FACT_TABLES,
    InsightsStore,
    cells_table,
    conversations_table,
)
from services.insights.suppression import period_of
from tools.machine import describe_machine, write_section

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DOCS = PROJECT_ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- insights-bench -->", "<!-- /insights-bench -->"
HEADING = "make bench-insights"
TARGET_SECONDS = 120.0
FIRST_WEEK = date(2025, 12, 1)  # Thursday 4 December: 52 weeks are December to November
WEEKS = 52
CHUNK = 50_000  # conversations generated and inserted at a time

# Roughly the inhabitants (thousands) of the 16 West-Brabant municipalities, for the spread.
INHABITANTS = {
    "GM0758": 185, "GM1674": 78, "GM0748": 69, "GM0826": 57, "GM1959": 57, "GM0777": 45,
    "GM1709": 38, "GM1655": 31, "GM1719": 29, "GM0851": 25, "GM0840": 23, "GM0779": 22,
    "GM0879": 22, "GM0873": 22, "GM1723": 10, "GM0744": 7,
}  # fmt: skip
LANGUAGES = {"nl": 70, "en": 8, "ar": 7, "tr": 6, "uk": 6, "pl": 3}
CHANNELS = {"widget": 55, "whatsapp": 25, "kiosk": 15, "rest": 5}
AGE_BANDS = {None: 40, "<27": 12, "27-44": 20, "45-56": 13, "57-66": 9, "67+": 6}
SITUATIONS = {None: 40, "working": 20, "job_seeking": 15, "retired": 10, "student": 8, "caring": 7}
GOALS = {None: 45, "work": 25, "daily_life": 15, "diploma": 10, "dutch": 5}
SEARCHES = {0: 28, 1: 34, 2: 26, 3: 12}  # 1.22 a conversation
SCHEMES = {0: 70, 1: 15, 2: 10, 3: 5}  # 0.5
HELP = {0: 83, 1: 14, 2: 3}  # 0.2
HANDOVERS = {0: 91, 1: 8, 2: 1}  # 0.1
OUTCOMES = {"eligible": 40, "maybe": 35, "not_eligible": 25}
REASONS = {"asked": 40, "misunderstood": 20, "no_course": 20, "nothing_fits": 10, "help": 10}
ROUTES = {"offered": 60, "live_chat": 25, "callback": 15}
POPULAR_SUBJECTS = {"dutch": 8, "digital": 6, "reading-writing": 4, "numeracy-money": 3}


# -- synthetic facts -----------------------------------------------------------------------------


class Picker:
    """Fast weighted draws: random.choices with cumulative weights."""

    def __init__(self, rng: random.Random, weights: dict[Any, float]) -> None:
        self.rng = rng
        self.values = list(weights)
        self.cumulative: list[float] = []
        total = 0.0
        for weight in weights.values():
            total += weight
            self.cumulative.append(total)

    def many(self, count: int) -> list[Any]:
        return self.rng.choices(self.values, cum_weights=self.cumulative, k=count)

    def one(self) -> Any:
        return self.rng.choices(self.values, cum_weights=self.cumulative)[0]


def vocabulary() -> dict[str, list[str]]:
    """The codes the project really uses: municipalities, subjects, schemes, kinds of help."""
    from services.catalog.vocabulary import vocabulary as catalog
    from services.geo import all_municipalities, region_members

    members = region_members("west-brabant")
    schemes = sorted(p.stem for p in (PROJECT_ROOT / "services/budget/schemes").glob("*.yaml"))
    return {
        "municipalities": [m.name for m in all_municipalities() if m.code in members],
        "codes": [m.code for m in all_municipalities() if m.code in members],
        "subjects": sorted(catalog().topic_ids()),
        "help": sorted(catalog().helps_with_ids()),
        "schemes": schemes,
    }


@dataclass
class Batch:
    """Rows for each fact table, as tuples in the tables' column order."""

    rows: dict[str, list[tuple]] = field(default_factory=dict)
    per_period: Counter = field(default_factory=Counter)  # conversations per month


def synthetic(conversations: int, seed: int = 7, chunk: int = CHUNK) -> Iterator[Batch]:
    """A year of facts, `chunk` conversations at a time."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, repeatable
    words = vocabulary()
    names = dict(zip(words["codes"], words["municipalities"], strict=True))
    place = Picker(rng, {names[code]: n for code, n in INHABITANTS.items()})
    subject_weights = {s: POPULAR_SUBJECTS.get(s, 1) for s in words["subjects"]}
    subject = Picker(rng, {**subject_weights, "any": 4})
    scheme = Picker(rng, {s: 1 + (i % 4) for i, s in enumerate(words["schemes"])})
    helped = Picker(rng, {h: 1 + (i % 3) for i, h in enumerate(words["help"])})
    # fewer conversations in the summer holiday and in December
    weeks = [FIRST_WEEK + timedelta(weeks=i) for i in range(WEEKS)]
    week_weight = {w: {7: 0.6, 8: 0.6, 12: 0.8}.get(w.month, 1.0) for w in weeks}
    pickers = {
        name: Picker(rng, weights)
        for name, weights in (
            ("week", week_weight), ("language", LANGUAGES), ("channel", CHANNELS),
            ("age", AGE_BANDS), ("situation", SITUATIONS), ("goal", GOALS),
            ("searches", SEARCHES), ("schemes", SCHEMES), ("help", HELP),
            ("handovers", HANDOVERS), ("outcome", OUTCOMES), ("reason", REASONS),
            ("route", ROUTES),
        )
    }  # fmt: skip
    random_ = rng.random
    done = 0
    while done < conversations:
        n = min(chunk, conversations - done)
        done += n
        batch = Batch({t.name: [] for t in FACT_TABLES})
        conversation_rows = batch.rows[conversations_table.name]
        searches, schemes = batch.rows["insight_searches"], batch.rows["insight_schemes"]
        help_rows, handovers = batch.rows["insight_help"], batch.rows["insight_handovers"]
        columns = {name: picker.many(n) for name, picker in pickers.items()}
        homes = place.many(n)
        for i in range(n):
            key = f"{rng.getrandbits(128):032x}"
            week = columns["week"][i]
            batch.per_period[period_of(week)] += 1
            home = homes[i] if random_() < 0.9 else None
            budget_checked = random_() < 0.25
            conversation_rows.append(
                (key, week, columns["language"][i], home, columns["age"][i],
                 columns["situation"][i], columns["goal"][i], columns["channel"][i],
                 rng.randint(2, 30), rng.choice((0, 0, 0, 1, 2)), budget_checked,
                 (random_() < 0.2) if budget_checked else None)
            )  # fmt: skip
            for _ in range(columns["searches"][i]):
                roll = random_()
                where = (
                    (home if roll < 0.7 else place.one())
                    if roll < 0.85
                    else ("online" if roll < 0.95 else None)
                )
                results = 0 if random_() < 0.12 else rng.randint(1, 10)
                km = None
                if results and where != "online" and random_() < 0.9:
                    km = round(rng.expovariate(1 / 6.0), 1)
                free = rng.choice((0.0, 0.0, 0.1, 0.3, 0.5, 1.0)) if results else None
                searches.append((key, week, subject.one(), where, results, results == 10, km, free))
            for _ in range(columns["schemes"][i]):
                schemes.append((key, week, scheme.one(), pickers["outcome"].one(), random_() < 0.2))
            for _ in range(columns["help"][i]):
                help_rows.append((key, week, helped.one(), rng.randint(0, 6)))
            for _ in range(columns["handovers"][i]):
                reason = pickers["reason"].one()
                kind = helped.one() if reason == "help" else None
                handovers.append((key, week, reason, kind, pickers["route"].one()))
        yield batch


# -- loading -------------------------------------------------------------------------------------


def _copy_text(rows: list[tuple]) -> str:
    """Rows in PostgreSQL's COPY text format (the codes hold no tabs or backslashes)."""

    def field_text(value: Any) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        return str(value)

    return "".join("\t".join(field_text(v) for v in row) + "\n" for row in rows)


def load(store: InsightsStore, conversations: int, seed: int = 7) -> tuple[Counter, Counter]:
    """Bulk-insert the synthetic facts; returns rows per table and conversations per month."""
    rows: Counter = Counter()
    per_period: Counter = Counter()
    raw = store.engine.raw_connection()
    postgres = store.engine.dialect.name == "postgresql"
    try:
        cursor = raw.cursor()
        if not postgres:
            cursor.execute("PRAGMA synchronous=OFF")
        for batch in synthetic(conversations, seed):
            per_period.update(batch.per_period)
            for table in reversed(FACT_TABLES):  # conversations first
                found = batch.rows[table.name]
                rows[table.name] += len(found)
                if not found:
                    continue
                if postgres:
                    columns = ", ".join(c.name for c in table.columns)
                    cursor.copy_expert(
                        f"COPY {table.name} ({columns}) FROM STDIN", io.StringIO(_copy_text(found))
                    )
                else:
                    marks = ", ".join("?" for _ in table.columns)
                    cursor.executemany(
                        f"INSERT INTO {table.name} VALUES ({marks})",  # noqa: S608 - our tables
                        [tuple(_sqlite_value(v) for v in row) for row in found],
                    )
            raw.commit()
        if postgres:
            cursor.execute("ANALYZE")
            raw.commit()
        else:
            cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
    finally:
        raw.close()
    return rows, per_period


def _sqlite_value(value: Any) -> Any:
    """As SQLAlchemy stores it in SQLite: a date as ISO text."""
    return value.isoformat() if isinstance(value, date) else value


# -- the measured aggregation, in a child process ------------------------------------------------


def child_main(url: str, k: int, grain: str) -> None:
    """In the child: open the store, aggregate every period, print figures as JSON."""
    from services.insights.aggregate import aggregate

    store = InsightsStore(url)
    before = _status_bytes("VmRSS")
    started = time.perf_counter()
    result = aggregate(store, k=k, grain=grain, all_periods=True)
    seconds = time.perf_counter() - started
    store.close()
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so it would start at the
    # size of the (large) bench process this child was forked from.
    peak = _status_bytes("VmHWM")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "periods": result.periods,
                "cells": result.cells,
                "suppressed": result.suppressed,
                "rss_before_bytes": before,
                "peak_rss_bytes": peak,
            }
        )
    )


def _status_bytes(name: str) -> int:
    """A figure of /proc/self/status in bytes (VmRSS: resident now, VmHWM: peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def aggregate_in_child(url: str, k: int, grain: str) -> dict[str, Any]:
    code = (
        "import sys; from tools.bench_insights import child_main; "
        "child_main(sys.argv[1], int(sys.argv[2]), sys.argv[3])"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-c", code, url, str(k), grain],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the aggregation failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- one store -----------------------------------------------------------------------------------


@dataclass
class StoreRun:
    store: str  # "SQLite" or "PostgreSQL"
    version: str
    figures: dict[str, Any]
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def verify(
    store: InsightsStore, k: int, grain: str, per_period: Counter, outcome: dict[str, Any]
) -> list[str]:
    """What must hold after the run (see the module docstring)."""
    problems = []
    expected = {period_of(week, grain) for week in _weeks()}
    if set(outcome["periods"]) != expected:
        problems.append(f"periods published {outcome['periods']}, expected {sorted(expected)}")
    c = cells_table
    with store.engine.connect() as connection:
        small = connection.execute(
            sa.select(sa.func.count()).select_from(c).where(c.c.conversations < k)
        ).scalar_one()
        totals = dict(
            connection.execute(
                sa.select(c.c.period, c.c.conversations).where(
                    c.c.view == "language", c.c.row == ALL, c.c.col == ALL
                )
            ).all()
        )
    if small:
        problems.append(f"{small} published cells count fewer than {k} conversations")
    if grain == "month":
        wrong = {p: (totals.get(p), n) for p, n in per_period.items() if totals.get(p) != n}
        if wrong:
            problems.append(f"published totals differ from those generated: {wrong}")
    return problems


def _weeks() -> list[date]:
    return [FIRST_WEEK + timedelta(weeks=i) for i in range(WEEKS)]


def run_store(store: str, conversations: int, k: int = 10, grain: str = "month") -> StoreRun:
    """Load and aggregate on one store ("sqlite" or "postgresql")."""
    if conversations < 1:
        raise ValueError("at least one conversation")
    from tools.bench_desk import bench_database

    with bench_database(store, "insights") as (_folder, url, version):
        insights = InsightsStore(url)
        started = time.perf_counter()
        rows, per_period = load(insights, conversations)
        load_seconds = time.perf_counter() - started
        outcome = aggregate_in_child(url, k, grain)
        problems = verify(insights, k, grain, per_period, outcome)
        if outcome["seconds"] >= TARGET_SECONDS:
            took = f"aggregation took {outcome['seconds']:.0f} s"
            problems.append(f"{took} (target {TARGET_SECONDS:.0f} s)")
        insights.close()
        figures = {
            "conversations": conversations,
            "rows": {table.name: rows[table.name] for table in FACT_TABLES},
            "load_seconds": load_seconds,
            "aggregate_seconds": outcome["seconds"],
            "periods": len(outcome["periods"]),
            "cells": outcome["cells"],
            "suppressed": outcome["suppressed"],
            "rss_before_bytes": outcome["rss_before_bytes"],
            "peak_rss_bytes": outcome["peak_rss_bytes"],
        }
        return StoreRun(
            "PostgreSQL" if store == "postgresql" else "SQLite", version, figures, problems
        )


# -- the report ----------------------------------------------------------------------------------


TABLE_ORDER = ("insight_conversations", "insight_searches", "insight_schemes", "insight_help",
               "insight_handovers")  # fmt: skip


def _mb(value: int) -> str:
    return f"{value / 1024 / 1024:.0f} MB" if value else "-"


ROWS = (
    ("Conversations / searches / scheme checks / help / hand-overs",
     lambda f: " / ".join(f"{f['rows'][name]:,}" for name in TABLE_ORDER)),
    ("Bulk load (not measured)", lambda f: f"{f['load_seconds']:.0f} s"),
    ("Aggregation, every period", lambda f: f"{f['aggregate_seconds']:.1f} s"),
    ("Periods / cells published / entries withheld",
     lambda f: f"{f['periods']} / {f['cells']:,} / {f['suppressed']:,}"),
    ("Peak RSS of the aggregating process (before it started)",
     lambda f: f"{_mb(f['peak_rss_bytes'])} ({_mb(f['rss_before_bytes'])})"),
)  # fmt: skip


def report(runs: list[StoreRun], command: str, conversations: int, k: int, note: str = "") -> str:
    from tools.bench_desk import figures_table

    lines = [
        BEGIN,
        "",
        f"Machine: {describe_machine()}. Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"Command: `make bench-insights` (`{command}`). {conversations:,} synthetic conversations "
        f"over 52 weeks (12 months) in West-Brabant, bulk-loaded; then "
        f"`aggregate(all_periods=True)` with k = {k} in a process of its own: every view of "
        "every month counted, protected (k and complementary suppression) and published.",
        "",
        *figures_table(runs, ROWS),
    ]
    lines += [
        "",
        f"Verified in each run: every month published; each month's published number of "
        f"conversations is the number generated; no published cell below k; the aggregation "
        f"under {TARGET_SECONDS:.0f} s.",
    ]
    if note:
        lines += ["", note]
    for run in runs:
        if run.problems:
            lines += ["", f"{run.store} failed:", *(f"- {p[:400]}" for p in run.problems)]
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--grain", choices=("month", "quarter"), default="month")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    from tools.bench_desk import chosen_stores

    stores, note = chosen_stores(parser, args.stores)
    runs = []
    for store in stores:
        print(f"{store}: loading {args.conversations:,} conversations ...", flush=True)
        run = run_store(store, args.conversations, args.k, args.grain)
        runs.append(run)
        figures = run.figures
        print(
            f"{store}: load {figures['load_seconds']:.0f} s, aggregation "
            f"{figures['aggregate_seconds']:.1f} s, peak {_mb(figures['peak_rss_bytes'])}: "
            f"{'passed' if run.passed else 'FAILED'}",
            flush=True,
        )
        for problem in run.problems:
            print(f"{run.store}: {problem}", flush=True)
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m tools.bench_insights", *given])
    section = report(runs, command, args.conversations, args.k, note)
    print(section)
    if args.write_docs:
        write_section(DOCS, BEGIN, END, HEADING, section)
    return 0 if runs and all(r.passed for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
