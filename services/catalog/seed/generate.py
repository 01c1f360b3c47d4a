"""Turn the hand-written seed files into catalog records, deterministically.

The same files and the same "today" always give the same records; start dates are counted
from "today" so the example catalog stays in the future. Ids derive from primary codes, so a
reload updates records in place.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from services import geo
from services.catalog.domain import (
    Address,
    CatalogBatch,
    Course,
    Offering,
    Organization,
    Provenance,
    record_id,
)

SEED_DIR = Path(__file__).resolve().parent
ORGANIZATIONS_FILE = SEED_DIR / "organizations.yaml"
COURSES_FILE = SEED_DIR / "courses.yaml"
SOURCE = "leerwijzer-example-catalog"  # ext.source
# Every seeded record's ext.provenance: invented demo data, written on WRITTEN_ON (the day
# the seed files were written and checked, organizations.yaml `checked_on`).
WRITTEN_ON = date(2026, 11, 27)
PROVENANCE = Provenance(
    source="Leerwijzer voorbeeldcatalogus (verzonnen gegevens)",
    checked_on=WRITTEN_ON,
    example=True,
)
DAYS = {
    "ma": ("maandag", 0),
    "di": ("dinsdag", 1),
    "wo": ("woensdag", 2),
    "do": ("donderdag", 3),
    "vr": ("vrijdag", 4),
    "za": ("zaterdag", 5),
    "zo": ("zondag", 6),
}
_TIME = re.compile(r"(\d{2}):(\d{2})")
# Libraries and colleges in the example are marked wheelchair-accessible unless said otherwise.
_DEFAULT_ACCESS = ("wheelchair",)


def _number(key: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.sha256(f"{key}|{salt}".encode()).digest()[:8], "big")


@lru_cache(maxsize=1)
def _documents() -> tuple[dict[str, Any], dict[str, Any]]:
    organizations = yaml.safe_load(ORGANIZATIONS_FILE.read_text(encoding="utf-8"))
    courses = yaml.safe_load(COURSES_FILE.read_text(encoding="utf-8"))
    return organizations, courses


def _address(raw: dict[str, Any] | None) -> Address | None:
    if not raw:
        return None
    municipality = geo.find_municipality(raw["municipality"])
    if municipality is None:
        raise ValueError(f"seed: unknown municipality {raw['municipality']!r}")
    return Address(
        city=raw["city"],
        municipality_code=municipality.code,
        street=raw.get("street"),
        street_number=raw.get("number"),
        postal_code=raw.get("postal_code"),
        location_name=raw.get("location_name"),
        verified=bool(raw.get("verified", False)),
    )


def _service_area(raw: dict[str, Any]) -> tuple[str, ...]:
    """``serves_municipalities`` (CBS names or codes) as sorted CBS codes; () for none."""
    codes = set()
    for name in raw.get("serves_municipalities") or ():
        municipality = geo.find_municipality(str(name))
        if municipality is None:
            raise ValueError(f"seed: {raw['code']}: unknown municipality {name!r} in its area")
        codes.add(municipality.code)
    return tuple(sorted(codes))


def organizations() -> list[Organization]:
    document, _ = _documents()
    checked_on = str(document.get("checked_on", ""))
    result = []
    for raw in document["organizations"]:
        verification = {k: str(v) for k, v in (raw.get("verification") or {}).items()}
        if checked_on:
            verification.setdefault("checkedOn", checked_on)
        if raw.get("walk_in_hours"):
            verification.setdefault("walkInHours", "example data, not checked")
        if raw.get("languages"):
            verification.setdefault("languages", "example data, not checked")
        if not raw.get("phone") and raw.get("helps_with"):
            verification.setdefault("phone", "no verified public number; not listed")
        result.append(
            Organization(
                organization_id=record_id("organization", raw["code"]),
                primary_code=raw["code"],
                name=raw["name"],
                short_name=raw.get("short_name") or raw["name"],
                organization_type=raw.get("type", "institute"),
                description=raw.get("description"),
                link=raw.get("link"),
                parent_id=record_id("organization", raw["parent"]) if raw.get("parent") else None,
                address=_address(raw.get("address")),
                phone=raw.get("phone"),
                walk_in_hours=tuple(raw.get("walk_in_hours") or ()),
                helps_with=tuple(raw.get("helps_with") or ()),
                accessibility=tuple(raw.get("accessibility") or ()),
                languages=tuple(raw.get("languages") or ()),
                example_data=False,
                verification=verification,
                source=SOURCE,
                provenance=PROVENANCE,
                serves_municipalities=_service_area(raw),
            )
        )
    return result


def schedule_text(slot: str) -> tuple[str, int | None, str]:
    """("di 10:00-12:00") -> ("dinsdag 10:00-12:00", weekday 1, "daytime")."""
    words = []
    weekday = None
    for word in slot.split(" "):
        if word in DAYS:
            name, number = DAYS[word]
            words.append(name)
            weekday = number if weekday is None else weekday
        else:
            words.append(word)
    times = _TIME.findall(slot)
    time_of_day = "flexible"
    if times:
        time_of_day = "evening" if int(times[0][0]) >= 18 else "daytime"
    return " ".join(words), weekday, time_of_day


def catalog(today: date) -> CatalogBatch:
    """The whole example catalog for a given day."""
    orgs = organizations()
    by_code = {o.primary_code: o for o in orgs}
    _, document = _documents()
    courses: list[Course] = []
    offerings: list[Offering] = []
    for template in document["courses"]:
        for provider in template["providers"]:
            course, runs = _course(template, provider, by_code, today)
            courses.append(course)
            offerings.extend(runs)
    return CatalogBatch(orgs, courses, offerings)


def _course(
    template: dict[str, Any],
    provider: dict[str, Any],
    by_code: dict[str, Organization],
    today: date,
) -> tuple[Course, list[Offering]]:
    organization = by_code[provider["org"]]
    code = f"{provider.get('code', provider['org'])}-{template['key']}"
    mode = provider.get("mode", "situated")
    schedule, weekday, slot_time = schedule_text(template["slot"])
    time_of_day = provider.get("time") or slot_time
    if mode == "online" and time_of_day != "evening":
        time_of_day = provider.get("time", "flexible")
    course_id = record_id("course", code)
    places: list[Address | None] = [None]
    if mode != "online":
        places = [by_code[place].address for place in provider.get("places", [])]
    weeks = int(template["weeks"])
    runs = []
    for place_index, place in enumerate(places):
        run_count = 2 if weeks <= 8 else 1
        for run in range(run_count):
            salt = f"{place_index}/{run}"
            # Within 359 days even after moving to the course's weekday: the next 12 months.
            offset = 5 + _number(code, salt) % 170 + run * (160 + _number(code, "gap") % 20)
            start = today + timedelta(days=offset)
            if weekday is not None:
                start += timedelta(days=(weekday - start.weekday()) % 7)
            end = start + timedelta(days=max(0, weeks * 7 - 7))
            place_org = _place_org(by_code, provider, place_index)
            access = (
                place_org.accessibility
                if place_org and place_org.accessibility
                else _DEFAULT_ACCESS
            )
            runs.append(
                Offering(
                    offering_id=record_id("offering", f"{code}-{salt}"),
                    primary_code=f"{code}-{start.isoformat()}-{place_index + 1}",
                    course_id=course_id,
                    organization_id=organization.organization_id,
                    start_date=start,
                    end_date=end,
                    mode=mode,
                    time_of_day=time_of_day,
                    schedule=schedule if mode != "online" or weekday is not None else None,
                    address=place,
                    cost_cents=round(float(provider.get("cost", 0)) * 100),
                    max_students=8 + _number(code, "size") % 9,
                    accessibility=() if mode == "online" else tuple(access),
                    enroll_end_date=start - timedelta(days=3),
                    example_data=True,
                    source=SOURCE,
                    provenance=PROVENANCE,
                )
            )
    course = Course(
        course_id=course_id,
        primary_code=code,
        organization_id=organization.organization_id,
        name=template["name"],
        description=" ".join(str(template["description"]).split()),
        teaching_language=template.get("language", "nld"),
        level=template.get("level", "undefined"),
        topics=tuple(template.get("topics") or ()),
        audiences=tuple(template.get("audiences") or ()),
        support_languages=tuple(template.get("support") or ()),
        modes_of_delivery=(mode,),
        duration=f"P{weeks}W",
        study_load_hours=template.get("study_hours"),
        example_data=True,
        source=SOURCE,
        provenance=PROVENANCE,
    )
    return course, runs


def _place_org(
    by_code: dict[str, Organization], provider: dict[str, Any], index: int
) -> Organization | None:
    places = provider.get("places") or []
    return by_code.get(places[index]) if index < len(places) else None
