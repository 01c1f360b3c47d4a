"""The task-success suite: every persona played against the whole stack (tests/personas/driver.py).

Writes the report with the figures and the failing transcripts (var/test-artifacts/, or
docs/task-success.md under `make task-success`), then holds the figures to the floor in
tests/personas/floor.yml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.personas.driver import summary

FLOOR = yaml.safe_load(Path(__file__).with_name("floor.yml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.stack


def test_first_reply_success_is_at_least_the_floor(outcomes, report):
    assert summary(outcomes)["first_reply"] >= FLOOR["first_reply"], report


def test_success_within_two_follow_ups_is_at_least_the_floor(outcomes, report):
    assert summary(outcomes)["within_two"] >= FLOOR["within_two"], report


def test_every_language_reaches_the_floor_on_the_first_reply(outcomes, report):
    languages = summary(outcomes)["languages"]
    assert set(languages) == {"nl", "en", "ar", "tr", "uk", "pl"}
    low = {
        name: row["first_reply"]
        for name, row in languages.items()
        if row["first_reply"] < FLOOR["first_reply_per_language"]
    }
    assert not low, report


def test_at_a_kiosk_the_openings_without_a_place_reach_the_floor(outcomes, report):
    kiosk = summary(outcomes)["at_kiosk"]
    assert kiosk["n"] > 0
    assert kiosk["first_reply"] >= FLOOR["first_reply_at_kiosk"], report


def test_without_a_place_the_first_reply_already_says_where_help_is(outcomes, report):
    where = summary(outcomes)["says_where"]
    assert where["n"] > 0
    assert where["share"] >= FLOOR["says_where_before_the_place"], report
