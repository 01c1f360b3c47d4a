"""What every service client shares: timeouts, error mapping and a circuit breaker (pybreaker)."""

from __future__ import annotations

from typing import Any

import pybreaker
import requests

from actions.clients.errors import ServiceUnavailable
from bot.settings import settings

FAILURES_TO_OPEN = 3
PAUSE_SECONDS = 30.0


def new_breaker(
    service: str, storage: pybreaker.CircuitBreakerStorage | None = None
) -> pybreaker.CircuitBreaker:
    """Stop calling a service that keeps failing; try again after a pause.

    After 3 failures in a row the circuit opens: calls fail at once, without waiting for a
    timeout, for 30 seconds. Then one call may try again; success closes the circuit, failure
    opens it for another pause. Only a ServiceUnavailable raised by `ServiceClient._send` (a
    network error or a 5xx) is a failure; whatever else the call raises is not held against the
    service. `storage` (pybreaker's state storage) lets tests move the opening time back.
    """
    return pybreaker.CircuitBreaker(
        fail_max=FAILURES_TO_OPEN,
        reset_timeout=PAUSE_SECONDS,
        exclude=[lambda exc: not isinstance(exc, ServiceUnavailable)],
        state_storage=storage,
        name=service,
        throw_new_error_on_trip=False,  # the call that opens the circuit keeps its own error
    )


_breakers: dict[str, pybreaker.CircuitBreaker] = {}


def breaker_for(service: str) -> pybreaker.CircuitBreaker:
    """The one breaker of this service in this process."""
    if service not in _breakers:
        _breakers[service] = new_breaker(service)
    return _breakers[service]


class ServiceClient:
    """Base for one HTTP service: GET/POST JSON with a timeout, failures as ServiceUnavailable."""

    service = "service"

    def __init__(
        self,
        base_url: str,
        timeout: float | None = None,
        session: requests.Session | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout if timeout is not None else settings().service_timeout_seconds
        self.session = session or requests.Session()
        self.breaker = breaker or new_breaker(self.service)

    def request_json(
        self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> Any:
        """The JSON body; None for 204, and for 404 when `missing_ok`; ServiceUnavailable on any
        failure."""
        try:
            response = self.breaker.call(self._send, method, path, **kwargs)
        except pybreaker.CircuitBreakerError as exc:
            raise ServiceUnavailable(self.service, "circuit open") from exc
        if response.status_code == 404 and missing_ok:
            return None
        # A 4xx means this request was wrong, not that the service is unwell: not a failure.
        if response.status_code >= 400:
            raise ServiceUnavailable(self.service, f"rejected with HTTP {response.status_code}")
        if response.status_code == 204:
            return None  # done, nothing to say
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceUnavailable(self.service, "invalid JSON") from exc

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One request; a network error or a 5xx raises what the breaker counts as a failure."""
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ServiceUnavailable(self.service, type(exc).__name__) from exc
        if response.status_code >= 500:
            raise ServiceUnavailable(self.service, f"HTTP {response.status_code}")
        return response
