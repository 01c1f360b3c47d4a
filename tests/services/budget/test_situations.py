"""Situation tests (situations.yaml): a profile and the status every scheme must get."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from services.budget.profile import Goal, Situation

from .conftest import SITUATION_DAY

SITUATIONS = yaml.safe_load((Path(__file__).parent / "situations.yaml").read_text("utf-8"))


def expected_statuses(situation: dict, scheme_ids: set[str]) -> dict[str, str]:
    expected = dict(situation["expected"])
    others = expected.pop("others", None)
    unknown = set(expected) - scheme_ids
    assert not unknown, f"situation names unknown schemes: {sorted(unknown)}"
    missing = scheme_ids - set(expected)
    assert others or not missing, f"no status for {sorted(missing)} and no 'others'"
    return {scheme_id: expected.get(scheme_id, others) for scheme_id in scheme_ids}


@pytest.mark.parametrize("situation", SITUATIONS, ids=[s["name"] for s in SITUATIONS])
def test_situation(situation, client, scheme_ids):
    day = situation.get("date", SITUATION_DAY)
    response = client.post(
        "/v1/eligibility", params={"date": day.isoformat()}, json=situation["profile"]
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    got = {result["scheme_id"]: result["status"] for result in results}
    assert len(results) == len(got) == len(scheme_ids)
    assert got == expected_statuses(situation, scheme_ids)


def test_there_are_at_least_40_situations():
    assert len(SITUATIONS) >= 40
    assert len({s["name"] for s in SITUATIONS}) == len(SITUATIONS)


def test_situations_cover_the_boundaries_values_and_spellings():
    profiles = [s["profile"] for s in SITUATIONS]
    ages = {p.get("age") for p in profiles}
    assert {17, 18, 56, 57} <= ages
    assert {p.get("situation") for p in profiles} >= {s.value for s in Situation}
    assert {p.get("goal") for p in profiles} >= {g.value for g in Goal}
    municipalities = {p.get("municipality") for p in profiles}
    assert {"Etten-Leur", "etten leur", "GM0777"} <= municipalities
    assert {"Tilburg", "Atlantis", None} <= municipalities  # outside, unrecognised, missing
    known = {"age", "municipality", "situation", "integration_obligation", "goal"}
    assert any(set(p) - known for p in profiles), "no situation with unknown fields"
    assert any(isinstance(s.get("date"), date) for s in SITUATIONS), "no dated situation"
