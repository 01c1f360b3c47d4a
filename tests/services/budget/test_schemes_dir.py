"""The scheme files: all valid, sourced and fresh; a broken file stops loading at its line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from services.budget.app import create_app
from services.budget.schemes import SCHEMES_DIR, SchemeError, load_schemes, stale_schemes

ISSUE_SCHEMES = {
    "stap-budget",
    "levenlanglerenkrediet",
    "educatie-basisvaardigheden",
    "inburgering",
    "uwv-scholing",
    "gemeente-werk-scholing",
    "slim-scholing",
    "sectorfonds",
    "werkgever-studiekosten",
    "brabant-leert-jtf",
    "bibliotheek-gratis",
}


def test_every_scheme_file_loads(schemes):
    assert len(schemes) == len(list(SCHEMES_DIR.glob("*.yaml")))
    assert {scheme.id for scheme in schemes} >= ISSUE_SCHEMES


def test_every_scheme_has_https_sources_and_a_check_date(schemes):
    for scheme in schemes:
        assert scheme.source_urls, scheme.id
        assert all(url.startswith("https://") for url in scheme.source_urls), scheme.id
        assert len(set(scheme.source_urls)) == len(scheme.source_urls), scheme.id
        assert scheme.apply_url is None or scheme.apply_url.startswith("https://")
        assert isinstance(scheme.checked_on, date)


def test_nothing_is_stale_today(schemes):
    assert stale_schemes(schemes, date.today()) == []


def test_staleness_starts_after_twelve_months(schemes):
    stap = next(scheme for scheme in schemes if scheme.id == "stap-budget")
    assert stap.checked_on == date(2026, 11, 27)
    assert not stap.is_stale(date(2027, 11, 27))
    assert stap.is_stale(date(2027, 11, 28))


def test_only_stap_budget_has_ended(schemes):
    ended = {scheme.id for scheme in schemes if not scheme.is_open(date(2026, 11, 27))}
    assert ended == {"stap-budget"}


def copy_schemes(tmp_path: Path) -> Path:
    target = tmp_path / "schemes"
    shutil.copytree(SCHEMES_DIR, target)
    return target


def break_file(directory: Path, name: str, old: str, new: str) -> Path:
    path = directory / name
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


@pytest.mark.parametrize(
    ("name", "old", "new", "marker", "words"),
    [
        ("sectorfonds.yaml", "amount:", "bedrag:", "bedrag:", "unknown field 'bedrag'"),
        (
            "levenlanglerenkrediet.yaml",
            "{age: {gte: 57}}",
            "{age: {at_least: 57}}",
            "at_least",
            "unknown operator 'at_least'",
        ),
        (
            "uwv-scholing.yaml",
            "{situation: {eq: job_seeker}}",
            "{situatie: {eq: job_seeker}}",
            "situatie",
            "unknown condition 'situatie'",
        ),
        (
            "brabant-leert-jtf.yaml",
            "{not_in_region: west-brabant}",
            "{not_in_region: oost-brabant}",
            "oost-brabant",
            "unknown region 'oost-brabant'",
        ),
        (
            "slim-scholing.yaml",
            "{situation: {eq: employed}}",
            "{situation: {eq: werknemer}}",
            "werknemer}",
            "unknown value 'werknemer'",
        ),
        (
            "inburgering.yaml",
            "{integration_obligation: {eq: true}}",
            "{integration_obligation: {lt: true}}",
            "{lt: true}",
            "operator 'lt' does not apply",
        ),
        ("sectorfonds.yaml", "status: maybe", "status: perhaps", "perhaps", "unknown status"),
        (
            "sectorfonds.yaml",
            "cost_to_you: employer",
            "cost_to_you: cheap",
            "cost_to_you",
            "cost_to_you must be one of free, employer",
        ),
        (
            "sectorfonds.yaml",
            "checked_on: 2026-11-27",
            "checked_on: 27-11-2026",
            "checked_on",
            "checked_on must be a date",
        ),
        (
            "sectorfonds.yaml",
            "  - https://www.nrc.nl/",
            "  - http://www.nrc.nl/",
            "http://www.nrc.nl/",
            "https://",
        ),
        (
            "sectorfonds.yaml",
            "    next_step: Vraag uw werkgever",
            "    volgende: Vraag uw werkgever",
            "volgende:",
            "unknown field 'volgende'",
        ),
    ],
)
def test_a_broken_file_stops_loading_with_file_and_line(tmp_path, name, old, new, marker, words):
    directory = copy_schemes(tmp_path)
    path = break_file(directory, name, old, new)
    with pytest.raises(SchemeError) as raised:
        load_schemes(directory)
    message = str(raised.value)
    assert f"{path}:{line_of(path, marker)}:" in message
    assert words in message


def test_a_broken_file_stops_the_service(tmp_path):
    directory = copy_schemes(tmp_path)
    break_file(directory, "sectorfonds.yaml", "amount:", "bedrag:")
    with pytest.raises(SchemeError, match="sectorfonds.yaml:.*unknown field 'bedrag'"):
        create_app(schemes_dir=directory)


def test_problems_in_several_files_are_all_reported(tmp_path):
    directory = copy_schemes(tmp_path)
    break_file(directory, "sectorfonds.yaml", "amount:", "bedrag:")
    break_file(directory, "leerwerkloket.yaml", "status: eligible", "status: good")
    with pytest.raises(SchemeError) as raised:
        load_schemes(directory)
    assert len(raised.value.problems) == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("rules: [\n", "not valid YAML"),
        ("- a list\n", "must be a mapping"),
        ("id: leeg\n", "missing field 'name'"),
    ],
)
def test_malformed_files(tmp_path, text, words):
    (tmp_path / "leeg.yaml").write_text(text, "utf-8")
    with pytest.raises(SchemeError, match=words):
        load_schemes(tmp_path)


def test_structural_mistakes(tmp_path):
    directory = copy_schemes(tmp_path)
    path = break_file(directory, "sectorfonds.yaml", "id: sectorfonds", "id: sector-fonds")
    break_file(
        directory,
        "uwv-scholing.yaml",
        "  - status: not_eligible\n    reasons:\n      - Deze regeling",
        "  - when: {age: {gte: 18}}\n    status: not_eligible\n    reasons:\n      - Deze regeling",
    )
    break_file(directory, "stap-budget.yaml", "when_closed:", "when_closed_:")
    with pytest.raises(SchemeError) as raised:
        load_schemes(directory)
    message = str(raised.value)
    assert f"{path}:{line_of(path, 'id: sector-fonds')}: id 'sector-fonds' must match" in message
    assert "the last rule must have no 'when'" in message
    assert "unknown field 'when_closed_'" in message


def test_an_empty_directory_does_not_load(tmp_path):
    with pytest.raises(SchemeError, match="no scheme files"):
        load_schemes(tmp_path)
