"""Personal numbers in free text: recognise them, mask them before they are stored.

Citizens sometimes type their BSN, bank account, e-mail address, phone number or address
into the chat. None of that is needed, so the tracker store masks it before writing
(bot/tracker_store.py) and the assistant warns when someone types a BSN.
"""

from __future__ import annotations

import re

MASKS = {
    "bsn": "[BSN]",
    "iban": "[IBAN]",
    "email": "[E-MAIL]",
    "phone": "[TELEFOON]",
    "address": "[POSTCODE]",
}
# Digits separated by at most one space, dot or dash: "123 456 782", "1234.56.782".
_BSN = re.compile(r"(?<![\w+])(\d(?:[ .\-]?\d){7,8})(?![\w])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PHONE = re.compile(
    r"(?<![\w])(?:\+|00)\d(?:[ \-.()]*\d){7,14}(?![\w])|(?<![\w+])0(?:[ \-.()]*\d){9}(?![\w])"
)
# A Dutch postcode (1000-9999 + two letters) with an optional house number next to it.
# Lower-case letters only count when written against the digits ("4811ab"): with a space,
# "4700 in Roosendaal" would otherwise read as a postcode.
_POSTCODE = re.compile(
    r"\b[1-9]\d{3}(?:[ ]?(?!SA|SD|SS)[A-Z]{2}|[a-z]{2})\b(?:[ ,]*\d{1,5}[ ]?[A-Za-z]?\b)?"
)
_HOUSE_NUMBER_BEFORE = re.compile(r"\b\d{1,5}[a-zA-Z]?,?[ ]*$")


def is_valid_bsn(number: str) -> bool:
    """The BSN eleven test on 8 or 9 digits (8 digits get a leading zero)."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or digits == "0" * 9:
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def find_bsns(text: str) -> list[str]:
    return [m.group(1) for m in _BSN.finditer(text) if is_valid_bsn(m.group(1))]


def contains_bsn(text: str) -> bool:
    return bool(find_bsns(text))


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
    text = _IBAN.sub(MASKS["iban"], text)
    text = _EMAIL.sub(MASKS["email"], text)
    text = _BSN.sub(lambda m: MASKS["bsn"] if is_valid_bsn(m.group(1)) else m.group(0), text)
    if not keep_phone:
        text = _PHONE.sub(MASKS["phone"], text)
    return _mask_postcodes(text)


def normalize_phone(text: str) -> str | None:
    """A Dutch or international phone number in E.164 form ('+31612345678'), else None."""
    if not text or len(text) > 40:
        return None
    compact = re.sub(r"[ \-.()/]", "", text.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        digits = compact[1:]
        if not digits.isdigit():
            return None
        if digits.startswith("31"):
            national = digits[2:].removeprefix("0")
            return f"+31{national}" if len(national) == 9 and not national.startswith("9") else None
        return compact if 8 <= len(digits) <= 15 and not digits.startswith("0") else None
    if compact.isdigit() and len(compact) == 10 and compact.startswith("0"):
        # 090x numbers cost money to call back; 0800 is free but belongs to organisations.
        if compact.startswith(("09", "08")):
            return None
        return "+31" + compact[1:]
    return None
