"""Forgiving Dutch search: turn what a person typed into groups of index terms.

"curcus computer in Breda" becomes: drop "curcus" (a typo of the noise word "cursus"), take
"Breda" as the municipality, and search one group {computer*, subject digital}. The store
scores each group by the best field it matches (FIELD_WEIGHTS: name 3, tags 2, description 1)
and ranks courses by the sum over groups, then by distance (in person nearest first, online
after them), then by start date. The scores are coarse on purpose: two courses that both have
the word in their name tie, and then the nearer one comes first. A topic reached through a
synonym counts only for courses *about* it (their first topic, text.subject_tokens). The plan
is store-independent; stores only render it as SQL.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from services import geo
from services.catalog.text import (
    NOISE_WORDS,
    STOP_WORDS,
    lexicon,
    normalize,
    stem,
    subject_tag,
    tag_token,
    words,
)
from services.catalog.vocabulary import vocabulary

# A pasted essay is cut here: nobody's course question needs more words than this.
MAX_QUERY_CHARS = 300
# A word in the name says most; a topic or audience (tags, often reached through a synonym)
# says the course is about it; the description alone says least.
FIELD_WEIGHTS = {"name": 3, "tags": 2, "body": 1}
MAX_GROUPS = 8
# Alternatives for a phrase whose words each have several forms (word, stem, compound part).
MAX_PHRASE_TERMS = 8
MIN_FUZZY_LENGTH = 4
# Two typos are corrected only in words this long: in shorter ones two changes make another
# word more often than a typo ("sporten" is not "sparen", "smartfone" is "smartphone").
MIN_TWO_TYPOS_LENGTH = 8
MIN_COMPOUND_HEAD = 4
_PLACE_MARKERS = frozenset(
    {"in", "bij", "rond", "rondom", "omgeving", "buurt", "uit", "te", "regio"}
)
_MAX_PLACE_WORDS = 4


@dataclass(frozen=True)
class SearchGroup:
    """Alternatives for one thing the person asked for: prefix terms and facet tags.

    A term of several words (from a phrase such as "lezen en schrijven") matches a field that
    has all of them; topic tags are subject tags (text.subject_tag).
    """

    terms: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchPlan:
    groups: tuple[SearchGroup, ...] = ()
    municipality: geo.Municipality | None = None
    unmatched: tuple[str, ...] = ()
    # Something meaningful was asked but nothing in the catalog can match it: no results.
    impossible: bool = False


@dataclass
class TermIndex:
    """The words a store has indexed, for prefix checks and typo correction."""

    terms: list[str] = field(default_factory=list)
    _by_initial: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.terms = sorted(set(self.terms) | lexicon())
        self._known = frozenset(self.terms)
        for term in self.terms:
            self._by_initial.setdefault(term[0], []).append(term)

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def has_prefix(self, prefix: str) -> bool:
        at = bisect.bisect_left(self.terms, prefix)
        return at < len(self.terms) and self.terms[at].startswith(prefix)

    def corrections(self, word: str) -> list[str]:
        """Known words at the smallest edit distance (1, or 2 from MIN_TWO_TYPOS_LENGTH
        letters); same initial."""
        if len(word) < MIN_FUZZY_LENGTH or not word[0].isalpha():
            return []
        limit = 1 if len(word) < MIN_TWO_TYPOS_LENGTH else 2
        choices = [t for t in self._by_initial.get(word[0], ()) if abs(len(t) - len(word)) <= limit]
        found = process.extract(
            word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=12
        )
        if not found:
            return []
        best = min(score for _, score, _ in found)
        return [choice for choice, score, _ in found if score == best][:3]


@lru_cache(maxsize=1)
def synonym_table() -> dict[tuple[str, ...], frozenset[str]]:
    """Normalised vocabulary phrases -> the facet tags they stand for (topics, audiences)."""
    table: dict[tuple[str, ...], set[str]] = {}
    vocab = vocabulary()
    for kind, terms in (("topic", vocab.topics), ("audience", vocab.audiences)):
        for term in terms:
            tag = tag_token(kind, term.id)
            for phrase in (*term.terms, term.label):
                key = tuple(words(phrase))
                if key:
                    table.setdefault(key, set()).add(tag)
    return {key: frozenset(tags) for key, tags in table.items()}


@lru_cache(maxsize=1)
def _longest_phrase() -> int:
    return max(len(key) for key in synonym_table())


def plan_query(text: str | None, index: TermIndex, *, find_place: bool = True) -> SearchPlan:
    """Plan a search for free text; never raises on odd input (emoji, SQL, 10 kB essays)."""
    tokens = normalize((text or "")[:MAX_QUERY_CHARS]).split()
    municipality = None
    if find_place:
        municipality, tokens = _take_municipality(tokens)
    groups: list[SearchGroup] = []
    unmatched: list[str] = []
    synonyms = synonym_table()
    position = 0
    while position < len(tokens) and len(groups) < MAX_GROUPS:
        phrase_length, tags = _phrase_at(tokens, position, synonyms)
        if phrase_length > 1:
            content = [
                w for w in tokens[position : position + phrase_length] if w not in STOP_WORDS
            ]
            groups.append(SearchGroup(_phrase_terms(content, index, synonyms), _subject_tags(tags)))
            position += phrase_length
            continue
        word = tokens[position]
        position += 1
        if word in STOP_WORDS or _is_noise(word, index):
            continue
        group = _group_for(word, index, synonyms)
        if group:
            groups.append(group)
        else:
            unmatched.append(word)
    impossible = bool(unmatched) and not groups
    return SearchPlan(tuple(groups), municipality, tuple(unmatched), impossible)


def _phrase_at(
    tokens: list[str], position: int, synonyms: dict[tuple[str, ...], frozenset[str]]
) -> tuple[int, frozenset[str]]:
    for length in range(min(_longest_phrase(), len(tokens) - position), 1, -1):
        key = tuple(tokens[position : position + length])
        if key in synonyms:
            return length, synonyms[key]
    return 1, frozenset()


def _is_noise(word: str, index: TermIndex) -> bool:
    if word in NOISE_WORDS or stem(word) in NOISE_WORDS:
        return True
    if word in index or len(word) < 5:
        return False
    # "curcus", "cursis", "trainig": a typo of a noise word is noise too.
    return any(
        DamerauLevenshtein.distance(word, noise, score_cutoff=1) <= 1 for noise in NOISE_WORDS
    )


def _expand(
    word: str, index: TermIndex, synonyms: dict[tuple[str, ...], frozenset[str]]
) -> tuple[set[str], set[str]]:
    """Prefix terms and facet tags for one known-or-unknown word, without typo correction."""
    terms: set[str] = set()
    tags: set[str] = set()
    stemmed = stem(word)
    # The stem only when the word itself is unknown: "ouderen" (older people) must not become
    # "ouder*", which also matches "ouders", nor take the synonyms of "ouder" (parents).
    tags.update(synonyms.get((word,), ()) or synonyms.get((stemmed,), ()))
    for form in (word, stemmed):
        if index.has_prefix(form):
            terms.add(form)
            break
    head = _compound_head(word, index)
    if head:
        tags.update(synonyms.get((head,), ()))
        tags.update(synonyms.get((stem(head),), ()))
        if index.has_prefix(head):
            terms.add(head)
    return terms, tags


def _compound_head(word: str, index: TermIndex) -> str | None:
    """The first part of a Dutch compound ("computer" in "computervaardigheden").

    Only the first part is used for the query: it is the specific one ("taal" in
    "taalcursus"), while the last part is often generic ("cursus", "vaardigheden").
    """
    for cut in range(len(word) - 3, MIN_COMPOUND_HEAD - 1, -1):
        head = word[:cut]
        if head in index and head not in STOP_WORDS and head not in NOISE_WORDS:
            return head
    return None


def _group_for(
    word: str, index: TermIndex, synonyms: dict[tuple[str, ...], frozenset[str]]
) -> SearchGroup | None:
    terms, tags = _expand(word, index, synonyms)
    if not terms and not tags:
        for correction in index.corrections(word):
            if correction in NOISE_WORDS or correction in STOP_WORDS:
                continue
            more_terms, more_tags = _expand(correction, index, synonyms)
            terms |= more_terms
            tags |= more_tags
    if not terms and not tags:
        return None
    return SearchGroup(tuple(sorted(terms)), _subject_tags(tags))


def _subject_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Topic tags are looked up as subjects (text.subject_tag): a synonym of "digital" finds
    courses about digital skills, not every course that also mentions them."""
    return tuple(sorted({subject_tag(tag) for tag in tags}))


def _phrase_terms(
    content: list[str], index: TermIndex, synonyms: dict[tuple[str, ...], frozenset[str]]
) -> tuple[str, ...]:
    """Terms for a phrase: every (indexed) word of it must occur, so "lezen en schrijven" does
    not find "Uw ondernemingsplan schrijven". A term of several words means all of them."""
    per_word = []
    for word in content:
        terms, _ = _expand(word, index, synonyms)
        if terms:
            per_word.append(sorted(terms))
    if not per_word:
        return ()
    combinations = itertools.islice(itertools.product(*per_word), MAX_PHRASE_TERMS)
    return tuple(sorted({" ".join(dict.fromkeys(words)) for words in combinations}))


def _take_municipality(tokens: list[str]) -> tuple[geo.Municipality | None, list[str]]:
    """Find a municipality named in the text ("computerles in Etten-Leur") and remove it.

    A name counts after a place word ("in", "bij", ...) or when it is in or next to
    West-Brabant, so a word like "best" in "de beste cursus" is not taken for Best.
    """
    nearby = _nearby_codes()
    for length in range(_MAX_PLACE_WORDS, 0, -1):
        for start in range(0, len(tokens) - length + 1):
            candidate = " ".join(tokens[start : start + length])
            municipality = geo.find_municipality(candidate)
            if municipality is None or (length == 1 and len(candidate) < 3):
                continue
            after_marker = start > 0 and tokens[start - 1] in _PLACE_MARKERS
            if municipality.code in nearby or after_marker:
                return municipality, tokens[:start] + tokens[start + length :]
    return None, tokens


@lru_cache(maxsize=1)
def _nearby_codes() -> frozenset[str]:
    members = set(geo.region_members("regio-west-brabant"))
    by_code = {m.code: m for m in geo.all_municipalities()}
    for code in list(members):
        members.update(n.code for n in geo.neighbours(by_code[code]))
    return frozenset(members)


def distances_from(origin: geo.Municipality, max_km: float) -> dict[str, float]:
    """CBS code -> distance in km (one decimal) for every municipality within ``max_km``."""
    found = {}
    for municipality in geo.all_municipalities():
        km = geo.distance_km(origin, municipality)
        if km <= max_km:
            found[municipality.code] = round(km, 1)
    return found


def tag_filter(kind: str, values: Iterable[str]) -> tuple[str, ...]:
    return tuple(tag_token(kind, value) for value in values)
