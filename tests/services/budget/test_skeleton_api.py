from fastapi.testclient import TestClient

from services.budget.app import app

client = TestClient(app)


def test_health():
    assert client.get("/health").json()["status"] == "ok"


def test_schemes_carry_sources_and_check_dates():
    schemes = client.get("/v1/schemes").json()["schemes"]
    stap = next(s for s in schemes if s["id"] == "stap-budget")
    assert stap["status"] == "closed"
    assert stap["source_urls"] and stap["checked_on"]
