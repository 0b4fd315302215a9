"""The 31 PII detectors, table-driven: for every entity type, texts it must find (with exactly
the text it reports) and near misses it must not (bad checksums, out-of-range parts, missing
keywords, wrong case or shape); the checksums on their reference numbers; and which type keeps
text that two configured types match."""

from __future__ import annotations

import botocore.session
import pytest

from moto_bedrock_runtime.guardrails import pii

# (type, text, the matches it must report)
POSITIVES = [
    (
        "ADDRESS",
        "Ship it to 123 Main Street, Springfield, IL 62701 please.",
        ["123 Main Street, Springfield, IL 62701"],
    ),
    ("ADDRESS", "Office: 42 W. Elm Ave, Suite 300", ["42 W. Elm Ave, Suite 300"]),
    ("AGE", "I am 35 years old.", ["35 years old"]),
    ("AGE", "a 7-year-old and her aunt, aged 62", ["7-year-old", "62"]),
    ("AGE", "Age: 41", ["41"]),
    ("AWS_ACCESS_KEY", "export KEY=AKIAIOSFODNN7EXAMPLE", ["AKIAIOSFODNN7EXAMPLE"]),
    ("AWS_ACCESS_KEY", "role ASIAY34FZKBOKMUTVV7A done", ["ASIAY34FZKBOKMUTVV7A"]),
    (
        "AWS_SECRET_KEY",
        "secret=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    ),
    ("CA_HEALTH_NUMBER", "OHIP 2345-678-904 AB", ["2345-678-904 AB"]),
    ("CA_HEALTH_NUMBER", "RAMQ TREM 8512 2512", ["TREM 8512 2512"]),
    ("CA_SOCIAL_INSURANCE_NUMBER", "SIN 130 692 544.", ["130 692 544"]),
    ("CA_SOCIAL_INSURANCE_NUMBER", "SIN 130-692-544", ["130-692-544"]),
    ("CREDIT_DEBIT_CARD_CVV", "CVV: 123", ["123"]),
    ("CREDIT_DEBIT_CARD_CVV", "the security code is 4321", ["4321"]),
    ("CREDIT_DEBIT_CARD_EXPIRY", "Expiry 09/27", ["09/27"]),
    ("CREDIT_DEBIT_CARD_EXPIRY", "card valid thru 12/2026.", ["12/2026"]),
    ("CREDIT_DEBIT_CARD_NUMBER", "Visa 4111 1111 1111 1111.", ["4111 1111 1111 1111"]),
    ("CREDIT_DEBIT_CARD_NUMBER", "MC 5555-5555-5555-4444", ["5555-5555-5555-4444"]),
    (
        "CREDIT_DEBIT_CARD_NUMBER",
        "Amex 378282246310005 and 6011111111111117",
        ["378282246310005", "6011111111111117"],
    ),
    ("DRIVER_ID", "driver's license number is D1234567", ["D1234567"]),
    ("DRIVER_ID", "DL: S530-4120-8802", ["S530-4120-8802"]),
    ("EMAIL", "Write to jane.doe+news@mail.example.co.uk.", ["jane.doe+news@mail.example.co.uk"]),
    (
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        "IBAN GB82 WEST 1234 5698 7654 32 THANKS",
        ["GB82 WEST 1234 5698 7654 32"],
    ),
    (
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        "to DE89370400440532013000 and FR1420041010050500013M02606",
        ["DE89370400440532013000", "FR1420041010050500013M02606"],
    ),
    ("IP_ADDRESS", "hosts 192.168.0.1, 10.0.0.255.", ["192.168.0.1", "10.0.0.255"]),
    ("IP_ADDRESS", "v6 2001:db8::8a2e:370:7334 and ::1", ["2001:db8::8a2e:370:7334", "::1"]),
    ("LICENSE_PLATE", "license plate 7ABC123", ["7ABC123"]),
    ("LICENSE_PLATE", "Registration number: AB12 CDE", ["AB12 CDE"]),
    (
        "MAC_ADDRESS",
        "mac 00:1A:2B:3C:4D:5E or 00-1a-2b-3c-4d-5e",
        ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e"],
    ),
    ("NAME", "Please ask John Smith.", ["John Smith"]),
    ("NAME", "Dear Dr. Okonkwo, thanks", ["Okonkwo"]),
    ("NAME", "Hello, my name is Zed Quux.", ["Zed Quux"]),
    ("NAME", "Maria and Wei came.", ["Maria", "Wei"]),
    ("PASSWORD", "my password is hunter2.", ["hunter2"]),
    ("PASSWORD", "PASSWORD: c0rrect-h0rse!", ["c0rrect-h0rse"]),
    ("PHONE", "call (202) 555-0143 or 202.555.0143", ["(202) 555-0143", "202.555.0143"]),
    ("PHONE", "+1 202 555 0143 and +44 20 7946 0958", ["+1 202 555 0143", "+44 20 7946 0958"]),
    ("PHONE", "UK office 020 7946 0958", ["020 7946 0958"]),
    ("PIN", "my PIN is 4821", ["4821"]),
    ("SWIFT_CODE", "SWIFT: DEUTDEFF", ["DEUTDEFF"]),
    ("SWIFT_CODE", "send to BOFAUS3N or DEUTDEFF500", ["BOFAUS3N", "DEUTDEFF500"]),
    ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "NHS 943 476 5919", ["943 476 5919"]),
    ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "NHS no 9434765919", ["9434765919"]),
    (
        "UK_NATIONAL_INSURANCE_NUMBER",
        "NI AB 12 34 56 C and AB123456D",
        ["AB 12 34 56 C", "AB123456D"],
    ),
    ("UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "UTR 12345 67895", ["12345 67895"]),
    ("UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "UTR 1234567895K", ["1234567895K"]),
    ("URL", "see https://example.com/a?b=1).", ["https://example.com/a?b=1"]),
    ("URL", "or www.example.org/docs, later", ["www.example.org/docs"]),
    ("USERNAME", "username: jdoe_88", ["jdoe_88"]),
    ("USERNAME", "my login is j.doe.", ["j.doe"]),
    ("US_BANK_ACCOUNT_NUMBER", "account number 123456789012", ["123456789012"]),
    ("US_BANK_ACCOUNT_NUMBER", "acct #: 00123456", ["00123456"]),
    ("US_BANK_ROUTING_NUMBER", "routing 011000015 and 021000021", ["011000015", "021000021"]),
    ("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "ITIN 912-70-1234", ["912-70-1234"]),
    ("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "ITIN 999 94 1234", ["999 94 1234"]),
    ("US_PASSPORT_NUMBER", "passport A12345678", ["A12345678"]),
    ("US_PASSPORT_NUMBER", "Passport number: 123456789", ["123456789"]),
    ("US_SOCIAL_SECURITY_NUMBER", "SSN 324-12-3212.", ["324-12-3212"]),
    ("US_SOCIAL_SECURITY_NUMBER", "ssn 078 05 1120", ["078 05 1120"]),
    ("VEHICLE_IDENTIFICATION_NUMBER", "VIN 1M8GDM9AXKP042788", ["1M8GDM9AXKP042788"]),
]

# (type, text that must report nothing for that type, why)
NEAR_MISSES = [
    ("ADDRESS", "123 main street", "the street name is not capitalised"),
    ("ADDRESS", "Main Street is busy", "no house number"),
    ("ADDRESS", "I bought 123 Apples", "no street suffix"),
    ("AGE", "35 years ago", "not 'old'"),
    ("AGE", "age 200", "older than 130"),
    ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPL", "19 characters"),
    ("AWS_ACCESS_KEY", "akiaiosfodnn7example", "lower case"),
    ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMP1E", "'1' is not base32"),
    ("AWS_ACCESS_KEY", "XKIAIOSFODNN7EXAMPLE", "unknown prefix"),
    ("AWS_SECRET_KEY", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "a SHA-1: no upper case"),
    ("AWS_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE", "39 characters"),
    ("CA_HEALTH_NUMBER", "2345-678-905 AB", "Luhn fails"),
    ("CA_HEALTH_NUMBER", "TREM 8532 2512", "month 32"),
    ("CA_SOCIAL_INSURANCE_NUMBER", "130 692 545", "Luhn fails"),
    ("CA_SOCIAL_INSURANCE_NUMBER", "046 454 286", "first digit 0 is never issued"),
    ("CA_SOCIAL_INSURANCE_NUMBER", "130692544", "no separators"),
    ("CREDIT_DEBIT_CARD_CVV", "the total is 123", "no CVV keyword"),
    ("CREDIT_DEBIT_CARD_CVV", "CVV 12", "two digits"),
    ("CREDIT_DEBIT_CARD_EXPIRY", "the score was 10/20", "no expiry keyword"),
    ("CREDIT_DEBIT_CARD_EXPIRY", "expires 13/27", "month 13"),
    ("CREDIT_DEBIT_CARD_NUMBER", "4111 1111 1111 1112", "Luhn fails"),
    ("CREDIT_DEBIT_CARD_NUMBER", "9111 1111 1111 1113", "no issuer uses 9"),
    ("CREDIT_DEBIT_CARD_NUMBER", "4111-1111 1111-1111", "mixed separators"),
    ("DRIVER_ID", "driver's license ABCDEFG", "no digit"),
    ("DRIVER_ID", "D1234567", "no keyword"),
    ("EMAIL", "jane@example", "no top-level domain"),
    ("EMAIL", "jane.@example.com", "local part ends with a dot"),
    ("EMAIL", "@example.com", "no local part"),
    ("INTERNATIONAL_BANK_ACCOUNT_NUMBER", "GB82 WEST 1234 5698 7654 33", "mod-97 fails"),
    ("INTERNATIONAL_BANK_ACCOUNT_NUMBER", "GB82 WEST 1234 5698 7654", "too short for GB"),
    ("INTERNATIONAL_BANK_ACCOUNT_NUMBER", "ZZ82WEST12345698765432", "unknown country"),
    ("IP_ADDRESS", "256.1.1.1", "octet above 255"),
    ("IP_ADDRESS", "version 1.2.3", "three parts"),
    ("IP_ADDRESS", "at 12:30:45", "a time, not IPv6"),
    ("LICENSE_PLATE", "license plate ABCDEF", "no digit"),
    ("LICENSE_PLATE", "7ABC123", "no keyword"),
    ("MAC_ADDRESS", "00:1A:2B:3C:4D", "five groups"),
    ("MAC_ADDRESS", "00:1A-2B:3C:4D:5E", "mixed separators"),
    ("NAME", "john smith", "lower case"),
    ("NAME", "Hello World", "no known given name"),
    ("PASSWORD", "reset your password now", "no 'is' or ':'"),
    ("PASSWORD", "password: abc", "three characters"),
    ("PHONE", "123-456-7890", "area code starts with 1"),
    ("PHONE", "202-055-0143", "exchange starts with 0"),
    ("PHONE", "dial 555-0143", "seven digits"),
    ("PHONE", "+12 34", "too few digits"),
    ("PIN", "pin 12", "two digits"),
    ("PIN", "code 4821", "no PIN keyword"),
    ("SWIFT_CODE", "This DOCUMENT is final", "no digit and no SWIFT/BIC keyword"),
    ("SWIFT_CODE", "SWIFT DEUTXXFF", "XX is not a country"),
    ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "943 476 5918", "mod-11 fails"),
    ("UK_NATIONAL_INSURANCE_NUMBER", "GB 12 34 56 C", "GB is never a prefix"),
    ("UK_NATIONAL_INSURANCE_NUMBER", "AB 12 34 56 E", "suffix beyond D"),
    ("UK_NATIONAL_INSURANCE_NUMBER", "DA123456C", "D is not a first letter"),
    ("UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "12345 67890", "check digit fails"),
    ("URL", "visit example.com today", "no scheme or www."),
    ("URL", "just http:// alone", "nothing after the scheme"),
    ("USERNAME", "choose a username", "no value"),
    ("USERNAME", "user name: ab", "two characters"),
    ("US_BANK_ACCOUNT_NUMBER", "account 1234567", "seven digits"),
    ("US_BANK_ACCOUNT_NUMBER", "123456789012", "no account keyword"),
    ("US_BANK_ROUTING_NUMBER", "011000016", "checksum fails"),
    ("US_BANK_ROUTING_NUMBER", "991000015", "99 is no Federal Reserve prefix"),
    ("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "912-40-1234", "group 40 is not an ITIN range"),
    ("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "812-70-1234", "area does not start with 9"),
    ("US_PASSPORT_NUMBER", "passport 1234567", "seven digits"),
    ("US_PASSPORT_NUMBER", "A12345678", "no passport keyword"),
    ("US_SOCIAL_SECURITY_NUMBER", "000-12-3456", "area 000"),
    ("US_SOCIAL_SECURITY_NUMBER", "666-12-3456", "area 666"),
    ("US_SOCIAL_SECURITY_NUMBER", "912-34-5678", "area 9xx (ITINs)"),
    ("US_SOCIAL_SECURITY_NUMBER", "123-00-4567", "group 00"),
    ("US_SOCIAL_SECURITY_NUMBER", "123-45-0000", "serial 0000"),
    ("US_SOCIAL_SECURITY_NUMBER", "123456789", "no separators"),
    ("US_SOCIAL_SECURITY_NUMBER", "123-45 6789", "mixed separators"),
    ("VEHICLE_IDENTIFICATION_NUMBER", "1M8GDM9A1KP042788", "check digit fails"),
    ("VEHICLE_IDENTIFICATION_NUMBER", "1M8GDM9AXKPO42788", "O is never used"),
]


def test_the_tables_cover_every_type() -> None:
    """Every type botocore's model lists (GuardrailPiiEntityType) is detected, ranked and
    tested both ways."""
    model = botocore.session.get_session().get_service_model("bedrock")
    types = set(model.shape_for("GuardrailPiiEntityType").enum)
    assert len(types) == 31
    assert {kind for kind, _, _ in POSITIVES} == types
    assert {kind for kind, _, _ in NEAR_MISSES} == types
    assert set(pii.PRIORITY) == types


@pytest.mark.parametrize(("kind", "text", "expected"), POSITIVES)
def test_finds(kind: str, text: str, expected: list[str]) -> None:
    found = pii.find(text, [kind])
    assert [entity.match for entity in found] == expected
    assert all(entity.type == kind for entity in found)
    assert all(text[entity.start : entity.end] == entity.match for entity in found)


@pytest.mark.parametrize(("kind", "text", "why"), NEAR_MISSES)
def test_near_misses(kind: str, text: str, why: str) -> None:
    assert pii.find(text, [kind]) == [], why


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (pii.luhn, "4111111111111111", "4111111111111112"),
        (pii.iban_valid, "GB82WEST12345698765432", "GB82WEST12345698765433"),
        (pii.aba_valid, "021000021", "021000022"),
        (pii.vin_valid, "1M8GDM9AXKP042788", "1M8GDM9A2KP042788"),
        (pii.nhs_valid, "9434765919", "9434765910"),
        (pii.utr_valid, "1234567895", "1234567890"),
        (pii.card_brand_valid, "378282246310005", "3782822463100051"),
    ],
)
def test_checksums(check: object, valid: str, invalid: str) -> None:
    assert callable(check)
    assert check(valid) is True
    assert check(invalid) is False


def test_only_the_types_asked_for_are_found() -> None:
    text = "Mail jane@example.com, call (202) 555-0143."
    assert [e.type for e in pii.find(text, ["PHONE"])] == ["PHONE"]
    assert [e.type for e in pii.find(text, ["EMAIL", "PHONE"])] == ["EMAIL", "PHONE"]
    assert pii.find(text, []) == []


def test_the_more_specific_type_keeps_overlapping_text() -> None:
    # A NHS number also reads as a US phone number; a URL contains an IP address.
    text = "NHS 943 476 5919 at http://10.0.0.1/records"
    found = pii.find(text, ["PHONE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "IP_ADDRESS", "URL"])
    assert [(e.type, e.match) for e in found] == [
        ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "943 476 5919"),
        ("URL", "http://10.0.0.1/records"),
    ]
    assert [e.type for e in pii.find(text, ["PHONE"])] == ["PHONE"]


def test_a_card_number_running_into_another_number_is_cut_at_a_group() -> None:
    found = pii.find("card 4111 1111 1111 1111 2024", ["CREDIT_DEBIT_CARD_NUMBER"])
    assert [e.match for e in found] == ["4111 1111 1111 1111"]


def test_matches_are_in_text_order_across_types() -> None:
    text = "John Smith, jane@example.com, SSN 324-12-3212, Maria"
    found = pii.find(text, ["US_SOCIAL_SECURITY_NUMBER", "NAME", "EMAIL"])
    assert [e.match for e in found] == ["John Smith", "jane@example.com", "324-12-3212", "Maria"]
