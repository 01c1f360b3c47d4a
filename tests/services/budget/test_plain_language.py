"""B1 Dutch: the checker itself, and every text a citizen can read from the service."""

from __future__ import annotations

from itertools import combinations

import pytest

from services.budget.eligibility import (
    ASK_TEMPLATE,
    MISSING_ANSWER,
    MISSING_ASK,
    UNASKED_NEXT_STEP,
    UNRECOGNISED_MUNICIPALITY,
)
from services.budget.schemes import BEFORE_RULES_NEXT_STEP, BEFORE_RULES_REASONS
from services.plain_language import check_text, check_texts, sentences, words


def kinds(text: str) -> list[str]:
    return [problem.kind for problem in check_text(text)]


def test_sentences_and_words():
    assert sentences("U kunt 1.000 euro lenen. Kijk op https://duo.nl/a.b! Klaar?") == [
        "U kunt 1.000 euro lenen.",
        "Kijk op https://duo.nl/a.b!",
        "Klaar?",
    ]
    assert words("Klik & Tik bij het O&O-fonds kost 1.000 euro.") == [
        "Klik", "Tik", "bij", "het", "OO-fonds", "kost", "1.000", "euro",
    ]  # fmt: skip


def test_checker_finds_each_kind_of_problem():
    assert kinds("U kunt dit krediet aanvragen bij DUO.") == []
    long = " ".join(["woord"] * 21) + "."
    assert kinds(long) == ["long_sentence", "long_average"]
    assert kinds(" ".join(["woord"] * 20) + ".") == ["long_average"]
    assert kinds("De desbetreffende aanvraagprocedure is subsidiabel.") == ["jargon"] * 3
    assert kinds("Indien u wilt, kan dat.") == ["jargon"]
    assert kinds("U kunt dit indienen.") == []  # 'indien' only as a whole word
    assert kinds("Vraag het aan jouw werkgever.") == ["informal"]
    assert kinds("Het gaat ten behoeve van u.") == ["jargon"]


def test_average_over_many_texts():
    short = "Kort en goed."
    sixteen = " ".join(["woord"] * 16) + "."
    assert [p.kind for p in check_texts([sixteen, sixteen])] == ["long_average"]
    assert check_texts([sixteen, short]) == []


def scheme_texts(schemes):
    for scheme in schemes:
        for text in scheme.texts():
            yield scheme.id, text


def test_every_scheme_text_reads_at_b1(schemes):
    problems = [
        f"{scheme_id}: {problem.message}: {problem.excerpt}"
        for scheme_id, text in scheme_texts(schemes)
        for problem in check_text(text)
        if problem.kind != "long_average"
    ]
    assert problems == []


def test_average_sentence_length_over_all_texts_is_at_most_15(schemes):
    texts = [text for _, text in scheme_texts(schemes)]
    assert [p for p in check_texts(texts) if p.kind == "long_average"] == []


def test_reasons_and_next_steps_are_one_sentence_addressed_with_u(schemes):
    for scheme in schemes:
        steps = [rule.next_step for rule in scheme.rules]
        reasons = [reason for rule in scheme.rules for reason in rule.reasons]
        if scheme.closed_reasons:
            steps.append(scheme.closed_next_step)
            reasons.extend(scheme.closed_reasons)
        for text in steps + reasons:
            assert len(sentences(text)) == 1, f"{scheme.id}: {text}"
            assert text[-1] in ".?!", f"{scheme.id}: {text}"
        for step in steps:
            assert {"u", "uw"} & {w.casefold() for w in words(step)} or step.split()[0].istitle()


def generated_texts():
    yield from MISSING_ANSWER.values()
    yield UNRECOGNISED_MUNICIPALITY
    yield from BEFORE_RULES_REASONS
    yield BEFORE_RULES_NEXT_STEP
    yield UNASKED_NEXT_STEP
    asks = list(MISSING_ASK.values())
    for size in range(1, len(asks) + 1):
        for chosen in combinations(asks, size):
            answers = chosen[0] if size == 1 else ", ".join(chosen[:-1]) + " en " + chosen[-1]
            yield ASK_TEMPLATE.format(answers=answers)


@pytest.mark.parametrize("text", list(generated_texts()))
def test_texts_the_service_writes_itself_read_at_b1(text):
    assert [p for p in check_text(text) if p.kind != "long_average"] == []
    assert len(sentences(text)) == 1
