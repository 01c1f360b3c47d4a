"""Table-driven relevance (relevance_cases.yaml) on both stores."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from services.catalog.routers.common import DEFAULT_MAX_DISTANCE_KM
from services.catalog.vocabulary import vocabulary

CASES = yaml.safe_load(Path(__file__).with_name("relevance_cases.yaml").read_text())["cases"]


def _id(case: dict) -> str:
    return " ".join(part for part in (case.get("q"), urlencode(case.get("params", {}))) if part)


def _about(subjects: list[str]) -> set[str]:
    """The topics a course may be about to be on one of these subjects (with sub-topics)."""
    return {t for subject in subjects for t in vocabulary().topic_with_children(subject)}


def test_the_table_is_large_enough():
    assert len(CASES) >= 30
    assert sum(1 for c in CASES if c.get("in_person_first")) >= 10
    assert sum(1 for c in CASES if c.get("subject") or c.get("not_names")) >= 10


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_relevance(client, case):
    params = {**({"q": case["q"]} if "q" in case else {}), **case.get("params", {})}
    response = client.get("/v5/courses", params=params)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    if case.get("empty"):
        assert items == [], [i["name"][0]["value"] for i in items]
        return
    top = items[: case.get("top", 3)]
    assert top, f"no results for {params!r}"
    names = [i["name"][0]["value"] for i in top]
    for item in top:
        if "topics" in case:
            assert set(item["ext"]["topics"]) & set(case["topics"]), (names, item["ext"]["topics"])
        if "subject" in case:
            assert item["ext"]["topics"][0] in _about(case["subject"]), (
                names,
                item["ext"]["topics"],
            )
        for unwanted in case.get("not_names", []):
            assert unwanted.lower() not in item["name"][0]["value"].lower(), names
        offering = item["ext"]["nextOffering"]
        if case.get("free"):
            assert offering["cost"]["amount"] == 0
        if case.get("evening"):
            assert offering["timeOfDay"] in ("evening", "flexible")
        if case.get("in_person_first"):
            radius = float(case.get("params", {}).get("maxDistanceKm", DEFAULT_MAX_DISTANCE_KM))
            assert offering["municipality"] != "online", (names, offering["municipality"])
            assert offering["distanceKm"] <= radius, (names, offering["distanceKm"])
    if "places" in case:
        place = top[0]["ext"]["nextOffering"]["municipality"]
        assert place in case["places"], (names, place)
    if "name_has" in case:
        first = names[0].lower()
        assert any(word in first for word in case["name_has"]), names
