"""Plain-Dutch formatting of dates and amounts for citizens."""

from __future__ import annotations

import re
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


UNITS = {
    "een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5,
    "zes": 6, "zeven": 7, "acht": 8, "negen": 9,
}  # fmt: skip
TEENS = {
    "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14, "vijftien": 15,
    "zestien": 16, "zeventien": 17, "achttien": 18, "negentien": 19,
}  # fmt: skip
TENS = {
    "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50,
    "zestig": 60, "zeventig": 70, "tachtig": 80, "negentig": 90,
}  # fmt: skip
MAX_AGE = 120
_DIGITS = re.compile(r"(?<![\d.,])(\d{1,3})(?![\d.,]*\d)")
_WORD = re.compile(r"[a-zà-ÿ]+")


def _below_hundred(word: str) -> int | None:
    if word in UNITS:
        return UNITS[word]
    if word in TEENS:
        return TEENS[word]
    if word in TENS:
        return TENS[word]
    for unit, unit_value in UNITS.items():
        # "zevenenzestig": unit + "en" + tens ("ën" after an e: "tweeëntwintig")
        for joiner in ("en", "ën"):
            prefix = unit + joiner
            if word.startswith(prefix) and word[len(prefix) :] in TENS:
                return unit_value + TENS[word[len(prefix) :]]
    return None


def number_from_word(word: str) -> int | None:
    """'zevenenzestig' -> 67, 'honderdtwee' -> 102, 'achttien' -> 18; else None."""
    word = word.lower().replace("één", "een")
    if word.startswith("honderd"):
        rest = word[len("honderd") :].removeprefix("en")
        if not rest:
            return 100
        below = _below_hundred(rest)
        return 100 + below if below is not None else None
    return _below_hundred(word)


def parse_age(text: str | int | float | None) -> int | None:
    """An age from digits or Dutch number words: '67', 'ik ben 67 jaar', 'zeven en zestig'.

    Returns None when there is no plausible age (0-120) or more than one candidate.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return int(text) if 0 <= text <= MAX_AGE and int(text) == text else None
    text = str(text)[:200].lower()
    candidates = [int(d) for d in _DIGITS.findall(text)]
    words = _WORD.findall(text.replace("-", " "))
    index = 0
    while index < len(words):
        # Number words may be split by spaces: "zeven en zestig" is one number.
        window = words[index : index + 3]
        if len(window) == 3 and window[1] in ("en", "ën"):
            value = number_from_word("".join(window))
            if value is not None:
                candidates.append(value)
                index += 3
                continue
        # A lone "een" is the article ("een cursus"), not the number one.
        value = None if words[index] == "een" else number_from_word(words[index])
        if value is not None:
            candidates.append(value)
        index += 1
    plausible = {c for c in candidates if 0 <= c <= MAX_AGE}
    return plausible.pop() if len(plausible) == 1 else None
