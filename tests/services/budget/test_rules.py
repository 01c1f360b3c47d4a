"""The rule engine: three-valued conditions and the 'never guess' walk over the rules."""

from __future__ import annotations

from datetime import date

import pytest

from services import geo
from services.budget.profile import Facts
from services.budget.rules import ConditionError, Rule, compile_check, decide

DAY = date(2026, 11, 27)


def rule(status, *checks, **dates):
    compiled = tuple(compile_check(field, op, operand) for field, op, operand in checks)
    return Rule(status, (f"{status} reason.",), f"{status} step.", compiled, **dates)


LLK_LIKE = (
    rule("not_eligible", ("goal", "not_in", ["higher_education", "vocational"])),
    rule("not_eligible", ("age", "gte", 57)),
    rule("eligible"),
)


def test_first_rule_that_holds_decides():
    decision = decide(LLK_LIKE, Facts(age=30, goal="vocational"), DAY)
    assert (decision.status, decision.reasons) == ("eligible", ("eligible reason.",))


def test_missing_answer_that_matters_gives_maybe_naming_it():
    decision = decide(LLK_LIKE, Facts(age=30), DAY)
    assert decision.status == "maybe" and decision.missing == {"goal"}


def test_missing_answer_that_cannot_change_the_status_does_not_matter():
    # Age 60: whatever the goal, the answer is not_eligible; the reason is the one that holds.
    decision = decide(LLK_LIKE, Facts(age=60), DAY)
    assert decision.status == "not_eligible" and not decision.missing


def test_dated_rules_apply_only_inside_their_dates():
    rules = (
        rule("not_eligible", ("age", "gte", 56), valid_until=date(2024, 8, 31)),
        rule("not_eligible", ("age", "gte", 57), valid_from=date(2024, 9, 1)),
        rule("eligible"),
    )
    assert decide(rules, Facts(age=56), date(2024, 8, 31)).status == "not_eligible"
    assert decide(rules, Facts(age=56), date(2024, 9, 1)).status == "eligible"


@pytest.mark.parametrize(
    ("op", "operand", "age", "expected"),
    [
        ("lt", 18, 17, True),
        ("lt", 18, 18, False),
        ("lte", 18, 18, True),
        ("gt", 56, 57, True),
        ("gte", 57, 57, True),
        ("eq", 40, 40, True),
        ("ne", 40, 40, False),
        ("in", [1, 2], 2, True),
        ("not_in", [1, 2], 2, False),
        ("lt", 18, None, None),
    ],
)
def test_age_operators(op, operand, age, expected):
    assert compile_check("age", op, operand).test(Facts(age=age)) is expected


def test_municipality_operators_use_codes_and_regions():
    breda = geo.find_municipality("Breda")
    tilburg = geo.find_municipality("Tilburg")
    in_wb = compile_check("municipality", "in_region", "west-brabant")
    not_wb = compile_check("municipality", "not_in_region", "west-brabant")
    one = compile_check("municipality", "eq", "GM0758")
    assert (in_wb.test(Facts(municipality=breda)), not_wb.test(Facts(municipality=breda))) == (
        True,
        False,
    )
    assert in_wb.test(Facts(municipality=tilburg)) is False
    assert in_wb.test(Facts()) is None and not_wb.test(Facts(municipality_given=True)) is None
    assert one.test(Facts(municipality=breda)) is True
    assert one.test(Facts(municipality=tilburg)) is False


@pytest.mark.parametrize(
    ("field", "op", "operand", "words"),
    [
        ("leeftijd", "lt", 18, "unknown condition 'leeftijd'"),
        ("age", "below", 18, "unknown operator 'below'"),
        ("goal", "lt", "vocational", "does not apply"),
        ("goal", "eq", "yoga", "unknown value 'yoga'"),
        ("goal", "in", [], "non-empty list"),
        ("age", "lt", "18", "whole years"),
        ("age", "lt", True, "whole years"),
        ("integration_obligation", "eq", "ja", "true or false"),
        ("municipality", "eq", "Breda", "CBS codes"),
        ("municipality", "in_region", "randstad", "unknown region"),
    ],
)
def test_conditions_that_mean_nothing_are_refused(field, op, operand, words):
    with pytest.raises(ConditionError, match=words):
        compile_check(field, op, operand)
