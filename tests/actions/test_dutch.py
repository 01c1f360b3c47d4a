import pytest

from actions.dutch import format_cost, format_date


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
