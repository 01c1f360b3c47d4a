"""Organization search: few records (hundreds), so filtered and ranked in Python."""

from __future__ import annotations

import json
from typing import Any

from services.catalog import text
from services.catalog.domain import Organization, organization_from_json
from services.catalog.store.dialect import Dialect
from services.catalog.store.queries import OrganizationHit, OrganizationQuery, Page


class OrganizationSearchMixin(Dialect):
    """all_organizations and search_organizations."""

    def all_organizations(self) -> list[Organization]:
        with self.transaction() as cur:
            cur.execute("SELECT doc FROM organizations ORDER BY name_key, id")
            return [organization_from_json(json.loads(row[0])) for row in cur.fetchall()]

    def search_organizations(self, query: OrganizationQuery) -> Page[OrganizationHit]:
        """Organizations are few (hundreds), so they are filtered and ranked in Python."""
        needle = text.normalize(query.text or "")
        hits = []
        for organization in self.all_organizations():
            if query.primary_code and organization.primary_code != query.primary_code:
                continue
            if (
                query.organization_type
                and organization.organization_type != query.organization_type
            ):
                continue
            if query.helps_with and not set(query.helps_with) & set(organization.helps_with):
                continue
            if query.serving is not None and not organization.serves(query.serving):
                continue  # a desk for other municipalities: never send a person there
            haystack = text.normalize(
                " ".join(
                    [organization.name, organization.short_name, organization.description or ""]
                )
            )
            if needle and needle not in haystack:
                continue
            distance = None
            if query.near is not None:
                code = organization.municipality_code
                if code is not None and code not in query.near:
                    continue
                distance = query.near[code] / 10 if code is not None else None
            hits.append(OrganizationHit(organization, distance))
        hits.sort(key=lambda hit: _organization_key(hit, query.sort, query.near is not None))
        page = query.page
        return Page(hits[page.offset : page.offset + page.size], len(hits))


def _organization_key(hit: OrganizationHit, sort: tuple[str, ...], by_distance: bool) -> tuple:
    organization = hit.organization
    key: list[Any] = []
    if by_distance:
        # Places with an address first, nearest first; phone or online-only help after them.
        key += [hit.distance_km is None, hit.distance_km or 0.0]
    for field_name in sort:
        descending = field_name.startswith("-")
        name = field_name.lstrip("-")
        value = (
            text.normalize(organization.name) if name == "name" else organization.organization_id
        )
        key.append(_Reversed(value) if descending else value)
    return tuple(key)


class _Reversed:
    """Wraps a value so that sorting puts larger values first."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)
