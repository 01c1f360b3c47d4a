"""`make check-content` (services/content_check.py): facts with the day they were checked."""

from __future__ import annotations

from datetime import date

from services import content_check


def test_today_nothing_is_too_old_and_the_check_passes(capsys):
    assert content_check.main(["--today", "2026-12-03"]) == 0
    out = capsys.readouterr().out
    assert "0 last checked more than 180 days ago" in out


def test_after_half_a_year_the_facts_are_listed_but_the_check_still_passes(capsys):
    assert content_check.main(["--today", "2027-07-01"]) == 0
    out = capsys.readouterr().out
    assert "scheme   levenlanglerenkrediet" in out
    assert "contact  fallback" in out
    assert "region   west-brabant" in out


def test_a_scheme_not_checked_for_a_year_fails_the_check(capsys):
    assert content_check.main(["--today", "2027-12-31", "--max-age-days", "400"]) == 1
    assert "more than a year ago" in capsys.readouterr().err


def test_the_age_limit_is_a_setting(capsys, monkeypatch):
    monkeypatch.setenv("CONTENT_MAX_AGE_DAYS", "3")
    assert content_check.main(["--today", "2026-12-03"]) == 0
    assert "more than 3 days ago" in capsys.readouterr().out


def test_too_old_sorts_the_oldest_first():
    facts = [
        content_check.Fact("scheme", "b", date(2026, 1, 2), ""),
        content_check.Fact("scheme", "a", date(2025, 1, 1), ""),
        content_check.Fact("scheme", "c", date(2026, 12, 1), ""),
    ]
    old = content_check.too_old(facts, date(2026, 12, 3), 180)
    assert [f.name for f in old] == ["a", "b"]


def test_the_catalog_records_are_read_with_their_provenance(tmp_path, capsys, monkeypatch):
    from services.catalog.seed import ensure_example_catalog
    from services.catalog.store import open_store

    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    store = open_store(url)
    ensure_example_catalog(store)
    store.close()
    monkeypatch.setenv("CATALOG_DATABASE_URL", url)
    assert content_check.main(["--today", "2026-12-03"]) == 0
    out = capsys.readouterr().out
    assert "Example data (made up, labelled in the chat):" in out
    facts = list(content_check.catalog_facts())
    assert len(facts) > 100 and all(f.example for f in facts)
    assert {f.checked_on for f in facts} == {date(2026, 11, 27)}
