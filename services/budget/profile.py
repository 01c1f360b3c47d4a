"""The profile a citizen gives: every answer optional, every given answer checked strictly.

A missing answer stays ``None`` and the rules turn it into ``maybe``; a wrong answer (age -3, age
"zestig", an unknown situation) is refused with the field named. Fields the contract does not know
are ignored (see docs/budget.md): the answers that matter are then simply missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, Extra, validator

from services import geo

__all__ = [
    "FIELDS",
    "MAX_AGE",
    "MAX_MUNICIPALITY_LENGTH",
    "Facts",
    "Goal",
    "Profile",
    "Situation",
    "facts_from",
]

MAX_AGE = 130
MAX_MUNICIPALITY_LENGTH = geo.MAX_QUERY_LENGTH


class Situation(str, Enum):
    employed = "employed"
    self_employed = "self_employed"
    job_seeker = "job_seeker"
    social_assistance = "social_assistance"
    retired = "retired"
    student = "student"
    other = "other"


class Goal(str, Enum):
    basic_skills = "basic_skills"
    dutch_language = "dutch_language"
    vocational = "vocational"
    higher_education = "higher_education"
    short_course = "short_course"
    career_advice = "career_advice"


class Profile(BaseModel):
    """What the citizen told us. Every field may be left out or be ``null``."""

    age: int | None = None
    municipality: str | None = None
    situation: Situation | None = None
    integration_obligation: bool | None = None
    goal: Goal | None = None
    # The person said that money is short ("ik heb weinig geld"). Never asked: no income
    # question, no figure; only a yes the person volunteered (see docs/budget.md).
    low_income: bool | None = None
    # The age is not known, but the person is an adult (18 or older): a scheme whose answer is
    # the same at every adult age gets that answer; otherwise the age is what is missing.
    adult: bool | None = None

    class Config:
        extra = Extra.ignore
        schema_extra = {
            "example": {
                "age": 61,
                "municipality": "Etten-Leur",
                "situation": "employed",
                "integration_obligation": False,
                "goal": "vocational",
            }
        }

    @validator("age", pre=True)
    def _whole_years(cls, value: Any) -> Any:  # noqa: N805 - pydantic passes the class
        # pydantic 1 would turn True into 1 and 60.7 into 60; an age is a whole number or nothing.
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError("must be a whole number of years, not true or false")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
            number = int(value.strip())
        else:
            raise ValueError("must be a whole number of years, for example 61")
        if not 0 <= number <= MAX_AGE:
            raise ValueError(f"must be between 0 and {MAX_AGE}")
        return number

    @validator("municipality", pre=True)
    def _municipality_text(cls, value: Any) -> Any:  # noqa: N805
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("must be text: a name such as Breda or a code such as GM0758")
        if len(value) > MAX_MUNICIPALITY_LENGTH:
            raise ValueError(f"must be at most {MAX_MUNICIPALITY_LENGTH} characters")
        return value.strip() or None

    @validator("integration_obligation", "low_income", "adult", pre=True)
    def _yes_or_no(cls, value: Any) -> Any:  # noqa: N805
        if value is None or isinstance(value, bool):
            return value
        raise ValueError("must be true or false")

    @validator("situation", "goal", pre=True)
    def _known_value(cls, value: Any, field) -> Any:  # noqa: N805
        if value is None:
            return None
        enum = Situation if field.name == "situation" else Goal
        if not isinstance(value, str) or value not in enum.__members__:
            allowed = ", ".join(enum.__members__)
            raise ValueError(f"must be one of: {allowed}")
        return value


# The answers the rules read (``adult`` is not one: it only narrows a missing age).
FIELDS = tuple(name for name in Profile.__fields__ if name != "adult")


@dataclass(frozen=True)
class Facts:
    """A profile as the rules see it: the municipality resolved through services.geo.

    ``municipality_given`` tells an unrecognised name (given, not found) from a missing one, so
    that the reason can say which of the two it is.
    """

    age: int | None = None
    municipality: geo.Municipality | None = None
    municipality_given: bool = False
    situation: str | None = None
    integration_obligation: bool | None = None
    goal: str | None = None
    low_income: bool | None = None


def facts_from(profile: Profile) -> Facts:
    """Resolve the profile; never raises."""
    return Facts(
        age=profile.age,
        # A municipality, or a town or village in one ("Oudenbosch" is in Halderberge).
        municipality=(
            geo.find_municipality(profile.municipality)
            or geo.municipality_for_place(profile.municipality)
            if profile.municipality
            else None
        ),
        municipality_given=profile.municipality is not None,
        situation=profile.situation.value if profile.situation else None,
        integration_obligation=profile.integration_obligation,
        low_income=profile.low_income,
        goal=profile.goal.value if profile.goal else None,
    )
