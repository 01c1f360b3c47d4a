"""Catalog records rendered as Open Education API v5 JSON, with Leerwijzer's ``ext`` fields.

Documented in docs/catalog.md. Dutch text is tagged ``nl-NL``; ``municipality`` is the CBS name,
or "online" for an online offering, as the action server's client expects.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency

from services import geo
from services.catalog.domain import Address, Course, Offering, Organization, Provenance

DUTCH = "nl-NL"
ONLINE = "online"


def _text(value: str) -> list[dict[str, str]]:
    return [{"language": DUTCH, "value": value}]


def _municipality_name(code: str | None) -> str | None:
    if not code:
        return None
    found = geo.find_municipality(code)
    return found.name if found else None


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None and value != []}


def address(value: Address, address_type: str) -> dict[str, Any]:
    point = None
    if value.lat is not None and value.lon is not None:
        point = {"latitude": value.lat, "longitude": value.lon}
    return _drop_none(
        {
            "addressType": address_type,
            "street": value.street,
            "streetNumber": value.street_number,
            "postalCode": value.postal_code,
            "city": value.city,
            "countryCode": "NL",
            "geolocation": point,
            "ext": _drop_none(
                {
                    "locationName": value.location_name,
                    "municipality": _municipality_name(value.municipality_code),
                    "municipalityCode": value.municipality_code,
                    "addressVerified": value.verified,
                }
            ),
        }
    )


def cost(offering: Offering) -> dict[str, Any] | None:
    if offering.cost_cents is None:
        return None
    return {"amount": offering.cost_cents / 100, "currency": offering.currency}


def display_amount(cents: int, currency: str = "EUR") -> str:
    """The price as Dutch readers write it ("€ 1.234,50"; Babel's nl_NL format), or "gratis"."""
    if cents == 0:
        return "gratis"
    return format_currency(Decimal(cents) / 100, currency, locale="nl_NL")


def address_line(value: Address | None) -> str | None:
    """One Dutch line: "Nieuwe Veste, Molenstraat 6, Breda" (only the parts that are known)."""
    if value is None:
        return None
    street = " ".join(p for p in (value.street, value.street_number) if p)
    town = " ".join(p for p in (value.postal_code, value.city) if p)
    parts = [value.location_name, street, town]
    line = ", ".join(dict.fromkeys(p for p in parts if p))
    return line or None


def next_offering(offering: Offering, distance_km: float | None) -> dict[str, Any]:
    """The facts of an offering a person needs to choose it and sign up (docs/catalog.md)."""
    in_person = offering.mode != ONLINE
    place = offering.address if in_person else None
    municipality = _municipality_name(offering.municipality_code) if in_person else ONLINE
    return _drop_none(
        {
            "offeringId": offering.offering_id,
            "startDate": offering.start_date.isoformat(),
            "endDate": offering.end_date.isoformat(),
            "municipality": municipality or (place.city if place else None),
            "municipalityCode": offering.municipality_code,
            "locationName": place.location_name if place else None,
            "address": address(place, "teaching") if place else None,
            "addressLine": address_line(place),
            "schedule": offering.schedule,
            "timeOfDay": offering.time_of_day,
            "modeOfDelivery": offering.mode,
            "cost": cost(offering),
            "accessibility": list(offering.accessibility),
            "distanceKm": distance_km,
            # Signing up: OOAPI's offering fields, only when the provider gave them.
            "link": offering.link,
            "enrollStartDate": _day(offering.enroll_start_date),
            "enrollEndDate": _day(offering.enroll_end_date),
            "maxNumberStudents": offering.max_students,
            "enrolledNumberStudents": offering.enrolled_students,
            "placesLeft": offering.places_left,
        }
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def provenance(record: Course | Offering | Organization) -> dict[str, Any]:
    """``ext.provenance``: always these three keys; ``checkedOn`` is null only for a record
    imported before provenance was kept (docs/catalog.md)."""
    value = record.provenance
    if value is None:  # not written through the seed or an importer: say what is known
        value = Provenance(record.source, None, record.example_data)
    return {"source": value.source, "checkedOn": _day(value.checked_on), "example": value.example}


def course(
    record: Course,
    *,
    organization: Organization | None = None,
    offering: Offering | None = None,
    distance_km: float | None = None,
    expand_organization: bool = False,
) -> dict[str, Any]:
    ext = _drop_none(
        {
            "exampleData": record.example_data,
            "organizationName": organization.name if organization else None,
            "organizationPhone": organization.phone if organization else None,
            "organizationWebsite": organization.link if organization else None,
            "topics": list(record.topics),
            "audiences": list(record.audiences),
            "languagesOfInstruction": [record.teaching_language],
            "supportLanguages": list(record.support_languages),
            "nextOffering": next_offering(offering, distance_km) if offering else None,
            "distanceKm": distance_km,
            "source": record.source,
            "provenance": provenance(record),
        }
    )
    ext.setdefault("topics", [])
    org_value: Any = record.organization_id
    if expand_organization and organization is not None:
        org_value = organization_document(organization)
    return _drop_none(
        {
            "courseId": record.course_id,
            "primaryCode": {"codeType": "identifier", "code": record.primary_code},
            "name": _text(record.name),
            "abbreviation": record.primary_code[:256],
            "description": _text(record.description),
            "teachingLanguage": record.teaching_language,
            "level": record.level,
            "modeOfDelivery": list(record.modes_of_delivery),
            "duration": record.duration,
            "studyLoad": (
                {"studyLoadUnit": "hour", "value": record.study_load_hours}
                if record.study_load_hours is not None
                else None
            ),
            "admissionRequirements": _text(record.admission) if record.admission else None,
            "link": record.link,
            "organization": org_value,
            "ext": ext,
        }
    )


def offering_document(
    record: Offering,
    parent: Course,
    *,
    organization: Organization | None = None,
    expand: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    price = None
    if record.cost_cents is not None:
        price = [
            {
                "costType": "total costs",
                "amount": f"{record.cost_cents / 100:.2f}",
                "currency": record.currency,
                "displayAmount": _text(display_amount(record.cost_cents, record.currency)),
            }
        ]
    course_value: Any = record.course_id
    if "course" in expand:
        course_value = course(parent, organization=organization)
    org_value: Any = record.organization_id
    if "organization" in expand and organization is not None:
        org_value = organization_document(organization)
    ext = next_offering(record, None)
    # OOAPI's own fields of the offering below say these already.
    for key in (
        "offeringId",
        "link",
        "enrollStartDate",
        "enrollEndDate",
        "maxNumberStudents",
        "enrolledNumberStudents",
    ):
        ext.pop(key, None)
    ext.update(
        {
            "exampleData": record.example_data,
            "organizationName": organization.name if organization else None,
            "provenance": provenance(record),
        }
    )
    return _drop_none(
        {
            "offeringId": record.offering_id,
            "primaryCode": {"codeType": "offeringCode", "code": record.primary_code},
            "offeringType": "course",
            "name": _text(parent.name),
            "abbreviation": record.primary_code[:256],
            "description": _text(parent.description),
            "teachingLanguage": parent.teaching_language,
            "modeOfDelivery": [record.mode],
            "resultExpected": False,
            "startDate": record.start_date.isoformat(),
            "endDate": record.end_date.isoformat(),
            "enrollStartDate": _day(record.enroll_start_date),
            "enrollEndDate": _day(record.enroll_end_date),
            "maxNumberStudents": record.max_students,
            "enrolledNumberStudents": record.enrolled_students,
            "link": record.link,
            "addresses": (
                [address(record.address, "teaching")]
                if record.address and record.mode != "online"
                else None
            ),
            "priceInformation": price,
            "course": course_value,
            "organization": org_value,
            "ext": _drop_none(ext),
        }
    )


def organization_document(
    record: Organization,
    *,
    distance_km: float | None = None,
    parent: Organization | None = None,
    children: list[Any] | None = None,
) -> dict[str, Any]:
    return _drop_none(
        {
            "organizationId": record.organization_id,
            "primaryCode": {"codeType": "identifier", "code": record.primary_code},
            "organizationType": record.organization_type,
            "name": _text(record.name),
            "shortName": record.short_name[:256],
            "description": _text(record.description) if record.description else None,
            "addresses": [address(record.address, "visit")] if record.address else None,
            "link": record.link,
            "parent": (organization_document(parent) if parent is not None else record.parent_id),
            "children": children,
            "ext": _drop_none(
                {
                    "exampleData": record.example_data,
                    "helpsWith": list(record.helps_with),
                    "phone": record.phone,
                    "email": record.email,
                    "walkInHours": list(record.walk_in_hours),
                    "accessibility": list(record.accessibility),
                    "languages": list(record.languages),
                    "municipality": _municipality_name(record.municipality_code),
                    "municipalityCode": record.municipality_code,
                    # Absent: serves everyone who comes (docs/catalog.md).
                    "servesMunicipalities": list(record.serves_municipalities),
                    "distanceKm": distance_km,
                    "verification": dict(record.verification) or None,
                    "unverified": list(record.unverified) or None,
                    "source": record.source,
                    "provenance": provenance(record),
                }
            ),
        }
    )
