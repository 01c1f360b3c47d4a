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
# Per level: bounded work, 3 turns each; enough turns that one slow turn does not decide.
CONVERSATIONS = {1: 60, 20: 100, 100: 200}
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


def pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages (the libraries of Python, NumPy, TensorFlow) count
    once across the processes that share them, so a sum over processes is the stack's share."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pgid: int) -> float:
    """User plus system CPU time of a process group's processes so far."""
    total = 0
    for pid in group_pids(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


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
    """Peak RSS per named process group (a process and its children), and the peak of the
    whole setup's PSS, sampled in a thread."""

    def __init__(self, groups: dict[str, int]) -> None:
        self.groups = groups
        self.peaks: dict[str, int] = dict.fromkeys(groups, 0)
        self.peak_pss = 0
        self._stop = False

    def sample(self) -> None:
        pss = 0
        for name, pgid in self.groups.items():
            pids = group_pids(pgid)
            self.peaks[name] = max(self.peaks[name], sum(rss_bytes(pid) for pid in pids))
            pss += sum(pss_bytes(pid) for pid in pids)
        self.peak_pss = max(self.peak_pss, pss)

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
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process group

    def cpu_ms_per_turn(self, name: str) -> float:
        return 1000 * self.cpu.get(name, 0.0) / self.turns if self.turns else float("nan")

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
            "cpu": self.cpu,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LevelResult:
        fixed = {str(k): data[f"p{k}"] for k in (50, 95, 99)}
        return cls(data["level"], data["conversations"], data["turns"], data["seconds"],
                   errors=data["errors"], fixed=fixed, cpu=data.get("cpu", {}))  # fmt: skip

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


@dataclass
class SetupRun:
    """One setup's figures: the levels, memory, how soon it answered, the NLU alone."""

    levels: list[LevelResult]
    peaks: dict[str, int]  # peak RSS per process group
    peak_pss: int = 0  # peak of the whole setup's PSS
    ready_seconds: float = float("nan")  # from the start command to answering
    parse_ms: float = float("nan")  # p50 of the NLU alone (/model/parse), one at a time
    load: tuple[float, ...] = ()

    def as_dict(self) -> dict:
        return {
            "levels": [r.as_dict() for r in self.levels],
            "peaks": self.peaks,
            "peak_pss": self.peak_pss,
            "ready_seconds": self.ready_seconds,
            "parse_ms": self.parse_ms,
            "load": list(self.load),
        }

    @classmethod
    def from_dict(cls, data: dict) -> SetupRun:
        levels = [LevelResult.from_dict(level) for level in data["levels"]]
        return cls(levels, data["peaks"], data.get("peak_pss", 0),
                   data.get("ready_seconds", float("nan")), data.get("parse_ms", float("nan")),
                   tuple(data.get("load", ())))  # fmt: skip

    @property
    def total_rss(self) -> int:
        return sum(self.peaks.values())


async def parse_p50(url: str, token: str, texts: tuple[str, ...], rounds: int = 20) -> float:
    """p50 in ms of Rasa's NLU alone (`POST /model/parse`), one message at a time."""
    times = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for _ in range(rounds):
            for text in texts:
                started = time.monotonic()
                async with session.post(
                    f"{url}/model/parse", params={"token": token}, json={"text": text}
                ) as response:
                    response.raise_for_status()
                    await response.read()
                times.append(time.monotonic() - started)
    times.sort()
    return 1000 * times[len(times) // 2]


async def measure(
    url: str,
    token: str,
    groups: dict[str, int],
    script: Script,
    prefix: str,
    parse_texts: tuple[str, ...],
) -> SetupRun:
    # One warm-up conversation: first calls load lazily (TensorFlow graphs, caches).
    await run_level(url, token, 1, 1, script, f"{prefix}-warmup")
    sampler = MemorySampler(groups)
    sampling = asyncio.create_task(sampler.run())
    results = []
    for level in LEVELS:
        before = {name: cpu_seconds(pgid) for name, pgid in groups.items()}
        result = await run_level(url, token, level, CONVERSATIONS[level], script, prefix)
        result.cpu = {name: cpu_seconds(pgid) - before[name] for name, pgid in groups.items()}
        print(format_result(prefix, result), flush=True)
        results.append(result)
    sampler.stop()
    await sampling
    parse_ms = await parse_p50(url, token, parse_texts)
    return SetupRun(results, sampler.peaks, sampler.peak_pss, parse_ms=parse_ms)


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


FLOOR_TEXTS = ("hello", "I am sad", "yes")
LEERWIJZER_TEXTS = ("hallo", "Ik zoek een computercursus in Breda", "dank u wel")


def run_floor() -> SetupRun:
    model = floor_model()
    port, token = free_port(), "bench-floor-token"
    log = FLOOR_DIR / "rasa.log"
    argv = [sys.executable, "-m", "rasa", "run", "--model", str(model), "--port", str(port)]
    argv += ["--interface", "127.0.0.1", "--enable-api", "--auth-token", token]
    started = time.monotonic()
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv, cwd=FLOOR_DIR, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 300
        while not healthy(f"http://127.0.0.1:{port}/status?token={token}"):
            if popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"floor Rasa did not start, see {log}")
            time.sleep(0.1)
        ready = time.monotonic() - started
        url = f"http://127.0.0.1:{port}"
        run = asyncio.run(
            measure(url, token, {"rasa": popen.pid}, floor_script, "floor", FLOOR_TEXTS)
        )
        run.ready_seconds = ready
        return run
    finally:
        os.killpg(popen.pid, 9)
        popen.wait()


def run_embedded(model: Path, var_dir: Path) -> SetupRun:
    """The stack is started twice, as `make run` twice: the first start fills an empty var/
    (the catalog's import), the second is timed like `make run` with nothing changed: the
    training check (`python -m tools.training`, which finds the model) and the start until
    every process answers. The measurement runs on the second."""
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
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "tools.training"], check=True, capture_output=True)
    with Stack(config, model, log_dir=var_dir / "log") as stack:
        stack.start(report=lambda line: None)
        ready = time.monotonic() - started
        groups = {p.name: p.popen.pid for p in stack.processes}
        run = asyncio.run(
            measure(
                config.rasa_url,
                config.rasa_auth_token,
                groups,
                leerwijzer_script,
                "emb",
                LEERWIJZER_TEXTS,
            )
        )
    run.ready_seconds = ready
    return run


def run_scaled(model: Path) -> SetupRun:
    with ScaleStack(model) as scale:
        scale.start(report=lambda line: None)
        groups = {p.name: p.popen.pid for p in scale.stack.processes}
        groups.update(postgres=_postmaster_pgid(scale), redis=scale.redis.popen.pid)
        groups["nginx"] = scale.nginx.popen.pid
        return asyncio.run(
            measure(
                scale.nginx.url,
                scale.config.rasa_auth_token,
                groups,
                leerwijzer_script,
                "scaled",
                LEERWIJZER_TEXTS,
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


def memory_line(name: str, run: SetupRun) -> str:
    parts = ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in run.peaks.items())
    return (
        f"- {name}: {parts}; total {run.total_rss / 2**20:,.0f} MB RSS, "
        f"{run.peak_pss / 2**20:,.0f} MB PSS"
    )


def cpu_line(name: str, run: SetupRun) -> str:
    level = run.levels[0]
    parts = ", ".join(f"{k} {level.cpu_ms_per_turn(k):.1f}" for k in run.peaks if k in level.cpu)
    return f"- {name}: {parts} ms"


# Issue 22: the embedded stack against the floor, measured in one run.
LATENCY_TARGET = {1: 1.2}  # p50 per turn
TIME_PER_TURN_TARGET = {1: 1.2, 20: 1.1, 100: 1.1}  # 1/throughput
MEMORY_TARGET_MB = 1000  # the whole embedded stack
READY_TARGET_SECONDS = 15  # a second `make run`


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "not met"


def target_lines(floor: SetupRun, embedded: SetupRun) -> list[str]:
    lines = ["Embedded against the floor (targets of issue 22):", ""]
    for f, e in zip(floor.levels, embedded.levels, strict=True):
        per_turn = f.throughput / e.throughput
        text = f"- {e.level} concurrent: time per turn (1/throughput) x{per_turn:.2f}"
        text += f" (target {TIME_PER_TURN_TARGET[e.level]}: "
        text += f"{verdict(per_turn, TIME_PER_TURN_TARGET[e.level])})"
        latency = e.percentile(0.5) / f.percentile(0.5)
        if e.level in LATENCY_TARGET:
            text += f"; latency p50 x{latency:.2f} (target {LATENCY_TARGET[e.level]}: "
            text += f"{verdict(latency, LATENCY_TARGET[e.level])})"
        else:
            text += f"; latency p50 x{latency:.2f}"
        rasa = e.cpu_ms_per_turn("rasa") / f.cpu_ms_per_turn("rasa")
        lines.append(text + f"; Rasa's CPU per turn x{rasa:.2f}")
    rss = embedded.total_rss / 2**20
    pss = embedded.peak_pss / 2**20
    lines.append(
        f"- Memory of the whole embedded stack: {rss:,.0f} MB RSS summed over the processes, "
        f"{pss:,.0f} MB PSS (target {MEMORY_TARGET_MB:,} MB: {verdict(pss, MEMORY_TARGET_MB)}); "
        f"the floor's Rasa alone {floor.total_rss / 2**20:,.0f} MB RSS."
    )
    lines.append(
        f"- Ready: the embedded stack {embedded.ready_seconds:.1f} s after the command of a "
        f"second `make run` (target {READY_TARGET_SECONDS} s: "
        f"{verdict(embedded.ready_seconds, READY_TARGET_SECONDS)}); the floor's Rasa "
        f"{floor.ready_seconds:.1f} s."
    )
    floor_turn = floor.levels[0].percentile(0.5) * 1000
    lines.append(
        f"- The NLU alone (`/model/parse`, p50 one at a time): {embedded.parse_ms:.1f} ms, the "
        f"floor's {floor.parse_ms:.1f} ms; a whole turn of the floor {floor_turn:.1f} ms."
    )
    return lines


def report(runs: dict[str, SetupRun]) -> str:
    load_text = "; ".join(
        f"{name} {run.load[0]:.1f} / {run.load[1]:.1f}" for name, run in runs.items() if run.load
    )
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
    for name, run in runs.items():
        lines += table(name, run.levels)
    lines += ["", "Peak memory per process (RSS), and the peak of the setup's PSS:", ""]
    lines += [memory_line(name, run) for name, run in runs.items()]
    lines += ["", "CPU per turn at 1 conversation, per process:", ""]
    lines += [cpu_line(name, run) for name, run in runs.items()]
    if "floor" in runs and "embedded" in runs:
        lines += [""] + target_lines(runs["floor"], runs["embedded"])
    lines += ["", END]
    return "\n".join(lines)


def save_run(name: str, run: SetupRun) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(run.as_dict(), indent=1), encoding="utf-8")


def load_run(name: str) -> SetupRun:
    return SetupRun.from_dict(
        json.loads((RESULTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    )


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
    runs: dict[str, SetupRun] = {}
    var_dir = PROJECT_ROOT / "var" / "bench" / "embedded"
    shutil.rmtree(var_dir, ignore_errors=True)
    for name in args.setups.split(","):
        print(f"== {name}", flush=True)
        load = os.getloadavg()
        if name == "floor":
            runs[name] = run_floor()
        elif name == "embedded":
            runs[name] = run_embedded(model, var_dir)
        elif name == "scaled":
            runs[name] = run_scaled(model)
        runs[name].load = load
        settings.cache_clear()
        save_run(name, runs[name])
    # Setups not run this time: their last stored run, so `--setups` can redo one of them.
    for name in ("floor", "embedded", "scaled"):
        if name not in runs and (RESULTS_DIR / f"{name}.json").exists():
            runs[name] = load_run(name)
    runs = {name: runs[name] for name in ("floor", "embedded", "scaled") if name in runs}
    section = report(runs)
    print(section)
    if args.write_docs:
        write_docs(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
