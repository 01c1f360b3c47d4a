"""Walking-skeleton catalog service: health and a course search on a tiny example catalog.

The catalog issue replaces the in-memory list with a real store, the full OOAPI v5
read side and forgiving search; the response shape of `/v5/courses` stays the same.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query

SEED_FILE = Path(__file__).with_name("seed_skeleton.json")
PAGE_SIZES = (10, 20, 50, 100, 250)

app = FastAPI(
    title="Leerwijzer catalog",
    version="0.1.0",
    description="Courses for adults in West-Brabant, served as Open Education API v5.",
)


@lru_cache(maxsize=1)
def _courses() -> list[dict]:
    return json.loads(SEED_FILE.read_text(encoding="utf-8"))["courses"]


def _matches(course: dict, words: list[str], topic: str | None, municipality: str | None) -> bool:
    text = " ".join([course["name"][0]["value"], course["description"][0]["value"]]).lower()
    if any(word not in text for word in words):
        return False
    if topic and topic not in course["ext"]["topics"]:
        return False
    if municipality:
        place = course["ext"]["nextOffering"]["municipality"].lower()
        return place in (municipality.lower(), "online")
    return True


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "courses": len(_courses())}


@app.get("/v5/courses")
def list_courses(
    q: Annotated[str | None, Query(max_length=10_000)] = None,
    topic: Annotated[str | None, Query(max_length=100)] = None,
    municipality: Annotated[str | None, Query(max_length=100)] = None,
    pageSize: Annotated[int, Query()] = 10,  # noqa: N803 - OOAPI parameter name
    pageNumber: Annotated[int, Query(ge=1)] = 1,  # noqa: N803
) -> dict:
    size = pageSize if pageSize in PAGE_SIZES else 10
    words = [w for w in (q or "").lower().split() if len(w) > 2]
    found = [c for c in _courses() if _matches(c, words, topic, municipality)]
    start = (pageNumber - 1) * size
    total_pages = max(1, -(-len(found) // size))
    return {
        "pageSize": size,
        "pageNumber": pageNumber,
        "hasPreviousPage": pageNumber > 1,
        "hasNextPage": pageNumber < total_pages,
        "totalPages": total_pages,
        "items": found[start : start + size],
    }
