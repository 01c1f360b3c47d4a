"""The task-success suite: every persona played against the whole stack (tests/personas/driver.py).

Writes docs/task-success.md with the figures and the failing transcripts, then holds the
figures to the floor in tests/personas/floor.yml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.personas.driver import REPORT, Assistant, render, run, summary

FLOOR = yaml.safe_load(Path(__file__).with_name("floor.yml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def outcomes(shared_stack):
    config = shared_stack.config
    assistant = Assistant(
        f"http://127.0.0.1:{config.rasa_port}",
        config.catalog_url,
        config.budget_url,
        config.rasa_auth_token,
    )
    found = run(assistant)
    REPORT.write_text(render(found, "make test"), encoding="utf-8")
    return found


def test_first_reply_success_is_at_least_the_floor(outcomes):
    assert summary(outcomes)["first_reply"] >= FLOOR["first_reply"], REPORT


def test_success_within_two_follow_ups_is_at_least_the_floor(outcomes):
    assert summary(outcomes)["within_two"] >= FLOOR["within_two"], REPORT


def test_every_language_reaches_the_floor_on_the_first_reply(outcomes):
    languages = summary(outcomes)["languages"]
    assert set(languages) == {"nl", "en", "ar", "tr", "uk", "pl"}
    low = {
        name: row["first_reply"]
        for name, row in languages.items()
        if row["first_reply"] < FLOOR["first_reply_per_language"]
    }
    assert not low, REPORT


def test_at_a_kiosk_the_openings_without_a_place_reach_the_floor(outcomes):
    kiosk = summary(outcomes)["at_kiosk"]
    assert kiosk["n"] > 0
    assert kiosk["first_reply"] >= FLOOR["first_reply_at_kiosk"], REPORT


def test_without_a_place_the_first_reply_already_says_where_help_is(outcomes):
    where = summary(outcomes)["says_where"]
    assert where["n"] > 0
    assert where["share"] >= FLOOR["says_where_before_the_place"], REPORT
