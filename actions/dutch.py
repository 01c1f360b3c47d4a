"""Dates and amounts in the citizen's language (Babel, CLDR data), and Dutch ages from text."""

from __future__ import annotations

import re
from datetime import date, timedelta

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_timedelta
from babel.numbers import format_currency

from actions.i18n import DEFAULT_LANGUAGE, say

# The CLDR locale of each conversation language. Plain "ar" writes Western digits (CLDR's
# default for it), like the times, phone numbers and amounts elsewhere on a course card.
LOCALES = {"nl": "nl_NL", "en": "en_GB", "ar": "ar", "tr": "tr_TR", "uk": "uk_UA", "pl": "pl_PL"}


def _locale(language: str) -> str:
    return LOCALES.get(language, LOCALES[DEFAULT_LANGUAGE])


def format_date(value: str | date | None, language: str = DEFAULT_LANGUAGE) -> str:
    """'2027-01-12' -> 'dinsdag 12 januari 2027' (nl), 'Tuesday, 12 January 2027' (en);
    unknown or invalid -> ''."""
    if value is None:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return ""
    return babel_date(day, "full", locale=_locale(language))


def format_wait(minutes: int, language: str = DEFAULT_LANGUAGE) -> str:
    """5 -> '5 minuten' (nl), '1 minuut', '2 minuty' (pl): CLDR's plural rules, always minutes."""
    return format_timedelta(
        timedelta(minutes=max(1, int(minutes))),
        granularity="minute",
        threshold=1000,  # never "2 uur": a wait is said in minutes
        locale=_locale(language),
    )


# The catalog writes a course's schedule in Dutch ("dinsdag 10:00-12:00"); CLDR's weekday
# index (Monday = 0) gives the same day in the person's language.
DUTCH_WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_DUTCH_WEEKDAY = re.compile(r"(?<!\w)(" + "|".join(DUTCH_WEEKDAYS) + r")(?!\w)", re.IGNORECASE)


def format_schedule(schedule: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The catalog's Dutch schedule with its weekdays in the person's language:
    'dinsdag 10:00-12:00' -> 'Tuesday 10:00-12:00' (en); Dutch as it is."""
    if language == DEFAULT_LANGUAGE or not schedule:
        return schedule
    names = Locale.parse(_locale(language)).days["format"]["wide"]

    def day(match: re.Match[str]) -> str:
        return names[DUTCH_WEEKDAYS.index(match.group(1).lower())]

    return _DUTCH_WEEKDAY.sub(day, schedule)


def format_cost(amount_eur: float | None, language: str = DEFAULT_LANGUAGE) -> str:
    """Euros as the language writes them: '€ 5', '€ 12,50' (nl, a no-break space), '€5' (en);
    whole euros without cents; 0 and None in words ('gratis', 'prijs onbekend')."""
    if amount_eur is None:
        return say(language, "price_unknown")
    if amount_eur == 0:
        return say(language, "free")
    locale = _locale(language)
    if round(amount_eur, 2) != round(amount_eur):
        return format_currency(amount_eur, "EUR", locale=locale)
    # The locale's own pattern without the cents: '¤ #,##0.00' -> '¤ #,##0'.
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(amount_eur, "EUR", pattern, locale=locale, currency_digits=False)


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
