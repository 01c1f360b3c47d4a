import pytest

from actions.dutch import format_cost, format_date, parse_age


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-12", "dinsdag 12 januari 2027"),
        ("2026-12-31T10:00:00Z", "donderdag 31 december 2026"),
        ("niet een datum", ""),
        (None, ""),
    ],
)
def test_format_date(value, expected):
    assert format_date(value) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(0, "gratis"), (45, "€ 45"), (1234.5, "€ 1.234,50"), (None, "prijs onbekend")],
)
def test_format_cost(amount, expected):
    assert format_cost(amount) == expected


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
