"""Benchmark: p50/p95 of eligibility checks in-process and over HTTP.

Run from the repository root: ``.venv/bin/python -m tools.bench_budget`` (10,000 checks each;
``--checks N`` for another count). Over HTTP the service runs as the launcher starts it (uvicorn
in its own process, access log off) and one keep-alive client sends the requests one by one, so
the figure is one request's latency, not throughput. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx

from services.budget.eligibility import eligibility_for
from services.budget.profile import Goal, Profile, Situation
from services.budget.schemes import load_schemes
from tools.machine import describe_machine

ROOT = Path(__file__).resolve().parents[2]
MUNICIPALITIES = ["Breda", "etten leur", "GM0777", "Tilburg", "Roosendaal", "Atlantis", None]
TARGET_P95_MS = 5.0


def profiles(count: int, seed: int = 20261127) -> list[dict]:
    """``count`` varied profiles, the same every run: some fields missing, some unknown."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    made = []
    for _ in range(count):
        profile = {
            "age": rng.choice([None, rng.randint(0, 100)]),
            "municipality": rng.choice(MUNICIPALITIES),
            "situation": rng.choice([None, *[s.value for s in Situation]]),
            "integration_obligation": rng.choice([None, True, False]),
            "low_income": rng.choice([None, True, False]),
            "goal": rng.choice([None, *[g.value for g in Goal]]),
        }
        made.append({key: value for key, value in profile.items() if value is not None})
    return made


def percentiles(samples_ms: list[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 in milliseconds."""
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def timed(calls: list[Callable[[], object]]) -> list[float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def in_process(bodies: list[dict]) -> list[float]:
    """Parse, resolve and decide, as the endpoint does, without HTTP."""
    schemes = load_schemes()
    day = date.today()
    for body in bodies[:200]:  # warm caches (geo index, code paths) before timing
        eligibility_for(Profile.parse_obj(body), schemes, day)
    return timed(
        [lambda b=body: eligibility_for(Profile.parse_obj(b), schemes, day) for body in bodies]
    )


def over_http(bodies: list[dict]) -> list[float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--ws", "none", "services.budget.app:app",
    ]  # fmt: skip
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client() as session:
            _wait_healthy(session, url, server)
            for body in bodies[:200]:
                session.post(f"{url}/v1/eligibility", json=body, timeout=5).raise_for_status()

            def call(body: dict) -> None:
                session.post(f"{url}/v1/eligibility", json=body, timeout=5).raise_for_status()

            return timed([lambda b=body: call(b) for body in bodies])
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_healthy(session: httpx.Client, url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the budget service exited during start-up")
        try:
            if session.get(f"{url}/health", timeout=1).is_success:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the budget service did not become healthy within 30 s")


def machine() -> str:
    if not hasattr(os, "getloadavg"):
        return describe_machine()
    return f"{describe_machine()}, load average {os.getloadavg()[0]:.1f} at the start"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=10_000, help="checks per mode (10,000)")
    parser.add_argument("--skip-http", action="store_true", help="only the in-process figure")
    args = parser.parse_args(argv)
    bodies = profiles(args.checks)
    rows = [("in-process", in_process(bodies))]
    if not args.skip_http:
        rows.append(("over HTTP (uvicorn, httpx keep-alive)", over_http(bodies)))
    print(f"Machine: {machine()}")
    print(f"Command: .venv/bin/python -m tools.bench_budget  ({args.checks} checks per mode)\n")
    print("| Mode | Checks | p50 | p95 | p99 |")
    print("|---|---|---|---|---|")
    for mode, samples in rows:
        p50, p95, p99 = percentiles(samples)
        print(f"| {mode} | {len(samples)} | {p50:.3f} ms | {p95:.3f} ms | {p99:.3f} ms |")
    in_process_p95 = percentiles(rows[0][1])[1]
    verdict = "meets" if in_process_p95 < TARGET_P95_MS else "MISSES"
    print(f"\nIn-process p95 {in_process_p95:.3f} ms {verdict} the target of {TARGET_P95_MS} ms.")
    return 0 if in_process_p95 < TARGET_P95_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
