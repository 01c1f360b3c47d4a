"""Table-driven relevance (relevance_cases.yaml) on both stores."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load(Path(__file__).with_name("relevance_cases.yaml").read_text())["cases"]


def test_the_table_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c["q"] for c in CASES])
def test_relevance(client, case):
    params = {"q": case["q"], **case.get("params", {})}
    response = client.get("/v5/courses", params=params)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    if case.get("empty"):
        assert items == [], [i["name"][0]["value"] for i in items]
        return
    top = items[: case.get("top", 3)]
    assert top, f"no results for {case['q']!r}"
    names = [i["name"][0]["value"] for i in top]
    for item in top:
        if "topics" in case:
            assert set(item["ext"]["topics"]) & set(case["topics"]), (names, item["ext"]["topics"])
        offering = item["ext"]["nextOffering"]
        if case.get("free"):
            assert offering["cost"]["amount"] == 0
        if case.get("evening"):
            assert offering["timeOfDay"] in ("evening", "flexible")
    if "places" in case:
        place = top[0]["ext"]["nextOffering"]["municipality"]
        assert place in case["places"], (names, place)
    if "name_has" in case:
        first = names[0].lower()
        assert any(word in first for word in case["name_has"]), names
