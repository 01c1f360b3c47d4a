"""What every service client shares: timeouts, error mapping and a circuit breaker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from actions.clients.errors import ServiceUnavailable
from bot.settings import settings


class CircuitBreaker:
    """Stop calling a service that keeps failing; try again after a pause.

    After `threshold` failures in a row the circuit opens: calls fail at once, without
    waiting for a timeout, for `pause` seconds. Then one call may try again; success closes
    the circuit, failure opens it for another pause. One breaker per service per process.
    """

    def __init__(
        self, threshold: int = 3, pause: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.pause = pause
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self.opened_at is None:
                return True
            if self.clock() - self.opened_at >= self.pause:
                self.opened_at = self.clock()  # one trial call; others wait another pause
                return True
            return False

    def record(self, success: bool) -> None:
        with self._lock:
            if success:
                self.failures, self.opened_at = 0, None
                return
            self.failures += 1
            if self.failures >= self.threshold:
                self.opened_at = self.clock()


_breakers: dict[str, CircuitBreaker] = {}


def breaker_for(service: str) -> CircuitBreaker:
    return _breakers.setdefault(service, CircuitBreaker())


class ServiceClient:
    """Base for one HTTP service: GET/POST JSON with a timeout, failures as ServiceUnavailable."""

    service = "service"

    def __init__(
        self,
        base_url: str,
        timeout: float | None = None,
        session: requests.Session | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout if timeout is not None else settings().service_timeout_seconds
        self.session = session or requests.Session()
        self.breaker = breaker or CircuitBreaker()

    def request_json(
        self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> Any:
        """The JSON body; None for 404 when `missing_ok`; ServiceUnavailable on any failure."""
        if not self.breaker.allow():
            raise ServiceUnavailable(self.service, "circuit open")
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            self.breaker.record(success=False)
            raise ServiceUnavailable(self.service, type(exc).__name__) from exc
        if response.status_code == 404 and missing_ok:
            self.breaker.record(success=True)
            return None
        if response.status_code >= 500:
            self.breaker.record(success=False)
            raise ServiceUnavailable(self.service, f"HTTP {response.status_code}")
        # A 4xx means this request was wrong, not that the service is unwell.
        self.breaker.record(success=True)
        if response.status_code >= 400:
            raise ServiceUnavailable(self.service, f"rejected with HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceUnavailable(self.service, "invalid JSON") from exc
