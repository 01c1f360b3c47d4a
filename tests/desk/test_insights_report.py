"""The figures and the Dutch summary of the dashboard and the monthly report
(services/insights/report.py) and their names (services/insights/labels.py): pure functions of
published cells, no desk and no database."""

from __future__ import annotations

import pytest

from services.insights import labels
from services.insights.report import (
    GAP_SHARE,
    build_report,
    gap_rows,
    largest_gaps,
    municipalities,
    number,
    period_label,
    short_period_label,
    summary,
    trend_periods,
)
from services.insights.store import ALL
from tests.desk.insights_sample import GAP_PLACE, LATEST, K, sample_cells


def cell(view, row, col, count, period=LATEST, **measures):
    return {"view": view, "period": period, "row": row, "col": col, "conversations": count,
            "measures": measures}  # fmt: skip


# -- words and numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "long", "short"),
    [
        ("2026-11", "november 2026", "nov 2026"),
        ("2027-01", "januari 2027", "jan 2027"),
        ("2026-Q4", "oktober tot en met december 2026", "kwartaal 4 2026"),
        ("2026-Q1", "januari tot en met maart 2026", "kwartaal 1 2026"),
    ],
)
def test_periods_in_dutch(period, long, short):
    assert period_label(period) == long
    assert short_period_label(period) == short


def test_numbers_in_dutch():
    assert number(1234) == "1.234"
    assert number(1234567) == "1.234.567"
    assert number(4.5) == "4,5"
    assert number(12.0) == "12"


def test_trend_periods_are_of_one_grain_up_to_the_chosen_one():
    published = ["2025-10", "2026-Q3", "2026-09", "2026-11", "2026-10", "2026-12"]
    assert trend_periods(published, "2026-11") == ["2025-10", "2026-09", "2026-10", "2026-11"]
    assert trend_periods(published, "2026-Q3") == ["2026-Q3"]
    many = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)]
    assert trend_periods(many, "2026-12") == many[-12:]  # at most a year


# -- the figures -----------------------------------------------------------------------------------


def test_gaps_put_the_most_unmet_searches_first():
    rows = gap_rows(sample_cells(), LATEST)
    assert [(r["subject"], r["place"], r["unmet"]) for r in rows[:4]] == [
        ("dutch", GAP_PLACE, 22),  # 40 x 55% without a course nearby
        ("logistics", "Moerdijk", 18),  # 25 x 72%
        ("digital", "Breda", 18),  # 60 x 30% only paid: fewer per cent, after Moerdijk
        ("dutch", "Breda", 12),
    ]
    # Margins are not gaps; a municipality has its own.
    assert ALL not in {r["subject"] for r in rows} | {r["place"] for r in rows}
    assert {r["place"] for r in gap_rows(sample_cells(), LATEST, "Breda")} == {"Breda"}
    assert rows[0]["subject_label"] == "Nederlands leren (NT2)"
    assert rows[0]["median_km"] == 14.5


def test_the_summary_names_only_real_places_with_a_large_share_unmet():
    rows = gap_rows(
        [
            cell("demand", "dutch", "unknown", 500, no_nearby_pct=90),  # nobody knows where
            cell("demand", "digital", "Breda", 400, no_nearby_pct=GAP_SHARE - 1),  # small share
            cell("demand", "logistics", "Etten-Leur", 20, no_result_pct=GAP_SHARE),
        ],
        LATEST,
    )
    assert [(r["subject"], r["place"]) for r in largest_gaps(rows)] == [("logistics", "Etten-Leur")]


def test_the_report_of_the_region():
    report = build_report(sample_cells(), LATEST, K)
    assert report["place_label"] == "de hele regio" and report["municipality"] is None
    assert report["total_conversations"] == 320 and report["total_searches"] == 290
    assert report["municipalities"] == ["Breda", "Moerdijk", "Roosendaal"]
    sections = {s["id"]: s for s in report["sections"]}
    assert [b["code"] for b in sections["language"]["bars"]] == ["nl", "ar", "en", "uk"]
    assert sections["language"]["bars"][1]["label"] == "Arabisch"
    assert [b["code"] for b in sections["age"]["bars"]] == ["27-44", "45-56", "67+"]  # in order
    assert [b["code"] for b in sections["budget"]["bars"]] == ["something_fits", "nothing_fits"]
    assert sections["budget"]["total"] == 115
    assert not any(s["region_only"] for s in report["sections"])
    schemes = report["schemes"]
    assert [o["code"] for o in schemes["outcomes"]] == ["eligible", "maybe", "not_eligible"]
    stap = schemes["rows"][0]
    assert (stap["code"], stap["label"], stap["total"]) == ("stap-budget", "STAP-budget", 42)
    assert (stap["eligible"], stap["maybe"], stap["not_eligible"]) == (30, None, 12)
    assert "minstens 10" in report["k_explanation"]
    assert report["hidden_note"].startswith("– betekent: minder dan 10 gesprekken")


def test_the_trend_shows_the_subjects_with_the_most_searches():
    trend = build_report(sample_cells(), LATEST, K)["trend"]
    assert [p["code"] for p in trend["periods"]] == ["2026-09", "2026-10", "2026-11"]
    assert [s["code"] for s in trend["subjects"]] == ["dutch", "digital", "logistics", "any"]
    points = {(p["period"], p["subject"]): p["conversations"] for p in trend["points"]}
    assert points[("2026-09", "dutch")] == 140
    assert points[("2026-09", "logistics")] is None  # not published: no point, never 0
    breda = build_report(sample_cells(), LATEST, K, municipality="Breda")["trend"]
    assert [s["code"] for s in breda["subjects"]] == ["dutch", "digital"]
    dutch = [p["conversations"] for p in breda["points"] if p["subject"] == "dutch"]
    assert dutch == [100, 110, 120]
    cells = [cell("demand", f"topic-{n}", ALL, 100 - n) for n in range(10)]
    assert len(build_report(cells, LATEST, K)["trend"]["subjects"]) == 6


def test_the_summary_of_the_region():
    sentences = build_report(sample_cells(), LATEST, K)["summary"]
    assert sentences == [
        "In november 2026 had Leerwijzer 320 gesprekken in de hele regio.",
        "In november 2026 waren er in de hele regio 290 gesprekken waarin mensen een cursus "
        "zochten.",
        "Veel vraag, weinig aanbod: Nederlands leren (NT2) in Roosendaal, 40 gesprekken. Bij "
        "55% was er geen cursus in de buurt.",
        "Veel vraag, weinig aanbod: Logistiek in Moerdijk, 25 gesprekken. Bij 60% vond "
        "Leerwijzer geen enkele cursus. Bij 72% was er geen cursus in de buurt.",
        "Veel vraag, weinig aanbod: Digitale vaardigheden in Breda, 60 gesprekken. Bij 30% "
        "kostten alle cursussen geld.",
        "Naast Nederlands spraken mensen vooral Arabisch (40 gesprekken) en Engels "
        "(25 gesprekken).",
        "In 115 gesprekken keek Leerwijzer of een regeling de cursus kan betalen. In 35 "
        "daarvan paste geen enkele regeling (30%).",
        "Mensen vroegen het vaakst om een medewerker omdat Leerwijzer hun vraag niet begreep "
        "(30 gesprekken).",
    ]


def test_the_summary_of_a_municipality_says_which_figures_are_the_regions():
    sentences = build_report(sample_cells(), LATEST, K, municipality=GAP_PLACE)["summary"]
    assert sentences[0] == (
        "In november 2026 waren er in Roosendaal 45 gesprekken waarin mensen een cursus zochten."
    )
    assert sentences[1].startswith(
        "Veel vraag, weinig aanbod: Nederlands leren (NT2) in Roosendaal"
    )
    assert [s.split(" mensen")[0] for s in sentences[2:] if s.startswith("In de hele regio")] == [
        "In de hele regio spraken",
        "In de hele regio keek Leerwijzer in 115 gesprekken of een regeling de cursus kan betalen."
        " In 35 daarvan paste geen enkele regeling (30%).",
        "In de hele regio vroegen",
    ]


def test_a_view_with_a_row_per_municipality_is_used_for_it():
    cells = [
        cell("demand", ALL, "Breda", 50),
        cell("language", ALL, "nl", 30),
        cell("language", ALL, "ar", 20),
        cell("language", "Breda", "ar", 12),
    ]
    report = build_report(cells, LATEST, K, municipality="Breda")
    language = next(s for s in report["sections"] if s["id"] == "language")
    assert language["bars"] == [{"code": "ar", "label": "Arabisch", "conversations": 12}]
    assert not language["region_only"]
    assert "Naast Nederlands spraken mensen vooral Arabisch (12 gesprekken)." in report["summary"]


def test_the_summary_guesses_nothing_that_is_not_published():
    sentences = build_report([cell("language", ALL, "nl", 40)], LATEST, K)["summary"]
    assert sentences == [
        "In november 2026 waren er in de hele regio te weinig gesprekken over cursussen om een "
        "totaal te laten zien.",
        "Er is geen onderwerp met veel gesprekken waarbij mensen vaak geen cursus vonden.",
        "Gesprekken in een andere taal dan Nederlands waren er te weinig om te laten zien.",
        "Hoe vaak er geen regeling past, kunnen we niet laten zien: te weinig gesprekken.",
    ]
    only_nothing = build_report([cell("budget", ALL, "nothing_fits", 14)], LATEST, K)
    assert (
        "Er paste in 14 gesprekken geen enkele regeling om een cursus te betalen."
        in only_nothing["summary"]
    )


def test_summary_works_on_the_report_alone():
    report = build_report(sample_cells(), LATEST, K)
    assert summary(report) == report["summary"]


def test_a_quarter_report():
    cells = [
        cell("demand", "dutch", "Breda", 30, period="2026-Q4", no_nearby_pct=40),
        cell("demand", ALL, ALL, 30, period="2026-Q4"),
        cell("demand", "dutch", ALL, 99, period="2026-11"),  # a month: not in a quarter's trend
    ]
    report = build_report(cells, "2026-Q4", K)
    assert report["grain"] == "quarter"
    assert report["summary"][0].startswith("In oktober tot en met december 2026 waren er")
    assert [p["code"] for p in report["trend"]["periods"]] == ["2026-Q4"]
    assert "Nederlands leren (NT2) in Breda" in report["summary"][1]


def test_an_unknown_code_is_shown_as_it_is_and_an_other_outcome_gets_a_column():
    cells = [
        cell("schemes", "new-scheme", "eligible", 11),
        cell("schemes", "new-scheme", "other", 10),
        cell("handover", ALL, "new-reason", 12),
    ]
    report = build_report(cells, LATEST, K)
    assert report["schemes"]["rows"][0]["label"] == "new-scheme"
    assert [o["code"] for o in report["schemes"]["outcomes"]][-1] == "other"
    assert report["schemes"]["rows"][0]["total"] == 21
    handover = next(s for s in report["sections"] if s["id"] == "handover")
    assert handover["bars"][0]["label"] == "new-reason"


def test_municipalities_leave_out_online_unknown_and_the_margin():
    cells = [cell("demand", "dutch", place, 10) for place in ("Breda", "online", "unknown", ALL)]
    assert municipalities(cells) == ["Breda"]


# -- names -----------------------------------------------------------------------------------------


def test_names_come_from_the_catalog_and_the_budget_service():
    from actions.vocabulary import HELP_KINDS, known_topics

    subjects = labels.subjects()
    assert set(known_topics()) <= set(subjects)
    assert subjects["dutch"] == "Nederlands leren (NT2)"
    assert subjects["any"].startswith("Eigen woorden")
    assert set(HELP_KINDS) <= set(labels.help_kinds())
    schemes = labels.schemes()
    assert schemes["stap-budget"] == "STAP-budget"
    assert len(schemes) == len(list(labels.SCHEMES_DIR.glob("*.yaml")))


def test_every_published_code_has_a_dutch_name():
    from services.insights.aggregate import OTHER_OUTCOME, OUTCOMES

    assert set(labels.LANGUAGES) == {"nl", "en", "ar", "tr", "uk", "pl"}
    assert set(labels.AGE_BANDS) == {"<27", "27-44", "45-56", "57-66", "67+"}
    assert set(labels.OUTCOMES) == {*OUTCOMES, OTHER_OUTCOME}
    assert set(labels.HANDOVER_REASONS) == set(labels.HANDOVER_BECAUSE) == {
        "asked", "misunderstood", "no_course", "nothing_fits", "help"}  # fmt: skip
    assert {"socketio", "widget", "kiosk", "whatsapp", "rest"} <= set(labels.CHANNELS)
    assert labels.label("demand", ALL, "row") == "Alle onderwerpen"
    assert labels.label("demand", ALL) == "Hele regio"
    assert labels.label("language", ALL) == "Totaal"
    assert labels.label("schemes", "maybe") == "Past misschien"
    assert labels.label("schemes", "uaf", "row").startswith("UAF")
    assert labels.place("online") == "Online"
