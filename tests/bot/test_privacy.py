import pytest

from bot.privacy import contains_bsn, is_valid_bsn, mask_personal_numbers, normalize_phone


@pytest.mark.parametrize(
    ("number", "valid"),
    [("111222333", True), ("123456782", True), ("1234.56.782", True), ("123 456 782", True),
     ("123456789", False), ("000000000", False), ("10000008", True), ("12345678", False),
     ("1234567", False)],
)  # fmt: skip
def test_bsn_eleven_test(number, valid):
    assert is_valid_bsn(number) is valid


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mijn bsn is 111222333", "mijn bsn is [BSN]"),
        ("bsn 1234.56.782 graag", "bsn [BSN] graag"),
        ("nummer 123456789 klopt niet", "nummer 123456789 klopt niet"),
        ("iban NL91 ABNA 0417 1643 00", "iban [IBAN]"),
        ("NL91ABNA0417164300", "[IBAN]"),
        ("mail jan.jansen@example.nl", "mail [E-MAIL]"),
        ("bel 06-12345678", "bel [TELEFOON]"),
        ("bel +31 6 1234 5678 of 076 529 1234", "bel [TELEFOON] of [TELEFOON]"),
        ("ik woon op 4811 AB 12", "ik woon op [POSTCODE]"),
        ("Dorpsstraat 12, 4811AB Breda", "Dorpsstraat [POSTCODE] Breda"),
        ("ik ben 67 jaar en zoek een cursus in 2027", "ik ben 67 jaar en zoek een cursus in 2027"),
        ("postcode 4700 in roosendaal", "postcode 4700 in roosendaal"),
        ("", ""),
    ],
)
def test_masking(text, masked):
    assert mask_personal_numbers(text) == masked


def test_phone_is_kept_only_when_asked_for():
    assert mask_personal_numbers("06-12345678", keep_phone=True) == "06-12345678"
    assert mask_personal_numbers("06-12345678 bsn 111222333", keep_phone=True) == (
        "06-12345678 bsn [BSN]"
    )


def test_contains_bsn():
    assert contains_bsn("hier: 111222333")
    assert not contains_bsn("ik ben 67")


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("06-12345678", "+31612345678"), ("+31 (0)6 12345678", "+31612345678"),
     ("+44 20 7946 0958", "+442079460958"), ("0800-1234567", None), ("+31 6 123", None),
     ("", None), ("x" * 100, None)],
)  # fmt: skip
def test_normalize_phone(typed, e164):
    assert normalize_phone(typed) == e164
