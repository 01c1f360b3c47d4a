"""Who a citizen can call when a service cannot answer. Operators edit contacts.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import settings

CONTACTS_FILE = Path(__file__).with_name("contacts.yml")


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    phone: str
    website: str
    helps_with: str


@lru_cache(maxsize=1)
def _contacts() -> dict[str, Contact]:
    raw = yaml.safe_load(CONTACTS_FILE.read_text(encoding="utf-8"))
    return {
        item["id"]: Contact(
            id=item["id"],
            name=item["name"],
            phone=item["phone"],
            website=item["website"],
            helps_with=item["helps_with"],
        )
        for item in raw["contacts"]
    }


def fallback_contact() -> Contact:
    """The contact named when the catalog or budget service cannot answer."""
    return _contacts()["fallback"]


def message_placeholders() -> dict[str, str | int]:
    """Values that responses may use anywhere: {phone}, {website}, {privacy_url}, ..."""
    contact = fallback_contact()
    config = settings()
    return {
        # The phone number always with the name of whom it reaches (1400 is Informatie
        # Rijksoverheid, never "the Leerwerkloket").
        "contact_name": contact.name,
        "phone": contact.phone,
        "website": contact.website,
        "privacy_url": config.privacy_url,
        "retention_days": config.retention_days,
    }


@dataclass(frozen=True)
class CallbackDesk:
    """The desk that has agreed to call citizens back, from the settings."""

    name: str
    phone: str
    hours: str
    working_days: int


def callback_desk() -> CallbackDesk | None:
    """None until an operator configured a desk that calls back: then no call-back is offered."""
    config = settings()
    if not (config.callback_desk_name and config.callback_desk_phone):
        return None
    if config.callback_desk_working_days <= 0:
        return None
    return CallbackDesk(
        name=config.callback_desk_name,
        phone=config.callback_desk_phone,
        hours=config.callback_desk_hours,
        working_days=int(config.callback_desk_working_days),
    )
