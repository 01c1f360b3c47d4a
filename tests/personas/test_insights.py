"""The persona conversations, counted: the stack's own desk turns them into anonymous facts and
publishes them (docs/insights.md), and a partner finds them in the right cells of the
dashboard's data and of the CSV.

The test stacks run the desk's job every 6 s, count a conversation as finished after 30 s
quiet and publish cells of at least 3 conversations (tests/support/stack.py), so that this
runs in minutes instead of the 15 minutes, 60 minutes and k = 10 of `make run`.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections import Counter
from datetime import date

import pytest
import requests

from services.desk.accounts import hash_password
from services.desk.store import DeskStore
from services.insights.store import week_of
from services.insights.suppression import period_of
from tests.support.stack import Citizen

pytestmark = pytest.mark.stack

PASSWORD = "een lang wachtwoord voor de partner"
SEARCH = "Ik zoek een computercursus in Zundert"
SEARCHES = 6


class Partner:
    """A partner's browser, as far as the desk's insights API goes."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.get(f"{base}/desk/login", timeout=10)
        token = self.http.cookies.get("desk_csrf", path="/desk") or ""
        answer = self.http.post(
            f"{base}/desk/api/login",
            json={"username": username, "password": PASSWORD},
            headers={"X-CSRF-Token": token},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text

    def cells(self, period: str) -> list[dict]:
        answer = self.http.get(
            f"{self.base}/desk/api/inzichten/cellen", params={"periode": period}, timeout=10
        )
        return answer.json()["cells"] if answer.status_code == 200 else []

    def get(self, path: str, **params: str) -> requests.Response:
        return self.http.get(f"{self.base}{path}", params=params, timeout=20)


def cell(cells: list[dict], view: str, row: str, col: str) -> int:
    found = [c for c in cells if (c["view"], c["row"], c["col"]) == (view, row, col)]
    return found[0]["conversations"] if found else 0


@pytest.fixture(scope="module")
def published(outcomes, shared_stack):
    """Six more searches for computer lessons in Zundert, then the cells once the desk has
    published them (at most two minutes)."""
    config = shared_stack.config
    for _ in range(SEARCHES):
        Citizen(shared_stack).say(SEARCH)
    username = f"partner-{uuid.uuid4().hex[:6]}"
    DeskStore(config.desk_database_url).add_user(
        username, "Partner", "partner", hash_password(PASSWORD), []
    )
    partner = Partner(config.desk_url, username)
    period = period_of(week_of(date.today()), config.insights_grain)
    deadline = time.monotonic() + 120
    cells: list[dict] = []
    while time.monotonic() < deadline:
        cells = partner.cells(period)
        if cell(cells, "demand", "digital", "Zundert") >= SEARCHES:
            break
        time.sleep(3)
    return partner, period, cells


def test_the_searches_are_in_their_subject_and_municipality(published):
    _partner, _period, cells = published
    assert cell(cells, "demand", "digital", "Zundert") >= SEARCHES
    assert cell(cells, "demand", "digital", "*") >= SEARCHES
    assert cell(cells, "channel", "*", "rest") >= SEARCHES


def test_every_language_counts_at_least_its_personas(outcomes, published):
    _partner, _period, cells = published
    spoken = Counter(o.persona.language for o in outcomes if o.within_two)
    counted = {lang: cell(cells, "language", "*", lang) for lang in spoken if spoken[lang] >= 3}
    assert counted and all(counted[lang] >= spoken[lang] for lang in counted), (counted, spoken)


def test_the_course_personas_are_in_the_demand(outcomes, published):
    _partner, _period, cells = published
    courses = sum(1 for o in outcomes if o.within_two and o.persona.destination["kind"] == "course")
    assert courses > 0
    assert cell(cells, "demand", "*", "*") >= courses + SEARCHES


def test_nothing_below_k_and_the_csv_holds_the_same_cells(shared_stack, published):
    partner, period, cells = published
    k = shared_stack.config.insights_k
    assert cells and min(c["conversations"] for c in cells) >= k
    answer = partner.get("/desk/api/inzichten/export.csv", periode=period)
    assert answer.status_code == 200 and "text/csv" in answer.headers["content-type"]
    rows = list(csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert {(r["onderdeel"], r["rij"], r["kolom"], int(r["gesprekken"])) for r in rows} == {
        (c["view"], c["row"], c["col"], c["conversations"]) for c in cells
    }


def test_the_monthly_report_names_the_municipality(published):
    partner, period, _cells = published
    answer = partner.get("/desk/inzichten/rapport", periode=period, gemeente="Zundert")
    assert answer.status_code == 200
    assert "Zundert" in answer.text
