"""Response models for the service's own OpenAPI page (/docs).

They describe the OOAPI v5 fields the catalog fills and every Leerwijzer ``ext`` field. The
official specification stays the contract: the conformance tests check responses against it.
Unknown extra fields are kept, so a richer record is never cut down by these models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class _Open(BaseModel):
    class Config:
        extra = "allow"


class LanguageTypedString(_Open):
    language: str = Field(..., example="nl-NL")
    value: str


class IdentifierEntry(_Open):
    codeType: str = Field(..., example="identifier")
    code: str


class Cost(_Open):
    amount: float = Field(..., description="Amount in euros; 0 means free.", example=0)
    currency: str = Field("EUR", example="EUR")


class Provenance(_Open):
    source: str = Field(
        ...,
        description="Where the record comes from: the feed's URL or name.",
        example="Leerwijzer voorbeeldcatalogus (verzonnen gegevens)",
    )
    checkedOn: str | None = Field(
        ...,
        description="YYYY-MM-DD: the day the data was read from the source or checked "
        "against it; null only for records imported before provenance was kept.",
        example="2026-11-27",
    )
    example: bool = Field(
        ..., description="True for example (demo) data: invented, never to act on."
    )


class AddressExt(_Open):
    locationName: str | None = None
    municipality: str | None = Field(None, description="CBS municipality name.")
    municipalityCode: str | None = Field(None, example="GM0758")
    addressVerified: bool | None = Field(
        None, description="Whether the street address was checked against a public source."
    )


class Address(_Open):
    addressType: str
    street: str | None = None
    streetNumber: str | None = None
    postalCode: str | None = None
    city: str | None = None
    countryCode: str | None = None
    ext: AddressExt | None = None


class NextOffering(_Open):
    offeringId: str | None = None
    startDate: str = Field(..., example="2027-01-12")
    endDate: str | None = None
    municipality: str | None = Field(
        None, description='CBS municipality name, or "online" for an online offering.'
    )
    municipalityCode: str | None = None
    locationName: str | None = None
    address: Address | None = None
    schedule: str | None = Field(None, example="dinsdag 10:00-12:00")
    timeOfDay: Literal["daytime", "evening", "flexible"] | None = None
    modeOfDelivery: Literal["situated", "online", "hybrid"] | None = None
    cost: Cost | None = None
    accessibility: list[str] | None = Field(None, example=["wheelchair", "hearing-loop"])
    distanceKm: float | None = Field(
        None, description="Km to the asked municipality; absent for online offerings."
    )
    addressLine: str | None = Field(
        None, description="The location as one line.", example="Nieuwe Veste, Molenstraat 6, Breda"
    )
    link: str | None = Field(None, description="Sign-up page of this offering, when known.")
    enrollStartDate: str | None = Field(None, description="First day to sign up, when known.")
    enrollEndDate: str | None = Field(None, description="Last day to sign up, when known.")
    maxNumberStudents: int | None = None
    enrolledNumberStudents: int | None = None
    placesLeft: int | None = Field(
        None, description="maxNumberStudents - enrolledNumberStudents, when both are known."
    )


class CourseExt(_Open):
    exampleData: bool = Field(..., description="True for invented example courses.")
    organizationName: str | None = None
    organizationPhone: str | None = Field(None, description="Only when verified.")
    organizationWebsite: str | None = None
    topics: list[str] = Field(default_factory=list, example=["digital"])
    audiences: list[str] | None = Field(None, example=["older-people"])
    languagesOfInstruction: list[str] | None = Field(None, example=["nld"])
    supportLanguages: list[str] | None = Field(
        None, description="ISO 639-2 codes of languages in which help is offered.", example=["ara"]
    )
    nextOffering: NextOffering | None = Field(
        None,
        description="The best matching upcoming offering: in person nearest first (online "
        "after them), then earliest.",
    )
    distanceKm: float | None = Field(
        None,
        description="Distance to the asked municipality; 0 for the same place, absent for "
        "online offerings.",
    )
    source: str | None = None
    provenance: Provenance


class Course(_Open):
    courseId: str
    primaryCode: IdentifierEntry
    name: list[LanguageTypedString]
    abbreviation: str
    description: list[LanguageTypedString]
    teachingLanguage: str
    level: str
    modeOfDelivery: list[str] | None = None
    organization: Any | None = None
    ext: CourseExt


class OfferingExt(_Open):
    """The facts of NextOffering (without the ones OOAPI's offering fields carry) and these."""

    exampleData: bool = Field(..., description="True for invented example offerings.")
    organizationName: str | None = None
    provenance: Provenance


class Offering(_Open):
    offeringId: str
    primaryCode: IdentifierEntry
    offeringType: str
    name: list[LanguageTypedString]
    description: list[LanguageTypedString]
    teachingLanguage: str
    resultExpected: bool
    startDate: str
    endDate: str
    course: Any | None = None
    organization: Any | None = None
    ext: OfferingExt


class OrganizationExt(_Open):
    exampleData: bool
    helpsWith: list[str] | None = Field(None, example=["reading-writing", "digital-government"])
    phone: str | None = None
    email: str | None = None
    walkInHours: list[str] | None = Field(None, example=["dinsdag 10:00-12:00"])
    accessibility: list[str] | None = None
    municipality: str | None = None
    municipalityCode: str | None = None
    servesMunicipalities: list[str] | None = Field(
        None,
        description="CBS codes of the municipalities whose residents it serves (a municipal or "
        "regional desk); absent: it serves everyone who comes.",
        example=["GM0748", "GM0851", "GM0873"],
    )
    distanceKm: float | None = None
    verification: dict[str, str] | None = Field(
        None, description="Per fact (address, phone, walkInHours): how it was checked."
    )
    unverified: list[str] | None = Field(
        None,
        description="The facts (ext names) that are example data, not checked: never to be "
        "shown to a citizen as fact.",
        example=["languages", "walkInHours"],
    )
    source: str | None = None
    provenance: Provenance


class Organization(_Open):
    organizationId: str
    primaryCode: IdentifierEntry
    organizationType: str
    name: list[LanguageTypedString]
    shortName: str
    ext: OrganizationExt


class _Page(_Open):
    pageSize: int
    pageNumber: int
    hasPreviousPage: bool
    hasNextPage: bool
    # Left out when a large search was ranked only as far as the asked page.
    totalPages: int | None = None


class CoursePage(_Page):
    items: list[Course]


class OfferingPage(_Page):
    items: list[Offering]


class OrganizationPage(_Page):
    items: list[Organization]


class Service(_Open):
    contactEmail: str
    specification: str
    documentation: str
    ext: dict[str, Any] | None = None


class Problem(BaseModel):
    status: str = Field(..., example="400")
    title: str = Field(..., example="Bad Request")
    detail: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Bad request"},
    404: {"model": Problem, "description": "Not found"},
}
