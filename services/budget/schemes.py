"""Scheme files: one YAML file per scheme in services/budget/schemes/, validated when loaded.

Validation works on PyYAML's node graph, so every message names the file and the line: an
unknown field, operator, condition, value or region, a missing field, a bad date or URL. A
directory with any such problem does not load at all (:class:`SchemeError` lists them all); a
service must not start on half its rules.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from services.budget.profile import Facts
from services.budget.rules import STATUSES, ConditionError, Decision, Rule, compile_check, decide

__all__ = [
    "SCHEMES_DIR",
    "STALE_AFTER_MONTHS",
    "Scheme",
    "SchemeError",
    "dutch_date",
    "load_schemes",
    "stale_schemes",
]

log = logging.getLogger(__name__)

SCHEMES_DIR = Path(__file__).resolve().parent / "schemes"
STALE_AFTER_MONTHS = 12

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()

# field -> (required, kind). Kinds: text, texts, url, urls, date, rules, closed.
SCHEME_FIELDS: dict[str, tuple[bool, str]] = {
    "id": (True, "id"),
    "name": (True, "text"),
    "summary": (True, "text"),
    "provider": (True, "text"),
    "cost_to_you": (True, "cost"),
    "amount": (False, "text"),
    "how_to_apply": (True, "text"),
    "apply_url": (False, "url"),
    "source_urls": (True, "urls"),
    "checked_on": (True, "date"),
    "valid_from": (True, "date"),
    "valid_until": (False, "date"),
    "when_closed": (False, "closed"),
    "rules": (True, "rules"),
    "notes": (False, "text"),
    "uncertain": (False, "texts"),
}
# What the scheme costs the person, from least to most (the chat shows them in this order).
# free: nothing; employer: the employer pays; subsidy: a body pays all or part when it agrees;
# discount: the person pays less; loan: borrowed, repaid with interest; own_cost: the person pays.
COSTS = ("free", "employer", "subsidy", "discount", "loan", "own_cost")
RULE_FIELDS = ("when", "status", "reasons", "next_step", "valid_from", "valid_until")
CLOSED_FIELDS = ("reasons", "next_step")

# Shown for a date before the first day a file's rules cover: the rules before it are unknown.
BEFORE_RULES_REASONS = ("Wij hebben voor deze regeling geen regels van vóór {start}.",)
BEFORE_RULES_NEXT_STEP = "Vraag bij de organisatie van deze regeling wat er toen gold."


class SchemeError(ValueError):
    """One or more scheme files are invalid; ``problems`` holds ``file:line: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid scheme files:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Scheme:
    """One scheme as loaded from its file."""

    id: str
    name: str
    summary: str
    provider: str
    how_to_apply: str
    source_urls: tuple[str, ...]
    checked_on: date
    valid_from: date
    rules: tuple[Rule, ...]
    cost_to_you: str = "own_cost"
    amount: str | None = None
    apply_url: str | None = None
    valid_until: date | None = None
    closed_reasons: tuple[str, ...] = ()
    closed_next_step: str = ""
    notes: str | None = None
    uncertain: tuple[str, ...] = ()
    path: Path | None = None

    def is_open(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def decide(self, facts: Facts, day: date) -> Decision:
        """The answer for these facts on ``day``.

        After ``valid_until`` the scheme is ``closed``. Before ``valid_from`` (the first day the
        file's rules cover) the rules are unknown, so the answer is ``maybe``, never a guess.
        """
        if day < self.valid_from:
            start = dutch_date(self.valid_from)
            reasons = tuple(reason.format(start=start) for reason in BEFORE_RULES_REASONS)
            return Decision("maybe", reasons, BEFORE_RULES_NEXT_STEP)
        if self.valid_until is not None and day > self.valid_until:
            return Decision("closed", self.closed_reasons, self.closed_next_step)
        return decide(self.rules, facts, day)

    def is_stale(self, today: date) -> bool:
        return self.checked_on < _months_before(today, STALE_AFTER_MONTHS)

    def texts(self) -> list[str]:
        """Every Dutch text a citizen can read from this file."""
        found = [self.name, self.summary, self.provider, self.how_to_apply]
        found += [self.amount] if self.amount else []
        found += [*self.closed_reasons, self.closed_next_step] if self.closed_reasons else []
        for rule in self.rules:
            found += [*rule.reasons, rule.next_step]
        return found


def dutch_date(day: date) -> str:
    """``1 januari 2024``."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def stale_schemes(schemes: Iterable[Scheme], today: date) -> list[Scheme]:
    """Schemes whose facts were last checked more than 12 months before ``today``."""
    return [scheme for scheme in schemes if scheme.is_stale(today)]


def load_schemes(directory: Path = SCHEMES_DIR) -> tuple[Scheme, ...]:
    """Every ``*.yaml`` file in ``directory``, sorted by id; :class:`SchemeError` on any problem."""
    problems: list[str] = []
    schemes: list[Scheme] = []
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise SchemeError([f"{directory}: no scheme files (*.yaml)"])
    for path in files:
        try:
            schemes.append(_load_file(path))
        except SchemeError as error:
            problems.extend(error.problems)
    seen: dict[str, Path] = {}
    for scheme in schemes:
        if scheme.id in seen:
            problems.append(f"{scheme.path}: id {scheme.id!r} is also used by {seen[scheme.id]}")
        seen[scheme.id] = scheme.path
    if problems:
        raise SchemeError(problems)
    return tuple(sorted(schemes, key=lambda scheme: scheme.id))


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate_day in range(day.day, 0, -1):  # 29 February -> 28 February
        try:
            return date(year, month + 1, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


class _FileProblems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.lines.append(f"{self.path}:{line}: {message}")


def _load_file(path: Path) -> Scheme:
    problems = _FileProblems(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise SchemeError([f"{path}:{line}: not valid YAML: {error}"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SchemeError([f"{path}:1: cannot read: {error}"]) from None
    scheme = _scheme(root, path, problems)
    if problems.lines:
        raise SchemeError(problems.lines)
    assert scheme is not None
    return scheme


def _scheme(root: Node | None, path: Path, problems: _FileProblems) -> Scheme | None:
    fields = _mapping(root, "the file", SCHEME_FIELDS, problems)
    if fields is None:
        return None
    values: dict[str, Any] = {}
    for name, (required, kind) in SCHEME_FIELDS.items():
        if name not in fields:
            if required:
                problems.add(root, f"missing field {name!r}")
            continue
        key_node, value_node = fields[name]
        values[name] = _field(name, kind, value_node, problems)
    if problems.lines:
        return None
    if values["id"] != path.stem:
        problems.add(fields["id"][1], f"id {values['id']!r} must match the file name {path.stem!r}")
    valid_until = values.get("valid_until")
    if valid_until is not None and valid_until < values["valid_from"]:
        problems.add(fields["valid_until"][1], "valid_until is before valid_from")
    closed = values.get("when_closed")
    if valid_until is not None and closed is None:
        problems.add(root, "a scheme with valid_until needs when_closed (reasons and next_step)")
    if values["checked_on"] > date.today():
        problems.add(fields["checked_on"][1], "checked_on is in the future")
    if problems.lines:
        return None
    closed_reasons, closed_next_step = closed if closed else ((), "")
    return Scheme(
        id=values["id"],
        name=values["name"],
        summary=values["summary"],
        provider=values["provider"],
        how_to_apply=values["how_to_apply"],
        source_urls=tuple(values["source_urls"]),
        checked_on=values["checked_on"],
        valid_from=values["valid_from"],
        rules=values["rules"],
        cost_to_you=values["cost_to_you"],
        amount=values.get("amount"),
        apply_url=values.get("apply_url"),
        valid_until=valid_until,
        closed_reasons=closed_reasons,
        closed_next_step=closed_next_step,
        notes=values.get("notes"),
        uncertain=tuple(values.get("uncertain") or ()),
        path=path,
    )


def _field(name: str, kind: str, node: Node, problems: _FileProblems) -> Any:
    if kind == "rules":
        return _rules(node, problems)
    if kind == "closed":
        closed = _mapping(node, "when_closed", dict.fromkeys(CLOSED_FIELDS), problems)
        if closed is None:
            return None
        for required in CLOSED_FIELDS:
            if required not in closed:
                problems.add(node, f"when_closed: missing field {required!r}")
        if any(required not in closed for required in CLOSED_FIELDS):
            return None
        reasons = _texts(closed["reasons"][1], "when_closed.reasons", problems)
        next_step = _text(closed["next_step"][1], "when_closed.next_step", problems)
        return (tuple(reasons), next_step)
    value = _scalar_or_list(node, problems)
    if kind == "cost":
        if value not in COSTS:
            problems.add(node, f"{name} must be one of {', '.join(COSTS)}, not {value!r}")
        return value
    if kind == "id":
        if not isinstance(value, str) or not _ID.match(value):
            problems.add(node, f"id must be lowercase words joined by '-', not {value!r}")
        return value
    if kind == "text":
        return _text(node, name, problems)
    if kind == "texts":
        return _texts(node, name, problems)
    if kind == "date":
        return _date(node, name, problems, optional=name == "valid_until")
    if kind == "url":
        return _url(node, name, problems, optional=True)
    if kind == "urls":
        if not isinstance(node, SequenceNode) or not node.value:
            problems.add(node, f"{name} must be a non-empty list of https addresses")
            return []
        return [_url(item, name, problems, optional=False) for item in node.value]
    raise AssertionError(kind)


def _rules(node: Node, problems: _FileProblems) -> tuple[Rule, ...]:
    if not isinstance(node, SequenceNode) or not node.value:
        problems.add(node, "rules must be a non-empty list of rules")
        return ()
    rules = []
    for index, item in enumerate(node.value):
        rule = _rule(item, f"rules[{index}]", problems)
        if rule is not None:
            rules.append(rule)
    if len(rules) != len(node.value):
        return ()
    unconditional = [i for i, rule in enumerate(rules) if not rule.checks]
    last = rules[-1]
    if last.checks or last.valid_from or last.valid_until:
        problems.add(
            node.value[-1],
            "the last rule must have no 'when' and no dates: it is the answer when no other "
            "rule applies",
        )
    for index in unconditional[:-1]:
        if not (rules[index].valid_from or rules[index].valid_until):
            problems.add(
                node.value[index + 1], "rule can never apply: an earlier rule has no 'when'"
            )
    return tuple(rules)


def _rule(node: Node, where: str, problems: _FileProblems) -> Rule | None:
    fields = _mapping(node, where, dict.fromkeys(RULE_FIELDS), problems)
    if fields is None:
        return None
    before = len(problems.lines)
    for required in ("status", "reasons", "next_step"):
        if required not in fields:
            problems.add(node, f"{where}: missing field {required!r}")
    if len(problems.lines) > before:
        return None
    status_node = fields["status"][1]
    status = _scalar_or_list(status_node, problems)
    if status not in STATUSES:
        problems.add(
            status_node, f"{where}: unknown status {status!r}; known: {', '.join(STATUSES)}"
        )
    reasons = _texts(fields["reasons"][1], f"{where}.reasons", problems)
    next_step = _text(fields["next_step"][1], f"{where}.next_step", problems)
    checks = _when(fields["when"][1], where, problems) if "when" in fields else ()
    valid_from = (
        _date(fields["valid_from"][1], f"{where}.valid_from", problems, optional=True)
        if "valid_from" in fields
        else None
    )
    valid_until = (
        _date(fields["valid_until"][1], f"{where}.valid_until", problems, optional=True)
        if "valid_until" in fields
        else None
    )
    if len(problems.lines) > before:
        return None
    return Rule(
        status, tuple(reasons), next_step, checks, valid_from, valid_until, node.start_mark.line + 1
    )


def _when(node: Node, where: str, problems: _FileProblems) -> tuple:
    if not isinstance(node, MappingNode) or not node.value:
        problems.add(node, f"{where}.when must map conditions to operators, e.g. age: {{lt: 57}}")
        return ()
    checks = []
    for key_node, ops_node in node.value:
        field_name = _scalar_or_list(key_node, problems)
        if not isinstance(ops_node, MappingNode) or not ops_node.value:
            problems.add(
                ops_node,
                f"{where}.when.{field_name} must map operators to values, e.g. {{eq: employed}}",
            )
            continue
        for op_node, operand_node in ops_node.value:
            op = _scalar_or_list(op_node, problems)
            operand = _scalar_or_list(operand_node, problems)
            try:
                checks.append(compile_check(field_name, op, operand))
            except ConditionError as error:
                # An unknown condition is reported at its name, anything else at the operator.
                at = key_node if "unknown condition" in str(error) else op_node
                problems.add(at, f"{where}.when: {error}")
                if "unknown condition" in str(error):
                    break
    return tuple(checks)


def _mapping(
    node: Node | None, where: str, known: dict[str, Any], problems: _FileProblems
) -> dict[str, tuple[Node, Node]] | None:
    if not isinstance(node, MappingNode):
        problems.add(node, f"{where} must be a mapping of field: value")
        return None
    found: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key not in known:
            problems.add(key_node, f"unknown field {key!r} in {where}; known: {', '.join(known)}")
            continue
        if key in found:
            problems.add(key_node, f"field {key!r} appears twice in {where}")
            continue
        found[key] = (key_node, value_node)
    return found


def _scalar_or_list(node: Node, problems: _FileProblems) -> Any:
    try:
        return SafeConstructor().construct_object(node, deep=True)
    except ConstructorError as error:
        problems.add(node, f"cannot read value: {error.problem}")
        return None


def _text(node: Node, where: str, problems: _FileProblems) -> str:
    value = _scalar_or_list(node, problems)
    if not isinstance(value, str) or not value.strip():
        problems.add(node, f"{where} must be non-empty text")
        return ""
    return " ".join(value.split())


def _texts(node: Node, where: str, problems: _FileProblems) -> list[str]:
    if not isinstance(node, SequenceNode) or not node.value:
        problems.add(node, f"{where} must be a non-empty list of texts")
        return []
    return [_text(item, where, problems) for item in node.value]


def _date(node: Node, where: str, problems: _FileProblems, optional: bool) -> date | None:
    value = _scalar_or_list(node, problems)
    if value is None and optional:
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = date.fromisoformat(value)
    if not isinstance(value, date) or hasattr(value, "hour"):
        problems.add(node, f"{where} must be a date written as YYYY-MM-DD, not {value!r}")
        return None
    return value


def _url(node: Node, where: str, problems: _FileProblems, optional: bool) -> str | None:
    value = _scalar_or_list(node, problems)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not re.match(r"^https://[^\s/]+\.[^\s]+$", value):
        problems.add(node, f"{where} must be an https:// address, not {value!r}")
        return None
    return value
