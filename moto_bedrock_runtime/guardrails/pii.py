"""Detectors for the 31 PII entity types of Bedrock's sensitive-information filter.

Each type is one or more linear-time regular expressions (bounded repetitions, no nested
unbounded quantifiers) and a check of the candidate: a checksum where the identifier has one
(Luhn, IBAN mod-97, ABA routing, VIN check digit, NHS and UTR mod-11), number ranges where they
exist (SSN and ITIN areas and groups, IPv4 octets, months), reference lists (IBAN lengths, ISO
country codes, given names, street suffixes from data/guardrails_pii.json), or a keyword that
must precede the value for types that are just digits or free text (PIN, CVV, expiry, password,
username, passport, driver id, licence plate, bank account). docs/guardrails.md lists exactly
what each type matches.

Only the types a guardrail configures are scanned. When matches of two configured types
overlap, the type earlier in PRIORITY keeps the text (a NHS number is not also a phone number).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .text import data

# Which type keeps text that several configured types match: the most specific first.
PRIORITY = (
    "URL",
    "EMAIL",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "CREDIT_DEBIT_CARD_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
    "MAC_ADDRESS",
    "IP_ADDRESS",
    "UK_NATIONAL_INSURANCE_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER",
    "SWIFT_CODE",
    "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_CVV",
    "PIN",
    "PASSWORD",
    "USERNAME",
    "US_PASSPORT_NUMBER",
    "DRIVER_ID",
    "LICENSE_PLATE",
    "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER",
    "CA_HEALTH_NUMBER",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    "PHONE",
    "ADDRESS",
    "AGE",
    "NAME",
)

Span = tuple[int, int]
Resolver = Callable[[re.Match[str], str], Span | None]


@dataclass(frozen=True)
class Entity:
    """One PII match: its type and where it is in the text."""

    type: str
    start: int
    end: int
    match: str


# Checksums and ranges


def luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """ISO 13616: the rearranged number, letters as 10..35, is 1 modulo 97."""
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def aba_valid(digits: str) -> bool:
    """An ABA routing number: a Federal Reserve prefix and the 3-7-1 weighted checksum."""
    prefix = int(digits[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


_VIN_VALUES = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_valid(vin: str) -> bool:
    """ISO 3779 / 49 CFR 565: the ninth character is the weighted sum modulo 11 (10 is X)."""
    total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True))
    check = total % 11
    return vin[8] == ("X" if check == 10 else str(check))


def nhs_valid(digits: str) -> bool:
    """NHS numbers: weights 10..2 over the first nine digits, 11 minus the sum modulo 11."""
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


_UTR_WEIGHTS = (6, 7, 8, 9, 10, 5, 4, 3, 2)


def utr_valid(digits: str) -> bool:
    """HMRC's UTR: the first digit checks the other nine (weights 6,7,8,9,10,5,4,3,2)."""
    total = sum(int(d) * w for d, w in zip(digits[1:], _UTR_WEIGHTS, strict=True))
    return digits[0] == "21987654321"[total % 11]


def card_brand_valid(digits: str) -> bool:
    """An issuer prefix and a length that issuer uses (Visa, Mastercard, Amex, Discover, JCB,
    Diners Club, UnionPay, Maestro)."""
    length, two, four = len(digits), int(digits[:2]), int(digits[:4])
    rules = (
        (digits[0] == "4", (13, 16, 19)),
        (51 <= two <= 55 or 2221 <= four <= 2720, (16,)),
        (two in (34, 37), (15,)),
        (four == 6011 or 644 <= int(digits[:3]) <= 649 or two == 65, range(16, 20)),
        (3528 <= four <= 3589, range(16, 20)),
        (300 <= int(digits[:3]) <= 305 or two in (36, 38, 39), range(14, 20)),
        (two == 62, range(16, 20)),
        (two in (50, 56, 57, 58, 67), range(13, 20)),
    )
    return any(prefix and length in lengths for prefix, lengths in rules)


# Resolvers: a regex match to the span of the entity, or None when the check fails


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _checked(check: Callable[[str], bool], group: int | str = 0) -> Resolver:
    """The group's span when `check(group text)` holds."""

    def resolve(match: re.Match[str], text: str) -> Span | None:
        return match.span(group) if check(match.group(group)) else None

    return resolve


def _card(match: re.Match[str], text: str) -> Span | None:
    """The longest run of the candidate's digit groups that is a card number (a candidate may
    run on into a following number)."""
    candidate = match.group()
    if len({char for char in candidate if not char.isdigit()}) > 1:
        return None
    cuts = [i for i, char in enumerate(candidate) if not char.isdigit()] + [len(candidate)]
    for cut in reversed(cuts):
        digits = _digits(candidate[:cut])
        if 13 <= len(digits) <= 19 and luhn(digits) and card_brand_valid(digits):
            return match.start(), match.start() + cut
    return None


def _nth_symbol_end(text: str, count: int) -> int | None:
    """The offset just after the count-th non-space character, if there are that many."""
    seen = 0
    for offset, char in enumerate(text, 1):
        seen += char != " "
        if seen == count:
            return offset
    return None


def _iban(match: re.Match[str], text: str) -> Span | None:
    """As long as the country's IBAN, cut at a group boundary, mod-97 valid."""
    candidate = match.group()
    length = _pii_data().iban_lengths.get(candidate[:2])
    if length is None:
        return None
    end = _nth_symbol_end(candidate, length)
    if end is None or (end < len(candidate) and candidate[end] != " "):
        return None
    compact = candidate[:end].replace(" ", "")
    return (match.start(), match.start() + end) if iban_valid(compact) else None


def _vin(vin: str) -> bool:
    return any(c.isdigit() for c in vin) and any(c.isalpha() for c in vin) and vin_valid(vin)


def _secret_key(key: str) -> bool:
    return (
        any(c.isupper() for c in key)
        and any(c.islower() for c in key)
        and any(c.isdigit() or c in "/+" for c in key)
    )


def _email(match: re.Match[str], text: str) -> Span | None:
    local, _, domain = match.group().partition("@")
    tld = domain.rsplit(".", 1)[-1]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    return match.span() if len(tld) >= 2 and tld.isalpha() else None


def _url(match: re.Match[str], text: str) -> Span | None:
    url = match.group()
    while url and (url[-1] in ".,;:!?'\"]}" or (url[-1] == ")" and "(" not in url)):
        url = url[:-1]
    scheme_end = url.find("//") + 2 if "//" in url else 4
    return (match.start(), match.start() + len(url)) if len(url) > scheme_end + 2 else None


def _ipv6(address: str) -> bool:
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True


def _ssn(match: re.Match[str], text: str) -> Span | None:
    area, group, serial = match.group("area", "group", "serial")
    ok = area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
    return match.span() if ok else None


def _itin(match: re.Match[str], text: str) -> Span | None:
    area, group = match.group("area", "group")
    middle = int(group)
    ranges = ((50, 65), (70, 88), (90, 92), (94, 99))
    ok = area[0] == "9" and any(low <= middle <= high for low, high in ranges)
    return match.span() if ok else None


_NINO_EXCLUDED = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _sin(digits: str) -> bool:
    compact = _digits(digits)
    return compact[0] not in "08" and luhn(compact)


def _ramq(match: re.Match[str], text: str) -> Span | None:
    """Québec's RAMQ number: four letters, then YYMMDD (months 51-62 for women) and two digits."""
    digits = _digits(match.group())
    month, day = int(digits[2:4]), int(digits[4:6])
    ok = (1 <= month <= 12 or 51 <= month <= 62) and 1 <= day <= 31
    return match.span() if ok else None


def _swift(match: re.Match[str], text: str) -> Span | None:
    """A BIC with a real country code, that either has a digit in its location or branch code
    or follows a SWIFT/BIC keyword within 40 characters."""
    code = match.group()
    if code[4:6] not in _pii_data().countries:
        return None
    before = text[max(0, match.start() - 40) : match.start()]
    if any(char.isdigit() for char in code[6:]) or _pii_data().swift_context.search(before):
        return match.span()
    return None


def _nanp(match: re.Match[str], text: str) -> Span | None:
    area = match.group("area") or match.group("parens")
    return (
        match.span() if area[0] in "23456789" and match.group("exchange")[0] in "23456789" else None
    )


def _digit_count(low: int, high: int) -> Callable[[str], bool]:
    return lambda value: low <= len(_digits(value)) <= high


def _trimmed(chars: str, minimum: int) -> Resolver:
    """The value group without trailing punctuation (the end of a sentence)."""

    def resolve(match: re.Match[str], text: str) -> Span | None:
        start, end = match.span("v")
        while end > start and text[end - 1] in chars:
            end -= 1
        return (start, end) if end - start >= minimum else None

    return resolve


def _has_letter_and_digit(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _age(value: str) -> bool:
    return 1 <= int(_digits(value)) <= 130


# The patterns


def _keyword(words: Iterable[str]) -> str:
    """A case-insensitive alternation of keywords (longest first), on word boundaries."""
    parts = []
    for word in sorted(words, key=len, reverse=True):
        escaped = r"\s+".join(re.escape(piece) for piece in word.split())
        head = r"\b" if word[0].isalnum() else ""
        tail = r"\b" if word[-1].isalnum() else ""
        parts.append(head + escaped + tail)
    return "(?i:" + "|".join(parts) + ")"


# Between a keyword and its value: up to two of `is`, `was`, `:`, `=`, `#` (with spaces).
_LEAD = r"[ \t]{0,3}(?:(?:(?i:is|was|of)[ \t]{1,3}|[:=#][ \t]{0,3})){0,2}"
_LEAD_REQUIRED = r"[ \t]{0,3}(?:(?:(?i:is|was)[ \t]{1,3}|[:=][ \t]{0,3})){1,2}"
_NAME_WORD = r"[A-Z][a-z'\u2019-]{0,30}[a-z]"
_NAME_TAIL = re.compile(r"[ \t]+(?:[A-Z]\.|" + _NAME_WORD + r")(?![\w'\u2019])")


@dataclass(frozen=True)
class _PiiData:
    first_names: frozenset[str]
    countries: frozenset[str]
    iban_lengths: dict[str, int]
    swift_context: re.Pattern[str]


@functools.cache
def _pii_data() -> _PiiData:
    raw = data("pii")
    return _PiiData(
        first_names=frozenset(raw["firstNames"]),
        countries=frozenset(raw["countryCodes"]),
        iban_lengths=dict(raw["ibanLengths"]),
        swift_context=re.compile(_keyword(raw["keywords"]["SWIFT_CODE"])),
    )


def _known_name(match: re.Match[str], text: str) -> Span | None:
    """A listed given name, with up to two following capitalised words or initials."""
    if match.group() not in _pii_data().first_names:
        return None
    end = match.end()
    for _ in range(2):
        tail = _NAME_TAIL.match(text, end)
        if tail is None:
            break
        end = tail.end()
    return match.start(), end


# Text a type cannot match without (casefolded): a cheap test that spares most regex scans.
_NEEDLES = {
    "EMAIL": ("@",),
    "URL": ("://", "www."),
    "IP_ADDRESS": (".", ":"),
    "MAC_ADDRESS": (":", "-"),
    "AGE": ("year", "yr", "yo", "y/o", "age"),
    "SWIFT_CODE": (),  # its keyword is optional context
}


@functools.cache
def detectors() -> dict[str, tuple[tuple[str, ...], tuple[tuple[re.Pattern[str], Resolver], ...]]]:
    """Every type's needles (any of them must be in the text) and (pattern, resolver) pairs,
    compiled once; types without needles always scan."""
    raw = data("pii")
    keywords = {name: _keyword(words) for name, words in raw["keywords"].items()}
    suffixes = "|".join(sorted(raw["streetSuffixes"], key=len, reverse=True))
    titles = "|".join(raw["titles"])
    names = _NAME_WORD + r"(?:[ \t]+(?:[A-Z]\.|" + _NAME_WORD + r")){0,2}"
    whole = _checked(lambda _: True)
    value = _checked(lambda _: True, "v")

    def keyed(kind: str, value_pattern: str, lead: str = _LEAD) -> str:
        return keywords[kind] + lead + "(?P<v>" + value_pattern + ")"

    table: dict[str, list[tuple[str, Resolver]]] = {
        "CREDIT_DEBIT_CARD_NUMBER": [(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])", _card)],
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER": [
            (r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])", _iban)
        ],
        "VEHICLE_IDENTIFICATION_NUMBER": [(r"(?<!\w)[A-HJ-NPR-Z0-9]{17}(?!\w)", _checked(_vin))],
        "AWS_ACCESS_KEY": [
            (
                r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA)"
                r"[A-Z2-7]{16}(?![A-Za-z0-9])",
                whole,
            )
        ],
        "AWS_SECRET_KEY": [
            (r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])", _checked(_secret_key))
        ],
        "EMAIL": [
            (
                r"(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}"
                r"(?:\.[A-Za-z0-9-]{1,63}){1,8}",
                _email,
            )
        ],
        "URL": [(r"(?i:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"'`]{1,2000}", _url)],
        "IP_ADDRESS": [
            (
                r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)",
                whole,
            ),
            (r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])", _checked(_ipv6)),
        ],
        "MAC_ADDRESS": [
            (
                r"(?<![\w:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-])",
                whole,
            )
        ],
        "US_SOCIAL_SECURITY_NUMBER": [
            (
                r"(?<![\w-])(?P<area>\d{3})(?P<sep>[- ])(?P<group>\d{2})(?P=sep)(?P<serial>\d{4})"
                r"(?![\w-])",
                _ssn,
            )
        ],
        "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER": [
            (
                r"(?<![\w-])(?P<area>9\d{2})(?P<sep>[- ])(?P<group>\d{2})(?P=sep)\d{4}(?![\w-])",
                _itin,
            )
        ],
        "UK_NATIONAL_INSURANCE_NUMBER": [
            (
                r"(?<!\w)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)",
                _checked(lambda nino: nino[:2] not in _NINO_EXCLUDED),
            )
        ],
        "UK_NATIONAL_HEALTH_SERVICE_NUMBER": [
            (
                r"(?<![\w-])\d{3}([ -]?)\d{3}\1\d{4}(?![\w-])",
                _checked(lambda v: nhs_valid(_digits(v))),
            )
        ],
        "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER": [
            (r"(?<![\w-])\d{5} ?\d{5}K?(?![\w-])", _checked(lambda v: utr_valid(_digits(v))))
        ],
        "CA_SOCIAL_INSURANCE_NUMBER": [
            (r"(?<![\w-])\d{3}([ -])\d{3}\1\d{3}(?![\w-])", _checked(_sin))
        ],
        "CA_HEALTH_NUMBER": [
            (
                r"(?<![\w-])\d{4}([ -])\d{3}\1\d{3}(?:[ -]?[A-Z]{2})?(?![\w-])",
                _checked(lambda v: luhn(_digits(v))),
            ),
            (r"(?<!\w)[A-Z]{4} ?\d{4} ?\d{4}(?!\w)", _ramq),
        ],
        "US_BANK_ROUTING_NUMBER": [(r"(?<![\w-])\d{9}(?![\w-])", _checked(aba_valid))],
        "SWIFT_CODE": [(r"(?<!\w)[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?!\w)", _swift)],
        "PHONE": [
            (
                r"(?<![\w+])(?:\+?1[ .-]?)?(?:\((?P<parens>\d{3})\)|(?P<area>\d{3}))[ .-]?"
                r"(?P<exchange>\d{3})[ .-]?\d{4}(?!\w)",
                _nanp,
            ),
            (r"(?<![\w+])\+[1-9][\d ().-]{6,20}\d(?!\w)", _checked(_digit_count(8, 15))),
            (r"(?<![\w+])0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?!\w)", _checked(_digit_count(10, 11))),
        ],
        "CREDIT_DEBIT_CARD_EXPIRY": [
            (
                keyed("CREDIT_DEBIT_CARD_EXPIRY", r"(?:0[1-9]|1[0-2]) ?[/-] ?(?:20)?\d{2}")
                + r"(?!\d)",
                value,
            )
        ],
        "CREDIT_DEBIT_CARD_CVV": [(keyed("CREDIT_DEBIT_CARD_CVV", r"\d{3,4}") + r"(?!\d)", value)],
        "PIN": [(keyed("PIN", r"\d{4,6}") + r"(?!\d)", value)],
        "PASSWORD": [(keyed("PASSWORD", r"\S{4,64}", _LEAD_REQUIRED), _trimmed(".,;:!?)\"'", 4))],
        "USERNAME": [
            (keyed("USERNAME", r"[A-Za-z0-9._@-]{3,32}", _LEAD_REQUIRED), _trimmed(".-", 3))
        ],
        "US_PASSPORT_NUMBER": [
            (
                keyed("US_PASSPORT_NUMBER", r"[A-Z]?\d{8,9}") + r"(?!\w)",
                _checked(lambda v: len(v) == 9, "v"),
            )
        ],
        "DRIVER_ID": [
            (
                keyed("DRIVER_ID", r"[A-Z0-9][A-Z0-9-]{4,19}") + r"(?![\w-])",
                _checked(lambda v: any(c.isdigit() for c in v), "v"),
            )
        ],
        "LICENSE_PLATE": [
            (
                keyed("LICENSE_PLATE", r"[A-Z0-9]{1,4}[ -]?[A-Z0-9]{1,4}") + r"(?![\w-])",
                _checked(_has_letter_and_digit, "v"),
            )
        ],
        "US_BANK_ACCOUNT_NUMBER": [
            (keyed("US_BANK_ACCOUNT_NUMBER", r"\d{8,17}") + r"(?![\w-])", value)
        ],
        "ADDRESS": [
            (
                r"(?<!\w)\d{1,6}[A-Za-z]?[ \t]+(?:(?:[NSEW]|North|South|East|West)\.?[ \t]+)?"
                r"(?:(?:[A-Z][a-z]+|\d{1,3}(?:st|nd|rd|th))\.?[ \t]+){1,4}"
                r"(?:" + suffixes + r")\b(?:\.(?=,))?"
                r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?[ \t]?[A-Za-z0-9-]{1,6}\b)?"
                r"(?:,[ \t]*[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+){0,2},[ \t]*[A-Z]{2}\b"
                r"(?:[ \t]+\d{5}(?:-\d{4})?)?)?",
                whole,
            )
        ],
        "AGE": [
            (
                r"(?<!\w)(?P<v>\d{1,3}(?:[ -](?:years?|yrs?)[ -]old\b|[ -]?(?:y/o|yo)\b))",
                _checked(_age, "v"),
            ),
            (
                r"(?i:\baged?\b)[ \t]{0,3}(?:[:=][ \t]{0,3}|(?i:is|of)[ \t]{1,3}){0,2}"
                r"(?P<v>\d{1,3})(?!\w)",
                _checked(_age, "v"),
            ),
        ],
        "NAME": [
            (
                r"(?<![\w'\u2019])(?:" + titles + r")\.?[ \t]+(?P<v>" + names + r")(?![\w'\u2019])",
                value,
            ),
            (
                _keyword(raw["nameIntroductions"]) + r"[ \t]+(?P<v>" + names + r")(?![\w'\u2019])",
                value,
            ),
            (r"(?<![\w'\u2019])[A-Z][a-z]{1,30}(?![\w'\u2019])", _known_name),
        ],
    }
    needles = {
        **{k: tuple(w.split()[0].casefold() for w in v) for k, v in raw["keywords"].items()},
        **_NEEDLES,
    }
    return {
        kind: (needles.get(kind, ()), tuple((re.compile(p), resolver) for p, resolver in entries))
        for kind, entries in table.items()
    }


def find(text: str, types: Iterable[str]) -> list[Entity]:
    """The entities of the given types in a text, in text order, none overlapping another."""
    wanted = set(types)
    folded = text.casefold()
    found: list[tuple[int, int, int]] = []  # (priority, start, end)
    kinds: dict[int, str] = {}
    for rank, kind in enumerate(PRIORITY):
        if kind not in wanted:
            continue
        kinds[rank] = kind
        needles, patterns = detectors()[kind]
        if needles and not any(needle in folded for needle in needles):
            continue
        for pattern, resolver in patterns:
            for match in pattern.finditer(text):
                span = resolver(match, text)
                if span is not None and span[1] > span[0]:
                    found.append((rank, *span))
    found.sort(key=lambda item: (item[0], item[1], item[1] - item[2]))
    claimed = bytearray(len(text))  # 1 where a kept entity is: overlap checks stay linear
    kept: list[tuple[int, int, int]] = []
    for rank, start, end in found:
        if 1 in claimed[start:end]:
            continue
        claimed[start:end] = b"\x01" * (end - start)
        kept.append((start, end, rank))
    kept.sort()
    return [Entity(kinds[rank], start, end, text[start:end]) for start, end, rank in kept]
