"""The condition language of the scheme files, and three-valued evaluation.

A condition names a profile field and one or more operators, e.g. ``age: {lt: 57}`` or
``municipality: {in_region: west-brabant}``. A condition is true, false, or unknown: unknown when
the answer it needs is missing (or, for a municipality, not recognised). Unknown is never turned
into true or false; see :func:`decide` for what the rules make of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services import geo
from services.budget.profile import Facts, Goal, Situation

__all__ = [
    "FIELD_KINDS",
    "OPERATORS",
    "STATUSES",
    "Check",
    "ConditionError",
    "Decision",
    "Rule",
    "compile_check",
    "decide",
]

STATUSES = ("eligible", "maybe", "closed", "not_eligible")

# Operators each field accepts. Municipalities are matched by CBS code or by region, never by the
# raw text, so spelling ("Etten-Leur", "etten leur", "GM0777") cannot change an answer.
FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "age": ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in"),
    "situation": ("eq", "ne", "in", "not_in"),
    "goal": ("eq", "ne", "in", "not_in"),
    "integration_obligation": ("eq", "ne"),
    "low_income": ("eq", "ne"),
    "municipality": ("eq", "ne", "in", "not_in", "in_region", "not_in_region"),
}
OPERATORS = tuple(sorted({op for ops in FIELD_KINDS.values() for op in ops}))

UNKNOWN = None  # the third truth value


class ConditionError(ValueError):
    """A condition that cannot mean anything: unknown field, operator, value or region."""


@dataclass(frozen=True)
class Check:
    """One compiled ``field: {op: operand}``; ``test`` returns True, False or None (unknown)."""

    field: str
    op: str
    operand: Any
    test: Callable[[Facts], bool | None] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Rule:
    """``when`` all checks hold (and the date is inside the rule's dates), the answer is this."""

    status: str
    reasons: tuple[str, ...]
    next_step: str
    checks: tuple[Check, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    line: int = 0

    def applies_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def test(self, facts: Facts) -> bool | frozenset[str]:
        """True, False, or the set of fields whose missing answers leave it open."""
        unknown: set[str] = set()
        for check in self.checks:
            outcome = check.test(facts)
            if outcome is False:
                return False
            if outcome is UNKNOWN:
                unknown.add(check.field)
        return frozenset(unknown) if unknown else True


@dataclass(frozen=True)
class Decision:
    """The outcome for one scheme: a status with its reasons, or the answers that are missing."""

    status: str
    reasons: tuple[str, ...] = ()
    next_step: str = ""
    missing: frozenset[str] = frozenset()


def decide(rules: tuple[Rule, ...], facts: Facts, day: date) -> Decision:
    """Walk the rules in order; the first that holds gives the answer.

    A rule that is unknown (an answer it needs is missing) might hold or might not, so both
    branches are followed. When every branch ends in the same status, that status is certain and
    the rule that certainly holds gives its reasons. When branches disagree, the answer is
    ``maybe`` and ``missing`` names the answers that would settle it: the service never guesses.
    Every rule list ends in an unconditional rule, so some rule always certainly holds.
    """
    possible: set[str] = set()
    missing: set[str] = set()
    for rule in rules:
        if not rule.applies_on(day):
            continue
        outcome = rule.test(facts)
        if outcome is False:
            continue
        possible.add(rule.status)
        if outcome is True:
            if len(possible) == 1:
                return Decision(rule.status, rule.reasons, rule.next_step)
            return Decision("maybe", missing=frozenset(missing))
        missing |= outcome
    raise AssertionError("a rule list without a final unconditional rule passed validation")


def compile_check(field_name: str, op: str, operand: Any) -> Check:
    """Compile one condition; :class:`ConditionError` says what is wrong with it."""
    if field_name not in FIELD_KINDS:
        raise ConditionError(
            f"unknown condition {field_name!r}; known: {', '.join(sorted(FIELD_KINDS))}"
        )
    allowed = FIELD_KINDS[field_name]
    if op not in allowed:
        if op in OPERATORS:
            raise ConditionError(
                f"operator {op!r} does not apply to {field_name!r}; use one of {', '.join(allowed)}"
            )
        raise ConditionError(f"unknown operator {op!r}; known: {', '.join(OPERATORS)}")
    value = _operand(field_name, op, operand)
    return Check(field_name, op, value, _tester(field_name, op, value))


def _operand(field_name: str, op: str, operand: Any) -> Any:
    if op in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            raise ConditionError(f"{field_name}.{op} needs a non-empty list")
        return frozenset(_value(field_name, op, item) for item in operand)
    if op in ("in_region", "not_in_region"):
        if not isinstance(operand, str) or operand not in geo.region_ids():
            raise ConditionError(
                f"unknown region {operand!r}; known: {', '.join(geo.region_ids())} "
                "(services/geo/regions.yaml)"
            )
        return operand
    return _value(field_name, op, operand)


def _value(field_name: str, op: str, item: Any) -> Any:
    if field_name == "age":
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item <= 130:
            raise ConditionError(f"age.{op} needs whole years between 0 and 130, not {item!r}")
        return item
    if field_name in ("integration_obligation", "low_income"):
        if not isinstance(item, bool):
            raise ConditionError(f"{field_name}.{op} needs true or false, not {item!r}")
        return item
    if field_name == "municipality":
        found = geo.find_municipality(item) if isinstance(item, str) else None
        if found is None or found.code != item:
            raise ConditionError(
                f"municipality.{op} needs CBS codes such as GM0758, not {item!r}"
                + (f" (that is {found.code})" if found else "")
            )
        return found.code
    enum = Situation if field_name == "situation" else Goal
    if item not in enum.__members__:
        raise ConditionError(
            f"{field_name}.{op}: unknown value {item!r}; known: {', '.join(enum.__members__)}"
        )
    return item


def _tester(field_name: str, op: str, operand: Any) -> Callable[[Facts], bool | None]:
    if field_name == "municipality":
        return _municipality_tester(op, operand)

    def value_of(facts: Facts) -> Any:
        return getattr(facts, field_name)

    compare = {
        "eq": lambda value: value == operand,
        "ne": lambda value: value != operand,
        "lt": lambda value: value < operand,
        "lte": lambda value: value <= operand,
        "gt": lambda value: value > operand,
        "gte": lambda value: value >= operand,
        "in": lambda value: value in operand,
        "not_in": lambda value: value not in operand,
    }[op]

    def test(facts: Facts) -> bool | None:
        value = value_of(facts)
        return UNKNOWN if value is None else compare(value)

    return test


def _municipality_tester(op: str, operand: Any) -> Callable[[Facts], bool | None]:
    if op in ("in_region", "not_in_region"):
        members = geo.region_members(operand)
        wanted = op == "in_region"

        def test_region(facts: Facts) -> bool | None:
            if facts.municipality is None:
                return UNKNOWN
            return (facts.municipality.code in members) is wanted

        return test_region

    codes = operand if isinstance(operand, frozenset) else frozenset({operand})
    wanted = op in ("eq", "in")

    def test_code(facts: Facts) -> bool | None:
        if facts.municipality is None:
            return UNKNOWN
        return (facts.municipality.code in codes) is wanted

    return test_code
