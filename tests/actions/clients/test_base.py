from datetime import timedelta

import pybreaker
import pytest
import requests
import responses

from actions.clients.base import ServiceClient, breaker_for, new_breaker
from actions.clients.budget import BudgetClient
from actions.clients.catalog import CatalogClient
from actions.clients.errors import ServiceUnavailable

BASE = "http://service.test"


def client_with_storage():
    """A client whose breaker state we can see and whose opening time we can move back."""
    storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
    return ServiceClient(BASE, timeout=0.5, breaker=new_breaker("test", storage)), storage


def wait_out(storage, seconds):
    """As if `seconds` had passed since the circuit opened (pybreaker's state storage)."""
    storage.opened_at -= timedelta(seconds=seconds)


@responses.activate
def test_an_open_circuit_fails_fast_then_tries_again_after_the_pause():
    client, storage = client_with_storage()
    failing = responses.get(f"{BASE}/x", status=503)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable, match="HTTP 503"):
            client.request_json("GET", "/x")
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        client.request_json("GET", "/x")
    assert failing.call_count == 3, "no call while the circuit is open"

    wait_out(storage, 29)
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        client.request_json("GET", "/x")
    assert failing.call_count == 3, "still no call before the pause is over"

    wait_out(storage, 2)
    responses.replace(responses.GET, f"{BASE}/x", json={"ok": True})
    assert client.request_json("GET", "/x") == {"ok": True}
    assert client.breaker.current_state == pybreaker.STATE_CLOSED
    assert client.breaker.fail_counter == 0


@responses.activate
def test_a_failed_trial_opens_the_circuit_again():
    client, storage = client_with_storage()
    down = responses.get(f"{BASE}/x", body=requests.ConnectionError("down"))
    for _ in range(3):
        with pytest.raises(ServiceUnavailable, match="ConnectionError"):
            client.request_json("GET", "/x")
    wait_out(storage, 31)
    with pytest.raises(ServiceUnavailable, match="ConnectionError"):
        client.request_json("GET", "/x")
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        client.request_json("GET", "/x")
    assert down.call_count == 4, "one trial call after the pause, then open again"


@pytest.mark.parametrize(
    "answer, missing_ok, error",
    [
        ({"json": {"ok": True}}, False, None),
        ({"status": 422, "json": {}}, False, "rejected with HTTP 422"),
        ({"status": 404}, False, "rejected with HTTP 404"),
        ({"status": 404}, True, None),
        ({"body": "not json"}, False, "invalid JSON"),
    ],
    ids=["answered", "rejected", "not-found", "missing-ok", "bad-body"],
)
@responses.activate
def test_what_does_not_count_against_the_service(answer, missing_ok, error):
    """Failures count only in a row; a 4xx means the request was wrong; a bad body is no outage."""
    client, _ = client_with_storage()
    responses.get(f"{BASE}/down", status=503)
    responses.get(f"{BASE}/x", **answer)
    for path in ("/down", "/down", "/x", "/down", "/down"):
        if path == "/x" and error is None:
            client.request_json("GET", path, missing_ok=missing_ok)
            continue
        with pytest.raises(ServiceUnavailable, match=error if path == "/x" else "HTTP 503"):
            client.request_json("GET", path, missing_ok=missing_ok)
    assert client.breaker.current_state == pybreaker.STATE_CLOSED
    assert client.breaker.fail_counter == 2


@responses.activate
def test_a_rejected_request_does_not_open_the_circuit():
    client, _ = client_with_storage()
    rejected = responses.get(f"{BASE}/x", status=422, json={})
    for _ in range(5):
        with pytest.raises(ServiceUnavailable, match="rejected"):
            client.request_json("GET", "/x")
    assert rejected.call_count == 5
    assert client.breaker.current_state == pybreaker.STATE_CLOSED


@responses.activate
def test_an_unexpected_error_is_not_held_against_the_service():
    """Only network errors and 5xx count: a bug on our side must not open the circuit."""
    client, _ = client_with_storage()
    responses.get(f"{BASE}/x", body=TypeError("our bug"))
    for _ in range(3):
        with pytest.raises(TypeError, match="our bug"):
            client.request_json("GET", "/x")
    assert client.breaker.current_state == pybreaker.STATE_CLOSED


def test_one_breaker_per_service_per_process():
    assert breaker_for("catalog") is breaker_for("catalog")
    assert breaker_for("catalog") is not breaker_for("budget")
    assert CatalogClient("http://catalog.test").breaker is breaker_for("catalog")
    assert BudgetClient("http://budget.test").breaker is breaker_for("budget")
    assert breaker_for("budget").fail_max == 3
    assert breaker_for("budget").reset_timeout == 30


@responses.activate
def test_an_open_circuit_is_shared_by_all_clients_of_the_service():
    failing = responses.post("http://budget.test/v1/eligibility", status=503)
    for _ in range(3):
        with pytest.raises(ServiceUnavailable, match="HTTP 503"):
            BudgetClient("http://budget.test").eligibility({})
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        BudgetClient("http://budget.test").eligibility({})
    assert failing.call_count == 3
    assert breaker_for("catalog").current_state == pybreaker.STATE_CLOSED


@responses.activate
def test_missing_is_none_when_allowed():
    responses.get(f"{BASE}/x", status=404)
    assert ServiceClient(BASE).request_json("GET", "/x", missing_ok=True) is None


@responses.activate
def test_a_request_answered_with_no_content_is_done():
    client, _ = client_with_storage()
    responses.post(f"{BASE}/done", status=204)
    assert client.request_json("POST", "/done", json={}) is None
    assert client.breaker.fail_counter == 0
