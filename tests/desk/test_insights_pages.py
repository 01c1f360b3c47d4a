"""The insights pages of the desk (services/desk/insights.py): who may read them, that they show
exactly the published cells, the CSV, the monthly report, the audit log and the headers."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import logging
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from services.desk import app as desk_app
from services.desk.accounts import hash_password
from services.desk.insights import LazyInsights
from services.insights.export import published_csv
from services.insights.store import ALL, InsightsStore
from tests.desk.conftest import PASSWORD, csrf, socket_connect
from tests.desk.insights_sample import (
    GAP_PLACE,
    LATEST,
    PERIODS,
    K,
    publish_sample,
    sample_cells,
)

PARTNER = "gemeente-breda"
PAGES = ("/desk/inzichten", "/desk/inzichten/rapport")
APIS = (
    "/desk/api/inzichten",
    "/desk/api/inzichten/overzicht",
    "/desk/api/inzichten/cellen",
    "/desk/api/inzichten/export.csv",
)
# What a partner may use besides the insights.
PARTNER_APIS = {"/desk/api/me", "/desk/api/logout", "/desk/api/logout-everywhere",
                "/desk/api/login", "/desk/api/login-options"}  # fmt: skip


@pytest.fixture
def insights(world) -> InsightsStore:
    """The desk's insights store (a file of the test) with the sample published, and a partner."""
    world.store.add_user(PARTNER, "Gemeente Breda", "partner", hash_password(PASSWORD), [])
    store = InsightsStore(world.desks().config.insights_database_url)
    publish_sample(store)
    yield store
    store.close()


def key(cell: dict) -> tuple:
    return (cell["view"], cell["period"], cell["row"], cell["col"], cell["conversations"],
            json.dumps(cell["measures"] or {}, sort_keys=True))  # fmt: skip


def routes(world) -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in world.app.other_asgi_app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    ]


# -- who may read them --------------------------------------------------------------------------


def test_a_partner_reads_the_dashboard_the_report_and_the_csv(world, insights):
    partner = world.sign_in(PARTNER)
    assert partner.get("/desk/api/me").json()["role"] == "partner"
    for path in (*PAGES, *APIS):
        response = partner.get(path)
        assert response.status_code == 200, (path, response.text)
    page = partner.get("/desk/inzichten")
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/desk/vendor/vega-embed.min.js"></script>' in page.text


def test_a_partner_sees_nothing_of_the_queue_the_call_backs_or_the_administration(world, insights):
    partner = world.sign_in(PARTNER)
    world.sign_in("anna")  # the desk is staffed, so a conversation can wait in its queue
    handover = world.handover("partner-test")
    # Every API besides the insights, who-am-I and signing out answers 403, GET or POST.
    checked = 0
    for method, path in routes(world):
        if not path.startswith("/desk/api/") or path in PARTNER_APIS:
            continue
        if path.startswith("/desk/api/inzichten"):
            continue
        concrete = (path.replace("{handover_id}", str(handover))
                    .replace("{reference}", "LW-AAAAAA").replace("{username}", "anna"))  # fmt: skip
        response = partner.request(method, concrete, json={}, headers=csrf(partner))
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json() == {"detail": "Dit mag u niet."}
        checked += 1
    assert checked >= 15
    # The pages of the staff send a partner to the insights.
    for path in ("/desk/", "/desk/callbacks", "/desk/admin"):
        response = partner.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/desk/inzichten"
    # The conversation was not touched.
    assert world.store.handover(handover)["status"] == "waiting"


def test_the_live_updates_refuse_a_partner(world, insights):
    answer = socket_connect(world.sign_in(PARTNER))
    assert answer.startswith("44"), answer  # CONNECT_ERROR


def test_an_advisor_may_not_read_the_insights_and_an_admin_may(world, insights):
    advisor = world.sign_in("anna")
    for path in (*PAGES, *APIS):
        response = advisor.get(path, follow_redirects=False)
        assert response.status_code == 403, path
        assert response.json() == {"detail": "Dit mag u niet."}
    admin = world.sign_in("beheer")
    for path in (*PAGES, *APIS):
        assert admin.get(path).status_code == 200, path
    # The staff keep their own pages.
    assert advisor.get("/desk/", follow_redirects=False).status_code == 200
    assert admin.get("/desk/admin", follow_redirects=False).status_code == 200


def test_without_sign_in_the_pages_go_to_the_login_and_the_api_answers_401(world, insights):
    anonymous = TestClient(world.app)
    for path in PAGES:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/desk/login"
    for path in APIS:
        assert anonymous.get(path).status_code == 401, path


def test_an_admin_makes_a_partner_account(world):
    admin = world.sign_in("beheer")
    response = admin.post(
        "/desk/api/users",
        json={"username": "werkgevers", "name": "Werkgeversservicepunt", "role": "partner",
              "desks": [], "password": PASSWORD},
        headers=csrf(admin),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["user"]["role"] == "partner"
    refused = admin.post(
        "/desk/api/users",
        json={
            "username": "baas",
            "name": "Baas",
            "role": "boss",
            "desks": [],
            "password": PASSWORD,
        },
        headers=csrf(admin),
    )
    assert refused.status_code == 422
    # An advisor made partner sees the insights, and no longer the queue.
    changed = admin.post("/desk/api/users/anna", json={"role": "partner"}, headers=csrf(admin))
    assert changed.status_code == 200
    anna = world.sign_in("anna")
    assert anna.get("/desk/api/handovers").status_code == 403
    assert anna.get("/desk/api/inzichten").status_code == 200


def test_the_command_line_adds_a_partner(clean_settings, tmp_path, capsys):
    from services.desk.__main__ import main
    from services.desk.store import DeskStore

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    clean_settings.setenv("DESK_DATABASE_URL", url)
    assert main(["add-user", "onderwijs", "--name", "Curio", "--role", "partner",
                 "--no-password"]) == 0  # fmt: skip
    assert "(partner;" in capsys.readouterr().out
    assert DeskStore(url).user("onderwijs").role == "partner"


# -- what they show -------------------------------------------------------------------------------


def test_the_api_gives_exactly_the_published_cells(world, insights):
    partner = world.sign_in(PARTNER)
    everything = partner.get("/desk/api/inzichten/cellen").json()["cells"]
    assert sorted(map(key, everything)) == sorted(map(key, sample_cells()))
    latest = partner.get("/desk/api/inzichten/cellen", params={"periode": LATEST}).json()["cells"]
    assert sorted(map(key, latest)) == sorted(
        key(c) for c in sample_cells() if c["period"] == LATEST
    )
    languages = partner.get(
        "/desk/api/inzichten/cellen", params={"periode": LATEST, "weergave": "language"}
    ).json()["cells"]
    assert {c["col"] for c in languages} == {"nl", "ar", "en", "uk", ALL}
    # What was not published is not there, also not as 0: Turkish was below k.
    assert not [c for c in everything if c["col"] == "tr" or c["conversations"] < K]
    for params in ({"periode": "2020-01"}, {"weergave": "facts"}):
        assert partner.get("/desk/api/inzichten/cellen", params=params).status_code == 404


def test_the_overview_names_the_periods_and_the_municipalities(world, insights):
    partner = world.sign_in(PARTNER)
    overview = partner.get("/desk/api/inzichten").json()
    assert [p["period"] for p in overview["periods"]] == list(reversed(PERIODS))
    assert overview["periods"][0]["label"] == "november 2026"
    assert overview["periods"][0]["k"] == K
    assert overview["municipalities"] == ["Breda", "Moerdijk", "Roosendaal"]
    assert overview["labels"]["language"]["ar"] == "Arabisch"
    assert overview["labels"]["demand_row"]["dutch"] == "Nederlands leren (NT2)"


def test_the_dashboard_figures_put_the_largest_gap_first(world, insights):
    partner = world.sign_in(PARTNER)
    figures = partner.get("/desk/api/inzichten/overzicht").json()
    assert figures["period"] == LATEST and figures["k"] == K
    first = figures["gaps"][0]
    assert (first["subject"], first["place"], first["conversations"]) == ("dutch", GAP_PLACE, 40)
    assert any(f"Nederlands leren (NT2) in {GAP_PLACE}" in s for s in figures["summary"])
    assert [p["code"] for p in figures["trend"]["periods"]] == list(PERIODS)
    breda = partner.get("/desk/api/inzichten/overzicht", params={"gemeente": "Breda"}).json()
    assert {g["place"] for g in breda["gaps"]} == {"Breda"}
    assert breda["total_searches"] == 190
    october = partner.get("/desk/api/inzichten/overzicht", params={"periode": "2026-10"}).json()
    assert october["period_label"] == "oktober 2026"
    assert [p["code"] for p in october["trend"]["periods"]] == ["2026-09", "2026-10"]
    # Unknown period or municipality: 404 in Dutch; a silly value: 404 or 422, never a 500.
    for params in ({"periode": "2025-01"}, {"gemeente": "Amsterdam"}, {"periode": "nu"}):
        response = partner.get("/desk/api/inzichten/overzicht", params=params)
        assert response.status_code == 404, params
        assert response.json()["detail"].startswith("Voor deze")
    too_long = partner.get("/desk/api/inzichten/overzicht", params={"periode": "x" * 40})
    assert too_long.status_code == 422


def test_the_csv_is_the_published_cells(world, insights):
    partner = world.sign_in(PARTNER)
    response = partner.get("/desk/api/inzichten/export.csv", params={"periode": LATEST})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="leerwijzer-inzichten-2026-11.csv"'
    )
    assert response.text == published_csv(insights, periods=[LATEST])
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) == 1 + sum(1 for c in sample_cells() if c["period"] == LATEST)
    assert {r[0] for r in rows[1:]} == {LATEST}
    gap = next(r for r in rows if r[:4] == [LATEST, "demand", "dutch", GAP_PLACE])
    assert gap[4] == "40"
    everything = partner.get("/desk/api/inzichten/export.csv")
    assert 'filename="leerwijzer-inzichten.csv"' in everything.headers["content-disposition"]
    assert len(everything.text.splitlines()) == 1 + len(sample_cells())


# -- the monthly report ---------------------------------------------------------------------------


def summary_of(page: str) -> list[str]:
    block = re.search(r'<ul id="report-summary"[^>]*>(.*?)</ul>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li[^>]*>(.*?)</li>", block)]


def test_the_report_for_the_region(world, insights):
    partner = world.sign_in(PARTNER)
    response = partner.get("/desk/inzichten/rapport")
    assert response.status_code == 200
    page = response.text
    assert '<h1 class="utrecht-heading-1">Maandrapport november 2026</h1>' in page
    assert "<strong>De hele regio</strong>, november 2026." in page
    assert f"minstens {K} verschillende gesprekken" in page
    summary = summary_of(page)
    assert summary[0] == "In november 2026 had Leerwijzer 320 gesprekken in de hele regio."
    # The largest gap first: many searches, most without a course nearby.
    assert summary[2].startswith(
        f"Veel vraag, weinig aanbod: Nederlands leren (NT2) in {GAP_PLACE}, 40 gesprekken."
    ), summary
    assert "Bij 55% was er geen cursus in de buurt." in summary[2]
    assert any(s.startswith("Naast Nederlands spraken mensen vooral Arabisch") for s in summary)
    assert any("paste geen enkele regeling (30%)" in s for s in summary)
    assert any("omdat Leerwijzer hun vraag niet begreep" in s for s in summary)
    # A chart and a table for each part; the figures for the charts as JSON, not as script.
    charts = re.findall(r'data-chart="([a-z]+)"', page)
    assert charts == ["trend", "language", "handover", "schemes", "budget", "help", "channel",
                      "age"]  # fmt: skip
    assert page.count("<table") == len(charts) + 1  # the gaps have a table only
    assert page.count("<caption>") == page.count("<table")
    data = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page, re.S)
    assert json.loads(data.group(1))["gaps"][0]["place"] == GAP_PLACE
    assert '<option value="2026-11" selected>november 2026</option>' in page
    assert '<option value="" selected>Hele regio</option>' in page
    assert "– betekent: minder dan 10 gesprekken of verborgen" in page


def test_the_report_for_one_municipality(world, insights):
    partner = world.sign_in(PARTNER)
    page = partner.get("/desk/inzichten/rapport", params={"gemeente": GAP_PLACE,
                                                           "periode": LATEST}).text  # fmt: skip
    assert "<strong>Roosendaal</strong>, november 2026." in page
    summary = summary_of(page)
    assert summary[0] == (
        "In november 2026 waren er in Roosendaal 45 gesprekken waarin mensen een cursus zochten."
    )
    assert summary[1].startswith("Veel vraag, weinig aanbod: Nederlands leren (NT2) in Roosendaal")
    # The other figures are the region's, and the report says so.
    assert any(s.startswith("In de hele regio spraken mensen naast Nederlands") for s in summary)
    assert "Deze getallen gaan over de hele regio." in page
    gaps = re.search(r'<table[^>]*id="gaps-table".*?</table>', page, re.S).group(0)
    assert "Roosendaal" in gaps and "Breda" not in gaps and "Moerdijk" not in gaps
    assert '<option value="Roosendaal" selected>Roosendaal</option>' in page
    assert partner.get("/desk/inzichten/rapport", params={"gemeente": "Tilburg"}).status_code == 404


def test_the_report_escapes_what_it_shows(world, insights):
    """Cells hold codes only; should one ever hold markup, it stays text."""
    insights.publish(
        "2026-12", "month", K,
        [("demand", "dutch", "<img src=x onerror=alert(1)>", 12, {"no_nearby_pct": 50}),
         ("demand", ALL, ALL, 12, None)],
        suppressed=0,
    )  # fmt: skip
    partner = world.sign_in(PARTNER)
    page = partner.get("/desk/inzichten/rapport", params={"periode": "2026-12"}).text
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    data = re.search(r'type="application/json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data and "\\u003cimg" in data


def test_no_report_before_anything_is_published(world):
    world.store.add_user(PARTNER, "Gemeente Breda", "partner", hash_password(PASSWORD), [])
    partner = world.sign_in(PARTNER)
    assert partner.get("/desk/api/inzichten").json()["periods"] == []
    response = partner.get("/desk/inzichten/rapport")
    assert response.status_code == 404
    assert "nog geen cijfers" in response.json()["detail"]


# -- audit log and headers ------------------------------------------------------------------------


def test_reads_of_the_insights_are_in_the_audit_log(world, insights):
    partner = world.sign_in(PARTNER)
    partner.get("/desk/api/inzichten/overzicht", params={"gemeente": "Breda"})
    partner.get("/desk/inzichten/rapport")
    partner.get("/desk/api/inzichten/export.csv", params={"periode": LATEST})
    partner.get("/desk/api/inzichten/cellen")
    entries = [(e["username"], e["action"], e["target"]) for e in world.store.audit_entries()]
    for entry in (
        (PARTNER, "read insights dashboard", f"{LATEST} Breda"),
        (PARTNER, "read insights report", f"{LATEST} regio"),
        (PARTNER, "downloaded insights CSV", LATEST),
        (PARTNER, "read insight cells", "all all"),
    ):
        assert entry in entries, entries


def test_the_insights_keep_the_strict_security_headers(world, insights):
    policy = desk_app.SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-eval" not in policy and "unsafe-inline" not in policy
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "connect-src 'self';" in policy  # nothing is fetched from elsewhere
    partner = world.sign_in(PARTNER)
    for path in (*PAGES, *APIS, "/desk/vendor/vega-embed.min.js"):
        response = partner.get(path)
        assert response.status_code == 200, path
        for name, value in desk_app.SECURITY_HEADERS.items():
            if name == "Cache-Control" and path.startswith("/desk/vendor/"):
                continue
            assert response.headers[name] == value, (path, name)
    # The pages load no inline script or style: every script has a src (or is JSON data).
    for path in PAGES:
        page = partner.get(path).text
        assert " style=" not in page and "<style" not in page
        for script in re.findall(r"<script([^>]*)>", page):
            assert "src=" in script or 'type="application/json"' in script, script


def test_the_chart_libraries_are_served_from_the_desk(world):
    anonymous = TestClient(world.app)
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "vega-interpreter.js"):
        assert name in desk_app.VENDOR_FILES
        response = anonymous.get(f"/desk/vendor/{name}")
        if not (desk_app.VENDOR / name).is_file():
            pytest.skip("web/vendor is not built: make web-build")
        assert response.status_code == 200, name
    interpreter = anonymous.get("/desk/vendor/vega-interpreter.js").text
    assert "import " not in interpreter.split("\n", 1)[1][:200]  # a plain script
    assert "vega.expressionInterpreter" in interpreter


# -- the insights job in the sweeper --------------------------------------------------------------


def test_the_sweeper_runs_the_insights_job_and_survives_its_failure(world, monkeypatch, caplog):
    runs: list[object] = []

    class FakeJob:
        def __init__(self, config, store=None):
            self.store = store

        def run(self):
            runs.append(self.store)
            if len(runs) == 1:
                raise RuntimeError("secret details of the failure")
            return None

    monkeypatch.setattr("services.insights.job.InsightsJob", FakeJob)
    monkeypatch.setattr(desk_app, "SWEEP_SECONDS", 0.01)
    desks = world.desks()
    every = dataclasses.replace(desks.config, insights_every_minutes=0.001)
    monkeypatch.setattr(desks, "config", every)
    lazy = LazyInsights(desks.config.insights_database_url)

    async def run_for_a_while() -> None:
        task = asyncio.create_task(desk_app._sweeper(desks, lazy))
        for _ in range(300):
            await asyncio.sleep(0.01)
            if len(runs) >= 2:
                break
        task.cancel()

    with caplog.at_level(logging.INFO):
        asyncio.run(run_for_a_while())
    assert len(runs) >= 2  # it went on after the failure
    assert all(isinstance(store, InsightsStore) for store in runs)
    failures = [r.getMessage() for r in caplog.records if "Insights job failed" in r.getMessage()]
    assert failures == ["Insights job failed: RuntimeError"]
    assert "secret" not in caplog.text


def test_no_insights_job_when_it_is_off(world, monkeypatch):
    runs = []
    monkeypatch.setattr("services.desk.app.run_job", lambda *args: runs.append(args))
    monkeypatch.setattr(desk_app, "SWEEP_SECONDS", 0.01)
    desks = world.desks()
    assert desks.config.insights_every_minutes == 0

    async def run_for_a_while() -> None:
        task = asyncio.create_task(desk_app._sweeper(desks, LazyInsights("sqlite://")))
        await asyncio.sleep(0.2)
        task.cancel()

    asyncio.run(run_for_a_while())
    assert runs == []


def test_a_quarter_gets_a_quarter_report(world, insights):
    insights.publish("2026-Q4", "quarter", K, [("demand", ALL, ALL, 700, None)], suppressed=0)
    partner = world.sign_in(PARTNER)
    page = partner.get("/desk/inzichten/rapport", params={"periode": "2026-Q4"}).text
    assert "Kwartaalrapport oktober tot en met december 2026</h1>" in page
    assert "waren er in de hele regio 700 gesprekken waarin mensen een cursus zochten" in page
