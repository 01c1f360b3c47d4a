"""The catalog's own records. Stores keep these; routers render them as OOAPI v5 (render.py).

Importers map a provider's OOAPI or EDU-DEX data onto these records, so the API shape is
defined in one place whatever the source was.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

# Ids are derived from the primary code, so re-importing a record keeps its id and links.
ID_NAMESPACE = uuid.UUID("6f1c2d1e-4b7a-5d0e-9c59-0a7f1e6b2c11")
_NAMESPACE_BYTES = ID_NAMESPACE.bytes

MODES = ("situated", "online", "hybrid")
TIMES_OF_DAY = ("daytime", "evening", "flexible")
ORGANIZATION_TYPES = ("root", "institute", "department", "faculty", "branch", "academy", "school")
# OOAPI v5 `level` enum.
LEVELS = (
    "secondary vocational education",
    "secondary vocational education 1",
    "secondary vocational education 2",
    "secondary vocational education 3",
    "secondary vocational education 4",
    "associate degree",
    "bachelor",
    "master",
    "doctoral",
    "undefined",
    "undivided",
    "nt2-1",
    "nt2-2",
)


def record_id(kind: str, primary_code: str) -> str:
    """``str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{primary_code}"))``, computed without UUID
    objects (an import derives hundreds of thousands of ids)."""
    name = f"{kind}:{primary_code}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True)
class Provenance:
    """Where a record comes from, served as ``ext.provenance`` (docs/catalog.md).

    ``source``: the feed's URL or name; ``checked_on``: the day the data was read from that
    source or checked against it (None only for records imported before provenance was kept,
    schema version 3 or older); ``example``: invented example (demo) data, not to act on.
    """

    source: str
    checked_on: date | None
    example: bool = False


@dataclass(frozen=True)
class Address:
    city: str
    municipality_code: str | None = None
    street: str | None = None
    street_number: str | None = None
    postal_code: str | None = None
    location_name: str | None = None
    lat: float | None = None
    lon: float | None = None
    verified: bool = False


# How `verification` marks a fact that was made up for the example catalog.
UNVERIFIED_MARK = "example data"


@dataclass(frozen=True)
class Organization:
    organization_id: str
    primary_code: str
    name: str
    short_name: str
    organization_type: str = "institute"
    description: str | None = None
    link: str | None = None
    parent_id: str | None = None
    address: Address | None = None
    phone: str | None = None
    email: str | None = None
    walk_in_hours: tuple[str, ...] = ()
    helps_with: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    example_data: bool = False
    verification: dict[str, str] = field(default_factory=dict)
    source: str = "seed"
    provenance: Provenance | None = None
    # The CBS codes of the municipalities whose residents this organization serves (a
    # municipal or regional desk: Werkplein, sociale dienst, Leerwerkloket), served as
    # ``ext.servesMunicipalities``; empty: it serves everyone who comes (a library, a
    # Taalhuis, a national organization). Kept in the record's document only.
    serves_municipalities: tuple[str, ...] = ()

    @property
    def municipality_code(self) -> str | None:
        return self.address.municipality_code if self.address else None

    @property
    def unverified(self) -> tuple[str, ...]:
        """The facts (ext names: walkInHours, languages, ...) whose `verification` says they are
        example data: served, but a client must not show them as fact (docs/catalog.md)."""
        return tuple(
            sorted(
                fact
                for fact, how in self.verification.items()
                if how.strip().lower().startswith(UNVERIFIED_MARK)
            )
        )

    def serves(self, municipality_code: str) -> bool:
        """Whether a resident of this municipality (CBS code) may come here."""
        return not self.serves_municipalities or municipality_code in self.serves_municipalities


@dataclass(frozen=True)
class Course:
    course_id: str
    primary_code: str
    organization_id: str
    name: str
    description: str
    teaching_language: str = "nld"
    level: str = "undefined"
    topics: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    support_languages: tuple[str, ...] = ()
    modes_of_delivery: tuple[str, ...] = ()
    duration: str | None = None
    study_load_hours: int | None = None
    admission: str | None = None
    link: str | None = None
    example_data: bool = False
    source: str = "seed"
    provenance: Provenance | None = None


@dataclass(frozen=True)
class Offering:
    offering_id: str
    primary_code: str
    course_id: str
    organization_id: str
    start_date: date
    end_date: date
    mode: str = "situated"
    time_of_day: str = "daytime"
    schedule: str | None = None
    address: Address | None = None
    cost_cents: int | None = None
    currency: str = "EUR"
    max_students: int | None = None
    accessibility: tuple[str, ...] = ()
    enroll_end_date: date | None = None
    link: str | None = None
    example_data: bool = False
    source: str = "seed"
    # Sign-up facts, when the provider sends them (OOAPI enrollStartDate,
    # enrolledNumberStudents); never invented.
    enroll_start_date: date | None = None
    enrolled_students: int | None = None
    provenance: Provenance | None = None

    @property
    def municipality_code(self) -> str | None:
        return None if self.mode == "online" or not self.address else self.address.municipality_code

    @property
    def places_left(self) -> int | None:
        """Free places, when both the maximum and the number enrolled are known."""
        if self.max_students is None or self.enrolled_students is None:
            return None
        return max(0, self.max_students - self.enrolled_students)


@dataclass
class CatalogBatch:
    """Everything one import or seed run writes, in one transaction."""

    organizations: list[Organization] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    offerings: list[Offering] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.organizations) + len(self.courses) + len(self.offerings)


def to_json(record: Any) -> dict[str, Any]:
    """A record as plain JSON values (dates as ISO strings) for the stores' `doc` column.

    Empty values are left out (the dataclass defaults restore them). Offerings and courses,
    the bulk of an import, have hand-written converters: dataclasses.asdict deep-copies every
    value and made a 100k-course import several times slower.
    """
    if isinstance(record, Offering):
        return _offering_json(record)
    if isinstance(record, Course):
        return _course_json(record)
    if isinstance(record, Provenance):
        return provenance_json(record)
    data = {name: _plain(getattr(record, name)) for name in _field_names(type(record))}
    return {k: v for k, v in data.items() if v is not None and v != [] and v != {}}


def _address_json(a: Address) -> dict[str, Any]:
    data: dict[str, Any] = {"city": a.city} if a.city is not None else {}
    for key, value in (
        ("municipality_code", a.municipality_code),
        ("street", a.street),
        ("street_number", a.street_number),
        ("postal_code", a.postal_code),
        ("location_name", a.location_name),
        ("lat", a.lat),
        ("lon", a.lon),
        ("verified", a.verified),
    ):
        if value is not None:
            data[key] = value
    return data


def provenance_json(p: Provenance) -> dict[str, Any]:
    """A provenance as stored in a record's ``doc`` (``checked_on`` left out when unknown)."""
    data: dict[str, Any] = {"source": p.source}
    if p.checked_on is not None:
        data["checked_on"] = p.checked_on.isoformat()
    data["example"] = p.example
    return data


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        data[key] = value


def _offering_json(o: Offering) -> dict[str, Any]:
    # Written key by key in field order (None left out): the bulk of an import's records.
    data: dict[str, Any] = {
        "offering_id": o.offering_id,
        "primary_code": o.primary_code,
        "course_id": o.course_id,
        "organization_id": o.organization_id,
        "start_date": o.start_date.isoformat(),
        "end_date": o.end_date.isoformat(),
    }
    _set(data, "mode", o.mode)
    _set(data, "time_of_day", o.time_of_day)
    _set(data, "schedule", o.schedule)
    if o.address:
        data["address"] = _address_json(o.address)
    _set(data, "cost_cents", o.cost_cents)
    _set(data, "currency", o.currency)
    _set(data, "max_students", o.max_students)
    if o.accessibility:
        data["accessibility"] = list(o.accessibility)
    if o.enroll_end_date:
        data["enroll_end_date"] = o.enroll_end_date.isoformat()
    _set(data, "link", o.link)
    _set(data, "example_data", o.example_data)
    _set(data, "source", o.source)
    if o.enroll_start_date:
        data["enroll_start_date"] = o.enroll_start_date.isoformat()
    _set(data, "enrolled_students", o.enrolled_students)
    if o.provenance is not None:
        data["provenance"] = provenance_json(o.provenance)
    return data


def _course_json(c: Course) -> dict[str, Any]:
    data: dict[str, Any] = {
        "course_id": c.course_id,
        "primary_code": c.primary_code,
        "organization_id": c.organization_id,
        "name": c.name,
    }
    _set(data, "description", c.description)
    _set(data, "teaching_language", c.teaching_language)
    _set(data, "level", c.level)
    for key, values in (
        ("topics", c.topics),
        ("audiences", c.audiences),
        ("support_languages", c.support_languages),
        ("modes_of_delivery", c.modes_of_delivery),
    ):
        if values:
            data[key] = list(values)
    _set(data, "duration", c.duration)
    _set(data, "study_load_hours", c.study_load_hours)
    _set(data, "admission", c.admission)
    _set(data, "link", c.link)
    _set(data, "example_data", c.example_data)
    _set(data, "source", c.source)
    if c.provenance is not None:
        data["provenance"] = provenance_json(c.provenance)
    return data


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if is_dataclass(value):
        return to_json(value)
    return value


def organization_from_json(data: dict[str, Any]) -> Organization:
    return Organization(
        **_with_tuples(
            data,
            address=_address(data.get("address")),
            provenance=_provenance(data.get("provenance")),
        )
    )


def course_from_json(data: dict[str, Any]) -> Course:
    return Course(**_with_tuples(data, provenance=_provenance(data.get("provenance"))))


def offering_from_json(data: dict[str, Any]) -> Offering:
    extra: dict[str, Any] = {
        "address": _address(data.get("address")),
        "start_date": date.fromisoformat(data["start_date"]),
        "end_date": date.fromisoformat(data["end_date"]),
        "enroll_end_date": (
            date.fromisoformat(data["enroll_end_date"]) if data.get("enroll_end_date") else None
        ),
        "enroll_start_date": (
            date.fromisoformat(data["enroll_start_date"]) if data.get("enroll_start_date") else None
        ),
        "provenance": _provenance(data.get("provenance")),
    }
    return Offering(**_with_tuples(data, **extra))


def _address(data: dict[str, Any] | None) -> Address | None:
    return Address(**data) if data else None


def _provenance(data: dict[str, Any] | None) -> Provenance | None:
    if not data:
        return None
    checked_on = data.get("checked_on")
    return _provenance_of(data["source"], checked_on, bool(data.get("example", False)))


@lru_cache(maxsize=256)
def _provenance_of(source: str, checked_on: str | None, example: bool) -> Provenance:
    # A feed's records share one provenance: read once, not per record.
    return Provenance(source, date.fromisoformat(checked_on) if checked_on else None, example)


def _with_tuples(data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    values.update(overrides)
    return values
