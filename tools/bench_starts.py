"""How often the scaled setup starts cleanly: `make bench-starts` (docs/performance.md).

Each round starts the scaled setup of `make test-scale` (tools/scale.py) from nothing, with
everything on: a fresh PostgreSQL with empty stores (conversations, call-back requests,
catalog, the WhatsApp channel's state), Redis, the catalog, budget and action servers, the
WhatsApp channel and a desk that calls back, and two Rasa servers that start at the same
moment, then nginx. A round counts as a clean start when every process is healthy, a message
through nginx is answered, the stores opened at start (the WhatsApp channel's, the catalog)
are at their newest schema revision and no Rasa server logged an error. Issue 19's race (two
Rasa servers on a fresh store both ran `CREATE TABLE whatsapp_messages`, one died) failed 1
start in 8.

    python -m tools.bench_starts [--starts 50] [--write-docs]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from bot.channels import whatsapp_store
from bot.launcher import StackError
from services.catalog.store import schema as catalog_schema
from tools.machine import describe_machine, write_section
from tools.scale import LOCK_ERRORS, ScaleStack, rasa_log_errors, scaled_whatsapp
from tools.training import ensure_model

DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
BEGIN, END = "<!-- starts-bench -->", "<!-- /starts-bench -->"
# Stores opened when the processes start, and their version tables
# (services/schema_migrations.py): database -> table. Both Rasa servers open the WhatsApp
# store at once; the call-back store is opened at the first request.
VERSION_TABLES = {
    "whatsapp": whatsapp_store.VERSION_TABLE,
    "catalog": catalog_schema.VERSION_TABLE,
}
# No message goes to WhatsApp in a start: the Graph API address only has to be configured.
UNUSED_GRAPH_API = "http://127.0.0.1:9/v21.0"
# A failed start in the logs: a crash, or a table made twice (the race of issue 19).
START_ERRORS = ("Traceback", "already exists", "Could not create tables")


def one_start(model: Path) -> tuple[float, str | None]:
    """Seconds to a clean start, and None; or the seconds and what went wrong."""
    whatsapp = scaled_whatsapp(UNUSED_GRAPH_API, "100000000000001", "bench-secret", "bench-verify")
    started = time.monotonic()
    stack = ScaleStack(model, extra_env=whatsapp)
    try:
        stack.start(report=lambda line: None)
        seconds = time.monotonic() - started
        dead = [p.name for p in stack.stack.processes if p.popen.poll() is not None]
        if dead:
            return seconds, f"died after starting: {dead}"
        answer = requests.post(
            f"{stack.nginx.url}/webhooks/rest/webhook",
            json={"sender": f"bench-{uuid.uuid4().hex[:8]}", "message": "hallo"},
            timeout=30,
        )
        if answer.status_code != 200 or not answer.json():
            return seconds, f"no answer through nginx ({answer.status_code})"
        for database, table in VERSION_TABLES.items():
            query = f"SELECT version_num FROM {table}"  # noqa: S608 - our own table names
            version = stack.postgres.psql(query, database=database)
            if not version.strip():
                return seconds, f"{database}: no schema version"
        errors = rasa_log_errors(stack, LOCK_ERRORS + START_ERRORS)
        if errors:
            return seconds, f"Rasa logged: {errors[0][:200]}"
        return seconds, None
    except (
        StackError,
        OSError,
        requests.RequestException,
        RuntimeError,
        subprocess.CalledProcessError,
    ) as exc:
        return time.monotonic() - started, f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        stack.stop()


def report(results: list[tuple[float, str | None]], command: str) -> str:
    clean = [seconds for seconds, problem in results if problem is None]
    problems = [problem for _, problem in results if problem is not None]
    lines = [
        BEGIN,
        "",
        f"Machine: {describe_machine()}. Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"Command: `{command}`",
        "",
        "| starts | clean | failed | ready in (p50 / max) |",
        "|---:|---:|---:|---|",
        f"| {len(results)} | {len(clean)} | {len(problems)} | "
        + (f"{statistics.median(clean):.0f} s / {max(clean):.0f} s |" if clean else "- |"),
    ]
    if problems:
        lines += ["", "Failures:", *(f"- {problem}" for problem in problems)]
    lines += ["", END]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=50)
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    model = ensure_model()
    results = []
    for number in range(1, args.starts + 1):
        seconds, problem = one_start(model)
        results.append((seconds, problem))
        print(f"start {number}/{args.starts}: {seconds:.0f} s, {problem or 'clean'}", flush=True)
    section = report(results, f"python -m tools.bench_starts --starts {args.starts}")
    print(section)
    if args.write_docs:
        write_section(DOCS, BEGIN, END, "Starts of the scaled setup", section)
    return 0 if all(problem is None for _, problem in results) else 1


if __name__ == "__main__":
    sys.exit(main())
