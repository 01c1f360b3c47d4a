"""The catalog API on both stores: the assistant's contract, filters, pages and odd input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from actions.clients.catalog import CourseSummary
from services import geo
from services.catalog.text import normalize


def names(body):
    return [item["name"][0]["value"] for item in body["items"]]


def test_health_reports_store_and_counts(client, seeded_store):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["store"] == seeded_store.kind
    assert body["counts"]["courses"] >= 150
    assert body["exampleDataLoadedOn"] == date.today().isoformat()


def test_action_client_contract_digital_in_breda(client):
    """What actions/clients/catalog.py sends and reads (the e2e conversation depends on it)."""
    response = client.get(
        "/v5/courses", params={"topic": "digital", "municipality": "Breda", "pageSize": 10}
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 10
    for item in items:
        summary = CourseSummary.from_ooapi(item)
        assert summary.course_id and summary.name and summary.provider
        assert summary.place in ("Breda", "online") or item["ext"]["nextOffering"]["distanceKm"] > 0
        assert summary.start_date >= date.today().isoformat()
        assert summary.cost_eur is not None
        assert summary.schedule is not None or summary.place == "online"
        assert {"digital", "digital-government", "online-safety"} & set(item["ext"]["topics"])
        assert item["ext"]["exampleData"] is True


def test_municipality_ranks_in_person_by_distance_then_online(client):
    body = client.get(
        "/v5/courses", params={"topic": "dutch", "municipality": "Roosendaal", "pageSize": 100}
    ).json()
    offers = [item["ext"]["nextOffering"] for item in body["items"]]
    online = [o["municipality"] == "online" for o in offers]
    # In person in or near the place first, online after them (still listed).
    assert any(online) and not online[0]
    assert online == sorted(online)
    in_person = [o for o in offers if o["municipality"] != "online"]
    distances = [o["distanceKm"] for o in in_person]
    assert distances == sorted(distances)
    assert in_person[0]["municipality"] == "Roosendaal" and distances[0] == 0
    roosendaal = geo.find_municipality("Roosendaal")
    for offer in in_person:
        place = geo.find_municipality(offer["municipalityCode"])
        assert abs(geo.distance_km(roosendaal, place) - offer["distanceKm"]) < 0.1
        assert offer["distanceKm"] <= 25
    # An online offering has no distance to travel.
    assert all("distanceKm" not in o for o in offers if o["municipality"] == "online")
    assert all(
        "distanceKm" not in item["ext"]
        for item in body["items"]
        if item["ext"]["nextOffering"]["municipality"] == "online"
    )


def test_without_a_place_online_and_in_person_mix_by_start_date(client):
    body = client.get("/v5/courses", params={"topic": "dutch", "pageSize": 100}).json()
    starts = [item["ext"]["nextOffering"]["startDate"] for item in body["items"]]
    assert starts == sorted(starts)
    places = [item["ext"]["nextOffering"]["municipality"] for item in body["items"]]
    first_online = places.index("online")
    assert any(place != "online" for place in places[first_online:])


def test_online_only_when_asked_with_a_place(client):
    body = client.get(
        "/v5/courses",
        params={"q": "computer", "municipality": "Breda", "modeOfDelivery": "online"},
    ).json()
    assert body["items"]
    assert {i["ext"]["nextOffering"]["municipality"] for i in body["items"]} == {"online"}


def test_a_topic_finds_courses_about_it_not_ones_that_touch_it(client):
    """ "Solliciteren en uw cv maken" (career, digital) is not a computer course."""
    digital = client.get("/v5/courses", params={"topic": "digital", "pageSize": 250}).json()
    family = {"digital", "digital-government", "online-safety"}
    assert all(item["ext"]["topics"][0] in family for item in digital["items"])
    assert "Solliciteren en uw cv maken" not in names(digital)
    career = client.get("/v5/courses", params={"topic": "career", "pageSize": 250}).json()
    assert "Solliciteren en uw cv maken" in names(career)
    for place in ("Breda", "Etten-Leur"):
        for params in ({"topic": "digital"}, {"q": "computercursus"}):
            body = client.get("/v5/courses", params={**params, "municipality": place}).json()
            assert "Solliciteren en uw cv maken" not in names(body), (place, params)


def test_next_offering_carries_the_sign_up_facts(client):
    body = client.get(
        "/v5/courses", params={"topic": "digital", "municipality": "Breda", "pageSize": 50}
    ).json()
    in_person = [i for i in body["items"] if i["ext"]["nextOffering"]["municipality"] != "online"]
    assert in_person
    for item in in_person:
        offer = item["ext"]["nextOffering"]
        assert offer["addressLine"].endswith(offer["address"]["city"])
        assert offer["enrollEndDate"] <= offer["startDate"]
        # The example catalog knows no enrolled numbers: places left stay unknown, not invented.
        assert "placesLeft" not in offer and "enrolledNumberStudents" not in offer
        summary = CourseSummary.from_ooapi(item)
        assert summary.address == offer["addressLine"] and summary.online is False
        assert summary.enroll_end_date == offer["enrollEndDate"]
        assert summary.distance_km == offer["distanceKm"]
        assert summary.places_left is None
    nieuwe_veste = next(
        i for i in in_person if i["ext"]["nextOffering"].get("locationName") == "Nieuwe Veste"
    )
    line = nieuwe_veste["ext"]["nextOffering"]["addressLine"]
    assert line == "Nieuwe Veste, Molenstraat 6, Breda"
    websites = {
        i["ext"]["organizationName"]: i["ext"].get("organizationWebsite") for i in body["items"]
    }
    assert websites["SeniorWeb"] == "https://www.seniorweb.nl"


def test_a_place_without_local_offer_gets_nearby_and_online(client):
    body = client.get(
        "/v5/courses", params={"topic": "digital", "municipality": "Zundert", "maxDistanceKm": 5}
    ).json()
    assert body["items"]
    assert {i["ext"]["nextOffering"]["municipality"] for i in body["items"]} == {"online"}


def test_max_cost_zero_means_free_only(client):
    body = client.get("/v5/courses", params={"maxCost": 0, "pageSize": 250}).json()
    assert body["items"]
    assert all(i["ext"]["nextOffering"]["cost"]["amount"] == 0 for i in body["items"])
    paid = client.get("/v5/courses", params={"maxCost": 100, "pageSize": 250}).json()
    assert len(paid["items"]) > len(body["items"])


def test_time_of_day_audience_support_language_and_starts_before(client):
    evening = client.get("/v5/courses", params={"timeOfDay": "evening", "pageSize": 250}).json()
    assert evening["items"]
    assert {i["ext"]["nextOffering"]["timeOfDay"] for i in evening["items"]} <= {
        "evening",
        "flexible",
    }
    older = client.get("/v5/courses", params={"audience": "older-people", "pageSize": 250}).json()
    assert older["items"]
    assert all("older-people" in i["ext"]["audiences"] for i in older["items"])
    arabic = client.get("/v5/courses", params={"supportLanguage": "ara"}).json()
    assert arabic["items"]
    assert all("ara" in i["ext"]["supportLanguages"] for i in arabic["items"])
    soon = (date.today() + timedelta(days=30)).isoformat()
    early = client.get("/v5/courses", params={"startsBefore": soon, "pageSize": 250}).json()
    assert early["items"]
    assert all(i["ext"]["nextOffering"]["startDate"] <= soon for i in early["items"])


def test_topic_includes_its_sub_topics(client):
    body = client.get("/v5/courses", params={"topic": "digital", "pageSize": 250}).json()
    topics = {t for item in body["items"] for t in item["ext"]["topics"]}
    assert {"digital-government", "online-safety"} <= topics


def test_accessibility_and_mode_filters(client):
    body = client.get(
        "/v5/courses", params={"accessibility": "hearing-loop", "pageSize": 250}
    ).json()
    assert body["items"]
    assert all("hearing-loop" in i["ext"]["nextOffering"]["accessibility"] for i in body["items"])
    online = client.get(
        "/v5/courses", params=[("modeOfDelivery", "online"), ("pageSize", "250")]
    ).json()
    assert {i["ext"]["nextOffering"]["modeOfDelivery"] for i in online["items"]} == {"online"}


def test_pagination_covers_every_course_once(client, seeded_store):
    seen = []
    page = 1
    while True:
        body = client.get("/v5/courses", params={"pageSize": 50, "pageNumber": page}).json()
        seen += [item["courseId"] for item in body["items"]]
        assert body["hasPreviousPage"] is (page > 1)
        if not body["hasNextPage"]:
            break
        page += 1
    assert body["totalPages"] == page
    assert len(seen) == len(set(seen)) == seeded_store.counts()["courses"]
    assert names({"items": []}) == []


def test_default_order_is_by_name_and_sort_is_honoured(client):
    default = names(client.get("/v5/courses", params={"pageSize": 250}).json())
    assert default == sorted(default, key=normalize)
    reverse = names(client.get("/v5/courses", params={"pageSize": 250, "sort": "-name"}).json())
    assert reverse[0] == default[-1]


def test_course_offerings_since_and_until(client):
    course = client.get("/v5/courses", params={"q": "taalcafe"}).json()["items"][0]
    offerings = client.get(f"/v5/courses/{course['courseId']}/offerings").json()["items"]
    starts = [o["startDate"] for o in offerings]
    assert starts == sorted(starts) and starts[0] >= date.today().isoformat()
    future = client.get(
        f"/v5/courses/{course['courseId']}/offerings",
        params={"since": date(2000, 1, 1).isoformat(), "until": date(2000, 2, 1).isoformat()},
    ).json()
    assert future["items"] == []


def test_organization_endpoints(client):
    body = client.get("/v5/organizations", params={"pageSize": 100}).json()
    roots = [o for o in body["items"] if o["organizationType"] == "root"]
    assert len(roots) == 1
    library = next(o for o in body["items"] if o["primaryCode"]["code"] == "BWB")
    detail = client.get(
        f"/v5/organizations/{library['organizationId']}", params={"expand": "children,parent"}
    ).json()
    assert detail["parent"]["organizationType"] == "root"
    assert any(child["name"][0]["value"] == "Taalhuis Roosendaal" for child in detail["children"])
    courses = client.get(f"/v5/organizations/{library['organizationId']}/courses").json()
    assert courses["items"]
    assert {c["organization"] for c in courses["items"]} == {library["organizationId"]}
    offerings = client.get(f"/v5/organizations/{library['organizationId']}/offerings").json()
    assert offerings["items"] and all(o["offeringType"] == "course" for o in offerings["items"])
    programs = client.get(
        f"/v5/organizations/{library['organizationId']}/offerings",
        params={"offeringType": "program"},
    ).json()
    assert programs["items"] == []


def test_help_nearby_by_kind_of_help(client):
    body = client.get(
        "/v5/organizations",
        params={"municipality": "Bergen op Zoom", "helpsWith": "reading-writing"},
    ).json()
    found = [(o["name"][0]["value"], o["ext"].get("distanceKm")) for o in body["items"]]
    assert found[0][0] == "Taalhuis Bergen op Zoom" and found[0][1] == 0
    assert all("reading-writing" in o["ext"]["helpsWith"] for o in body["items"])
    distances = [d for _, d in found if d is not None]
    assert distances == sorted(distances)
    ido = client.get(
        "/v5/organizations",
        params={"municipality": "Gilze en Rijen", "helpsWith": "digital-government"},
    ).json()
    first = ido["items"][0]
    assert first["name"][0]["value"] == "Informatiepunt Digitale Overheid Rijen"
    assert first["ext"]["walkInHours"] and "walkInHours" in first["ext"]["verification"]
    assert first["addresses"][0]["city"] == "Rijen"


@pytest.mark.parametrize(
    "query",
    [
        "x" * 10_240,
        "😀🎓📚" * 200,
        "\"cursus\" 'computer'",
        "*",
        "NEAR(computer taal)",
        "computer AND taal OR NOT",
        "'; DROP TABLE courses; --",
        "1 OR 1=1",
        "name:computer tags:topicdigital",
        "%_\\",
        "\x00\x01\x02",
        "ｃｏｍｐｕｔｅｒ",
    ],
)
def test_odd_text_gives_results_or_an_empty_list(client, query):
    response = client.get("/v5/courses", params={"q": query})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["items"], list)
    for path in ("/v5/organizations", "/v5/organizations"):
        assert client.get(path, params={"q": query}).status_code == 200


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pageSize": "11"}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"pageNumber": "0"}, "pageNumber"),
        ({"topic": "knitting"}, "topic"),
        ({"audience": "cats"}, "audience"),
        ({"municipality": "Atlantis"}, "municipality"),
        ({"maxCost": "-1"}, "maxCost"),
        ({"maxCost": "free"}, "maxCost"),
        ({"timeOfDay": "night"}, "timeOfDay"),
        ({"startsBefore": "tomorrow"}, "startsBefore"),
        ({"teachingLanguage": "nl"}, "teachingLanguage"),
        ({"level": "expert"}, "level"),
        ({"sort": "price"}, "sort"),
        ({"sort": "name,,-name"}, "sort"),
        ({"sort": ","}, "sort"),
        ({"modeOfDelivery": "telepathy"}, "modeOfDelivery"),
        ({"q": "x" * 20_000}, "q"),
    ],
)
def test_bad_input_is_a_400_problem_that_names_the_parameter(client, params, message):
    response = client.get("/v5/courses", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail"]


@pytest.mark.parametrize("value", ["", ",", "course,", "course,,organization", " ", "teacher"])
def test_expand_is_a_list_of_known_values(client, value):
    """The specification's `expand` is an array of enum values (explode: false). `expand=` is
    refused: on the wire it is both the empty array and an array of one empty item."""
    course = client.get("/v5/courses", params={"pageSize": "10"}).json()["items"][0]
    offering = client.get(f"/v5/courses/{course['courseId']}/offerings").json()["items"][0]
    response = client.get(f"/v5/offerings/{offering['offeringId']}", params={"expand": value})
    assert response.status_code == 400
    assert "expand" in response.json()["detail"]
    ok = client.get(f"/v5/offerings/{offering['offeringId']}", params={"expand": "course"})
    assert ok.status_code == 200 and ok.json()["course"]["courseId"] == course["courseId"]
    none = client.get(f"/v5/offerings/{offering['offeringId']}")
    assert none.status_code == 200 and isinstance(none.json()["course"], str)


def test_bad_ids_and_unknown_paths(client):
    assert client.get("/v5/courses/123").status_code == 400
    assert client.get("/v5/organizations/%27%3B--").status_code == 400
    assert client.get("/v5/offerings/6f1c2d1e-4b7a-5d0e-9c59-0a7f1e6b2c11").status_code == 404
    missing = client.get("/v5/persons")
    assert missing.status_code == 404 and missing.json()["status"] == "404"
    not_allowed = client.post("/v5/courses")
    assert not_allowed.status_code == 405 and not_allowed.json()["status"] == "405"


def test_prices_are_shown_the_dutch_way(client):
    """displayAmount is Babel's nl_NL currency format: "€ 1.234,50", or "gratis"."""
    courses = client.get("/v5/courses", params={"pageSize": 100}).json()["items"]
    shown = []
    for item in courses:
        offerings = client.get(f"/v5/courses/{item['courseId']}/offerings").json()["items"]
        for offering in offerings:
            for price in offering.get("priceInformation") or []:
                shown.append((price["amount"], price["displayAmount"][0]["value"]))
    assert any(amount == "0.00" for amount, _ in shown)
    assert any(amount != "0.00" for amount, _ in shown)
    for amount, display in shown:
        if amount == "0.00":
            assert display == "gratis"
        else:
            euros, cents = amount.split(".")
            assert display == f"€\xa0{int(euros):,}".replace(",", ".") + f",{cents}", display
