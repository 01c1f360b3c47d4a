from datetime import date

import pytest

from actions.dutch import format_cost, format_date, format_schedule, parse_age
from actions.i18n import LANGUAGES

NBSP, NNBSP, RLM = "\u00a0", "\u202f", "\u200f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-12", "dinsdag 12 januari 2027"),
        ("2026-12-31T10:00:00Z", "donderdag 31 december 2026"),
        (date(2027, 4, 13), "dinsdag 13 april 2027"),
        ("niet een datum", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_format_date(value, expected):
    assert format_date(value) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "dinsdag 12 januari 2027"),
        ("en", "Tuesday, 12 January 2027"),
        # Western digits in Arabic too, like the times and amounts on the same card.
        ("ar", "الثلاثاء، 12 يناير 2027"),
        ("tr", "12 Ocak 2027 Salı"),
        ("uk", f"вівторок, 12 січня 2027{NNBSP}р."),
        ("pl", "wtorek, 12 stycznia 2027"),
        ("xx", "dinsdag 12 januari 2027"),  # unknown: Dutch
    ],
)
def test_a_date_has_the_weekday_and_the_month_in_the_language(language, expected):
    assert format_date("2027-01-12", language) == expected
    assert format_date(date(2027, 1, 12), language) == expected


def test_no_date_is_no_date_in_every_language():
    assert {format_date(v, lang) for lang in LANGUAGES for v in (None, "x", "2027-13-01")} == {""}


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "gratis"),
        (45, f"€{NBSP}45"),
        (5.0, f"€{NBSP}5"),
        (12.5, f"€{NBSP}12,50"),
        (1234.5, f"€{NBSP}1.234,50"),
        (1000, f"€{NBSP}1.000"),
        (4.999, f"€{NBSP}5"),
        (None, "prijs onbekend"),
    ],
)
def test_format_cost(amount, expected):
    assert format_cost(amount) == expected


@pytest.mark.parametrize(
    ("language", "whole", "cents", "free", "unknown"),
    [
        ("nl", f"€{NBSP}5", f"€{NBSP}1.234,50", "gratis", "prijs onbekend"),
        ("en", "€5", "€1,234.50", "free", "price unknown"),
        ("ar", f"{RLM}5{NBSP}€", f"{RLM}1,234.50{NBSP}€", "مجانًا", "السعر غير معروف"),
        ("tr", "€5", "€1.234,50", "ücretsiz", "fiyat bilinmiyor"),
        ("uk", f"5{NBSP}EUR", f"1{NBSP}234,50{NBSP}EUR", "безкоштовно", "ціна невідома"),
        ("pl", f"5{NBSP}€", f"1{NBSP}234,50{NBSP}€", "bezpłatnie", "cena nieznana"),
    ],
)
def test_an_amount_follows_the_language(language, whole, cents, free, unknown):
    assert format_cost(5, language) == whole
    assert format_cost(1234.5, language) == cents
    assert format_cost(0, language) == free
    assert format_cost(None, language) == unknown


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("67", 67),
        ("ik ben 67 jaar", 67),
        ("zevenenzestig", 67),
        ("Zevenenvijftig jaar oud", 57),
        ("zeven en zestig", 67),
        ("tweeëntwintig", 22),
        ("ik ben achttien", 18),
        ("zeventien", 17),
        ("vijftig", 50),
        ("honderdtwee", 102),
        ("bijna 57", 57),
        (56, 56),
        ("ik zoek een cursus", None),
        ("geen idee", None),
        ("1234", None),
        ("ik ben 67 en mijn zoon 40", None),
        ("", None),
        (None, None),
        ("😀" * 1000, None),
    ],
)
def test_parse_age_reads_digits_and_dutch_number_words(text, age):
    assert parse_age(text) == age


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "dinsdag 10:00-12:00, Donderdag 19:00"),
        ("en", "Tuesday 10:00-12:00, Thursday 19:00"),
        ("tr", "Salı 10:00-12:00, Perşembe 19:00"),
        ("pl", "wtorek 10:00-12:00, czwartek 19:00"),
    ],
)
def test_the_catalogs_dutch_weekdays_are_said_in_the_persons_language(language, expected):
    assert format_schedule("dinsdag 10:00-12:00, Donderdag 19:00", language) == expected
    assert format_schedule("", language) == ""
    assert format_schedule("op afspraak", language) == "op afspraak"  # no weekday: as it is
