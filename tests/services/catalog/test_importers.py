"""Importers: OOAPI (against this service over real HTTP) and EDU-DEX (XML fixtures)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests

from services.catalog import render
from services.catalog.importers import FeedError, infer_topics
from services.catalog.importers.edudex import Provider, import_edudex
from services.catalog.importers.ooapi import _count as ooapi_count
from services.catalog.importers.ooapi import import_ooapi
from services.catalog.seed.generate import organizations
from services.catalog.store.queries import CourseQuery, OfferingQuery, PageRequest

FIXTURES = Path(__file__).with_name("fixtures") / "edudex"
REPO = Path(__file__).resolve().parents[3]


def all_courses(store):
    page = store.search_courses(CourseQuery(sort=("name",), page=PageRequest(size=250)))
    return {hit.course.primary_code: hit.course for hit in page.items}


@pytest.mark.parametrize("empty_store", ["sqlite", "postgresql"], indirect=True)
def test_ooapi_import_copies_this_service(live_server, seeded_store, empty_store):
    report = import_ooapi(f"{live_server.url}/v5", empty_store)
    assert report.bad == []
    source = seeded_store.counts()
    # Offerings are walked with the spec's default since=today, as the source serves them.
    assert empty_store.counts() == source
    copied, original = all_courses(empty_store), all_courses(seeded_store)
    assert copied.keys() == original.keys()
    for code, course in original.items():
        twin = copied[code]
        assert (twin.course_id, twin.name, twin.topics, twin.audiences, twin.level) == (
            course.course_id,
            course.name,
            course.topics,
            course.audiences,
            course.level,
        )
    again = import_ooapi(f"{live_server.url}/v5", empty_store)
    assert again.courses == report.courses and empty_store.counts() == source


def test_ooapi_import_keeps_the_sign_up_facts(live_server, empty_store):
    """OOAPI's offering link, enroll dates and student numbers reach nextOffering."""

    class WithSignUp(requests.Session):
        def get(self, url, params=None, **kwargs):
            response = super().get(url, params=params, **kwargs)
            if url.endswith("/offerings"):
                body = response.json()
                for item in body["items"]:
                    item.update(
                        {
                            "link": "https://example.org/aanmelden",
                            "enrollStartDate": "2026-01-05",
                            "maxNumberStudents": 12.0,
                            "enrolledNumberStudents": 5,
                        }
                    )
                response._content = json.dumps(body).encode()
            return response

    report = import_ooapi(f"{live_server.url}/v5", empty_store, session=WithSignUp())
    assert report.bad == [] and report.offerings > 0
    course = next(iter(all_courses(empty_store).values()))
    offering = empty_store.list_offerings(OfferingQuery(course_id=course.course_id)).items[0]
    assert offering.link == "https://example.org/aanmelden"
    assert offering.enroll_start_date == date(2026, 1, 5)
    assert offering.enroll_end_date is not None  # the source's enrollEndDate
    assert (offering.max_students, offering.enrolled_students, offering.places_left) == (12, 5, 7)
    facts = render.next_offering(offering, None)
    assert facts["link"] == "https://example.org/aanmelden"
    assert facts["enrollStartDate"] == "2026-01-05" and facts["placesLeft"] == 7


@pytest.mark.parametrize(
    ("raw", "expected"), [(12, 12), (12.0, 12), (0, 0), (True, None), (-1, None), ("5", None)]
)
def test_ooapi_student_numbers_are_read_only_when_they_are_counts(raw, expected):
    assert ooapi_count(raw) == expected
    assert ooapi_count(float("inf")) is None and ooapi_count(2.5) is None


def test_inferred_topics_put_the_subject_first():
    topics, audiences = infer_topics(
        "Computerles voor ouderen",
        "Werk met de computer, vraag hulp bij DigiD en zoek werk op internet.",
    )
    assert topics[0] == "digital"
    assert {"digital-government", "career"} <= set(topics)
    assert audiences == ("older-people",)
    # The name counts first, then how often a topic is named.
    assert infer_topics("Solliciteren", "Met de computer op internet, computer")[0][0] == "career"


class FailingOnPage(requests.Session):
    """Real HTTP, except that one page of one list fails: a feed broken half-way."""

    def __init__(self, path: str, page: int, status: int = 500) -> None:
        super().__init__()
        self.path, self.page, self.status = path, page, status

    def get(self, url, params=None, **kwargs):
        if url.endswith(self.path) and (params or {}).get("pageNumber") == self.page:
            response = requests.Response()
            response.status_code = self.status
            response.url = url
            return response
        return super().get(url, params=params, **kwargs)


def test_ooapi_broken_feed_leaves_the_catalog_unchanged(live_server, empty_store):
    import_edudex([FIXTURES / "single-program.xml"], empty_store, Provider("PT", "Example"))
    before = empty_store.counts()
    broken = FailingOnPage("/courses", page=1)
    with pytest.raises(FeedError, match="HTTP 500"):
        import_ooapi(f"{live_server.url}/v5", empty_store, session=broken)
    assert empty_store.counts() == before
    with pytest.raises(FeedError):
        import_ooapi(f"{live_server.url}/nothing-here", empty_store)
    with pytest.raises(FeedError):
        import_ooapi("http://127.0.0.1:9/v5", empty_store)
    assert empty_store.counts() == before


def test_ooapi_bad_records_are_reported_and_skipped(live_server, empty_store):
    class Corrupting(requests.Session):
        def get(self, url, params=None, **kwargs):
            response = super().get(url, params=params, **kwargs)
            if url.endswith("/courses") and params.get("pageNumber") == 1:
                body = response.json()
                body["items"][0].pop("primaryCode")
                body["items"][1]["organization"] = "00000000-0000-4000-8000-000000000000"
                response._content = requests.compat.json.dumps(body).encode()
            return response

    report = import_ooapi(f"{live_server.url}/v5", empty_store, session=Corrupting())
    reasons = sorted(bad.reason for bad in report.bad)
    assert reasons == ["no primaryCode", "organization missing or unknown"]
    assert report.courses == empty_store.counts()["courses"] > 100


@pytest.mark.parametrize("empty_store", ["sqlite", "postgresql"], indirect=True)
def test_edudex_import(empty_store):
    report = import_edudex(
        [FIXTURES / "programs.xml", FIXTURES / "single-program.xml"],
        empty_store,
        Provider("PT-TRAIN", "Voorbeeld Training Breda"),
    )
    assert report.courses == 4
    assert report.offerings == 5
    reasons = {bad.reason for bad in report.bad}
    assert reasons == {"no programClassification/programId", "endDate before startDate"}
    courses = all_courses(empty_store)
    excel = courses["PT-EXCEL-01"]
    assert excel.name == "Excel voor de administratie"
    assert "administration" in excel.topics and excel.study_load_hours == 12
    assert courses["PT-HEF-02"].level == "secondary vocational education 2"
    assert "logistics" in courses["PT-HEF-02"].topics
    assert courses["PT-SOL-03"].modes_of_delivery == ("online",)
    offerings = {
        o.primary_code: o
        for code in courses
        for o in empty_store.list_offerings(OfferingQuery(course_id=courses[code].course_id)).items
    }
    spring = offerings["PT-EXCEL-01-2027-VJ"]
    assert (spring.start_date.isoformat(), spring.end_date.isoformat()) == (
        "2027-04-06",
        "2027-04-20",
    )
    assert spring.cost_cents == 32000 and spring.time_of_day == "evening"
    assert spring.address.municipality_code == "GM0758" and spring.schedule == "dinsdag 19:00-21:30"
    assert offerings["PT-EXCEL-01-2027-NJ"].address.municipality_code == "GM0777"
    assert offerings["PT-SOL-03-DOORLOPEND"].mode == "online"
    again = import_edudex([FIXTURES / "programs.xml"], empty_store, Provider("PT-TRAIN"))
    assert again.courses == 3 and empty_store.counts()["courses"] == 4


def test_edudex_broken_file_leaves_the_catalog_unchanged(empty_store):
    provider = Provider("PT-TRAIN", "Voorbeeld Training Breda")
    import_edudex([FIXTURES / "single-program.xml"], empty_store, provider)
    before = empty_store.counts()
    with pytest.raises(FeedError, match="not well-formed"):
        import_edudex([FIXTURES / "programs.xml", FIXTURES / "broken.xml"], empty_store, provider)
    assert empty_store.counts() == before
    with pytest.raises(FeedError, match="not in the catalog"):
        import_edudex([FIXTURES / "programs.xml"], empty_store, Provider("UNKNOWN"))
    with pytest.raises(FeedError, match="no such file"):
        import_edudex([FIXTURES / "missing.xml"], empty_store, provider)


def test_edudex_into_an_existing_provider(seeded_store):
    report = import_edudex([FIXTURES / "single-program.xml"], seeded_store, Provider("CURIO"))
    curio = next(o for o in organizations() if o.primary_code == "CURIO")
    assert report.courses == 1
    assert all_courses(seeded_store)["PT-BOEK-04"].organization_id == curio.organization_id


def test_cli(tmp_path):
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    run = [sys.executable, "-m", "services.catalog", "--database", database]
    ok = subprocess.run(
        [
            *run,
            "import-edudex",
            str(FIXTURES / "programs.xml"),
            "--provider",
            "PT",
            "--provider-name",
            "Voorbeeld",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "3 courses" in ok.stdout and "skipped" in ok.stdout
    broken = subprocess.run(
        [*run, "import-edudex", str(FIXTURES / "broken.xml"), "--provider", "PT"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert broken.returncode == 1 and "catalog unchanged" in broken.stderr
    stats = subprocess.run([*run, "stats"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert '"courses": 3' in stats.stdout
