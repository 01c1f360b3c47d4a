from fastapi.testclient import TestClient

from services.catalog.app import app

client = TestClient(app)


def test_health():
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_courses_filter_on_topic_and_municipality_with_online_everywhere():
    body = client.get("/v5/courses", params={"topic": "digital", "municipality": "Breda"}).json()
    places = {c["ext"]["nextOffering"]["municipality"] for c in body["items"]}
    assert places == {"Breda", "online"}
    assert all("digital" in c["ext"]["topics"] for c in body["items"])
    assert body["pageNumber"] == 1 and body["hasPreviousPage"] is False


def test_courses_in_a_place_without_offer_only_online():
    body = client.get("/v5/courses", params={"topic": "digital", "municipality": "Zundert"}).json()
    assert {c["ext"]["nextOffering"]["municipality"] for c in body["items"]} == {"online"}
