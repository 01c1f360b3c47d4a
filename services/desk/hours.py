"""Opening hours of a desk, written the way a desk writes them: "ma-vr 09:00-17:00; za 10:00-12:00".

Days: ma di wo do vr za zo (or English mon..sun), a range "ma-vr" or a list "ma,wo". Times are
local (DESK_TIMEZONE, Europe/Amsterdam by default). Public holidays are not known: a desk that
is closed on one sets its hours for that week, or signs nobody in (docs/desk.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

DAYS = {
    "ma": 0, "di": 1, "wo": 2, "do": 3, "vr": 4, "za": 5, "zo": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
PART = re.compile(
    r"^\s*(?P<days>[a-z]+(?:\s*[-,]\s*[a-z]+)*)\s+"
    r"(?P<start>\d{1,2}[:.]\d{2})\s*-\s*(?P<end>\d{1,2}[:.]\d{2})\s*$"
)


class HoursError(ValueError):
    """The hours text cannot be read; the message says what is wrong (in English)."""


@dataclass(frozen=True)
class Span:
    weekday: int
    start: time
    end: time


def _time(text: str) -> time:
    hours, minutes = (int(p) for p in re.split(r"[:.]", text))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise HoursError(f"not a time: {text}")
    return time(23, 59, 59) if hours == 24 else time(hours, minutes)


def _days(text: str) -> list[int]:
    found: list[int] = []
    for part in re.split(r"\s*,\s*", text):
        ends = [e.strip() for e in part.split("-")]
        if any(e not in DAYS for e in ends) or len(ends) > 2:
            raise HoursError(f"not a day or range of days: {part}")
        first, last = DAYS[ends[0]], DAYS[ends[-1]]
        found.extend(
            range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        )
    return found


def parse_hours(text: str) -> list[Span]:
    """The spans of a week; an empty text is a desk that is never open (live chat off)."""
    spans: list[Span] = []
    for part in filter(None, (p.strip() for p in (text or "").lower().split(";"))):
        match = PART.match(part)
        if not match:
            raise HoursError(f"write hours like 'ma-vr 09:00-17:00', got: {part}")
        start, end = _time(match["start"]), _time(match["end"])
        if end <= start:
            raise HoursError(f"the end is not after the start: {part}")
        spans.extend(Span(day, start, end) for day in _days(match["days"]))
    return spans


def is_open(text: str, moment: datetime, zone: str = "Europe/Amsterdam") -> bool:
    """Whether the desk is open at `moment` (aware) by its hours text."""
    local = moment.astimezone(ZoneInfo(zone))
    now = local.time()
    return any(s.weekday == local.weekday() and s.start <= now < s.end for s in parse_hours(text))
