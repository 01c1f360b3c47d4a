"""Reading-level checks for Dutch that citizens read: short sentences, "u", no officialese.

B1 guidance for public-sector Dutch comes down to a few checkable habits: sentences of at most
about 20 words and about 15 on average, the polite "u" rather than "je", and everyday words
instead of jargon. :func:`check_text` checks one text; :func:`check_texts` adds the average over
many texts (one reason is often a single short sentence, so the average only means something over
a whole corpus). Shared by the budget service's scheme texts and the assistant's responses
(tests/test_domain.py); it knows nothing of either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "INFORMAL_PRONOUNS",
    "JARGON",
    "MAX_AVERAGE_WORDS",
    "MAX_SENTENCE_WORDS",
    "Problem",
    "check_text",
    "check_texts",
    "explained",
    "sentences",
    "words",
]

MAX_SENTENCE_WORDS = 20
MAX_AVERAGE_WORDS = 15

# Officialese and jargon with a plain alternative; the value is the suggestion shown to a writer.
JARGON: dict[str, str] = {
    "aanvraagprocedure": "aanvragen",
    "aanvrager": "u",
    "aldus": "zo",
    "alsmede": "en",
    "arbeidsmarktrelevant": "helpt u aan werk",
    "beschikking": "besluit of brief",
    "betreffende": "over",
    "c.q.": "of",
    "conform": "volgens",
    "derhalve": "daarom",
    "desbetreffende": "die",
    "dientengevolge": "daardoor",
    "doelgroep": "voor wie",
    "hieromtrent": "hierover",
    "indien": "als",
    "ingevolge": "volgens",
    "inzake": "over",
    "m.b.t.": "over",
    "middels": "met",
    "onderhavige": "deze",
    "reeds": "al",
    "re-integratie": "hulp naar werk",
    "subsidiabel": "wordt betaald",
    "teneinde": "om",
    "ten behoeve van": "voor",
    "tevens": "ook",
    "toekenning": "u krijgt het",
    "uitkeringsgerechtigde": "iemand met een uitkering",
    "verstrekken": "geven",
    "voornoemde": "die",
    "woonachtig": "wonen",
    "zulks": "dat",
}

# "u" is the house style; these forms address the reader informally.
INFORMAL_PRONOUNS = frozenset({"je", "jij", "jou", "jouw", "jullie", "jezelf"})

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+(?:[-'’.][0-9A-Za-zÀ-ÖØ-öø-ÿ]+)*")


@dataclass(frozen=True)
class Problem:
    """One finding: ``kind`` is ``long_sentence``, ``long_average``, ``jargon`` or ``informal``."""

    kind: str
    message: str
    excerpt: str = ""


def sentences(text: str) -> list[str]:
    """The sentences of ``text``: split after ``.``, ``!`` or ``?`` followed by white space.

    Numbers such as ``1.000`` and web addresses stay whole because no space follows their dots.
    """
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def words(sentence: str) -> list[str]:
    """The words of a sentence; ``Klik & Tik`` has two, ``1.000`` and ``O&O-fonds`` count once."""
    return _WORD.findall(sentence.replace("&", ""))


def check_text(text: str) -> list[Problem]:
    """Problems in one text: long sentences, a long average, jargon and informal pronouns."""
    problems: list[Problem] = []
    found = sentences(text)
    lengths = []
    for sentence in found:
        count = len(words(sentence))
        lengths.append(count)
        if count > MAX_SENTENCE_WORDS:
            problems.append(
                Problem(
                    "long_sentence",
                    f"{count} words; at most {MAX_SENTENCE_WORDS} per sentence",
                    sentence,
                )
            )
    if lengths and sum(lengths) / len(lengths) > MAX_AVERAGE_WORDS:
        average = sum(lengths) / len(lengths)
        problems.append(
            Problem("long_average", f"{average:.1f} words per sentence; at most 15", text)
        )
    problems.extend(_jargon(text))
    problems.extend(_informal(text))
    return problems


def check_texts(texts: Iterable[str]) -> list[Problem]:
    """:func:`check_text` for every text, plus the average sentence length over all of them."""
    problems: list[Problem] = []
    lengths: list[int] = []
    for text in texts:
        problems.extend(problem for problem in check_text(text) if problem.kind != "long_average")
        lengths.extend(len(words(sentence)) for sentence in sentences(text))
    if lengths and sum(lengths) / len(lengths) > MAX_AVERAGE_WORDS:
        average = sum(lengths) / len(lengths)
        problems.append(
            Problem(
                "long_average",
                f"{average:.1f} words per sentence over {len(lengths)} sentences; at most 15",
            )
        )
    return problems


def explained(term: str, text: str) -> bool:
    """A hard word may stay when the text explains it: "term (uitleg)" or "term: dat is ..."."""
    pattern = re.escape(term) + r"""\s*(?:\(|[:,-]\s*(?:dat|dit)\s+(?:is|betekent)\b)"""
    return re.search(pattern, text, re.IGNORECASE) is not None


def _jargon(text: str) -> list[Problem]:
    folded = f" {' '.join(words(text.casefold()))} "
    found = []
    for term, plain in JARGON.items():
        # Word boundaries on the tokenised text: "indien" must not match "indienen".
        if f" {' '.join(words(term))} " in folded and not explained(term, text):
            found.append(Problem("jargon", f"'{term}' is jargon; write '{plain}'", term))
    return found


def _informal(text: str) -> list[Problem]:
    used = sorted({word for word in words(text.casefold()) if word in INFORMAL_PRONOUNS})
    return [
        Problem("informal", f"'{word}' addresses the reader informally; use 'u'", word)
        for word in used
    ]
