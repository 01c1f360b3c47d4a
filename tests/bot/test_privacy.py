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


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Phone numbers the hand-made pattern missed or cut short.
        ("+31 6 12345678", "[TELEFOON]"),
        ("0031 6 12345678", "[TELEFOON]"),
        ("bel 06/12345678", "bel [TELEFOON]"),
        ("(076) 529 12 34", "[TELEFOON]"),
        ("+31612345678+31612345679", "[TELEFOON][TELEFOON]"),
        ("bel +31 6 1234567 terug", "bel [TELEFOON] terug"),  # a digit short: still masked
        # Plain numbers, amounts and dates are not phone numbers.
        ("nummer 123 456 789 klopt niet", "nummer 123 456 789 klopt niet"),
        ("kosten 1.234.567 euro op 01-02-2024", "kosten 1.234.567 euro op 01-02-2024"),
        # Only a valid IBAN is an IBAN; the pattern no longer swallows the words after it.
        ("iban NL91 ABNA 0417 1643 00 is van mij", "iban [IBAN] is van mij"),
        ("GB82 WEST 1234 5698 7654 32", "[IBAN]"),
        ("nl91abna0417164300", "[IBAN]"),
        # A wrong checksum is most likely a typo in a real account number: masked anyway.
        ("iban NL91 ABNA 0417 1643 01 is van mij", "iban [NUMMER] is van mij"),
        ("niveau A2 en B1, cursus NT2", "niveau A2 en B1, cursus NT2"),
    ],
)
def test_masking_with_the_libraries(text, masked):
    assert mask_personal_numbers(text) == masked


def test_phone_is_kept_only_when_asked_for():
    assert mask_personal_numbers("06-12345678", keep_phone=True) == "06-12345678"
    assert mask_personal_numbers("06-12345678 bsn 111222333", keep_phone=True) == (
        "06-12345678 bsn [BSN]"
    )


def test_contains_bsn():
    assert contains_bsn("hier: 111222333")
    assert contains_bsn("bsn 12.34.56.782")
    assert not contains_bsn("ik ben 67")
    assert not contains_bsn("nummer 123456789")  # nine digits that fail the eleven test
    assert not contains_bsn("bel 06-12345678")


@pytest.mark.parametrize(
    ("typed", "e164"),
    [("06-12345678", "+31612345678"), ("+31 (0)6 12345678", "+31612345678"),
     ("+44 20 7946 0958", "+442079460958"), ("0800-1234567", None), ("+31 6 123", None),
     ("", None), ("x" * 100, None), ("mijn nummer is 06-12345678", "+31612345678"),
     ("0031-(0)6-12345678", "+31612345678"), ("+49 30 12345678", "+493012345678"),
     ("06-12345678 of 076 529 1234", None), ("085 123 4567", None), ("088 123 4567", None),
     ("+31 900 1234567", None), ("+44 800 123 4567", None), ("0612345678a", None),
     ("612345678", None)],
)  # fmt: skip
def test_normalize_phone(typed, e164):
    assert normalize_phone(typed) == e164


def test_a_school_year_or_a_date_is_not_taken_for_a_bsn():
    # "2024-2025" and "18-01-2024" pass the eleven test as eight digits; nobody writes a BSN
    # in those shapes, so they bring no BSN warning.
    assert is_valid_bsn("20242025") and is_valid_bsn("18012024")
    assert not contains_bsn("Welke cursus begint in schooljaar 2024-2025?")
    assert not contains_bsn("Mijn afspraak is op 18-01-2024.")
    assert not contains_bsn("de lessen van 2016/2017")
    assert contains_bsn("mijn bsn is 123456782")
    assert contains_bsn("BSN: 1234.56.782")
