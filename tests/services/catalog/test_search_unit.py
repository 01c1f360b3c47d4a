"""Query planning and Dutch word handling, without a store."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import geo
from services.catalog.search import (
    MAX_GROUPS,
    MAX_QUERY_CHARS,
    SearchGroup,
    SearchPlan,
    TermIndex,
    plan_query,
)
from services.catalog.text import (
    SUBJECT_KIND,
    index_tokens,
    normalize,
    split_compound,
    stem,
    subject_tokens,
    tag_token,
)

# Everything a plan hands to a store's full-text query: index words and tag tokens.
SAFE_TOKEN = re.compile(r"[a-z0-9]+")
INDEX = TermIndex(
    [
        "computer",
        "computers",
        "klik",
        "tik",
        "taal",
        "taalcafe",
        "nederlands",
        "digid",
        "rekenen",
        "smartphone",
        "vaardigheden",
        "tablet",
        "heftruck",
        "breda",
        "ouders",
    ]
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("cursussen", "cursus"),
        ("computers", "computer"),
        ("lessen", "les"),
        ("vaardigheden", "vaardigh"),
        ("lezen", "lezen"),
        ("smartphones", "smartphone"),
    ],
)
def test_stem(word, expected):
    assert stem(word) == expected


def test_normalize_strips_accents_and_symbols():
    assert normalize("Taalcafé: Nederlands praten!") == "taalcafe nederlands praten"
    assert normalize("Klik & Tik") == "klik en tik"
    assert normalize(None) == ""


def test_compounds_split_into_known_parts_but_known_words_stay_whole():
    known = frozenset({"computer", "vaardigheden", "taal", "cursus", "digitaal", "digi"})
    assert split_compound("computervaardigheden", known) == ["computer", "vaardigheden"]
    assert split_compound("taalcursus", known) == ["taal", "cursus"]
    assert split_compound("digitaal", known) is None
    assert "vaardigheden" in index_tokens(["Computervaardigheden voor iedereen"]).split()


def test_typo_of_a_noise_word_is_dropped_and_the_rest_searched():
    plan = plan_query("curcus computr", INDEX)
    assert len(plan.groups) == 1
    assert "computer" in plan.groups[0].terms
    assert tag_token(SUBJECT_KIND, "digital") in plan.groups[0].tags


def test_compound_uses_its_first_part_and_synonyms():
    plan = plan_query("computervaardigheden", INDEX)
    assert "computer" in plan.groups[0].terms
    assert tag_token(SUBJECT_KIND, "digital") in plan.groups[0].tags


def test_phrase_synonym_and_place():
    plan = plan_query("nederlands leren praten in Breda", INDEX)
    assert plan.municipality is not None and plan.municipality.name == "Breda"
    assert tag_token(SUBJECT_KIND, "dutch") in plan.groups[0].tags
    assert all("breda" not in g.terms for g in plan.groups)


def test_synonym_topics_are_searched_as_subjects():
    """A synonym's topic finds courses about it (first topic), not ones that mention it."""
    tags = plan_query("computercursus", INDEX).groups[0].tags
    assert tags == (tag_token(SUBJECT_KIND, "digital"),)
    assert subject_tokens(("career", "digital")) == [tag_token(SUBJECT_KIND, "career")]
    # A sub-topic's course is about its parent too: "computer" finds the DigiD course.
    assert subject_tokens(("digital-government",)) == [
        tag_token(SUBJECT_KIND, "digital-government"),
        tag_token(SUBJECT_KIND, "digital"),
    ]
    assert subject_tokens(()) == []


def test_a_phrase_needs_all_its_words():
    """ "lezen en schrijven" must not find "Uw ondernemingsplan schrijven" by one word."""
    group = plan_query("lezen en schrijven", INDEX).groups[0]
    assert group.terms == ("lezen schrijven",)
    assert group.tags == (tag_token(SUBJECT_KIND, "reading-writing"),)
    # A phrase with one meaningful word stays a plain prefix term.
    assert plan_query("nederlands leren", INDEX).groups[0].terms == ("nederlands",)


def test_stop_words_and_unknown_words():
    assert plan_query("les voor digid", INDEX).groups[0].terms == ("digid",)
    assert plan_query("xyzzy", INDEX).impossible
    assert not plan_query("cursus", INDEX).groups
    assert not plan_query("cursus", INDEX).impossible


def test_a_word_is_not_taken_for_a_far_municipality_without_a_place_word():
    assert plan_query("de beste cursus", INDEX).municipality is None
    assert plan_query("cursus in Best", INDEX).municipality.name == "Best"


def test_stem_is_only_used_for_unknown_words():
    plan = plan_query("ouderen", INDEX)
    assert "ouder" not in {t for g in plan.groups for t in g.terms}


def assert_well_formed(plan: SearchPlan) -> None:
    """What a store may rely on: only [a-z0-9] tokens reach the full-text syntax, at most
    MAX_GROUPS groups that each have something to match, and "impossible" only without them."""
    assert isinstance(plan, SearchPlan)
    assert len(plan.groups) <= MAX_GROUPS
    for group in plan.groups:
        assert isinstance(group, SearchGroup)
        assert group.terms or group.tags
        for term in group.terms:
            assert all(SAFE_TOKEN.fullmatch(word) for word in term.split(" ")), term
        assert all(SAFE_TOKEN.fullmatch(tag) for tag in group.tags), group.tags
    for word in plan.unmatched:
        assert SAFE_TOKEN.fullmatch(word) and len(word) <= MAX_QUERY_CHARS, word
    assert plan.impossible == (bool(plan.unmatched) and not plan.groups)
    assert plan.municipality is None or isinstance(plan.municipality, geo.Municipality)


@pytest.mark.parametrize(
    ("text", "impossible"),
    [
        ("", False),
        ("   ", False),
        ("😀" * 5000, False),
        ("\x00", False),
        ("*)(\"'", False),
        # One unknown word, cut at MAX_QUERY_CHARS: nothing can match it.
        ("a" * 100_000, True),
    ],
)
def test_odd_input_gives_an_empty_or_impossible_plan(text, impossible):
    plan = plan_query(text, INDEX)
    assert_well_formed(plan)
    assert plan.groups == () and plan.municipality is None
    assert plan.impossible is impossible
    if impossible:
        assert plan.unmatched == ("a" * MAX_QUERY_CHARS,)


def test_full_text_syntax_and_sql_are_words_like_any_other():
    plan = plan_query('NEAR(computer taal) "tablet" * OR 1=1; DROP TABLE courses; --', INDEX)
    assert_well_formed(plan)
    assert [group.terms for group in plan.groups][:2] == [("computer",), ("taal",)]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400) | st.from_regex(r"[A-Za-z ()*\"':;-]{0,80}", fullmatch=True))
def test_never_raises_and_every_plan_is_well_formed(text):
    assert_well_formed(plan_query(text, INDEX))
