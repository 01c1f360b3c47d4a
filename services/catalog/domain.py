"""The catalog's own records. Stores keep these; routers render them as OOAPI v5 (render.py).

Importers map a provider's OOAPI or EDU-DEX data onto these records, so the API shape is
defined in one place whatever the source was.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

# Ids are derived from the primary code, so re-importing a record keeps its id and links.
ID_NAMESPACE = uuid.UUID("6f1c2d1e-4b7a-5d0e-9c59-0a7f1e6b2c11")

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
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{primary_code}"))


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

    @property
    def municipality_code(self) -> str | None:
        return self.address.municipality_code if self.address else None


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

    @property
    def municipality_code(self) -> str | None:
        return None if self.mode == "online" or not self.address else self.address.municipality_code


@dataclass
class CatalogBatch:
    """Everything one import or seed run writes, in one transaction."""

    organizations: list[Organization] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    offerings: list[Offering] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.organizations) + len(self.courses) + len(self.offerings)


def to_json(record: Any) -> dict[str, Any]:
    """A record as plain JSON values (dates as ISO strings) for the stores' `doc` column."""
    data = asdict(record)
    return {key: _plain(value) for key, value in data.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def organization_from_json(data: dict[str, Any]) -> Organization:
    return Organization(**_with_tuples(data, address=_address(data.get("address"))))


def course_from_json(data: dict[str, Any]) -> Course:
    return Course(**_with_tuples(data))


def offering_from_json(data: dict[str, Any]) -> Offering:
    extra: dict[str, Any] = {
        "address": _address(data.get("address")),
        "start_date": date.fromisoformat(data["start_date"]),
        "end_date": date.fromisoformat(data["end_date"]),
        "enroll_end_date": (
            date.fromisoformat(data["enroll_end_date"]) if data.get("enroll_end_date") else None
        ),
    }
    return Offering(**_with_tuples(data, **extra))


def _address(data: dict[str, Any] | None) -> Address | None:
    return Address(**data) if data else None


def _with_tuples(data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    values.update(overrides)
    return values
