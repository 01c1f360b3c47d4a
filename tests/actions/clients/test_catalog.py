import pytest
import requests
import responses

from actions.clients import ServiceUnavailable
from actions.clients.catalog import CatalogClient, CourseSearch, Organization

BASE = "http://catalog.test/v5"


def ooapi_course(name="Klik & Tik", municipality="Breda", cost=0):
    return {
        "courseId": "b17540f4-52f5-57cd-88f3-3e2194617b66",
        "name": [{"language": "en-GB", "value": "Click"}, {"language": "nl-NL", "value": name}],
        "ext": {
            "organizationName": "Bibliotheek Breda",
            "nextOffering": {
                "startDate": "2027-01-12",
                "municipality": municipality,
                "schedule": "dinsdag 10:00-12:00",
                "cost": {"amount": cost, "currency": "EUR"},
            },
        },
    }


@responses.activate
def test_search_sends_ooapi_parameters_and_reads_the_dutch_name():
    responses.get(
        f"{BASE}/courses",
        json={"items": [ooapi_course()], "pageNumber": 1},
        match=[
            responses.matchers.query_param_matcher(
                {"pageSize": "10", "pageNumber": "1", "topic": "digital", "municipality": "Breda"}
            )
        ],
    )
    [course] = CatalogClient(BASE).search_courses(topic="digital", municipality="Breda")
    assert course.name == "Klik & Tik"
    assert course.place == "Breda"
    assert course.start_date == "2027-01-12"
    assert course.cost_eur == 0.0
    assert course.provider == "Bibliotheek Breda"


@responses.activate
def test_missing_ext_gives_empty_fields_not_an_error():
    responses.get(f"{BASE}/courses", json={"items": [{"courseId": "x", "name": []}]})
    [course] = CatalogClient(BASE).search_courses("x")
    assert (course.name, course.place, course.cost_eur, course.start_date) == ("", "", None, None)


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500, "json": {"title": "boom"}},
        {"status": 400, "json": {}},
        {"body": requests.ConnectionError("refused")},
        {"body": requests.Timeout("slow")},
        {"status": 200, "body": "not json"},
    ],
)
@responses.activate
def test_every_failure_becomes_service_unavailable(failure):
    responses.get(f"{BASE}/courses", **failure)
    with pytest.raises(ServiceUnavailable) as error:
        CatalogClient(BASE).search_courses("computer")
    assert error.value.service == "catalog"


@responses.activate
def test_client_uses_the_configured_timeout():
    seen = {}

    def callback(request):
        seen["timeout"] = request.req_kwargs["timeout"]
        return 200, {}, '{"items": []}'

    responses.add_callback(responses.GET, f"{BASE}/courses", callback=callback)
    CatalogClient(BASE, timeout=1.5).search_courses("computer")
    assert seen["timeout"] == 1.5


@responses.activate
def test_a_window_across_two_api_pages_asks_both():
    first = [ooapi_course(name=f"C{i}") for i in range(10)]
    second = [ooapi_course(name=f"C{i}") for i in range(10, 15)]
    responses.get(f"{BASE}/courses", json={"items": first, "hasNextPage": True})
    responses.get(f"{BASE}/courses", json={"items": second, "hasNextPage": False})
    found = CatalogClient(BASE).find_courses(CourseSearch(topic="digital"), first=8, count=4)
    assert [c.name for c in found] == ["C8", "C9", "C10", "C11"]
    assert "pageNumber=2" in responses.calls[1].request.url


def test_online_is_a_mode_of_delivery_not_a_place():
    params = CourseSearch(topic="dutch", municipality="online").params()
    assert params == {"topic": "dutch", "modeOfDelivery": "online"}


def test_organization_reads_address_hours_and_phone():
    org = Organization.from_ooapi(
        {
            "name": [{"language": "nl-NL", "value": "Taalhuis Breda"}],
            "addresses": [{"street": "Molenstraat", "streetNumber": "6", "city": "Breda"}],
            "ext": {"phone": "076 123 4567", "walkInHours": ["di 10-12", "do 14-16"]},
        }
    )
    assert org.address == "Molenstraat 6, Breda"
    assert org.walk_in_hours == "di 10-12; do 14-16"
    assert org.phone == "076 123 4567"


@responses.activate
@pytest.mark.parametrize("typed", ["../organizations?pageSize=250", "x", "", "%2e%2e"])
def test_a_course_id_that_is_no_uuid_is_unknown_without_a_request(typed):
    assert CatalogClient(BASE).course(typed) is None
    assert len(responses.calls) == 0
