"""Plain-Dutch formatting of dates and amounts for citizens."""

from __future__ import annotations

from datetime import date

MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()
WEEKDAYS = "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag".split()


def format_date(value: str | date | None) -> str:
    """'2027-01-12' -> 'dinsdag 12 januari 2027'; unknown or invalid -> ''."""
    if value is None:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return ""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def format_cost(amount_eur: float | None) -> str:
    if amount_eur is None:
        return "prijs onbekend"
    if amount_eur == 0:
        return "gratis"
    euros = f"{amount_eur:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"€ {euros.removesuffix(',00')}"
