"""The word lists of actions/lexicon/*.yml: structure, ids and spelling rules.

The fact extractor (actions/understanding.py) reads these files; this test checks only the data,
so that a typo in a list cannot become a wrong canonical id or a word that never matches.
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LEXICON_DIR = ROOT / "actions" / "lexicon"
LANGUAGES = ("nl", "en", "ar", "tr", "uk", "pl")
LATIN = ("nl", "en", "tr", "pl")

KEYS = {
    "yes",
    "no",
    "dont_know",
    "number_words",
    "age_cues",
    "situations",
    "goals",
    "topics",
    "help_kinds",
    "integration",
    "online",
    "in_person",
    "language_names",
    "learn_cues",
    "speak_cues",
    "employer",
    "negation",
    "person_words",
    "pay_words",
    "pay_self",
    "no_money",
    "schemes",
    "places",
    "question_words",
}
# Lists that must hold at least one entry in every language.
FLAT_LISTS = (
    "yes",
    "no",
    "dont_know",
    "age_cues",
    "online",
    "in_person",
    "learn_cues",
    "speak_cues",
    "employer",
    "negation",
    "pay_words",
    "pay_self",
    "no_money",
)
SITUATIONS = {
    "employed",
    "self_employed",
    "job_seeker",
    "social_assistance",
    "retired",
    "student",
}
GOALS = {
    "basic_skills",
    "dutch_language",
    "vocational",
    "higher_education",
    "short_course",
    "career_advice",
}
HELP_KINDS = {
    "reading-writing",
    "digital-government",
    "dutch",
    "integration",
    "work-learning-advice",
}
# Groups whose categories are read side by side: one entry belongs to one category only.
GROUPS = ("situations", "goals", "topics", "help_kinds", "integration", "language_names")

ARABIC_TASHKEEL = {chr(c) for c in range(0x064B, 0x0653)} | {"\u0670"}
ARABIC_UNNORMALIZED = {"\u0623", "\u0625", "\u0622", "\u0629", "\u0649", "\u0640"}  # أ إ آ ة ى ـ


def load(code: str) -> dict:
    return yaml.safe_load((LEXICON_DIR / f"{code}.yml").read_text(encoding="utf-8"))


LEXICONS = {code: load(code) for code in LANGUAGES}


def topic_ids() -> set[str]:
    data = yaml.safe_load((ROOT / "services/catalog/topics.yaml").read_text(encoding="utf-8"))
    return {topic["id"] for topic in data["topics"]}


def scheme_ids() -> set[str]:
    ids = set()
    for path in (ROOT / "services/budget/schemes").glob("*.yaml"):
        ids.add(yaml.safe_load(path.read_text(encoding="utf-8"))["id"])
    return ids


def geo_names() -> tuple[set[str], set[str]]:
    """(names of the 16 West-Brabant municipalities, every municipality and town name)."""
    geo = ROOT / "services/geo"
    with (geo / "municipalities.csv").open(encoding="utf-8") as handle:
        by_code = {row["code"]: row["name"] for row in csv.DictReader(handle)}
    with (geo / "places.csv").open(encoding="utf-8") as handle:
        towns = {row["place"] for row in csv.DictReader(handle)}
    regions = yaml.safe_load((geo / "regions.yaml").read_text(encoding="utf-8"))
    members = regions["regions"]["west-brabant"]["members"]
    return {by_code[code] for code in members}, set(by_code.values()) | towns


def all_lists(lexicon: dict):
    """Yield (where, list) for every list of entries in one lexicon."""
    for key in FLAT_LISTS:
        yield key, lexicon[key]
    for group in (*GROUPS, "schemes", "places"):
        for name, entries in (lexicon[group] or {}).items():
            yield f"{group}.{name}", entries
    yield "number_words.joiners", lexicon["number_words"]["joiners"]


def all_entries(lexicon: dict):
    for where, entries in all_lists(lexicon):
        for entry in entries:
            yield where, entry
    for word in lexicon.get("common_words") or []:
        yield "common_words", word
    for part in ("units", "tens"):
        for word in lexicon["number_words"][part]:
            yield f"number_words.{part}", word


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_file_has_exactly_the_schema_keys(code):
    keys = set(LEXICONS[code])
    assert keys - {"common_words", "free_words"} == KEYS, keys ^ KEYS


@pytest.mark.parametrize("code", LATIN)
def test_common_words_tell_the_latin_languages_apart(code):
    # guess_language counts these words; a word in two lists would count for both languages.
    words = LEXICONS[code]["common_words"]
    assert isinstance(words, list) and len(words) >= 20
    for word in words:
        assert isinstance(word, str) and word == word.strip().lower() and " " not in word, word
        assert word.isascii(), f"{code}: common word {word!r} has a diacritic"
    for other in LATIN:
        if other != code:
            shared = set(words) & set(LEXICONS[other]["common_words"])
            assert not shared, f"{sorted(shared)} are common words of both {code} and {other}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_flat_lists_are_non_empty_lists(code):
    for key in FLAT_LISTS:
        assert isinstance(LEXICONS[code][key], list), key
        assert LEXICONS[code][key], f"{code}: {key} is empty"


@pytest.mark.parametrize("code", LANGUAGES)
def test_category_ids_are_canonical_and_filled(code):
    lexicon = LEXICONS[code]
    assert set(lexicon["situations"]) == SITUATIONS
    assert set(lexicon["goals"]) == GOALS
    assert set(lexicon["help_kinds"]) == HELP_KINDS
    assert set(lexicon["integration"]) == {"yes", "no"}
    assert set(lexicon["language_names"]) == set(LANGUAGES)
    for group in ("situations", "goals", "help_kinds", "integration", "language_names"):
        for name, entries in lexicon[group].items():
            assert isinstance(entries, list) and entries, f"{code}: {group}.{name} is empty"


@pytest.mark.parametrize("code", LANGUAGES)
def test_topic_ids_exist_in_the_catalog(code):
    topics = LEXICONS[code]["topics"]
    assert isinstance(topics, dict) and topics
    assert set(topics) <= topic_ids(), set(topics) - topic_ids()
    for name, entries in topics.items():
        assert isinstance(entries, list), name


@pytest.mark.parametrize("code", LANGUAGES)
def test_scheme_ids_exist(code):
    schemes = LEXICONS[code]["schemes"]
    assert isinstance(schemes, dict)
    assert set(schemes) <= scheme_ids(), set(schemes) - scheme_ids()
    for name, entries in schemes.items():
        assert isinstance(entries, list), name


def test_every_scheme_has_a_dutch_entry():
    schemes = LEXICONS["nl"]["schemes"]
    for scheme in scheme_ids():
        assert schemes.get(scheme), f"nl has no entry for scheme {scheme}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_number_words_are_ints_in_range(code):
    numbers = LEXICONS[code]["number_words"]
    assert set(numbers) == {"units", "tens", "joiners"}
    assert numbers["units"] and numbers["tens"]
    for word, value in numbers["units"].items():
        assert isinstance(word, str), f"{code}: unit key {word!r} is not a string"
        assert type(value) is int and 1 <= value <= 19, (word, value)
    for word, value in numbers["tens"].items():
        assert isinstance(word, str), f"{code}: tens key {word!r} is not a string"
        assert type(value) is int and value in range(20, 100, 10), (word, value)
    assert isinstance(numbers["joiners"], list)
    # Ages are summed from these: every ten from twenty to ninety must be readable.
    assert set(numbers["tens"].values()) == set(range(20, 100, 10))
    assert set(numbers["units"].values()) >= set(range(2, 10))


@pytest.mark.parametrize("code", LANGUAGES)
def test_entries_are_clean_lower_case_strings(code):
    for where, entry in all_entries(LEXICONS[code]):
        assert isinstance(entry, str), f"{code}: {where}: {entry!r} is not a string"
        assert entry, f"{code}: {where}: empty entry"
        assert entry == entry.strip(), f"{code}: {where}: {entry!r} has outer spaces"
        assert "  " not in entry, f"{code}: {where}: {entry!r} has a double space"
        assert entry == entry.lower(), f"{code}: {where}: {entry!r} is not lower case"
        assert "*" not in entry[:-1], f"{code}: {where}: {entry!r} has * before the end"


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_duplicates_within_a_list(code):
    for where, entries in all_lists(LEXICONS[code]):
        seen = [e for e in entries if entries.count(e) > 1]
        assert not seen, f"{code}: {where}: duplicated {sorted(set(seen))}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_prefix_entries_are_long_enough(code):
    for where, entry in all_entries(LEXICONS[code]):
        if entry.endswith("*"):
            assert code != "ar", f"ar matches substrings; {where}: {entry!r} needs no *"
            stem = entry[:-1].split()[-1]
            assert len(stem) >= 4, f"{code}: {where}: prefix {entry!r} is too short"


@pytest.mark.parametrize("code", LATIN)
def test_latin_entries_have_no_diacritics(code):
    # The extractor folds diacritics away before matching; an entry with one never matches.
    for where, entry in all_entries(LEXICONS[code]):
        for char in entry:
            assert char.isascii() or unicodedata.category(char) == "So", (
                f"{code}: {where}: {entry!r} has {char!r}"
            )


def test_cyrillic_entries_are_normalized():
    for where, entry in all_entries(LEXICONS["uk"]):
        assert "ё" not in entry, f"uk: {where}: {entry!r} has ё (write е)"


def test_arabic_entries_are_normalized_stems():
    for where, entry in all_entries(LEXICONS["ar"]):
        odd = (ARABIC_TASHKEEL | ARABIC_UNNORMALIZED) & set(entry)
        assert not odd, f"ar: {where}: {entry!r} has {sorted(odd)} (normalize as the extractor)"
        letters = [c for c in entry if "\u0621" <= c <= "\u064a"]
        if letters and not where.startswith("number_words"):
            # Entries match as substrings: short ones hit inside unrelated words.
            assert len(letters) >= 3, f"ar: {where}: {entry!r} is shorter than 3 letters"
            if not where.startswith("places"):
                assert not entry.startswith("ال"), f"ar: {where}: {entry!r} starts with ال"


@pytest.mark.parametrize("code", LANGUAGES)
def test_an_entry_belongs_to_one_category_of_a_group(code):
    lexicon = LEXICONS[code]
    for group in GROUPS:
        owner: dict[str, str] = {}
        for name, entries in lexicon[group].items():
            for entry in entries:
                assert entry not in owner, (
                    f"{code}: {entry!r} is in {group}.{owner[entry]} and {group}.{name}"
                )
                owner[entry] = name


@pytest.mark.parametrize("code", LANGUAGES)
def test_opposite_lists_do_not_share_entries(code):
    lexicon = LEXICONS[code]
    for first, second in (("yes", "no"), ("yes", "dont_know"), ("no", "dont_know")):
        both = set(lexicon[first]) & set(lexicon[second])
        assert not both, f"{code}: {sorted(both)} in both {first} and {second}"
    both = set(lexicon["online"]) & set(lexicon["in_person"])
    assert not both, f"{code}: {sorted(both)} in both online and in_person"
    both = set(lexicon["learn_cues"]) & set(lexicon["speak_cues"])
    assert not both, f"{code}: {sorted(both)} in both learn_cues and speak_cues"


@pytest.mark.parametrize("code", LATIN)
def test_latin_languages_list_only_inflected_place_names(code):
    # The Dutch place list reads the names themselves; a Latin-script language lists only the
    # forms its grammar makes of them (Polish "w Bredzie", "w Roosendaalu").
    from services.geo import normalize_name

    for name, forms in LEXICONS[code]["places"].items():
        assert code == "pl", f"{code}: {name}"
        assert all(normalize_name(form) != normalize_name(name) for form in forms), name


@pytest.mark.parametrize("code", ("ar", "uk"))
def test_places_are_known_and_cover_west_brabant(code):
    west_brabant, known = geo_names()
    places = LEXICONS[code]["places"]
    assert set(places) <= known, set(places) - known
    assert west_brabant <= set(places), west_brabant - set(places)
    for name, entries in places.items():
        assert isinstance(entries, list) and entries, name
    owner: dict[str, str] = {}
    for name, entries in places.items():
        for entry in entries:
            assert entry not in owner, f"{code}: {entry!r} is under {owner[entry]} and {name}"
            owner[entry] = name
