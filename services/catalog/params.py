"""Parsing of query and path parameters, with a clear 400 Problem for anything malformed.

An empty value (``?level=``) is malformed too, as in the OOAPI specification; only free text
(``q``, ``consumer``, ``primaryCode``) may be empty. ``sort`` and ``expand`` are arrays of enum
values (``explode: false``): on the wire the empty array and an array of one empty item are both
``?expand=``, so it is refused (leave the parameter out for none), like an empty item
(``?expand=,`` or ``?sort=name,,-name``).

Parameters arrive as plain strings so that every mistake gets the same readable message,
instead of FastAPI's generic validation output.
"""

from __future__ import annotations

import uuid
from datetime import date

from services.catalog.problems import bad_request, not_found
from services.catalog.store.queries import PageRequest

PAGE_SIZES = (10, 20, 50, 100, 250)
INT32_MAX = 2**31 - 1  # OOAPI's pageNumber is an int32
# A 10 kB question is answered (the search reads its start); longer input is refused.
MAX_TEXT = 16_384


def page(page_size: str | None, page_number: str | None) -> PageRequest:
    size = _integer(page_size, "pageSize", 10)
    if size not in PAGE_SIZES:
        raise bad_request(f"pageSize must be one of {', '.join(map(str, PAGE_SIZES))}, got {size}")
    number = _integer(page_number, "pageNumber", 1)
    if number < 1 or number > INT32_MAX:
        raise bad_request(f"pageNumber must be a whole number from 1 to {INT32_MAX}")
    return PageRequest(size=size, number=number)


def _integer(raw: str | None, name: str, default: int) -> int:
    if raw is None:
        return default
    text = raw.strip()
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise bad_request(f"{name} must be a whole number, got {raw[:40]!r}")
    return int(text)


def number(raw: str | None, name: str, *, minimum: float = 0, maximum: float = 1e9) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"{name} must be a number, got {raw[:40]!r}") from None
    if not (minimum <= value <= maximum):
        raise bad_request(f"{name} must be between {minimum:g} and {maximum:g}")
    return value


def day(raw: str | None, name: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise bad_request(f"{name} must be a date like 2027-01-31, got {raw[:40]!r}") from None


def boolean(raw: str | None, name: str) -> bool | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise bad_request(f"{name} must be true or false, got {raw[:40]!r}")
    return value == "true"


def record_id(raw: str, name: str) -> str:
    """A path id must be a UUID (OOAPI); anything else is a 400, an unknown UUID a 404."""
    try:
        return str(uuid.UUID(raw))
    except (ValueError, AttributeError):
        raise bad_request(f"{name} must be a UUID, got {raw[:60]!r}") from None


def _enum_list(raw: str, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of allowed values (``explode: false``); no empty items."""
    keys = tuple(part.strip() for part in raw.split(","))
    for key in keys:
        if key not in allowed:
            raise bad_request(f"{name} accepts {', '.join(allowed)}; got {key[:40]!r}")
    return keys


def sort(raw: str | None, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    if raw is None:
        return default
    return _enum_list(raw, "sort", allowed)


def expand(raw: str | None, allowed: tuple[str, ...]) -> frozenset[str]:
    if raw is None:
        return frozenset()
    return frozenset(_enum_list(raw, "expand", allowed))


def choice(raw: str | None, name: str, allowed: tuple[str, ...] | frozenset[str]) -> str | None:
    if raw is None:
        return None
    if raw not in allowed:
        raise bad_request(f"{name} must be one of {', '.join(sorted(allowed))}; got {raw[:40]!r}")
    return raw


def choices(
    raws: list[str] | None, name: str, allowed: tuple[str, ...] | frozenset[str]
) -> tuple[str, ...]:
    """A repeated parameter; each value may also hold a comma-separated list."""
    values: list[str] = []
    for raw in raws or []:
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    for value in values:
        choice(value, name, allowed)
    return tuple(dict.fromkeys(values))


def teaching_language(raw: str | None) -> str | None:
    if raw is None:
        return None
    if len(raw) != 3 or not raw.isascii() or not raw.isalpha() or not raw.islower():
        raise bad_request("teachingLanguage must be a three-letter ISO 639-2 code such as nld")
    return raw


def text(raw: str | None, name: str) -> str | None:
    if raw is None:
        return None
    if len(raw) > MAX_TEXT:
        raise bad_request(f"{name} is longer than {MAX_TEXT} characters")
    return raw


def found(record, what: str, record_id_: str):  # noqa: ANN001, ANN201 - any record type
    if record is None:
        raise not_found(f"There is no {what} with id {record_id_}.")
    return record
