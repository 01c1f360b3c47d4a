"""Client for the course-catalog service (Open Education API v5 plus Leerwijzer `ext`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from actions.clients.errors import ServiceUnavailable
from bot.settings import settings

SERVICE = "catalog"


def _dutch_text(values: list[dict[str, str]] | None) -> str:
    """Pick the Dutch value of an OOAPI LanguageTypedString list, else the first one."""
    if not values:
        return ""
    for item in values:
        if item.get("language", "").lower().startswith("nl"):
            return item.get("value", "")
    return values[0].get("value", "")


@dataclass(frozen=True)
class CourseSummary:
    course_id: str
    name: str
    place: str
    start_date: str | None
    schedule: str | None
    cost_eur: float | None
    provider: str | None

    @classmethod
    def from_ooapi(cls, course: dict[str, Any]) -> CourseSummary:
        ext = course.get("ext") or {}
        offering = ext.get("nextOffering") or {}
        cost = (offering.get("cost") or {}).get("amount")
        return cls(
            course_id=str(course.get("courseId", "")),
            name=_dutch_text(course.get("name")),
            place=offering.get("municipality") or "",
            start_date=offering.get("startDate"),
            schedule=offering.get("schedule"),
            cost_eur=float(cost) if cost is not None else None,
            provider=ext.get("organizationName"),
        )


class CatalogClient:
    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        config = settings()
        self.base_url = (base_url or config.catalog_url).rstrip("/")
        self.timeout = timeout if timeout is not None else config.service_timeout_seconds
        self.session = session or requests.Session()

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.session.get(
                f"{self.base_url}{path}", params=params, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ServiceUnavailable(SERVICE, type(exc).__name__) from exc
        if response.status_code >= 500:
            raise ServiceUnavailable(SERVICE, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ServiceUnavailable(SERVICE, f"rejected with HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceUnavailable(SERVICE, "invalid JSON") from exc

    def search_courses(
        self,
        query: str | None = None,
        *,
        topic: str | None = None,
        municipality: str | None = None,
        page_size: int = 10,
    ) -> list[CourseSummary]:
        params: dict[str, Any] = {"pageSize": page_size}
        if query:
            params["q"] = query
        if topic:
            params["topic"] = topic
        if municipality:
            params["municipality"] = municipality
        body = self._get("/courses", params)
        return [CourseSummary.from_ooapi(item) for item in body.get("items", [])]
