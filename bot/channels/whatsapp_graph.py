"""Client for the WhatsApp Cloud API's send endpoint (`POST /{phone-number-id}/messages`).

`requests` is blocking, so each call runs in a worker thread; the event loop that serves
Rasa keeps going. `tenacity` retries with exponential backoff (and jitter) on 429, 5xx and
failed connections, a bounded number of times. A read timeout is not retried: WhatsApp may
have accepted the message, and a citizen should not get the same answer twice; nor is any
other refusal (4xx) or request error.
Logs status and Graph error codes only, never a message text or a phone number.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import requests
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://graph.facebook.com/v21.0"
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 4
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0


class GraphClient:
    def __init__(
        self,
        base_url: str,
        phone_number_id: str,
        access_token: str,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_seconds: float = BACKOFF_SECONDS,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.url = f"{(base_url or DEFAULT_API_BASE_URL).rstrip('/')}/{phone_number_id}/messages"
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.timeout = timeout
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {access_token}", "Content-Type": "application/json"}
        )

    async def send(self, to: str, message: dict) -> bool:
        """Send one message object (without `to`); True when WhatsApp accepted it."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        body.update(message)
        kind = message.get("interactive", {}).get("type") or message.get("type")

        def retry_in(state: RetryCallState) -> None:
            logger.warning(
                "WhatsApp send (%s): %s; try %d of %d in %.2f s",
                kind,
                _reason(state),
                state.attempt_number + 1,
                self.max_attempts,
                state.upcoming_sleep,
            )

        def give_up(state: RetryCallState) -> None:
            logger.error(
                "WhatsApp send (%s) gave up after %d tries: %s",
                kind,
                state.attempt_number,
                _reason(state),
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(requests.ConnectionError) | retry_if_result(_overloaded),
            stop=stop_after_attempt(self.max_attempts),
            wait=_ExponentialWithJitter(multiplier=self.backoff_seconds, max=MAX_BACKOFF_SECONDS),
            sleep=self.sleep,
            before_sleep=retry_in,
            retry_error_callback=give_up,
        )
        try:
            response = await retrying(asyncio.to_thread, self._post, body)
        except requests.Timeout:  # a read timeout (a connect timeout is a ConnectionError)
            logger.error("WhatsApp send (%s): no answer in time; not retried", kind)
            return False
        except requests.RequestException as exc:
            logger.error("WhatsApp send (%s) failed: %s", kind, type(exc).__name__)
            return False
        if response is None:  # gave up
            return False
        if not response.ok:
            logger.error("WhatsApp send (%s) refused: %s", kind, _describe(response))
            return False
        return True

    def _post(self, body: dict) -> requests.Response:
        return self.session.post(self.url, json=body, timeout=self.timeout)

    def close(self) -> None:
        self.session.close()


class _ExponentialWithJitter(wait_exponential):
    """Exponential backoff plus up to a quarter more at random, so clients do not retry in step."""

    def __call__(self, retry_state: RetryCallState) -> float:
        delay = super().__call__(retry_state)
        return delay + random.uniform(0, delay / 4)  # noqa: S311 - jitter, not cryptography


def _overloaded(response: requests.Response) -> bool:
    """429 and 5xx are worth another try; any other answer is final."""
    return response.status_code == 429 or response.status_code >= 500


def _reason(state: RetryCallState) -> str:
    outcome = state.outcome
    return "connection failed" if outcome.failed else _describe(outcome.result())


def _describe(response: requests.Response) -> str:
    return f"HTTP {response.status_code}{_graph_error(response)}"


def _graph_error(response: requests.Response) -> str:
    """The Graph error code and subcode (their messages may quote user data: not logged)."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return ""
    codes = [str(error[key]) for key in ("code", "error_subcode") if error.get(key)]
    return f", Graph error {'/'.join(codes)}" if codes else ""
