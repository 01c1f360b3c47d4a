"""Load benchmark: turns/s, turn latency and peak memory at 1, 20 and 100 conversations.

Run: `make bench-load` (`python -m tools.bench_load [--write-docs]`). Not a timed test.

Three setups on loopback, each driven by the same bounded asyncio client (tools/scale.py):

- floor: a bare `rasa init --no-prompt` assistant (trained once in var/bench/floor and
  reused), Rasa alone, REST channel; its conversation is the init bot's own small talk;
- embedded: the launcher's Stack on SQLite (what `make run` starts), REST straight to Rasa;
- scaled: tools/scale.py's ScaleStack (two Rasa servers on PostgreSQL and Redis, nginx).

Leerwijzer's conversation is a course search: greeting, search with a place, then course
details or more results (3 turns, with action calls and catalog searches); the floor's is
hello, a mood, yes (3 turns). Every conversation
runs without pauses, so the figures are what the setup sustains at that concurrency.
Peak memory is the highest resident set (RSS) of each process, sampled every 0.25 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.launcher import Stack, healthy
from bot.settings import PROJECT_ROOT, settings
from tools.machine import describe_machine, write_section
from tools.scale import Citizen, ScaleStack, course_search, scaled_settings

LEVELS = (1, 20, 100)
CONVERSATIONS = {1: 20, 20: 20, 100: 100}  # per level: bounded work, 3 turns each (60 turns at 1)
FLOOR_DIR = PROJECT_ROOT / "var" / "bench" / "floor"
RESULTS_DIR = PROJECT_ROOT / "var" / "bench" / "results"  # the last run of each setup
DOCS = PROJECT_ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- load-bench -->", "<!-- /load-bench -->"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- memory ------------------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class MemorySampler:
    """Peak RSS per named process group (a process and its children), sampled in a thread."""

    def __init__(self, groups: dict[str, int]) -> None:
        self.groups = groups
        self.peaks: dict[str, int] = dict.fromkeys(groups, 0)
        self._stop = False

    def sample(self) -> None:
        for name, pgid in self.groups.items():
            total = sum(rss_bytes(pid) for pid in group_pids(pgid))
            self.peaks[name] = max(self.peaks[name], total)

    async def run(self) -> None:
        while not self._stop:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(0.25)

    def stop(self) -> None:
        self._stop = True


# -- the client --------------------------------------------------------------------------------


@dataclass
class LevelResult:
    level: int
    conversations: int
    turns: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    fixed: dict[str, float] = field(default_factory=dict)  # percentiles read back from JSON

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "conversations": self.conversations,
            "turns": self.turns,
            "seconds": self.seconds,
            "errors": self.errors,
            "p50": self.percentile(0.5),
            "p95": self.percentile(0.95),
            "p99": self.percentile(0.99),
        }

    @classmethod
    def from_dict(cls, data: dict) -> LevelResult:
        fixed = {str(k): data[f"p{k}"] for k in (50, 95, 99)}
        return cls(data["level"], data["conversations"], data["turns"], data["seconds"],
                   errors=data["errors"], fixed=fixed)  # fmt: skip

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if self.fixed:
            return self.fixed[str(round(share * 100))]
        values = sorted(self.latencies)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(share * len(values)))]


Script = Callable[[Citizen, random.Random], Awaitable[None]]


async def leerwijzer_script(citizen: Citizen, rng: random.Random) -> None:
    await course_search(citizen, rng, think=(0.0, 0.0), follow_ups=1)


async def floor_script(citizen: Citizen, rng: random.Random) -> None:
    for text in ("hello", rng.choice(["I am sad", "very bad"]), "yes"):
        await citizen.say(text)


async def run_level(
    url: str, token: str, level: int, conversations: int, script: Script, prefix: str
) -> LevelResult:
    timeout = aiohttp.ClientTimeout(total=300)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(conversations):
        queue.put_nowait(number)
    result = LevelResult(level, conversations, 0, 0.0)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=0)
    ) as session:

        async def worker() -> None:
            while not queue.empty():
                number = queue.get_nowait()
                citizen = Citizen(session, url, token, f"{prefix}-{level}-{number:04d}")
                try:
                    await script(citizen, random.Random(number))  # noqa: S311 - a workload
                except Exception:  # noqa: BLE001 - counted and reported
                    result.errors += 1
                result.turns += len(citizen.turns)
                result.latencies += [t.latency for t in citizen.turns]

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(level)))
        result.seconds = time.monotonic() - started
    return result


async def measure(
    url: str, token: str, groups: dict[str, int], script: Script, prefix: str
) -> tuple[list[LevelResult], dict[str, int]]:
    # One warm-up conversation: first calls load lazily (TensorFlow graphs, caches).
    await run_level(url, token, 1, 1, script, f"{prefix}-warmup")
    sampler = MemorySampler(groups)
    sampling = asyncio.create_task(sampler.run())
    results = []
    for level in LEVELS:
        result = await run_level(url, token, level, CONVERSATIONS[level], script, prefix)
        print(format_result(prefix, result), flush=True)
        results.append(result)
    sampler.stop()
    await sampling
    return results, sampler.peaks


def format_result(name: str, r: LevelResult) -> str:
    return (
        f"{name:9} {r.level:3} conv: {r.turns:4} turns in {r.seconds:6.1f} s = "
        f"{r.throughput:5.2f} turns/s; p50 {r.percentile(0.5) * 1000:6.0f} ms, "
        f"p95 {r.percentile(0.95) * 1000:6.0f} ms, p99 {r.percentile(0.99) * 1000:6.0f} ms"
        + (f"; {r.errors} failed" if r.errors else "")
    )


# -- the setups --------------------------------------------------------------------------------


def floor_model() -> Path:
    """The bare `rasa init` assistant, trained once and kept in var/bench/floor."""
    models = sorted((FLOOR_DIR / "models").glob("*.tar.gz")) if FLOOR_DIR.exists() else []
    if models:
        return models[-1]
    shutil.rmtree(FLOOR_DIR, ignore_errors=True)
    FLOOR_DIR.mkdir(parents=True)
    print("Training the bare `rasa init` assistant once (var/bench/floor) ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(FLOOR_DIR)],
        cwd=FLOOR_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return sorted((FLOOR_DIR / "models").glob("*.tar.gz"))[-1]


def run_floor() -> tuple[list[LevelResult], dict[str, int]]:
    model = floor_model()
    port, token = free_port(), "bench-floor-token"
    log = FLOOR_DIR / "rasa.log"
    argv = [sys.executable, "-m", "rasa", "run", "--model", str(model), "--port", str(port)]
    argv += ["--interface", "127.0.0.1", "--enable-api", "--auth-token", token]
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv, cwd=FLOOR_DIR, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 300
        while not healthy(f"http://127.0.0.1:{port}/status?token={token}"):
            if popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"floor Rasa did not start, see {log}")
            time.sleep(0.5)
        return asyncio.run(
            measure(f"http://127.0.0.1:{port}", token, {"rasa": popen.pid}, floor_script, "floor")
        )
    finally:
        os.killpg(popen.pid, 9)
        popen.wait()


def run_embedded(model: Path, var_dir: Path) -> tuple[list[LevelResult], dict[str, int]]:
    env = {name: str(free_port()) for name in ("RASA_PORT", "ACTION_PORT", "CATALOG_PORT")}
    env.update({name: str(free_port()) for name in ("BUDGET_PORT", "WEB_PORT")})
    env.update(VAR_DIR=str(var_dir), TRACKER_DB=str(var_dir / "tracker.db"))
    env.update(CALLBACK_DATABASE_URL=f"sqlite:///{var_dir / 'callbacks.db'}")
    for name in ("TRACKER_STORE_URL", "LOCK_STORE_URL", "CATALOG_DATABASE_URL", "CATALOG_URL"):
        os.environ.pop(name, None)
    os.environ.pop("BUDGET_URL", None)
    config = scaled_settings(env)
    with Stack(config, model, log_dir=var_dir / "log") as stack:
        stack.start(report=lambda line: None)
        groups = {p.name: p.popen.pid for p in stack.processes}
        return asyncio.run(
            measure(config.rasa_url, config.rasa_auth_token, groups, leerwijzer_script, "emb")
        )


def run_scaled(model: Path) -> tuple[list[LevelResult], dict[str, int]]:
    with ScaleStack(model) as scale:
        scale.start(report=lambda line: None)
        groups = {p.name: p.popen.pid for p in scale.stack.processes}
        groups.update(postgres=_postmaster_pgid(scale), redis=scale.redis.popen.pid)
        groups["nginx"] = scale.nginx.popen.pid
        return asyncio.run(
            measure(
                scale.nginx.url, scale.config.rasa_auth_token, groups, leerwijzer_script, "scaled"
            )
        )


def _postmaster_pgid(scale: ScaleStack) -> int:
    pid_file = scale.postgres.data / "postmaster.pid"
    pid = int(pid_file.read_text().splitlines()[0])
    return os.getpgid(pid)


# -- report ------------------------------------------------------------------------------------


def machine() -> str:
    return describe_machine()


def table(name: str, results: list[LevelResult]) -> list[str]:
    return [
        f"| {name} | {r.level} | {r.turns} | {r.throughput:.2f} | {r.percentile(0.5) * 1000:.0f} "
        f"| {r.percentile(0.95) * 1000:.0f} | {r.percentile(0.99) * 1000:.0f} | {r.errors} |"
        for r in results
    ]


def memory_line(name: str, peaks: dict[str, int]) -> str:
    parts = ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in peaks.items())
    return f"- {name}: {parts}; total {sum(peaks.values()) / 2**20:.0f} MB"


def report(
    runs: dict[str, tuple[list[LevelResult], dict[str, int]]],
    loads: dict[str, tuple[float, ...]],
) -> str:
    load_text = "; ".join(f"{name} {load[0]:.1f} / {load[1]:.1f}" for name, load in loads.items())
    lines = [
        BEGIN,
        "",
        f"Machine: {machine()}. Measured {datetime.date.today().isoformat()}. Load average "
        f"(1 / 5 min) when each setup started, from other work on the machine: {load_text}.",
        "",
        "Command: `make bench-load` (`python -m tools.bench_load --write-docs`). Conversations "
        "per level: " + ", ".join(f"{k} concurrent: {v}" for k, v in CONVERSATIONS.items()) + ".",
        "",
        "| Setup | Concurrent | Turns | Turns/s | p50 ms | p95 ms | p99 ms | Failed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, (results, _) in runs.items():
        lines += table(name, results)
    lines += ["", "Peak resident memory (RSS) per process:", ""]
    lines += [memory_line(name, peaks) for name, (_, peaks) in runs.items()]
    if "floor" in runs and "embedded" in runs:
        lines += ["", "Embedded versus floor (targets: at most 1.5 per turn at 1 and 20):", ""]
        floor, embedded = runs["floor"][0], runs["embedded"][0]
        for f, e in zip(floor, embedded, strict=True):
            latency = e.percentile(0.5) / f.percentile(0.5)
            lines.append(
                f"- {e.level} concurrent: latency p50 x{latency:.1f}, "
                f"time per turn (1/throughput) x{f.throughput / e.throughput:.1f}"
            )
    lines += ["", END]
    return "\n".join(lines)


def save_run(
    name: str, run: tuple[list[LevelResult], dict[str, int]], load: tuple[float, ...]
) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    data = {"levels": [r.as_dict() for r in run[0]], "peaks": run[1], "load": list(load)}
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(data, indent=1), encoding="utf-8")


def load_run(name: str) -> tuple[tuple[list[LevelResult], dict[str, int]], tuple[float, ...]]:
    data = json.loads((RESULTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    levels = [LevelResult.from_dict(level) for level in data["levels"]]
    return (levels, data["peaks"]), tuple(data["load"])


def write_docs(section: str) -> None:
    write_section(DOCS, BEGIN, END, "Load: conversations per second", section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--setups", default="floor,embedded,scaled", help="comma-separated subset to run"
    )
    args = parser.parse_args(argv)
    from tools.training import ensure_model  # deferred: imports Rasa

    model = ensure_model()
    loads: dict[str, tuple[float, ...]] = {}
    runs: dict[str, tuple[list[LevelResult], dict[str, int]]] = {}
    var_dir = PROJECT_ROOT / "var" / "bench" / "embedded"
    shutil.rmtree(var_dir, ignore_errors=True)
    for name in args.setups.split(","):
        print(f"== {name}", flush=True)
        load = loads[name] = os.getloadavg()
        if name == "floor":
            runs[name] = run_floor()
        elif name == "embedded":
            runs[name] = run_embedded(model, var_dir)
        elif name == "scaled":
            runs[name] = run_scaled(model)
        settings.cache_clear()
        save_run(name, runs[name], load)
    # Setups not run this time: their last stored run, so `--setups` can redo one of them.
    for name in ("floor", "embedded", "scaled"):
        if name not in runs and (RESULTS_DIR / f"{name}.json").exists():
            runs[name], loads[name] = load_run(name)
    runs = {name: runs[name] for name in ("floor", "embedded", "scaled") if name in runs}
    section = report(runs, loads)
    print(section)
    if args.write_docs:
        write_docs(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
