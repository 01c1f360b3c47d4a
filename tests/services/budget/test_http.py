"""The service over real HTTP, started the way the launcher starts it (uvicorn, own process)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def base_url():
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--ws", "none", "services.budget.app:app",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"budget service exited: {process.stdout.read()}")
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("budget service did not become healthy within 30 s")
        yield url
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_health_over_http(base_url):
    body = requests.get(f"{base_url}/health", timeout=5).json()
    assert body["status"] == "ok" and body["schemes"] >= 11


def test_eligibility_over_http(base_url):
    profile = {
        "age": 61,
        "municipality": "etten leur",
        "situation": "employed",
        "goal": "vocational",
    }
    response = requests.post(f"{base_url}/v1/eligibility", json=profile, timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    status = {r["scheme_id"]: r["status"] for r in response.json()["results"]}
    assert status["stap-budget"] == "closed"
    assert status["brabant-leert-jtf"] == "maybe"
    assert status["levenlanglerenkrediet"] == "not_eligible"


def test_bad_input_over_http_is_422(base_url):
    response = requests.post(f"{base_url}/v1/eligibility", json={"age": -3}, timeout=5)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "age"


def test_one_megabyte_over_http_is_422_and_the_server_lives_on(base_url):
    big = b'{"municipality": "' + b"a" * 1_048_576 + b'"}'
    response = requests.post(
        f"{base_url}/v1/eligibility",
        data=big,
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "municipality"
    assert requests.get(f"{base_url}/health", timeout=5).status_code == 200


def test_a_chunked_body_without_length_is_limited_too(base_url):
    def chunks():
        yield b'{"goal": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    response = requests.post(
        f"{base_url}/v1/eligibility",
        data=chunks(),
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "goal"
