"""Client for the budget service: which schemes fit a profile (POST /v1/eligibility)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pybreaker
import requests

from actions.clients.base import ServiceClient, breaker_for
from actions.clients.errors import ServiceUnavailable
from bot.settings import settings

SERVICE = "budget"
PROFILE_FIELDS = (
    "age",
    "municipality",
    "situation",
    "integration_obligation",
    "goal",
    "low_income",
)
# Sent besides the profile: no age given, but an adult (the service answers what holds at every
# adult age, or says that the age is missing).
SENT_FIELDS = (*PROFILE_FIELDS, "adult")


@dataclass(frozen=True)
class SchemeResult:
    scheme_id: str
    name: str
    status: str
    reasons: list[str]
    next_step: str
    amount: str | None
    apply_url: str | None
    source_urls: list[str]
    missing: tuple[str, ...] = ()  # profile fields that would decide a "maybe"
    cost_to_you: str = ""  # free, employer, subsidy, discount, loan or own_cost; "" unknown

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> SchemeResult:
        return cls(
            scheme_id=item.get("scheme_id", ""),
            name=item.get("name", ""),
            status=item.get("status", ""),
            reasons=list(item.get("reasons") or []),
            next_step=item.get("next_step", ""),
            amount=item.get("amount"),
            apply_url=item.get("apply_url"),
            source_urls=list(item.get("source_urls") or []),
            missing=tuple(str(m) for m in item.get("missing") or () if m in PROFILE_FIELDS),
            cost_to_you=str(item.get("cost_to_you") or ""),
        )


class BudgetClient(ServiceClient):
    service = SERVICE

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        super().__init__(
            base_url or settings().budget_url, timeout, session, breaker or breaker_for(SERVICE)
        )

    def eligibility(self, profile: dict[str, Any]) -> list[SchemeResult]:
        """Every scheme with its status for this profile, best first; unknown fields dropped."""
        body = {key: value for key, value in profile.items() if key in SENT_FIELDS}
        body = {key: value for key, value in body.items() if value is not None}
        answer = self.request_json("POST", "/v1/eligibility", json=body)
        try:
            return [SchemeResult.from_json(item) for item in answer["results"]]
        except (KeyError, TypeError) as exc:
            raise ServiceUnavailable(SERVICE, "unexpected answer") from exc
