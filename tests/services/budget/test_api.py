"""The HTTP contract of the budget service, through FastAPI's TestClient."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from fastapi.testclient import TestClient

from services.budget.app import MAX_BODY_BYTES, create_app

RESULT_KEYS = {
    "scheme_id",
    "name",
    "status",
    "reasons",
    "next_step",
    "cost_to_you",
    "amount",
    "apply_url",
    "source_urls",
    "checked_on",
    "missing",
}
ORDER = ["eligible", "maybe", "closed", "not_eligible"]
FULL = {
    "age": 61,
    "municipality": "Etten-Leur",
    "situation": "employed",
    "integration_obligation": False,
    "goal": "vocational",
}


def test_health_lists_no_stale_schemes_today(client, scheme_ids):
    body = client.get("/health").json()
    assert body == {"status": "ok", "schemes": len(scheme_ids), "stale_schemes": []}


def test_health_shows_stale_schemes_and_startup_warns(caplog):
    thirteen_months_on = date(2027, 12, 28)
    with caplog.at_level(logging.WARNING, logger="services.budget"):
        stale_client = TestClient(create_app(today=lambda: thirteen_months_on))
    body = stale_client.get("/health").json()
    assert body["status"] == "ok"
    assert {item["id"] for item in body["stale_schemes"]} >= {"stap-budget", "inburgering"}
    assert all(item["checked_on"] < "2026-12-28" for item in body["stale_schemes"])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("stap-budget is stale" in message for message in warnings)


def test_schemes_list_has_the_contract_fields(client, scheme_ids):
    schemes = client.get("/v1/schemes").json()["schemes"]
    assert {s["id"] for s in schemes} == scheme_ids
    for scheme in schemes:
        assert set(scheme) == {
            "id", "name", "summary", "status", "cost_to_you", "source_urls", "checked_on"
        }  # fmt: skip
        assert scheme["cost_to_you"] in (
            "free",
            "employer",
            "subsidy",
            "discount",
            "loan",
            "own_cost",
        )
        assert scheme["status"] in ("open", "closed")
        assert scheme["source_urls"] and all(
            u.startswith("https://") for u in scheme["source_urls"]
        )
        date.fromisoformat(scheme["checked_on"])
    status = {s["id"]: s["status"] for s in schemes}
    assert status["stap-budget"] == "closed"
    assert status["levenlanglerenkrediet"] == "open"
    cost = {s["id"]: s["cost_to_you"] for s in schemes}
    assert cost["levenlanglerenkrediet"] == "loan"  # a loan is never presented as anything else
    assert cost["werkgever-studiekosten"] == cost["verplichte-scholing"] == "employer"
    assert cost["leerwerkloket"] == "free"


def test_schemes_list_on_a_past_date(client):
    schemes = client.get("/v1/schemes", params={"date": "2023-06-01"}).json()["schemes"]
    assert {s["id"]: s["status"] for s in schemes}["stap-budget"] == "open"


def test_scheme_detail_and_unknown_scheme(client):
    detail = client.get("/v1/schemes/levenlanglerenkrediet").json()
    assert detail["provider"].startswith("DUO")
    assert detail["valid_from"] == "2017-08-01" and detail["valid_until"] is None
    assert detail["stale"] is False
    assert client.get("/v1/schemes/bestaat-niet").status_code == 404


def test_one_result_per_scheme_in_contract_shape_and_order(client, scheme_ids):
    results = client.post("/v1/eligibility", json=FULL).json()["results"]
    assert [r["scheme_id"] for r in results].count("stap-budget") == 1
    assert {r["scheme_id"] for r in results} == scheme_ids and len(results) == len(scheme_ids)
    for result in results:
        assert set(result) == RESULT_KEYS
        assert result["status"] in ORDER
        assert result["reasons"] and all(isinstance(r, str) and r for r in result["reasons"])
        assert result["next_step"]
    ranks = [ORDER.index(r["status"]) for r in results]
    assert ranks == sorted(ranks)


def test_stap_budget_is_closed_with_alternatives_named(client):
    for profile in ({}, FULL, {"age": 17}, {"age": 30, "situation": "job_seeker"}):
        results = client.post("/v1/eligibility", json=profile).json()["results"]
        stap = next(r for r in results if r["scheme_id"] == "stap-budget")
        assert stap["status"] == "closed"
        assert "1 januari 2024" in " ".join(stap["reasons"])
        assert "Levenlanglerenkrediet" in stap["next_step"]


def test_missing_answer_is_named_in_the_reason(client):
    results = client.post("/v1/eligibility", json={"age": 30, "goal": "vocational"}).json()
    uwv = next(r for r in results["results"] if r["scheme_id"] == "uwv-scholing")
    assert uwv["status"] == "maybe"
    assert uwv["reasons"] == ["Wij weten niet of u werkt, werk zoekt of iets anders doet."]
    assert uwv["next_step"] == "Vertel ons ook uw situatie."


def test_unrecognised_municipality_is_said_so(client):
    profile = {**FULL, "municipality": "Atlantis"}
    results = client.post("/v1/eligibility", json=profile).json()["results"]
    brabant = next(r for r in results if r["scheme_id"] == "brabant-leert-jtf")
    assert brabant["status"] == "maybe"
    assert brabant["reasons"] == ["Wij herkennen de gemeente die u noemde niet."]


def test_no_body_is_an_empty_profile(client):
    response = client.post("/v1/eligibility")
    assert response.status_code == 200
    assert {r["status"] for r in response.json()["results"]} == {"maybe", "closed"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"age": -3}, "age"),
        ({"age": 300}, "age"),
        ({"age": "zestig"}, "age"),
        ({"age": "6O"}, "age"),
        ({"age": 60.5}, "age"),
        ({"age": True}, "age"),
        ({"age": [60]}, "age"),
        ({"situation": "boss"}, "situation"),
        ({"situation": "Employed"}, "situation"),
        ({"goal": "yoga"}, "goal"),
        ({"goal": 3}, "goal"),
        ({"integration_obligation": "misschien"}, "integration_obligation"),
        ({"integration_obligation": 1}, "integration_obligation"),
        ({"low_income": "ja"}, "low_income"),
        ({"low_income": 1200}, "low_income"),
        ({"municipality": 777}, "municipality"),
        ({"municipality": "x" * 101}, "municipality"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, body, field):
    response = client.post("/v1/eligibility", json=body)
    assert response.status_code == 422
    details = response.json()["detail"]
    assert [d["field"] for d in details] == [field]
    assert details[0]["loc"] == ["body", field]
    assert details[0]["msg"].startswith(f"{field}: ")


def test_several_bad_fields_are_all_named(client):
    response = client.post("/v1/eligibility", json={"age": 300, "goal": "yoga"})
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["detail"]} == {"age", "goal"}


def test_a_one_megabyte_field_is_422_naming_it(client):
    response = client.post("/v1/eligibility", json={"age": 40, "municipality": "a" * 1_000_000})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["field"] == "municipality"
    assert detail["msg"].startswith("municipality: request body is")


def test_a_one_megabyte_body_that_is_not_an_object_is_422_naming_the_body(client):
    response = client.post(
        "/v1/eligibility",
        content=b"[" + b"1," * 500_000 + b"1]",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body"


def test_a_body_just_over_the_limit_is_refused_and_one_under_it_is_not(client):
    padding = "x" * (MAX_BODY_BYTES - 40)
    under = client.post("/v1/eligibility", json={"age": 40, "note": padding})
    assert under.status_code == 200
    over = client.post("/v1/eligibility", json={"age": 40, "note": padding + "x" * 100})
    assert over.status_code == 422
    assert over.json()["detail"][0]["field"] == "note"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"{", "body"),
        (b"[1, 2]", "body"),
        (b'"Breda"', "body"),
        (b"null", "body"),
        (b"[" * 100_000, "body"),
        (b"[" * 10_000, "body"),
        (b'{"a":' + b"[" * 5_000 + b"]" * 5_000 + b"}", "body"),
        (b"\xff\xfe", "body"),
        (b'{"age": 1e999}', "age"),
        (b'{"age": NaN}', "age"),
    ],
)
def test_bodies_that_are_not_a_json_object_are_422(client, content, field):
    response = client.post(
        "/v1/eligibility", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 422)
    if content == b"null":  # JSON null is "no profile", like an empty body
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


@pytest.mark.parametrize(
    "raw", ["2026-13-01", "27-11-2026", "1700000000", "1999-12-31", "gisteren"]
)
def test_bad_date_is_422_naming_date(client, raw):
    response = client.post("/v1/eligibility", params={"date": raw}, json={})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "date"


def test_requests_leave_no_personal_data_in_the_logs(caplog):
    quiet = TestClient(create_app(today=lambda: date(2026, 11, 27)))
    with caplog.at_level(logging.DEBUG):
        quiet.post("/v1/eligibility", json={**FULL, "municipality": "Zundert", "age": 47})
        quiet.post("/v1/eligibility", json={"age": 47, "municipality": "Privéstraat 12"})
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "Zundert" not in logged and "47" not in logged and "Privéstraat" not in logged


def test_the_service_keeps_no_state_between_requests(client):
    first = client.post("/v1/eligibility", json=FULL).json()
    client.post("/v1/eligibility", json={"age": 17, "goal": "basic_skills"})
    assert client.post("/v1/eligibility", json=FULL).json() == first


def test_an_adult_of_unknown_age_gets_what_holds_at_every_adult_age(client):
    def results(body):
        answer = client.post("/v1/eligibility", json=body).json()["results"]
        return {r["scheme_id"]: (r["status"], r["missing"]) for r in answer}

    retired = results({"situation": "retired", "goal": "basic_skills", "adult": True})
    assert retired["bibliotheek-gratis"] == ("eligible", [])
    # Without "adult", the under-18 rule leaves a scheme open on the age.
    assert results({"situation": "employed"})["werkgever-studiekosten"] == ("maybe", ["age"])
    assert results({"situation": "employed", "adult": True})["werkgever-studiekosten"] == (
        "maybe",
        [],
    )
    # The loan depends on the age (under 57): the age stays what is missing.
    assert results({"goal": "vocational", "adult": True})["levenlanglerenkrediet"] == (
        "maybe",
        ["age"],
    )


def test_adult_must_be_true_or_false(client):
    answer = client.post("/v1/eligibility", json={"adult": "ja"})
    assert answer.status_code == 422


def test_the_library_is_free_for_help_not_for_every_course(client):
    profile = {"age": 67, "situation": "retired", "goal": "basic_skills"}
    results = client.post("/v1/eligibility", json=profile).json()["results"]
    library = next(r for r in results if r["scheme_id"] == "bibliotheek-gratis")
    assert library["cost_to_you"] == "free"
    assert "cursussen" not in library["name"].lower()  # "Gratis hulp in de bibliotheek"
    assert any("Taalhuis" in reason for reason in library["reasons"])
    assert any("kan wel geld kosten" in reason for reason in library["reasons"])


def low_income_help(client, **profile) -> dict:
    results = client.post("/v1/eligibility", json=profile).json()["results"]
    return next(r for r in results if r["scheme_id"] == "gemeente-laag-inkomen")


def test_help_with_a_low_income_names_the_municipal_scheme_where_known(client):
    # Werkplein Hart van West-Brabant runs the Meedoenregeling for four municipalities.
    for place in ("Etten-Leur", "Halderberge", "Moerdijk", "Zundert"):
        help_ = low_income_help(client, age=50, municipality=place, low_income=True)
        assert help_["status"] == "maybe"
        assert "Meedoenregeling" in help_["reasons"][0]
        assert "Werkplein Hart van West-Brabant" in help_["next_step"]
    steenbergen = low_income_help(client, age=50, municipality="Steenbergen", low_income=True)
    assert "sociaal-culturele bijdrage" in steenbergen["reasons"][0]
    # Bijstand is a low income: the same answer without the person saying so.
    assert (
        low_income_help(client, age=50, municipality="Zundert", situation="social_assistance")[
            "reasons"
        ]
        == low_income_help(client, age=50, municipality="Zundert", low_income=True)["reasons"]
    )
    # Elsewhere no name is guessed: "ask your municipality".
    breda = low_income_help(client, age=50, municipality="Breda", low_income=True)
    assert "Meedoenregeling" not in " ".join(breda["reasons"])
    assert (
        breda["next_step"] == "Vraag uw gemeente naar bijzondere bijstand of een meedoenregeling."
    )
    assert breda["cost_to_you"] == "subsidy"


def test_income_is_never_asked(client):
    # Open on the income alone: the next step says where to ask, it does not ask for the income.
    open_ = low_income_help(client, age=50, municipality="Breda", situation="employed")
    assert open_["status"] == "maybe" and open_["missing"] == ["low_income"]
    assert "inkomen" not in open_["next_step"].split("laag inkomen")[0]
    assert not open_["next_step"].startswith("Vertel")
    # Open on the situation too: the income decides, so the answer says where to ask rather
    # than asking for the situation.
    both = low_income_help(client, age=50, municipality="Breda")
    assert both["missing"] == ["situation", "low_income"]
    assert both["reasons"][0] == "Deze hulp is alleen voor mensen met een laag inkomen."
    assert both["next_step"] == open_["next_step"]
    for result in client.post("/v1/eligibility", json={}).json()["results"]:
        assert "inkomen" not in result["next_step"].replace("laag inkomen", "")


def test_inburgering_says_who_pays_and_who_need_not_integrate(client):
    def inburgering(obliged):
        profile = {"age": 30, "integration_obligation": obliged, "goal": "dutch_language"}
        results = client.post("/v1/eligibility", json=profile).json()["results"]
        return next(r for r in results if r["scheme_id"] == "inburgering")

    obliged = inburgering(True)
    text = " ".join(obliged["reasons"]) + " " + obliged["next_step"]
    assert "betaalt u zelf" in text and "DUO" in text  # family migrants: pay or borrow
    assert "consulent inburgering" in obliged["next_step"]  # refugees: the municipality first
    free = inburgering(False)
    assert any("Oekraïne" in r and "EU-burgers" in r for r in free["reasons"])


def test_slim_is_for_learning_in_the_company_and_training_only_on_a_development_path(client):
    profile = {"age": 40, "situation": "employed", "goal": "vocational"}
    results = client.post("/v1/eligibility", json=profile).json()["results"]
    slim = next(r for r in results if r["scheme_id"] == "slim-scholing")
    assert slim["status"] == "maybe" and slim["cost_to_you"] == "employer"
    text = " ".join(slim["reasons"])
    assert "ontwikkelpad" in text and "Alleen uw werkgever kan dit aanvragen" in text


@pytest.mark.parametrize(
    ("profile", "scheme", "caveat"),
    [
        (
            {"age": 40, "situation": "job_seeker", "goal": "vocational"},
            "uwv-scholing",
            "per persoon",
        ),
        (
            {"age": 40, "municipality": "Breda", "goal": "vocational"},
            "brabant-leert-jtf",
            "beperkt",
        ),
        (
            {"age": 40, "situation": "employed", "goal": "vocational"},
            "levenlanglerenkrediet",
            "bbl",
        ),
    ],
)
def test_the_caveat_that_decides_is_among_the_three_reasons_the_chat_shows(
    client, profile, scheme, caveat
):
    results = client.post("/v1/eligibility", json=profile).json()["results"]
    result = next(r for r in results if r["scheme_id"] == scheme)
    assert any(caveat in reason for reason in result["reasons"][:3]), result["reasons"]
