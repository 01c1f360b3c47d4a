"""Reading the facts in a whole message, in any of the six languages.

People put their facts in the first sentence: "Ik ben 45, werkloos, woon in Etten-Leur en wil
kok worden. Wie betaalt dat?" The NLU model classifies the sentence and marks some entities;
this module reads every fact the dialogue needs from the text itself, as canonical values only
(an age as a number, a municipality as its CBS name, ids from the catalog and the budget
service), so that nothing raw ever reaches a slot or a service.

It is deterministic and knows nothing of Rasa: `understand(text, languages)` gives `Facts`. The
words are data, one file per language in actions/lexicon/<code>.yml (matching rules in the
header of `Lexicon`). Places come from services/geo (municipalities, towns and villages) plus
the spellings of the lexicons (Arabic and Cyrillic script).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field, fields, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions.dutch import parse_age
from actions.vocabulary import topic_terms
from services.geo import municipality_for_place, normalize_name

logger = logging.getLogger(__name__)
LEXICON_DIR = Path(__file__).with_name("lexicon")
LANGUAGES = ("nl", "en", "ar", "tr", "uk", "pl")
LATIN = ("nl", "en", "tr", "pl")
MAX_TEXT = 2000
MIN_AGE, MAX_AGE = 14, 110
# Everyday words that are also the names of villages: never read as a place.
NOT_PLACES = frozenset(
    {"dorst", "hoeven", "made", "schijf", "zegge", "wouw", "heide", "klein", "rijen", "kaart"}
)
# Turkish locative and ablative endings typed without an apostrophe ("oosterhoutta").
TURKISH_ENDING = re.compile(r"(?:[dt][ae]n?|[dt][ae]y[iı]m)$", re.IGNORECASE)
# The municipality as the one who pays, in the six languages (normalized spellings).
MUNICIPALITY_PAYER = re.compile(
    r"(?<!\w)(?:de gemeente|the municipality|belediye\w*|gmin[aey]|громад\w*|гемеенте|"
    r"муніципалітет\w*)(?!\w)|بلدي"
)
# "ik woon in Made": after these words an everyday word that is a village name is the village.
PLACE_PREPOSITIONS = frozenset({"in", "uit", "te", "bij", "naar", "from", "near", "woon", "wonen"})
ONLINE = "online"
# "No" words too short to look for inside a text (Arabic entries match anywhere): only the whole
# message counts.
BARE_NO = frozenset({"لا", "لاء"})
# Facts a goal follows from when no goal was named (budget schemes decide on the goal).
GOAL_BY_TOPIC = {
    "dutch": "dutch_language",
    "integration": "dutch_language",
    "reading-writing": "basic_skills",
    "numeracy-money": "basic_skills",
    "digital": "basic_skills",
    "digital-government": "basic_skills",
    "online-safety": "basic_skills",
    "hospitality": "vocational",
    "logistics": "vocational",
    "technology-energy": "vocational",
    "health-care": "vocational",
    "administration": "vocational",
    "business": "short_course",
    "career": "career_advice",
}
HELP_KIND_BY_TOPIC = {
    "digital-government": "digital-government",
    "reading-writing": "reading-writing",
}

_ARABIC_DIACRITICS = re.compile(r"[\u064B-\u065F\u0670\u0640]")
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SPECIAL_LATIN = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "ß": "ss", "đ": "d", "ə": "e"})
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_NUMBER = re.compile(r"(?<![\d.,:/+\-])(\d{1,3})(?![\d:/]|[.,]\d)")
_WORDS = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def normalize(text: str) -> str:
    """Lower case; Latin letters without diacritics; Arabic letters in one form; ё as е."""
    text = (text or "")[:MAX_TEXT].translate(_APOSTROPHES).translate(_ARABIC_DIGITS)
    text = text.replace("İ", "i").lower()  # Turkish capital İ lowers to i + a combining dot
    text = text.translate(_SPECIAL_LATIN).replace("ё", "е")
    out = []
    for char in text:
        if "a" <= char <= "z" or not char.isalpha():
            out.append(char)
            continue
        name = unicodedata.name(char, "")
        if name.startswith("LATIN"):
            decomposed = unicodedata.normalize("NFKD", char)
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
        else:
            out.append(char)
    text = "".join(out)
    if _ARABIC_LETTERS.search(text):
        text = _ARABIC_DIACRITICS.sub("", text)
        text = re.sub("[أإآ]", "ا", text).replace("ة", "ه").replace("ى", "ي")
    return re.sub(r"\s+", " ", text).strip()


def _pattern(entries: list[str], language: str) -> re.Pattern[str] | None:
    """One regular expression for a list of entries (longest first)."""
    parts = []
    for entry in sorted({normalize(str(e)) for e in entries if str(e).strip()}, key=len)[::-1]:
        if not entry:
            continue
        prefix = entry.endswith("*")
        words = [re.escape(word) for word in entry.rstrip("*").split()]
        if language == "nl":
            # Spoken Dutch drops the last n ("ik wil lere leze"): a word on -en also without it.
            words = [w + "?" if len(w) >= 4 and w.endswith("en") else w for w in words]
        body = r"\s+".join(words)
        if language == "ar" or not re.match(r"\w", entry):
            parts.append(body)  # Arabic clitics attach to words; emoji have no word edges
        else:
            tail = r"\w*" if prefix else ""
            parts.append(rf"(?<!\w){body}{tail}(?!\w)")
    return re.compile("|".join(parts)) if parts else None


class Lexicon:
    """The words of one language (actions/lexicon/<code>.yml).

    Matching: the text and the entries are normalized alike (`normalize`). Entries match whole
    words or phrases; an entry ending in `*` matches every word that starts with it; Arabic
    entries match anywhere (articles and prepositions attach to words).
    """

    def __init__(self, language: str, data: dict[str, Any]) -> None:
        self.language = language
        self.data = data
        self._flat: dict[str, re.Pattern[str] | None] = {}
        self._grouped: dict[str, dict[str, re.Pattern[str] | None]] = {}
        for key in ("yes", "no", "dont_know", "age_cues", "online", "in_person", "learn_cues",
                    "speak_cues", "employer", "pay_self", "no_money", "free_words", "negation",
                    "pay_words", "person_words", "question_words"):  # fmt: skip
            self._flat[key] = _pattern(list(data.get(key) or []), language)
        for key in ("situations", "goals", "topics", "help_kinds", "integration", "schemes",
                    "language_names", "places"):  # fmt: skip
            groups = data.get(key) or {}
            self._grouped[key] = {
                name: _pattern(list(words or []), language) for name, words in groups.items()
            }
        self.common_words = frozenset(normalize(str(w)) for w in data.get("common_words") or [])
        numbers = data.get("number_words") or {}
        self.units = {normalize(k): int(v) for k, v in (numbers.get("units") or {}).items()}
        self.tens = {normalize(k): int(v) for k, v in (numbers.get("tens") or {}).items()}
        self.joiners = {normalize(k) for k in numbers.get("joiners") or []}

    def has(self, key: str, text: str) -> bool:
        pattern = self._flat.get(key)
        return bool(pattern and pattern.search(text))

    def spans(self, key: str, text: str) -> list[tuple[int, int]]:
        pattern = self._flat.get(key)
        return [m.span() for m in pattern.finditer(text)] if pattern else []

    def best(self, key: str, text: str) -> tuple[str, int, int] | None:
        """The id whose longest entry matches (id, length, position), or None."""
        found: tuple[str, int, int] | None = None
        for name, pattern in self._grouped.get(key, {}).items():
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                length = match.end() - match.start()
                if found is None or length > found[1]:
                    found = (name, length, match.start())
        return found

    def all(self, key: str, text: str) -> list[tuple[str, int]]:
        """Every id that matches, with the position of its first match."""
        hits = []
        for name, pattern in self._grouped.get(key, {}).items():
            match = pattern.search(text) if pattern else None
            if match:
                hits.append((name, match.start()))
        return sorted(hits, key=lambda hit: hit[1])


class _WordsLoader(yaml.SafeLoader):
    """YAML without YAML 1.1 booleans: "yes", "no", "on" (Turkish ten) stay words."""


_WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_words(path: Path) -> dict[str, Any]:
    """A lexicon file as plain data (every word a string)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_WordsLoader) or {}  # noqa: S506


@cache
def lexicon(language: str) -> Lexicon:
    path = LEXICON_DIR / f"{language}.yml"
    return Lexicon(language, load_words(path) if path.exists() else {})


# How a message is put, not what it says: never a fact on its own.
NOT_SAID = ("languages", "is_question", "asks_who_pays", "topic_term")


@dataclass
class Facts:
    """What one message says. None: not said. Every value is canonical."""

    age: int | None = None
    municipality: str | None = None  # a municipality's name, or "online"
    situation: str | None = None
    goal: str | None = None
    topic: str | None = None
    # The catalog's own word for what exactly the person wants within the topic ("videobellen"
    # within digital): it ranks the courses on just that first.
    topic_term: str | None = None
    help_kind: str | None = None
    integration: str | None = None  # "yes" or "no"
    scheme: str | None = None
    answer: str | None = None  # "yes", "no" or "dont_know" when the message is just that
    number: int | None = None  # the message is only a number
    online: bool | None = None
    learn_language: str | None = None  # a language to learn ("ik wil Engels leren")
    speak_language: str | None = None  # a language to be answered in ("in English please")
    employer: bool = False  # the employer asks for or pays the course
    employer_declines: bool = False  # "mijn werkgever betaalt het niet"
    asks_for_person: bool = False  # "ik wil een mens spreken"
    pay_question: bool = False  # "do I have to pay?", "who pays?", "is it free?"
    no_money: bool = False
    # "ik wil een gratis computercursus", "geen geld": free is a wish, not "who pays?"
    wants_free: bool = False
    asks_who_pays: bool = False  # a word for paying other than "free" ("wie betaalt", "kosten")
    is_question: bool = False  # the message has a question mark
    languages: tuple[str, ...] = field(default_factory=tuple)  # lexicons that found something

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def said(self) -> dict[str, Any]:
        """Only the facts that were said (no defaults)."""
        return {
            key: value
            for key, value in self.as_dict().items()
            if value not in (None, False, ()) and key not in NOT_SAID
        }


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _WORDS.finditer(text)]


def _number_from_words(words: list[str], lex: Lexicon) -> int | None:
    """Adjacent number words summed: 'seventy four', 'yetmis dort', 'اربعة و سبعون'."""
    total, seen = 0, False
    for word in words:
        if word in lex.joiners:
            continue
        stripped = word[1:] if lex.language == "ar" and word.startswith("و") else word
        value = lex.units.get(word, lex.tens.get(word))
        if value is None and stripped != word:
            value = lex.units.get(stripped, lex.tens.get(stripped))
        if value is None:
            return total if seen else None
        total += value
        seen = True
    return total if seen else None


def _ages(text: str, lexicons: list[Lexicon]) -> tuple[int | None, int | None]:
    """(age, bare number). An age is a number next to an age word ("45 jaar", "I am 45",
    "op mijn 60e", "60 yasindayim"); a message that is only a number is a bare number."""
    stripped = re.sub(r"[^\w]", "", text)
    if stripped.isascii() and stripped.isdigit() and len(stripped) <= 3:
        value = int(stripped)
        return None, value
    cue_spans = []
    for lex in lexicons:
        cue_spans += lex.spans("age_cues", text)
    numbers: list[tuple[int, int, int]] = []
    for match in _NUMBER.finditer(text):
        after = text[match.end() : match.end() + 6]
        if re.match(r"\s*(?:€|euro|eur\b|%|uur\b|u\b|km|cm|kg|x\b)", after):
            continue
        numbers.append((int(match.group(1)), match.start(), match.end()))
    tokens = _words(text)
    for lex in lexicons:
        index = 0
        while index < len(tokens):
            run = []
            start = tokens[index][1]
            while index < len(tokens):
                word = tokens[index][0]
                bare = word[1:] if lex.language == "ar" and word.startswith("و") else word
                if (
                    word in lex.joiners
                    and run
                    or word in lex.units
                    or word in lex.tens
                    or bare in lex.units
                    or bare in lex.tens
                ):
                    run.append(word)
                else:
                    break
                index += 1
            if run:
                value = _number_from_words(run, lex)
                if value is not None and value >= 10:
                    numbers.append((value, start, tokens[index - 1][2]))
            else:
                index += 1
    # Dutch compounds ("zevenenzestig") through actions.dutch.
    for word, start, end in tokens:
        if len(word) > 6 and word.isalpha():
            value = parse_age(word)
            if value is not None and value >= 20:
                numbers.append((value, start, end))
    ordinal = re.search(r"\b(?:mijn|m'n|mn|my|de|het)\s+(\d{2,3})\s*(?:e|ste|ste jaar|th)\b", text)
    # "ik ben 45", "I am 45", "I'm 45" (a number of years said of oneself).
    self_said = re.search(r"\b(?:ik ben|ben ik|i am|i'm|im)\s+(\d{2,3})\b(?!\s*(?:euro|€|%))", text)
    if self_said and _plausible(int(self_said.group(1))):
        return int(self_said.group(1)), None
    if ordinal and _plausible(int(ordinal.group(1))):
        return int(ordinal.group(1)), None  # "op mijn 60e", "at my 60th"
    jarig = re.search(r"\b(\d{2,3})[- ]?(?:jarige?|jarig|yasinda\w*|yas\w*|letni\w*|lat\w*)", text)
    if jarig:
        return _plausible(int(jarig.group(1))), None
    for value, start, end in numbers:
        near = any(
            (cue_end <= start and start - cue_end <= 14)
            or (cue_start >= end and cue_start - end <= 14)
            for cue_start, cue_end in cue_spans
        )
        if near and _plausible(value):
            return value, None
    return None, None


def _plausible(value: int) -> int | None:
    return value if MIN_AGE <= value <= MAX_AGE else None


@cache
def _region_names() -> dict[str, str]:
    """Every West-Brabant municipality and town, normalized -> municipality name."""
    import csv

    from services.geo import PLACES_CSV, all_municipalities, region_members

    region = region_members("west-brabant")
    members = {m.code: m.name for m in all_municipalities() if m.code in region}
    names = {normalize_name(name): name for name in members.values()}
    with PLACES_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["municipality_code"] in members:
                names[normalize_name(row["place"])] = members[row["municipality_code"]]
    return names


# Arabic spellings of Dutch names differ mostly in the long vowels (روزندال, رزندال, روزيندال):
# compared without them, the consonants decide.
_ARABIC_VOWELS = re.compile("[اويهء ]")


def _arabic_skeleton(text: str) -> str:
    return _ARABIC_VOWELS.sub("", text)


@cache
def _written_places() -> dict[str, str]:
    """The place names of the lexicons in other scripts, normalized -> the Dutch name."""
    names: dict[str, str] = {}
    for language in LANGUAGES:
        for place, spellings in (lexicon(language).data.get("places") or {}).items():
            for spelling in spellings or []:
                key = normalize(str(spelling)).rstrip("*").strip()
                if key and not re.match(r"[a-z]", key):
                    names[key] = str(place)
    return names


def fuzzy_place(text: str) -> str | None:
    """A misspelled place of the region ("rosendaal", "etten leuer", "رزندال", "розендаль"),
    for a short answer to the question where the person lives."""
    from rapidfuzz import process
    from rapidfuzz.fuzz import ratio

    key = normalize_name(text)
    if len(key) >= 5:
        found = process.extractOne(key, list(_region_names()), scorer=ratio, score_cutoff=85)
        if found:
            return _region_names()[found[0]]
    written = normalize(text)
    if len(written) < 4 or re.search(r"[a-z]", written):
        return None
    if _ARABIC_LETTERS.search(written):
        if len(_arabic_skeleton(written)) < 3:
            return None
        skeletons = {_arabic_skeleton(k): v for k, v in _written_places().items()}
        found = process.extractOne(
            _arabic_skeleton(written), list(skeletons), scorer=ratio, score_cutoff=85
        )
        hit = skeletons[found[0]] if found else None
    else:
        found = process.extractOne(written, list(_written_places()), scorer=ratio, score_cutoff=80)
        hit = _written_places()[found[0]] if found else None
    municipality = municipality_for_place(hit) if hit else None
    return municipality.name if municipality else None


def _place(text: str, original: str, lexicons: list[Lexicon]) -> str | None:
    for lex in lexicons:
        hit = lex.best("places", text)
        if hit:
            found = municipality_for_place(hit[0])
            if found:
                return found.name
    # Turkish case endings ("Breda'da", "Roosendaal'dayım") and Dutch possessives: a name ends
    # at its apostrophe.
    cleaned = re.sub(r"(?<=\w)['’][^\W\d_]+", "", original)
    words = [w for w in re.split(r"[^\w\-']+", cleaned) if w]
    for size in (4, 3, 2, 1):
        for start in range(len(words) - size + 1):
            chunk = words[start : start + size]
            phrase = " ".join(chunk)
            before = words[start - 1].lower() if start else ""
            guarded = phrase.lower() in NOT_PLACES and before not in PLACE_PREPOSITIONS
            if size == 1 and (guarded or len(phrase) < 4):
                continue
            if size > 1 and chunk[0].lower() in NOT_PLACES:
                continue
            found = municipality_for_place(phrase)
            if found:
                return found.name
            if size == 1:
                stem = TURKISH_ENDING.sub("", phrase)  # "oosterhoutta", "bredada"
                found = municipality_for_place(stem) if len(stem) >= 4 and stem != phrase else None
                if found:
                    return found.name
    return None


def _language_wish(text: str, lexicons: list[Lexicon]) -> tuple[str | None, str | None]:
    """(language to learn, language to speak) named in the text. Dutch named without a wish to
    be answered in it is the language to learn: that is why newcomers name it."""
    for lex in lexicons:
        named = lex.all("language_names", text)
        if not named:
            continue
        code = named[0][0]
        if lex.has("learn_cues", text):
            return code, None
        if lex.has("speak_cues", text):
            # Speaking Dutch, said in another language, is what a newcomer wants to learn.
            return (code, None) if code == "nl" and lex.language != "nl" else (None, code)
        if code == "nl":
            return code, None
    return None, None


def online_wishes(lex: Lexicon, norm: str) -> list[tuple[int, int]]:
    """Where the text wishes for online learning: any online word in a short message, else
    one next to a word for learning ("online cursus", not "online solliciteren")."""
    spans = lex.spans("online", norm)
    if len(_words(norm)) <= 4:
        return spans
    learning = lex.spans("learn_cues", norm)
    return [
        (b, e)
        for b, e in spans
        if any(abs(lb - e) <= 12 or abs(b - le) <= 12 for lb, le in learning)
    ]


def understand(text: str, languages: tuple[str, ...] | list[str] = ("nl",)) -> Facts:
    """Every fact in `text`, read with the lexicons of `languages` (Dutch and English always).
    Never raises: a message it cannot read gives no facts (the assistant still answers)."""
    try:
        # One message is read by several actions of its turn: once is enough. A copy, since
        # callers may adjust the facts they were given.
        return replace(_understand_once(text or "", tuple(languages)))
    except Exception:  # noqa: BLE001 - any odd input: no facts rather than no answer
        logger.warning("Could not read the facts of a message (%d characters)", len(text or ""))
        return Facts()


# Devices say less about what someone wants to learn than what they want to do with them:
# "whatsappen op mijn telefoon" is about WhatsApp.
DEVICE_TERMS = frozenset(
    {"computer", "pc", "laptop", "telefoon", "mobiel", "smartphone", "tablet", "ipad"}
)
MIN_PREFIX_TERM = 5  # "whatsapp" in "whatsappen"; shorter terms ("app") only as whole words


def _topic_term(topic: str | None, norm: str) -> str | None:
    """The topic's catalog term that the message names: a whole word, or for a longer term the
    start of a word ("whatsappen"); what to do before the device, then the longest."""
    if not topic:
        return None
    found = []
    for term in topic_terms().get(topic, ()):
        word = normalize(term)
        tail = r"\w*" if len(word) >= MIN_PREFIX_TERM else ""
        if re.search(rf"(?<!\w){re.escape(word)}{tail}(?!\w)", norm):
            found.append(term)
    if not found:
        return None
    return max(found, key=lambda term: (term not in DEVICE_TERMS, len(term)))


@lru_cache(maxsize=256)
def _understand_once(text: str, languages: tuple[str, ...]) -> Facts:
    return _understand(text, languages)


def _understand(text: str, languages: tuple[str, ...] | list[str]) -> Facts:
    facts = Facts()
    original = (text or "")[:MAX_TEXT]
    if not original.strip() or original.lstrip().startswith("/"):
        return facts
    norm = normalize(original)
    order = [code for code in (*languages, "nl", "en") if code in LANGUAGES]
    lexicons = [lexicon(code) for code in dict.fromkeys(order)]
    used: list[str] = []

    def first(key: str, text: str = norm) -> str | None:
        for lex in lexicons:
            hit = lex.best(key, text)
            if hit:
                used.append(lex.language)
                return hit[0]
        return None

    facts.age, facts.number = _ages(norm, lexicons)
    facts.municipality = _place(norm, original, lexicons)
    # "Kan ik bijzondere bijstand krijgen?" asks about a scheme; it does not say that the person
    # lives on bijstand.
    facts.situation = first("situations", SPECIAL_ASSISTANCE.sub(" ", norm))
    facts.learn_language, facts.speak_language = _language_wish(norm, lexicons)
    facts.topic = first("topics")
    facts.topic_term = _topic_term(facts.topic, norm)
    facts.goal = first("goals")
    facts.help_kind = first("help_kinds")
    facts.integration = first("integration")
    facts.scheme = first("schemes")
    for lex in lexicons:
        facts.employer = facts.employer or lex.has("employer", norm)
        facts.employer_declines = facts.employer_declines or employer_declines(lex, norm)
        facts.asks_for_person = facts.asks_for_person or lex.has("person_words", norm)
        facts.pay_question = facts.pay_question or lex.has("pay_self", norm)
        # "Is the library course free?": a question about paying.
        asks = "?" in original or "؟" in original or lex.has("question_words", norm)
        facts.is_question = facts.is_question or asks
        facts.pay_question = facts.pay_question or (asks and lex.has("free_words", norm))
        facts.no_money = facts.no_money or lex.has("no_money", norm)
        free = lex.spans("free_words", norm)
        facts.wants_free = facts.wants_free or bool(free)
        facts.asks_who_pays = facts.asks_who_pays or any(
            not any(fb <= b and e <= fe for fb, fe in free) for b, e in lex.spans("pay_self", norm)
        )
        # The longer match wins: "niet online" is in person, not online. In a longer message an
        # online word is a wish only next to a word for learning ("online solliciteren" is not).
        online = max((e - b for b, e in online_wishes(lex, norm)), default=0)
        in_person = max((e - b for b, e in lex.spans("in_person", norm)), default=0)
        if facts.online is None and (online or in_person):
            facts.online = online > in_person
    if facts.learn_language == "nl" and facts.topic not in ("reading-writing", "integration"):
        # Learning Dutch is the subject, whatever work the message also mentions.
        facts.topic = "dutch"
        facts.goal = "dutch_language"
    if facts.scheme == "leerwerkloket":
        facts.goal = "career_advice"  # asking about the Leerwerkloket is asking for its advice
    if facts.topic and not facts.goal:
        facts.goal = GOAL_BY_TOPIC.get(facts.topic)
    elif facts.goal == "short_course" and GOAL_BY_TOPIC.get(facts.topic) == "basic_skills":
        # "geen geld voor een cursus, wil met mijn mobiel leren": a course in a basic skill
        # (the library's, often free), whatever the word for it.
        facts.goal = "basic_skills"
    # "Can UWV pay for it?", "Betaalt de gemeente dat?": a question about that payer's scheme.
    if facts.pay_question and not facts.scheme:
        if re.search(r"(?<!\w)uwv(?!\w)", norm):
            facts.scheme = "uwv-scholing"
        elif MUNICIPALITY_PAYER.search(norm) and (
            facts.situation in (None, "social_assistance") or facts.no_money
        ):
            facts.scheme = "gemeente-werk-scholing"
    # "Ik heb weinig geld, betaalt de gemeente dat?": without bijstand, the municipality's help
    # for a low income (its training towards work is for people on bijstand).
    low_income = facts.no_money and facts.situation != "social_assistance"
    if facts.scheme == "gemeente-werk-scholing" and low_income:
        facts.scheme = "gemeente-laag-inkomen"
    facts.answer = _short_answer(norm, lexicons)
    facts.languages = tuple(dict.fromkeys(used))
    return facts


SPECIAL_ASSISTANCE = re.compile(r"(?<!\w)bijzondere? bijstand(?!\w)")
_SENTENCE_END = re.compile(r"[.!?;؟\n]")


def employer_declines(lex: Lexicon, norm: str) -> bool:
    """The employer does not pay: a negation after the employer, and a word for paying, in one
    sentence ("mijn werkgever betaalt mijn opleiding niet", "my boss won't pay"). A negation
    before it is about something else ("ik weet niet of mijn baas betaalt")."""
    employers = lex.spans("employer", norm)
    if not employers:
        return False
    negations = [b for b, _ in lex.spans("negation", norm)]
    payments = [b for b, _ in lex.spans("pay_words", norm)]
    for start, end in employers:
        sentence_end = _SENTENCE_END.search(norm, end)
        stop = sentence_end.start() if sentence_end else len(norm)
        sentence_start = max((m.end() for m in _SENTENCE_END.finditer(norm, 0, start)), default=0)
        negated = any(end <= b < stop for b in negations)
        paying = any(sentence_start <= b < stop for b in payments)
        if negated and paying:
            return True
    return False


def _short_answer(norm: str, lexicons: list[Lexicon]) -> str | None:
    """'ja', 'evet', 'так', 'نعم', 'weet ik niet' as the whole (short) message."""
    words = _words(norm)
    if not words or len(words) > 6:
        return None
    if norm.strip(" .!?،؟") in BARE_NO:
        return "no"
    for key, answer in (("dont_know", "dont_know"), ("no", "no"), ("yes", "yes")):
        for lex in lexicons:
            pattern = lex._flat.get(key)
            if pattern is None:
                continue
            match = pattern.search(norm)
            if match and (len(words) <= 3 or match.start() == 0):
                return answer
    return None


_TURKISH_LETTERS = re.compile(r"[ğşı]")
_POLISH_LETTERS = re.compile(r"[łąęśźżćń]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN_WORD = re.compile(r"[a-zà-ÿğşıłąęśźżćń']+")


def guess_language(text: str) -> str | None:
    """See _guess_language; never raises."""
    try:
        return _guess_language(text)
    except Exception:  # noqa: BLE001 - odd input: no guess, the conversation's language stays
        return None


def _guess_language(text: str) -> str | None:
    """The language of a short message the NLU's detector left open ("how do i get a digid").

    In order: the script (Arabic, Cyrillic); letters only Turkish or Polish has (ğ ş ı, ł ą ę ś
    ź ż ć ń); then the everyday words of each lexicon (`common_words`): the language with at
    least two of them and more than any other. None when unsure: Dutch stays.
    """
    text = (text or "")[:MAX_TEXT]
    if not text.strip() or text.lstrip().startswith("/"):
        return None
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    # By letters, or by words: "курс excel", "كورس word" name a product in Latin letters.
    tokens = text.split()
    for script, code in ((_ARABIC_LETTERS, "ar"), (_CYRILLIC, "uk")):
        if len(script.findall(text)) > len(letters) / 2:
            return code
        if tokens and sum(1 for t in tokens if script.search(t)) * 2 >= len(tokens):
            return code
    lowered = text.lower()
    if _TURKISH_LETTERS.search(lowered):
        return "tr"
    if _POLISH_LETTERS.search(lowered):
        return "pl"
    text = without_dutch_names(text)
    words = _words(normalize(text))
    if not words:
        return None
    sure = _lingua(text)
    if sure and len(words) >= 2 and sure[1] >= 0.7 and sure[2] >= 0.4:
        return sure[0]
    counts = {}
    for code in ("nl", "en", "tr", "pl"):
        common = lexicon(code).common_words
        counts[code] = sum(1 for word, _, _ in words if word in common)
    best = max(counts, key=lambda code: counts[code])
    others = [n for code, n in counts.items() if code != best]
    if counts[best] >= 2 and counts[best] > max(others):
        return best
    if counts[best] >= 1 and counts[best] > max(others) and sure and sure[0] == best:
        return best  # one everyday word, and the detector leans the same way
    return None


# Dutch names that people keep in every language ("DigiD", "UWV", "levenlanglerenkrediet"):
# left out before the language of a message is judged.
DUTCH_NAMES = frozenset(
    "digid uwv duo mbo hbo wo nt2 knm vca ww aow bbl bol toeslag toeslagen zorgtoeslag "
    "huurtoeslag belastingdienst gemeente bijstand inburgering taalhuis bibliotheek bieb "
    "leerwerkloket werkplein avans curio mijnoverheid".split()
)


@cache
def _dutch_name_words() -> frozenset[str]:
    """Words of scheme names and places: Dutch whatever the language around them."""
    words = set(DUTCH_NAMES)
    for entries in (lexicon("nl").data.get("schemes") or {}).values():
        for entry in entries or []:
            name = normalize(str(entry)).rstrip("*")
            if " " not in name and len(name) > 5:
                words.add(name)  # a one-word name ("levenlanglerenkrediet"), not a phrase
    for name in _region_names():
        words.add(name)
    return frozenset(words)


def without_dutch_names(text: str) -> str:
    """The text without the Dutch names it quotes, for judging its language."""
    names = _dutch_name_words()
    kept = [
        word
        for word in text.split()
        if normalize(word).strip(".,!?;:()'\"") not in names and normalize_name(word) not in names
    ]
    return " ".join(kept)


@cache
def _lingua_detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    languages = (Language.DUTCH, Language.ENGLISH, Language.TURKISH, Language.POLISH)
    return LanguageDetectorBuilder.from_languages(*languages).build()


_LINGUA_CODES = {"DUTCH": "nl", "ENGLISH": "en", "TURKISH": "tr", "POLISH": "pl"}


def _lingua(text: str) -> tuple[str, float, float] | None:
    """(language, confidence, margin over the next) among the Latin-script languages."""
    values = _lingua_detector().compute_language_confidence_values(text[:500])
    if not values:
        return None
    second = values[1].value if len(values) > 1 else 0.0
    return _LINGUA_CODES[values[0].language.name], values[0].value, values[0].value - second
