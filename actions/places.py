"""Turning what a citizen typed into a municipality the services know."""

from __future__ import annotations

from typing import Any

from services.geo import distance_km, find_municipality, municipality_for_place

ONLINE = "online"
ONLINE_WORDS = {"online", "thuis", "vanuit huis", "internet", "op afstand", "via internet"}
NEARBY_KM = 15.0  # the same or a neighbouring municipality: a short trip by bus or bike


def canonical_municipality(value: Any) -> str | None:
    """'etten leur' -> 'Etten-Leur', 'Oudenbosch' -> 'Halderberge', 'thuis' -> 'online'."""
    if isinstance(value, list):
        value = value[-1] if value else None
    if not isinstance(value, str):
        return None
    text = value.strip()[:200]
    if text.lower() in ONLINE_WORDS:
        return ONLINE
    found = municipality_for_place(text)
    if found:
        return found.name
    # "ik woon in Breda": try the words after a preposition, longest first.
    words = text.replace(",", " ").split()
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            found = municipality_for_place(" ".join(words[start : start + size]))
            if found:
                return found.name
    return None


def context_place(metadata: Any) -> str | None:
    """The municipality where the client stands (a kiosk's library, a municipality's web site),
    from the message's metadata `place`; None when there is none or it is not in the data."""
    place = metadata.get("place") if isinstance(metadata, dict) else None
    found = canonical_municipality(place) if isinstance(place, str) else None
    return None if found == ONLINE else found


def nearby(place: str, home: str) -> bool:
    """Whether a course in `place` (a municipality) is near someone who lives in `home`."""
    here, there = find_municipality(place), find_municipality(home)
    if here is None or there is None:
        return False
    return here.code == there.code or distance_km(here, there) <= NEARBY_KM


def is_online(course: Any) -> bool:
    """Whether a course (actions.clients.catalog.CourseSummary) is given online."""
    return bool(getattr(course, "online", False)) or str(course.place).lower() == ONLINE
