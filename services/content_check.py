"""`make check-content`: the facts a citizen reads, with the day they were last checked.

Lists every fact whose check date is older than `CONTENT_MAX_AGE_DAYS` (default 180): the
budget schemes (`checked_on`), the contacts the assistant names (actions/contacts.yml), the
regions of the geo data, and the catalog's records (`ext.provenance.checkedOn`, docs/catalog.md).
Exits with 1 when a scheme has not been checked for a year (a rule about money may have changed)
or a file cannot be read; otherwise 0, also when it lists facts to check soon.

Run: `python -m services.content_check [--max-age-days N] [--today YYYY-MM-DD]`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTACTS_FILE = ROOT / "actions" / "contacts.yml"
REGIONS_FILE = ROOT / "services" / "geo" / "regions.yaml"
DEFAULT_MAX_AGE_DAYS = 180
SCHEME_MAX_AGE_DAYS = 365


@dataclass(frozen=True)
class Fact:
    kind: str  # scheme, contact, region, catalog
    name: str
    checked_on: date
    source: str
    example: bool = False  # made-up example data (catalog)


def scheme_facts() -> Iterator[Fact]:
    from services.budget.schemes import load_schemes

    for scheme in load_schemes():
        yield Fact("scheme", scheme.id, scheme.checked_on, scheme.source_urls[0])


def contact_facts(path: Path = CONTACTS_FILE) -> Iterator[Fact]:
    for contact in yaml.safe_load(path.read_text(encoding="utf-8"))["contacts"]:
        sources = contact.get("source_urls") or [""]
        yield Fact("contact", contact["id"], _date(contact["checked_on"]), sources[0])


def region_facts(path: Path = REGIONS_FILE) -> Iterator[Fact]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for region_id, region in document["regions"].items():
        yield Fact("region", region_id, _date(region["checked_on"]), region["source_urls"][0])


def catalog_facts() -> Iterator[Fact]:
    """The catalog's records as the catalog service renders them (its own store and seed)."""
    from services.catalog.content import provenance_of_records

    for name, provenance in provenance_of_records():
        checked = provenance.get("checkedOn")
        if checked:
            source = str(provenance.get("source") or "")
            yield Fact("catalog", name, _date(checked), source, bool(provenance.get("example")))


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def too_old(facts: Iterable[Fact], today: date, max_age_days: int) -> list[Fact]:
    limit = today - timedelta(days=max_age_days)
    return sorted((f for f in facts if f.checked_on < limit), key=lambda f: f.checked_on)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_age = int(os.environ.get("CONTENT_MAX_AGE_DAYS") or DEFAULT_MAX_AGE_DAYS)
    parser.add_argument("--max-age-days", type=int, default=default_age)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args(argv)
    facts: list[Fact] = []
    for kind, read in (
        ("schemes", scheme_facts),
        ("contacts", contact_facts),
        ("regions", region_facts),
        ("catalog", catalog_facts),
    ):
        try:
            facts += list(read())
        except Exception as exc:  # noqa: BLE001 - name the file that cannot be read, then fail
            print(f"Cannot read the {kind}: {exc}", file=sys.stderr)
            return 1
    old = too_old(facts, args.today, args.max_age_days)
    print(f"{len(facts)} facts; {len(old)} last checked more than {args.max_age_days} days ago.")
    examples = sum(1 for fact in facts if fact.example)
    if examples:
        print(f"Example data (made up, labelled in the chat): {examples} catalog entries.")
    for fact in old:
        print(f"  {fact.checked_on}  {fact.kind:8} {fact.name}  {fact.source}")
    expired = too_old((f for f in facts if f.kind == "scheme"), args.today, SCHEME_MAX_AGE_DAYS)
    for fact in expired:
        print(
            f"Scheme {fact.name} was last checked on {fact.checked_on}, more than a year ago: "
            "check its sources and update checked_on (docs/budget.md).",
            file=sys.stderr,
        )
    return 1 if expired else 0


if __name__ == "__main__":
    sys.exit(main())
