"""Property tests: any valid profile gets one sensible result per scheme; no input gives a 500."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import geo
from services.budget.eligibility import eligibility_for
from services.budget.profile import Goal, Profile, Situation
from services.budget.rules import STATUSES

FIELDS = ("age", "municipality", "situation", "integration_obligation", "goal", "low_income")
MUNICIPALITY_NAMES = [m.name for m in geo.all_municipalities()]
MUNICIPALITY_CODES = [m.code for m in geo.all_municipalities()]

municipalities = st.one_of(
    st.sampled_from(MUNICIPALITY_NAMES),
    st.sampled_from(MUNICIPALITY_CODES),
    st.sampled_from(MUNICIPALITY_NAMES).map(str.lower),
    st.sampled_from(MUNICIPALITY_NAMES).map(lambda name: name.replace("-", " ")),
    st.text(max_size=100),
)
profiles = st.fixed_dictionaries(
    {},
    optional={
        "age": st.one_of(st.none(), st.integers(min_value=0, max_value=130)),
        "municipality": st.one_of(st.none(), municipalities),
        "situation": st.one_of(st.none(), st.sampled_from([s.value for s in Situation])),
        "integration_obligation": st.one_of(st.none(), st.booleans()),
        "low_income": st.one_of(st.none(), st.booleans()),
        "goal": st.one_of(st.none(), st.sampled_from([g.value for g in Goal])),
        "unknown_field": st.text(max_size=20),
    },
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def check_results(results, scheme_ids):
    assert sorted(r["scheme_id"] for r in results) == sorted(scheme_ids)
    ranks = [STATUSES.index(r["status"]) for r in results]
    assert ranks == sorted(ranks)
    for result in results:
        assert result["reasons"] and all(reason.strip() for reason in result["reasons"])
        assert result["next_step"].strip()


@settings(max_examples=250, deadline=None)
@given(body=profiles, day=days)
def test_any_valid_profile_gets_one_result_per_scheme(body, day, schemes, scheme_ids):
    results = eligibility_for(Profile.parse_obj(body), schemes, day)
    check_results(results, scheme_ids)


@settings(max_examples=250, deadline=None)
@given(body=profiles)
def test_under_18_only_the_library_and_closed_schemes_differ(body, schemes):
    body = {**body, "age": body.get("age") or 0}
    if body["age"] >= 18:
        body["age"] = body["age"] % 18
    day = date(2026, 11, 27)
    for result in eligibility_for(Profile.parse_obj(body), schemes, day):
        if result["scheme_id"] == "bibliotheek-gratis":
            assert result["status"] in ("eligible", "maybe")
        elif result["scheme_id"] == "stap-budget":
            assert result["status"] == "closed"
        else:
            assert result["status"] == "not_eligible"


@settings(max_examples=300, deadline=None)
@given(body=profiles)
def test_a_missing_answer_never_turns_maybe_into_certainty_the_other_way(body, schemes):
    """Answering a question can settle a maybe, but never flip one certain answer to another."""
    day = date(2026, 11, 27)
    full = eligibility_for(Profile.parse_obj(body), schemes, day)
    for field in FIELDS:
        if body.get(field) is None:
            continue
        partial = {key: value for key, value in body.items() if key != field}
        less = {
            r["scheme_id"]: r["status"]
            for r in eligibility_for(Profile.parse_obj(partial), schemes, day)
        }
        for result in full:
            if less[result["scheme_id"]] != "maybe":
                assert less[result["scheme_id"]] == result["status"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=profiles)
def test_valid_profiles_over_the_api(body, client, scheme_ids):
    response = client.post("/v1/eligibility", json=body)
    assert response.status_code == 200, response.text
    check_results(response.json()["results"], scheme_ids)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
bad_bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bad_bodies)
def test_random_json_never_gives_a_server_error(body, client):
    response = client.post("/v1/eligibility", json=body)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        for detail in response.json()["detail"]:
            assert detail["msg"].startswith(f"{detail['field']}: ")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded"]
    ),
)
def test_random_bytes_never_give_a_server_error(raw, content_type, client):
    response = client.post("/v1/eligibility", content=raw, headers={"content-type": content_type})
    assert response.status_code in (200, 422), response.text


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.text(max_size=30))
def test_random_dates_never_give_a_server_error(raw, client):
    response = client.post("/v1/eligibility", params={"date": raw}, json={})
    assert response.status_code in (200, 422), response.text
