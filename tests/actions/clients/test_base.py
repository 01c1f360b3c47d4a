import pytest
import requests
import responses

from actions.clients.base import CircuitBreaker, ServiceClient
from actions.clients.errors import ServiceUnavailable

BASE = "http://service.test"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@responses.activate
def test_an_open_circuit_fails_fast_then_tries_again_after_the_pause():
    clock = Clock()
    client = ServiceClient(BASE, timeout=0.5, breaker=CircuitBreaker(3, 30.0, clock))
    failing = responses.get(f"{BASE}/x", status=503)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable, match="HTTP 503"):
            client.request_json("GET", "/x")
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        client.request_json("GET", "/x")
    assert failing.call_count == 3, "no call while the circuit is open"

    clock.now = 31.0
    responses.replace(responses.GET, f"{BASE}/x", json={"ok": True})
    assert client.request_json("GET", "/x") == {"ok": True}
    assert client.breaker.opened_at is None


@responses.activate
def test_a_failed_trial_opens_the_circuit_again():
    clock = Clock()
    client = ServiceClient(BASE, breaker=CircuitBreaker(1, 10.0, clock))
    responses.get(f"{BASE}/x", body=requests.ConnectionError("down"))
    with pytest.raises(ServiceUnavailable):
        client.request_json("GET", "/x")
    clock.now = 11.0
    with pytest.raises(ServiceUnavailable, match="ConnectionError"):
        client.request_json("GET", "/x")
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        client.request_json("GET", "/x")


@responses.activate
def test_a_rejected_request_does_not_count_against_the_service():
    client = ServiceClient(BASE, breaker=CircuitBreaker(1, 10.0, Clock()))
    responses.get(f"{BASE}/x", status=422, json={})
    for _ in range(3):
        with pytest.raises(ServiceUnavailable, match="rejected"):
            client.request_json("GET", "/x")
    assert client.breaker.opened_at is None


@responses.activate
def test_missing_is_none_when_allowed():
    responses.get(f"{BASE}/x", status=404)
    assert ServiceClient(BASE).request_json("GET", "/x", missing_ok=True) is None
