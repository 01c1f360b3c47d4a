"""Personal numbers in free text: recognise them, mask them before they are stored.

Citizens sometimes type their BSN, bank account, e-mail address, phone number or address
into the chat. None of that is needed, so the tracker store masks it before writing
(bot/tracker_store.py) and the assistant warns when someone types a BSN. Libraries decide what
is a number: python-stdnum checks BSNs (the eleven test) and IBANs (the checksum), phonenumbers
finds Dutch and international phone numbers in text and checks the call-back number.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher, PhoneNumberType
from stdnum import iban
from stdnum.nl import bsn

MASKS = {
    "bsn": "[BSN]",
    "iban": "[IBAN]",
    "number": "[NUMMER]",
    "email": "[E-MAIL]",
    "phone": "[TELEFOON]",
    "address": "[POSTCODE]",
}
REGION = "NL"
# Candidates only; stdnum decides. BSN: digits separated by at most one space, dot or dash
# ("123 456 782", "1234.56.782"). IBAN: country, check digits, 11-30 letters or digits.
_BSN = re.compile(r"(?<![\w+])(\d(?:[ .\-]?\d){7,8})(?![\w])")
# Eight digits can pass the eleven test, so a school year ("2024-2025") or a date
# ("12-03-2025") written with separators would read as a BSN and bring the BSN warning.
# Nobody writes a BSN in those shapes: they are never taken for one.
_NOT_A_BSN = re.compile(
    r"(?:19|20)\d{2}[ .\-/](?:19|20)\d{2}|\d{1,2}[.\-]\d{1,2}[.\-](?:19|20)\d{2}"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# A Dutch postcode (1000-9999 + two letters) with an optional house number next to it.
# Lower-case letters only count when written against the digits ("4811ab"): with a space,
# "4700 in Roosendaal" would otherwise read as a postcode.
_POSTCODE = re.compile(
    r"\b[1-9]\d{3}(?:[ ]?(?!SA|SD|SS)[A-Z]{2}|[a-z]{2})\b(?:[ ,]*\d{1,5}[ ]?[A-Za-z]?\b)?"
)
_HOUSE_NUMBER_BEFORE = re.compile(r"\b\d{1,5}[a-zA-Z]?,?[ ]*$")
# Numbers that someone can be called back on: not 0800, 090x, 085/088 or pagers.
_CALLABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def is_valid_bsn(number: str) -> bool:
    """The BSN eleven test on 8 or 9 digits (8 digits get a leading zero), by python-stdnum."""
    return bsn.is_valid(number)


def find_bsns(text: str) -> list[str]:
    return [
        m.group(1)
        for m in _BSN.finditer(text)
        if is_valid_bsn(m.group(1)) and not _NOT_A_BSN.fullmatch(m.group(1))
    ]


def contains_bsn(text: str) -> bool:
    return bool(find_bsns(text))


def _mask_iban(match: re.Match[str]) -> str:
    """[IBAN] for a valid IBAN; [NUMMER] for one that fails the checksum.

    The pattern may run on into the next words ("NL91 ABNA 0417 1643 00 is van mij"), so the
    longest valid IBAN from the start counts. One that fails the checksum is most likely a
    mistyped account number, which still points to a person: it is masked as a number.
    """
    found = match.group(0)
    words = found.split(" ")
    for end in range(len(words), 0, -1):
        head = " ".join(words[:end])
        if iban.is_valid(head):
            return MASKS["iban"] + found[len(head) :]
    while words and not any(c.isdigit() for c in words[-1]):
        words.pop()
    head = " ".join(words)
    if len(head.replace(" ", "")) < 15:  # the shortest IBAN; this is a word, not a number
        return found
    return MASKS["number"] + found[len(head) :]


def _mask_phones(text: str) -> str:
    """Phone numbers written as such (+, 00 or 0 in front): valid ones, and possible ones of
    at least 9 digits, as a mistyped number ("+31 6 1234567") still points to a person.

    The prefix and the digit count keep plain numbers ("123456789"), amounts and dates
    ("01-02-2024") out.
    """
    for match in reversed(list(PhoneNumberMatcher(text, REGION, leniency=Leniency.POSSIBLE))):
        raw = match.raw_string
        if raw.lstrip("(").startswith(("+", "0")) and (
            phonenumbers.is_valid_number(match.number) or sum(c.isdigit() for c in raw) >= 9
        ):
            text = text[: match.start] + MASKS["phone"] + text[match.end :]
    return text


def _mask_postcodes(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return MASKS["address"]

    masked = _POSTCODE.sub(replace, text)
    # "Dorpsstraat 12, 4811 AB": the house number stands before the postcode.
    parts = masked.split(MASKS["address"])
    for index in range(len(parts) - 1):
        parts[index] = _HOUSE_NUMBER_BEFORE.sub("", parts[index])
    return MASKS["address"].join(parts)


def mask_personal_numbers(text: str, keep_phone: bool = False) -> str:
    """Replace BSNs, IBANs, e-mail addresses, phone numbers and postcodes with markers.

    `keep_phone` leaves phone numbers alone: used only for the answer to the call-back
    question, where the citizen gives a number on purpose.
    """
    if not text:
        return text
    text = _IBAN.sub(_mask_iban, text)
    text = _EMAIL.sub(MASKS["email"], text)
    text = _BSN.sub(lambda m: MASKS["bsn"] if is_valid_bsn(m.group(1)) else m.group(0), text)
    if not keep_phone:
        text = _mask_phones(text)
    return _mask_postcodes(text)


def normalize_phone(text: str) -> str | None:
    """The one phone number in the text in E.164 form ('+31612345678'), else None.

    Dutch mobile and landline numbers and valid international ones count; 0800, 090x, 085 and
    088 numbers do not (they belong to organisations or cost money to call back).
    """
    found = [m.number for m in PhoneNumberMatcher(text or "", REGION, leniency=Leniency.VALID)]
    if len(found) != 1 or phonenumbers.number_type(found[0]) not in _CALLABLE:
        return None
    return phonenumbers.format_number(found[0], PhoneNumberFormat.E164)
