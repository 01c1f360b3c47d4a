"""Dutch text handling shared by indexing and querying: normalise, tokenise, stem, split compounds.

Both stores index the token strings made here (FTS5 and PostgreSQL ``simple`` tsvectors only
split on spaces), so SQLite and PostgreSQL see exactly the same words and behave the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from services.catalog.vocabulary import vocabulary

# Words that carry no meaning in a course search ("ik zoek een cursus voor ...").
STOP_WORDS = frozenset(
    """
    aan al alle als bij dan dat de der des die dit doe doen door een en er graag heb hebben het
    hier hoe ik in is je jij kan kun kunnen leer leren maar me mee meer met mij mijn moet na naar
    niet nog nu of om onder ons ook op over te tegen tot u uw van veel voor waar wat wel welke
    wil willen wij ze zelf zich zij zijn zo zoek zoeken zou zonder iets iemand eens even ergens
    mogelijk graag soort beetje hulp helpen worden word gaan ga komen kom krijgen volgen
    beginnen begin wordt kunt mag mogen moeten oefenen oefen maken werken doen weten
    the a an for of to and in
    """.split()
)
# Words that only say "a course": they would match every course equally, so they are dropped.
# Typos of them ("curcus") are dropped too (see search.py).
NOISE_WORDS = frozenset(
    """
    cursus cursussen curssus les lessen training trainingen opleiding opleidingen workshop
    workshops bijeenkomst bijeenkomsten course courses class klas leergang module modules
    """.split()
)
# Parts that Dutch compounds in course texts are commonly made of, besides the vocabulary
# terms in topics.yaml; used to split "computervaardigheden" or "taalcursus" into words.
COMPOUND_PARTS = frozenset(
    """
    computer taal cursus les lessen vaardigheden vaardigheid geld zaken lezen schrijven reken
    rekenen digitaal digitale overheid hulp spreekuur middag ochtend avond groep dag start basis
    gevorderden beginners club cafe maatje punt loket vragen werk plein zoeken huis houd boek
    brief brieven telefoon internet veilig bankieren energie bespaar besparen zon panelen koken
    keuken magazijn heftruck bedrijf plan onderneming loopbaan sollicitatie gesprek training
    gezond heid zorg mantel foto video bellen app appen mail mailen leer werken inloop uur
    """.split()
)
# Dutch links two parts of a compound with "s" or "e(n)" sometimes: "sollicitatiegesprek",
# "huishoudboekje", "beroepskeuze".
_LINKING = ("", "s", "e", "en")
_MIN_PART = 3
_MAX_TOKENS_PER_TEXT = 4000
_WORD = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> str:
    """Lower case ASCII without diacritics; every other character becomes a space.

    Tokens are [a-z0-9] only: NFKD splits "é" into "e" plus a combining accent and the ASCII
    encoding drops the accent (and anything else non-Latin, which the index cannot hold).
    """
    if not isinstance(text, str):
        return ""
    plain = text if text.isascii() else unicodedata.normalize("NFKD", text)
    plain = plain.encode("ascii", "ignore").decode("ascii").lower()
    plain = plain.replace("&", " en ").replace("'", "")
    return " ".join(_WORD.findall(plain))


def words(text: str) -> list[str]:
    return normalize(text).split()


def stem(word: str) -> str:
    """A light Dutch stem, used as a prefix: "cursussen" -> "cursus", "computers" -> "computer".

    Only plural and verb endings are cut, and never below four letters, because the stem is
    matched as a prefix and a short prefix matches too much.
    """
    for suffix in ("heden", "ën", "en", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            if suffix == "heden":
                return base + "h"  # vaardigheden -> vaardigh, a prefix of -heid and -heden
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "aeiou":
                base = base[:-1]  # lessen -> les(s) -> les; cursussen -> cursuss -> cursus
            return base
    return word


@lru_cache(maxsize=1)
def lexicon() -> frozenset[str]:
    """Known single words: compound parts plus every one-word vocabulary term."""
    known = set(COMPOUND_PARTS) | set(NOISE_WORDS)
    vocab = vocabulary()
    for term in (*vocab.topics, *vocab.audiences):
        for phrase in (*term.terms, term.label):
            known.update(word for word in words(phrase) if len(word) >= _MIN_PART)
    return frozenset(known)


def split_compound(word: str, known: frozenset[str] | set[str]) -> list[str] | None:
    """Split a compound into known parts ("computervaardigheden" -> computer, vaardigheden).

    Tries the longest known head first and allows a linking "s" or "e(n)". Returns None when the
    word is not a compound of known parts.
    """
    if len(word) < 2 * _MIN_PART or len(word) > 40 or word in known:
        return None  # a known word is not split: "digitaal" is not "digi" + "taal"
    return _split(word, known, depth=0)


def _split(word: str, known: frozenset[str] | set[str], depth: int) -> list[str] | None:
    if depth > 3:
        return None
    for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
        head, rest = word[:cut], word[cut:]
        if head not in known:
            continue
        for link in _LINKING:
            if not rest.startswith(link):
                continue
            tail = rest[len(link) :]
            if len(tail) < _MIN_PART:
                continue
            if tail in known or stem(tail) in known:
                return [head, tail]
            deeper = _split(tail, known, depth + 1)
            if deeper:
                return [head, *deeper]
    return None


def index_tokens(texts: Iterable[str]) -> str:
    """The token string a store indexes for some texts: every word plus its compound parts."""
    return " ".join(_text_tokens(text) for text in texts if text).strip()


@lru_cache(maxsize=8192)
def _text_tokens(text: str) -> str:
    """Cached per text: one course often runs at several providers with the same description."""
    tokens: list[str] = []
    for word in words(text):
        tokens.extend(_word_tokens(word))
        if len(tokens) >= _MAX_TOKENS_PER_TEXT:
            break
    return " ".join(tokens)


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    """A word and its compound parts; cached, as course texts repeat most of their words."""
    parts = split_compound(word, lexicon())
    return (word, *parts) if parts else (word,)


# A course is *about* its first topic (its subject) and the topics above that one; further
# topics describe it, but do not make it a result for their subject: "Solliciteren en uw cv
# maken" (career, digital) is no computer course. Searches by topic (the ``topic`` filter and
# the topics of synonyms) look for these subject tokens.
SUBJECT_KIND = "maintopic"


def subject_tokens(topics: tuple[str, ...] | list[str]) -> list[str]:
    """Index tokens for a course's subject: its first topic and that topic's parents."""
    if not topics:
        return []
    return [tag_token(SUBJECT_KIND, t) for t in vocabulary().topic_with_ancestors(topics[0])]


def subject_tag(tag: str) -> str:
    """The subject token for a topic tag ("topicdigital" -> "maintopicdigital"); others kept."""
    return "main" + tag if tag.startswith("topic") else tag


@lru_cache(maxsize=4096)
def tag_token(kind: str, value: str) -> str:
    """A synthetic token for a facet, e.g. ("topic", "reading-writing") -> "topicreadingwriting".

    Facets are indexed beside the words so that topic and audience filters use the full-text
    index in both stores instead of scanning every course.
    Cached: a catalog has few facet values.
    """
    return kind + re.sub(r"[^a-z0-9]", "", value.lower())
