"""Catalog benchmark: a synthetic catalog of 100,000 courses and 300,000 offerings.

    python -m tools.bench_catalog                 # SQLite and PostgreSQL, writes nothing
    python -m tools.bench_catalog --write-docs    # also updates docs/performance.md
    python -m tools.bench_catalog --stores sqlite --courses 20000

For each store it reports the import time and p50/p95/p99 latency of 1,000 varied searches
with filters, in-process (query planning, SQL and rendering, no HTTP) and over HTTP (a
uvicorn process like the launcher starts, one keep-alive client). PostgreSQL is a throwaway
cluster (deploy/local/throwaway_postgres.py) unless --postgres-url is given. A benchmark, not a
test: it never fails on a slow result.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import requests

from services import geo
from services.catalog.config import REPO_ROOT
from services.catalog.domain import Address, CatalogBatch, Course, Offering, Organization, record_id
from services.catalog.routers.common import CourseParams, course_page, course_query
from services.catalog.seed.generate import _documents
from services.catalog.store import SqlStore, open_store
from tools.machine import describe_machine

DOCS = REPO_ROOT / "docs" / "performance.md"
SECTION = "## Catalog service"
CHUNK = 10_000
QUERIES = [
    "computer",
    "curcus computer",
    "computervaardigheden",
    "taalcursus",
    "les voor digid",
    "nederlands leren praten",
    "smartfone",
    "rekenen",
    "geldzaken",
    "heftruck",
    "kok worden",
    "zonnepanelen",
    "eigen bedrijf beginnen",
    "cv maken",
    "videobellen",
    "whatsapp",
    "veilig online",
    "lezen en schrijven",
    "inburgering",
    "excel",
    "mantelzorg",
    "ehbo",
    "tablet voor ouderen",
    "nt2 b1",
    "magazijn",
    "belasting aangifte",
    "solliciteren",
    "energie besparen",
    "administratie",
    "reanimeren",
]
TOPICS = [
    "digital",
    "dutch",
    "reading-writing",
    "numeracy-money",
    "health-care",
    "technology-energy",
    "administration",
    "hospitality",
    "logistics",
    "business",
    "career",
]
VARIANTS = [
    "",
    " voor beginners",
    " deel 2",
    " compact",
    " in de avond",
    " plus",
    " basis",
    " voor gevorderden",
    " in kleine groep",
    " op locatie",
]


def _near_places() -> list[str]:
    members = set(geo.region_members("regio-west-brabant"))
    by_code = {m.code: m for m in geo.all_municipalities()}
    for code in list(members):
        members.update(n.code for n in geo.neighbours(by_code[code]))
    return sorted(members)


def synthetic(courses: int, offerings_per_course: int = 3, seed: int = 5) -> Iterator[CatalogBatch]:
    """The synthetic catalog in batches of CHUNK courses; texts come from the seed templates."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    _, document = _documents()
    templates = document["courses"]
    places = _near_places()
    weights = [5 if code in ("GM0758", "GM1674", "GM0748", "GM0826") else 1 for code in places]
    # Cumulative once, not per offering: random.choices draws the same values either way.
    cumulative = list(itertools.accumulate(weights))
    city = {m.code: m.name for m in geo.all_municipalities()}
    organizations = [
        Organization(
            organization_id=record_id("organization", f"BENCH-ORG-{n}"),
            primary_code=f"BENCH-ORG-{n}",
            name=f"Aanbieder {n}",
            short_name=f"Aanbieder {n}",
            address=Address(city=city[code], municipality_code=code),
            source="bench",
        )
        for n, code in enumerate(rng.choices(places, weights, k=500))
    ]
    today = date.today()
    for start in range(0, courses, CHUNK):
        batch = CatalogBatch(organizations=organizations if start == 0 else [])
        for n in range(start, min(courses, start + CHUNK)):
            template = templates[n % len(templates)]
            organization = organizations[rng.randrange(len(organizations))]
            code = f"BENCH-{n}"
            topics = list(template.get("topics") or [])
            if rng.random() < 0.3:
                topics.append(rng.choice(TOPICS))
            course = Course(
                course_id=record_id("course", code),
                primary_code=code,
                organization_id=organization.organization_id,
                name=template["name"] + rng.choice(VARIANTS),
                description=" ".join(str(template["description"]).split()),
                topics=tuple(dict.fromkeys(topics)),
                audiences=tuple(template.get("audiences") or ()),
                support_languages=tuple(template.get("support") or ()),
                modes_of_delivery=("situated",),
                source="bench",
            )
            batch.courses.append(course)
            for k in range(offerings_per_course):
                online = rng.random() < 0.15
                municipality = None if online else rng.choices(places, cum_weights=cumulative)[0]
                begin = today + timedelta(days=rng.randrange(1, 365))
                batch.offerings.append(
                    Offering(
                        offering_id=record_id("offering", f"{code}-{k}"),
                        primary_code=f"{code}-{k}",
                        course_id=course.course_id,
                        organization_id=organization.organization_id,
                        start_date=begin,
                        end_date=begin + timedelta(days=rng.randrange(0, 90)),
                        mode="online" if online else rng.choice(("situated", "situated", "hybrid")),
                        time_of_day=rng.choice(("daytime", "daytime", "evening")),
                        schedule="dinsdag 10:00-12:00",
                        address=(
                            None
                            if online
                            else Address(city=city[municipality], municipality_code=municipality)
                        ),
                        cost_cents=rng.choice((0, 0, 1500, 4500, 9500, 29500)),
                        accessibility=("wheelchair",) if rng.random() < 0.6 else (),
                        source="bench",
                    )
                )
        yield batch


def searches(count: int = 1000, seed: int = 11) -> list[dict[str, Any]]:
    """Varied searches: free text, topics, places, prices, times, audiences and mixes."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    places = [
        "Breda",
        "Roosendaal",
        "Bergen op Zoom",
        "Oosterhout",
        "Etten-Leur",
        "Zundert",
        "Moerdijk",
        "Dongen",
        "Woensdrecht",
        "Steenbergen",
    ]
    result = []
    for _ in range(count):
        kind = rng.random()
        params: dict[str, Any] = {"pageSize": 10}
        if kind < 0.35:
            params["q"] = rng.choice(QUERIES)
        elif kind < 0.65:
            params["topic"] = rng.choice(TOPICS)
            params["municipality"] = rng.choice(places)
        elif kind < 0.85:
            params["q"] = rng.choice(QUERIES)
            params["municipality"] = rng.choice(places)
            params[rng.choice(("maxCost", "timeOfDay", "audience"))] = None
        else:
            params["topic"] = rng.choice(TOPICS)
            params["municipality"] = rng.choice(places)
            params["maxCost"] = rng.choice((0, 50))
            params["timeOfDay"] = rng.choice(("daytime", "evening"))
        for key in ("maxCost", "timeOfDay", "audience"):
            if key in params and params[key] is None:
                params[key] = {"maxCost": 0, "timeOfDay": "evening", "audience": "older-people"}[
                    key
                ]
        result.append(params)
    return result


def _params(values: dict[str, Any]) -> CourseParams:
    def listed(key: str) -> list[str] | None:
        return [str(values[key])] if key in values else None

    def one(key: str) -> str | None:
        return str(values[key]) if key in values else None

    return CourseParams(
        q=one("q"),
        primary_code=None,
        page_size=one("pageSize"),
        page_number=None,
        teaching_language=None,
        level=None,
        mode_of_delivery=listed("modeOfDelivery"),
        sort=None,
        topic=listed("topic"),
        audience=listed("audience"),
        municipality=one("municipality"),
        max_distance_km=one("maxDistanceKm"),
        max_cost=one("maxCost"),
        time_of_day=one("timeOfDay"),
        starts_before=None,
        support_language=None,
        accessibility=None,
    )


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": cut[49], "p95": cut[94], "p99": cut[98], "max": ordered[-1]}


def load(store: SqlStore, courses: int) -> float:
    """One import of the whole catalog in one transaction, as the importers write a feed
    (generated and written CHUNK courses at a time)."""
    started = time.perf_counter()
    store.upsert_many(synthetic(courses))
    return time.perf_counter() - started


def in_process(store: SqlStore, workload: list[dict[str, Any]]) -> dict[str, float]:
    for values in workload[:50]:  # warm caches and the term index, as a running server has
        course_page(store, course_query(_params(values), store))
    samples = []
    for values in workload:
        started = time.perf_counter()
        course_page(store, course_query(_params(values), store))
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def over_http(database_url: str, workload: list[dict[str, Any]]) -> dict[str, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, CATALOG_DATABASE_URL=database_url, CATALOG_SEED="0")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--ws",
            "none",
            "services.catalog.app:app",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        deadline = time.monotonic() + 120
        while True:
            try:
                if session.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("bench server did not start")
            time.sleep(0.2)
        for values in workload[:50]:
            session.get(f"{base}/v5/courses", params=values, timeout=30)
        samples = []
        for values in workload:
            started = time.perf_counter()
            response = session.get(f"{base}/v5/courses", params=values, timeout=30)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{values}: HTTP {response.status_code} {response.text[:200]}")
        return percentiles(samples)
    finally:
        server.terminate()
        server.wait(timeout=20)


def machine() -> str:
    return f"{describe_machine()}, SQLite {sqlite3.sqlite_version}"


def run_store(kind: str, courses: int, workload: list[dict[str, Any]], pg_url: str | None) -> dict:
    cleanup = None
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="catalog-bench-")
        url = f"sqlite:///{folder}/catalog.db"
        # The database is about 500 MB at 100k courses.
        cleanup = functools.partial(shutil.rmtree, folder, ignore_errors=True)
    elif pg_url:
        url = pg_url
    else:
        from deploy.local.throwaway_postgres import ThrowawayPostgres

        cluster = ThrowawayPostgres().start()
        url = cluster.create_database("catalog_bench")
        cleanup = cluster.stop
    try:
        store = open_store(url)
        seconds = load(store, courses)
        counts = store.counts()
        version = ""
        if kind == "postgresql":
            with store.transaction() as cur:
                cur.execute("SHOW server_version")
                version = str(cur.fetchone()[0]).split()[0]
        local = in_process(store, workload)
        store.close()
        remote = over_http(url, workload)
        return {
            "kind": kind,
            "version": version,
            "import_s": seconds,
            "counts": counts,
            "in_process": local,
            "http": remote,
        }
    finally:
        if cleanup:
            cleanup()


def report(results: list[dict], command: str, courses: int) -> str:
    lines = [
        SECTION,
        "",
        f"Machine: {machine()}.",
        "",
        f"Command: `{command}` ({courses:,} synthetic courses, 3 offerings each, 500 "
        "organizations; 1,000 varied searches: free text with typos and compounds, topic and "
        "municipality, price, time of day and audience filters, page size 10).",
        "",
        "| Store | Import | in-process p50 / p95 / p99 | over HTTP p50 / p95 / p99 |",
        "|---|---|---|---|",
    ]
    for r in results:
        name = "SQLite" if r["kind"] == "sqlite" else f"PostgreSQL {r['version']}".strip()
        local, remote = r["in_process"], r["http"]
        lines.append(
            f"| {name} | {r['import_s']:.1f} s | {local['p50']:.1f} / {local['p95']:.1f} / "
            f"{local['p99']:.1f} ms | {remote['p50']:.1f} / {remote['p95']:.1f} / "
            f"{remote['p99']:.1f} ms |"
        )
    lines += [
        "",
        "Targets (issue 3): p95 at most 20 ms in-process and 40 ms over HTTP on SQLite at "
        "100k courses; import under 60 s.",
        "",
    ]
    return "\n".join(lines)


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Performance\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    marker = "<!-- catalog-bench: generated by python -m tools.bench_catalog --write-docs -->\n"
    generated = marker + section.split("\n", 1)[1]
    if pattern.search(text):
        old = pattern.search(text).group(0)
        notes = old.split("<!-- catalog-bench-notes -->", 1)
        keep = "<!-- catalog-bench-notes -->" + notes[1] if len(notes) == 2 else ""
        text = text.replace(old, f"{SECTION}\n\n{generated}\n{keep}".rstrip() + "\n\n")
    else:
        text = text.rstrip() + f"\n\n{SECTION}\n\n{generated}"
    DOCS.write_text(text.rstrip() + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_catalog")
    parser.add_argument("--courses", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", help="use this database instead of a throwaway one")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    args = parser.parse_args(argv)
    # On SIGTERM unwind normally, so the throwaway cluster and the HTTP server are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workload = searches(args.searches)
    results = []
    for kind in args.stores.split(","):
        print(f"{kind}: loading {args.courses:,} courses ...", flush=True)
        result = run_store(kind.strip(), args.courses, workload, args.postgres_url)
        print(f"{kind}: {result}", flush=True)
        results.append(result)
    command = "python -m tools.bench_catalog" + (
        "" if args.courses == 100_000 else f" --courses {args.courses}"
    )
    section = report(results, command, args.courses)
    print(section)
    if args.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
