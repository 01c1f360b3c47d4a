import dataclasses

import pytest
import requests
import responses

from actions.clients import ServiceUnavailable
from actions.clients.catalog import CatalogClient, CourseSearch, CourseSummary, Organization

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


def test_summary_reads_the_sign_up_facts_of_the_next_offering():
    item = ooapi_course()
    item["ext"]["organizationPhone"] = "076 123 4567"
    item["ext"]["organizationWebsite"] = "https://www.nieuweveste.nl"
    item["ext"]["nextOffering"].update(
        {
            "modeOfDelivery": "situated",
            "link": "https://example.org/aanmelden/123",
            "enrollEndDate": "2027-01-09",
            "placesLeft": 4,
            "distanceKm": 9.8,
            "addressLine": "Nieuwe Veste, Molenstraat 6, Breda",
            "address": {"street": "Molenstraat", "streetNumber": "6", "city": "Breda"},
        }
    )
    course = CourseSummary.from_ooapi(item)
    assert course.online is False
    assert course.signup_link == "https://example.org/aanmelden/123"
    assert course.enroll_end_date == "2027-01-09"
    assert course.places_left == 4
    assert course.phone == "076 123 4567"
    assert course.address == "Nieuwe Veste, Molenstraat 6, Breda"
    assert course.distance_km == 9.8
    assert course.website == "https://www.nieuweveste.nl"


def test_summary_of_an_online_offering_has_no_address_or_distance():
    item = ooapi_course(municipality="online")
    item["link"] = "https://example.org/cursus"
    item["ext"]["nextOffering"].update({"modeOfDelivery": "online", "distanceKm": 0.0})
    course = CourseSummary.from_ooapi(item)
    assert course.online is True
    assert course.address is None and course.distance_km is None
    # No sign-up page of the offering: the course's page.
    assert course.signup_link == "https://example.org/cursus"


def test_summary_without_sign_up_facts_leaves_them_unknown():
    item = ooapi_course()
    item["ext"]["nextOffering"].update({"placesLeft": "vol", "distanceKm": True, "link": " "})
    course = CourseSummary.from_ooapi(item)
    assert (course.signup_link, course.enroll_end_date, course.places_left) == (None, None, None)
    assert (course.phone, course.address, course.distance_km, course.website) == (
        None,
        None,
        None,
        None,
    )
    assert course.online is False


def test_summary_address_falls_back_to_the_ooapi_address_and_location():
    item = ooapi_course()
    item["ext"]["nextOffering"]["address"] = {
        "street": "Markt",
        "city": "Roosendaal",
        "ext": {"locationName": "Bibliotheek Roosendaal"},
    }
    assert CourseSummary.from_ooapi(item).address == "Bibliotheek Roosendaal, Markt, Roosendaal"
    item["ext"]["nextOffering"].pop("address")
    item["ext"]["nextOffering"]["locationName"] = "Bibliotheek Roosendaal"
    assert CourseSummary.from_ooapi(item).address == "Bibliotheek Roosendaal"


def test_summary_keeps_its_first_fields_in_order():
    names = [f.name for f in dataclasses.fields(CourseSummary)]
    assert names[:9] == [
        "course_id",
        "name",
        "place",
        "start_date",
        "schedule",
        "cost_eur",
        "provider",
        "teaching_languages",
        "support_languages",
    ]
    assert names[9:16] == [
        "online",
        "signup_link",
        "enroll_end_date",
        "places_left",
        "phone",
        "address",
        "distance_km",
    ]
    # Positional construction as before still works; the new facts default to unknown.
    course = CourseSummary("id", "Klik & Tik", "Breda", None, None, None, None)
    assert course.online is False and course.signup_link is None and course.distance_km is None


def test_facts_the_catalog_marks_as_example_data_are_never_read_as_fact():
    org = Organization.from_ooapi(
        {
            "name": [{"language": "nl-NL", "value": "Taalhuis Breda"}],
            "link": "https://www.nieuweveste.nl/taalhuis",
            "ext": {
                "phone": "076 123 4567",
                "walkInHours": ["di 10-12"],
                "languages": ["nld", "ara"],
                "unverified": ["languages", "walkInHours"],
            },
        }
    )
    assert org.walk_in_hours is None and org.hours_unknown
    assert org.languages == ()
    assert org.phone == "076 123 4567"  # verified: shown
    assert org.link == "https://www.nieuweveste.nl/taalhuis"
