"""InvokeModel body validation with Bedrock's "Malformed input request" wording.

Bedrock checks every InvokeModel body against a per-vendor JSON Schema with the Java library
everit-json-schema (org.json values) and answers ValidationException (HTTP 400)::

    Malformed input request: <violations>, please reformat your input and try again.

This module is a small JSON Schema validator written to give everit's exact texts, order and
grouping; the `jsonschema` library reports neither. Schemas are compiled once into a tree of
nodes and cached, so a typical body costs tens of microseconds.

API
    load_schema(name)        the schema file schemas/<name>.json (package
                             `moto_bedrock_runtime.schemas`), parsed once and cached
    compile_schema(schema)   a `CompiledSchema` for a name, a mapping or a compiled schema; cached
                             (by name, or by identity of the mapping: treat schemas as immutable)
    validate_body(schema, body)   None, or raises ValidationException(MALFORMED.format(...))
    violation(pointer, text) "#/max_gen_len: 8192 is not less or equal to 2048"
    malformed(*violations, style="concat")   the ValidationException for codec-side checks

Schema extension
    A top-level ``"x-bedrock-violations"`` picks how the violations are printed:

    ``"concat"`` (default; most models): every violation as ``<pointer>: <text>``, joined with
    no separator, e.g. ``#: required key [prompt] not found#: extraneous key [messages] is not
    permitted``. This is everit's ``ValidationException.getAllMessages()``.

    ``"count"`` (older and embedding models): everit's ``getErrorMessage()`` of the top
    exception, i.e. without a pointer: ``2 schema violations found`` when there are several,
    else the single violation's text (``extraneous key [textGenerationConfig] is not
    permitted``).

Keywords and texts (everit-org/json-schema, core/src/main/java/org/everit/json/schema/):
    type            expected type: JSONArray, found: String   (JSONObject, JSONArray, String,
                    Number, Integer, Boolean; found also Null, Long, BigInteger, BigDecimal);
                    "null": expected: null, found: String.  A list of types is an anyOf of one
                    schema per type (everit's loader), so each type reports its own violation.
    required        required key [max_tokens] not found
    additionalProperties   extraneous key [stream] is not permitted
    minProperties / maxProperties   minimum size: [2], found: [1] / maximum size: [1], found: [2]
    dependencies    property [b] is required (array form); a schema form reports that schema's
    minimum / maximum     -1 is not greater or equal to 0 / 8192 is not less or equal to 2048
    exclusiveMinimum / exclusiveMaximum (number or draft-4 boolean)   0 is not greater than 0 /
                    1 is not less than 1
    multipleOf      7 is not a multiple of 2
    minLength / maxLength   expected minLength: 1, actual: 0 (lengths in code points)
    pattern         string [abc] does not match pattern ^\\d+$ (a search, as Java's find())
    format          [x] is not a valid email address (also date-time, date, time, uri, ipv4,
                    ipv6, hostname, regex; other format names are not checked)
    minItems / maxItems   expected minimum item count: 1, found: 0 / expected maximum item
                    count: 10, found: 11
    uniqueItems     array items are not unique
    items (tuple) + additionalItems false   expected: [2] array items, found: [3]
    contains        expected at least one array item to match 'contains' schema
    enum            bogus is not a valid enum value (the value as org.json prints it)
    const           (empty text: everit reports "" so the violation reads "#/type: ")
    not             subject must not be valid against schema {"required":["messages"]}
    false           false schema always fails
    anyOf / allOf / oneOf, if/then/else: see "Grouping".
    $ref            "#", "#/definitions/..", "#/$defs/.." or any pointer into the same file;
                    like everit, keywords next to a $ref are ignored.

Grouping and order (everit's, reproduced on purpose)
    Each schema is validated in its own context; a context with several violations becomes
    one "N schema violations found" exception whose causes are those violations. Inside an
    object: required (schema order), propertyNames, min/maxProperties, dependencies,
    extraneous keys, additionalProperties schema, patternProperties, schema dependencies, then
    the properties. Body keys (extraneous keys) and schema `properties` are visited in the
    iteration order of a Java HashMap holding them (org.json keeps objects in HashMaps), which
    `_java_order` computes; e.g. extraneous {description, input_schema} print input_schema
    first, as Bedrock does. Arrays: min/maxItems, uniqueItems, items by index, contains.
    A schema with keywords of several kinds (e.g. type + enum) is everit's synthetic allOf, in
    loader order: enum, allOf/oneOf/anyOf, not, const, type, then untyped keywords.

    Combinators report everit's exception ("#: no subschema matched out of the total 2
    subschemas", "#: only 1 subschema matches out of 2", "#: 2 subschemas matched instead of
    one", 'input is invalid against the "then" schema', 'input is invalid against both the
    "if" and "else" schema') whose causes are the failing subschemas. getAllMessages()
    flattens causes: at each level the violations without causes come first, then those of
    the groups, recursively. So a failed anyOf prints every branch's leaf violations (Bedrock:
    ``#: subject must not be valid against schema {"required":["messages"]}#: required key
    [max_tokens] not found``); only a oneOf that matched several branches prints its own
    text, with everit's doubled pointer: ``#/x: #: 2 subschemas matched instead of one``.

Values are org.json's: objects, arrays, strings, booleans, null; whole numbers are Integer,
Long or BigInteger by size and decimals are BigDecimal. Numbers print as Java prints them;
decimals as BigDecimal would print Python's shortest repr (0.5, 1.0, 1E-7, 1E+16).
A body that is not JSON or not an object is the caller's business.
"""

from __future__ import annotations

import datetime
import importlib.resources
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from moto_bedrock_runtime.errors import ValidationException

MALFORMED = "Malformed input request: {violations}, please reformat your input and try again."
STYLE_KEYWORD = "x-bedrock-violations"
STYLES = ("concat", "count")

__all__ = [
    "MALFORMED",
    "STYLES",
    "STYLE_KEYWORD",
    "CompiledSchema",
    "compile_schema",
    "load_schema",
    "malformed",
    "validate_body",
    "violation",
]


# Public helpers


def violation(pointer: str, text: str) -> str:
    """One everit violation: `violation("#/max_gen_len", "8192 is not less or equal to 2048")`."""
    return f"{pointer}: {text}"


def malformed(*violations: str, style: str = "concat") -> ValidationException:
    """The ValidationException Bedrock answers for these violations (each `violation(...)`).

    "concat" joins them with no separator; "count" prints "N schema violations found" for
    several and the bare text (no pointer) of a single one.
    """
    if not violations:
        raise ValueError("malformed() needs at least one violation")
    if style == "concat":
        text = "".join(violations)
    elif style == "count":
        if len(violations) == 1:
            text = violations[0].partition(": ")[2]
        else:
            text = f"{len(violations)} schema violations found"
    else:
        raise ValueError(f"unknown violation style {style!r}; expected one of {STYLES}")
    return ValidationException(MALFORMED.format(violations=text))


@cache
def load_schema(name: str) -> dict[str, Any]:
    """schemas/<name>.json, parsed once. The dict is shared: do not mutate it."""
    resource = importlib.resources.files("moto_bedrock_runtime.schemas") / f"{name}.json"
    return json.loads(resource.read_text(encoding="utf-8"))


def validate_body(schema: SchemaLike, body: Any) -> None:
    """Raise ValidationException listing every violation of `body`; return None when valid.

    `schema` is a schema file name, a schema mapping (tests, ad-hoc schemas) or a
    `CompiledSchema`.
    """
    compile_schema(schema).validate(body)


def compile_schema(schema: SchemaLike) -> CompiledSchema:
    """The cached `CompiledSchema` for a name, a mapping or an already compiled schema."""
    if isinstance(schema, CompiledSchema):
        return schema
    if isinstance(schema, str):
        return _compiled_by_name(schema)
    if isinstance(schema, Mapping):
        entry = _BY_IDENTITY.get(id(schema))
        if entry is not None and entry[0] is schema:
            return entry[1]
        compiled = CompiledSchema(schema)
        if len(_BY_IDENTITY) >= _IDENTITY_CACHE_SIZE:
            del _BY_IDENTITY[next(iter(_BY_IDENTITY))]
        # The entry keeps the mapping alive, so its id cannot be reused by another object.
        _BY_IDENTITY[id(schema)] = (schema, compiled)
        return compiled
    raise TypeError(f"a schema is a name, a mapping or a CompiledSchema, not {type(schema)!r}")


@cache
def _compiled_by_name(name: str) -> CompiledSchema:
    return CompiledSchema(load_schema(name))


_IDENTITY_CACHE_SIZE = 256
_BY_IDENTITY: dict[int, tuple[Mapping[str, Any], CompiledSchema]] = {}


class CompiledSchema:
    """A schema compiled for validation; `style` is its x-bedrock-violations value."""

    __slots__ = ("_root", "schema", "style")

    def __init__(self, schema: Mapping[str, Any]) -> None:
        style = schema.get(STYLE_KEYWORD, "concat")
        if style not in STYLES:
            raise ValueError(f"{STYLE_KEYWORD} must be one of {STYLES}, not {style!r}")
        self.schema = schema
        self.style: str = style
        self._root = _Compiler(schema).compile_root()

    def failure(self, body: Any) -> _Failure | None:
        """everit's top ValidationException for `body` (None when valid)."""
        return self._root.check(body, None)

    def violations(self, body: Any) -> list[str]:
        """Every violation as "<pointer>: <text>", in everit's getAllMessages() order."""
        failure = self._root.check(body, None)
        return [] if failure is None else failure.all_messages()

    def message(self, body: Any) -> str | None:
        """The text Bedrock puts between "Malformed input request: " and ", please ..."."""
        failure = self._root.check(body, None)
        if failure is None:
            return None
        if self.style == "count":
            return failure.message
        return "".join(failure.all_messages())

    def validate(self, body: Any) -> None:
        text = self.message(body)
        if text is not None:
            raise ValidationException(MALFORMED.format(violations=text))


SchemaLike = str | Mapping[str, Any] | CompiledSchema


# everit's exceptions


class _Failure:
    """An everit ValidationException: pointer, text (`getErrorMessage()`) and causes."""

    __slots__ = ("_path", "_pointer", "causes", "count", "message")

    def __init__(self, path: _Path, message: str, causes: list[_Failure] | None = None) -> None:
        self._path = path
        self._pointer: str | None = None  # rendered on demand: failed anyOf branches are common
        self.message = message
        self.causes = causes or ()
        self.count = max(1, sum(c.count for c in self.causes)) if self.causes else 1

    @property
    def pointer(self) -> str:
        if self._pointer is None:
            self._pointer = _pointer(self._path)
        return self._pointer

    def all_messages(self) -> list[str]:
        if not self.causes:
            return [f"{self.pointer}: {self.message}"]
        return _all_messages(self.causes)

    def __repr__(self) -> str:
        return f"_Failure({self.pointer!r}, {self.message!r}, {list(self.causes)!r})"


def _all_messages(causes: Iterable[_Failure]) -> list[str]:
    # ValidationException.getAllMessages(causes): leaves first, then each group's, recursively.
    messages = [f"{c.pointer}: {c.message}" for c in causes if not c.causes]
    for cause in causes:
        if cause.causes:
            messages.extend(_all_messages(cause.causes))
    return messages


def _collect(failures: list[_Failure], path: _Path) -> _Failure | None:
    # CollectingFailureReporter.inContextOfSchema / throwFor.
    if not failures:
        return None
    if len(failures) == 1:
        return failures[0]
    count = sum(f.count for f in failures)
    return _Failure(path, f"{count} schema violations found", failures)


# A path into the body: None at the root, else (parent path, key or index).
_Path = tuple[Any, str | int] | None


def _pointer(path: _Path) -> str:
    if path is None:
        return "#"
    parts = []
    while path is not None:
        path, segment = path
        parts.append(str(segment).replace("~", "~0").replace("/", "~1"))
    parts.append("#")
    return "/".join(reversed(parts))


# Java and org.json behaviour


@lru_cache(maxsize=8192)
def _java_hash(key: str) -> int:
    """String.hashCode() spread as HashMap.hash() does (over UTF-16 code units)."""
    h = 0
    for ch in key:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            h = (31 * h + (0xD800 + (code >> 10))) & 0xFFFFFFFF
            code = 0xDC00 + (code & 0x3FF)
        h = (31 * h + code) & 0xFFFFFFFF
    return h ^ (h >> 16)


def _table_size(entries: int) -> int:
    size = 16
    while entries > size * 3 // 4:
        size *= 2
    return size


def _java_order(keys: Iterable[str], entries: int) -> list[str]:
    """`keys` in the order a java.util.HashMap of `entries` entries iterates them (bucket, then
    insertion order); `keys` may be a subset of the map's keys, in insertion order."""
    mask = _table_size(entries) - 1
    return sorted(keys, key=lambda k: _java_hash(k) & mask)


def _java_type(value: Any) -> str:
    """getClass().getSimpleName() of the org.json value."""
    kind = type(value)
    if kind is str:
        return "String"
    if kind is dict:
        return "JSONObject"
    if kind is list:
        return "JSONArray"
    if kind is bool:
        return "Boolean"
    if value is None:
        return "Null"
    if kind is int:
        if -(2**31) <= value < 2**31:
            return "Integer"
        return "Long" if -(2**63) <= value < 2**63 else "BigInteger"
    if kind is float:
        return "BigDecimal"
    if isinstance(value, Mapping):
        return "JSONObject"
    if isinstance(value, (list, tuple)):
        return "JSONArray"
    return kind.__name__


def _java_number(value: int | float) -> str:
    """Java's toString() of the number org.json parses (BigDecimal for decimals)."""
    if type(value) is not float:
        return str(value)
    text = repr(value)
    if text in ("inf", "-inf", "nan"):
        return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}[text]
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0") or "0"
    scale = len(fraction) - int(exponent or 0)
    # BigDecimal.toString()
    adjusted = -scale + len(digits) - 1
    if scale >= 0 and adjusted >= -6:
        if scale == 0:
            plain = digits
        elif len(digits) > scale:
            plain = f"{digits[:-scale]}.{digits[-scale:]}"
        else:
            plain = "0." + "0" * (scale - len(digits)) + digits
        return sign + plain
    head = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{sign}{head}E{'+' if adjusted > 0 else ''}{adjusted}"


def _java_quote(text: str) -> str:
    """org.json JSONObject.quote()."""
    out = ['"']
    previous = ""
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "/":
            out.append("\\/" if previous == "<" else "/")
        elif ch in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[ch])
        elif ch < " " or "\x80" <= ch < "\xa0" or "\u2000" <= ch < "\u2100":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
        previous = ch
    out.append('"')
    return "".join(out)


_QUOTE_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _json_text(value: Any, *, java_order: bool = True) -> str:
    """org.json's toString() of a value (compact; objects in HashMap order)."""
    if isinstance(value, str):
        return _java_quote(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        text = _java_number(value)
        if "." in text and "E" not in text:  # JSONObject.numberToString drops trailing zeros
            text = text.rstrip("0").rstrip(".")
        return text
    if isinstance(value, Mapping):
        keys = _java_order(value, len(value)) if java_order else list(value)
        items = (f"{_java_quote(k)}:{_json_text(value[k], java_order=java_order)}" for k in keys)
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json_text(v, java_order=java_order) for v in value) + "]"
    return _java_quote(str(value))


def _display(value: Any) -> str:
    """String.format("%s", value) of an org.json value."""
    if type(value) is str:
        return value
    if type(value) in (int, float):
        return _java_number(value)
    return _json_text(value)


def _equal(left: Any, right: Any) -> bool:
    """ObjectComparator.deepEquals: numbers by value, booleans never equal to numbers."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(map(_equal, left, right))
    return type(left) is type(right) and left == right


def _decimal(value: int | float) -> Decimal:
    return Decimal(value) if type(value) is int else Decimal(repr(value))


# Formats (everit's internal/*FormatValidator texts; checks approximate the Java libraries)

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})\Z"
)
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,}\Z"
)
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*\Z")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\Z")
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")
_DATE_TIME_FORMATS = (
    "[yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,9}Z, "
    "yyyy-MM-dd'T'HH:mm:ss[+-]HH:mm, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,9}[+-]HH:mm]"
)
_TIME_FORMATS = "[HH:mm:ssZ, HH:mm:ss.[0-9]{1,9}Z, HH:mm:ss[+-]HH:mm, HH:mm:ss.[0-9]{1,9}[+-]HH:mm]"


def _valid_date_time(text: str) -> bool:
    match = _DATE_TIME.match(text)
    if not match:
        return False
    _, month, day, hour, minute, second = (int(g) for g in match.groups())
    return 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60


def _valid_time(text: str) -> bool:
    match = _TIME.match(text)
    if not match:
        return False
    hour, minute, second = (int(g) for g in match.groups())
    return hour < 24 and minute < 60 and second < 60


def _valid_date(text: str) -> bool:
    if not _DATE.match(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _valid_ipv4(text: str) -> bool:
    match = _IPV4.match(text)
    return bool(match) and all(
        int(g) <= 255 and not (len(g) > 1 and g.startswith("0")) for g in match.groups()
    )


def _valid_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _valid_hostname(text: str) -> bool:
    labels = text[:-1].split(".") if text.endswith(".") else text.split(".")
    return (
        0 < len(text) <= 253
        and all(_HOST_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()
    )


def _valid_regex(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


_FORMATS: dict[str, tuple[Callable[[str], bool], str]] = {
    "email": (lambda s: bool(_EMAIL.match(s)), "is not a valid email address"),
    "date-time": (
        _valid_date_time,
        "is not a valid date-time. Expected " + _DATE_TIME_FORMATS,
    ),
    "date": (_valid_date, "is not a valid date. Expected [yyyy-MM-dd]"),
    "time": (_valid_time, "is not a valid time. Expected " + _TIME_FORMATS),
    "uri": (lambda s: bool(_URI_SCHEME.match(s) or s.startswith("//")), "is not a valid URI"),
    "ipv4": (_valid_ipv4, "is not a valid ipv4 address"),
    "ipv6": (_valid_ipv6, "is not a valid ipv6 address"),
    "hostname": (_valid_hostname, "is not a valid hostname"),
    "regex": (_valid_regex, "is not a valid regular expression"),
}


# Compiled schema nodes: check(value, path) returns everit's exception for the context of that
# schema (None, the single failure, or a "N schema violations found" group).


class _Node:
    __slots__ = ()

    def check(self, value: Any, path: _Path) -> _Failure | None:  # pragma: no cover
        raise NotImplementedError


class _Empty(_Node):
    __slots__ = ()

    def check(self, value: Any, path: _Path) -> _Failure | None:
        return None


class _False(_Node):
    __slots__ = ()

    def check(self, value: Any, path: _Path) -> _Failure | None:
        return _Failure(path, "false schema always fails")


class _Ref(_Node):
    __slots__ = ("target",)

    def __init__(self) -> None:
        self.target: _Node = _Empty()

    def check(self, value: Any, path: _Path) -> _Failure | None:
        return self.target.check(value, path)


class _Enum(_Node):
    __slots__ = ("others", "strings")

    def __init__(self, values: list[Any]) -> None:
        self.strings = frozenset(v for v in values if type(v) is str)
        self.others = [v for v in values if type(v) is not str]

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if type(value) is str:
            if value in self.strings:
                return None
        elif any(_equal(value, v) for v in self.others):
            return None
        return _Failure(path, f"{_display(value)} is not a valid enum value")


class _Const(_Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if _equal(value, self.value):
            return None
        return _Failure(path, "")


class _Not(_Node):
    __slots__ = ("schema", "text")

    def __init__(self, schema: _Node, text: str) -> None:
        self.schema = schema
        self.text = f"subject must not be valid against schema {text}"

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if self.schema.check(value, path) is None:
            return _Failure(path, self.text)
        return None


class _AnyOf(_Node):
    __slots__ = ("schemas",)

    def __init__(self, schemas: list[_Node]) -> None:
        self.schemas = schemas

    def check(self, value: Any, path: _Path) -> _Failure | None:
        failures = []
        for schema in self.schemas:
            failure = schema.check(value, path)
            if failure is None:
                return None  # everit tries the rest, but with one match nothing is reported
            failures.append(failure)
        total = len(self.schemas)
        return _Failure(
            path, f"#: no subschema matched out of the total {total} subschemas", failures
        )


class _AllOf(_Node):
    __slots__ = ("schemas",)

    def __init__(self, schemas: list[_Node]) -> None:
        self.schemas = schemas

    def check(self, value: Any, path: _Path) -> _Failure | None:
        failures = None
        for schema in self.schemas:
            failure = schema.check(value, path)
            if failure is not None:
                if failures is None:
                    failures = [failure]
                else:
                    failures.append(failure)
        if failures is None:
            return None
        total = len(self.schemas)
        matching = total - len(failures)
        return _Failure(path, f"#: only {matching} subschema matches out of {total}", failures)


class _OneOf(_Node):
    __slots__ = ("schemas",)

    def __init__(self, schemas: list[_Node]) -> None:
        self.schemas = schemas

    def check(self, value: Any, path: _Path) -> _Failure | None:
        failures = [f for f in (s.check(value, path) for s in self.schemas) if f is not None]
        matching = len(self.schemas) - len(failures)
        if matching == 1:
            return None
        return _Failure(path, f"#: {matching} subschemas matched instead of one", failures)


class _Conditional(_Node):
    __slots__ = ("else_", "if_", "then")

    def __init__(self, if_: _Node | None, then: _Node | None, else_: _Node | None) -> None:
        self.if_, self.then, self.else_ = if_, then, else_

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if self.if_ is None or (self.then is None and self.else_ is None):
            return None
        if_failure = self.if_.check(value, path)
        if if_failure is None:
            if self.then is not None:
                failure = self.then.check(value, path)
                if failure is not None:
                    text = 'input is invalid against the "then" schema'
                    return _Failure(path, text, [failure])
        elif self.else_ is not None:
            failure = self.else_.check(value, path)
            if failure is not None:
                text = 'input is invalid against both the "if" and "else" schema'
                return _Failure(path, text, [if_failure, failure])
        return None


def _type_failure(path: _Path, expected: str, value: Any) -> _Failure:
    return _Failure(path, f"expected type: {expected}, found: {_java_type(value)}")


class _Boolean(_Node):
    __slots__ = ()

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if type(value) is bool:
            return None
        return _type_failure(path, "Boolean", value)


class _Null(_Node):
    __slots__ = ()

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if value is None:
            return None
        return _Failure(path, f"expected: null, found: {_java_type(value)}")


class _Number(_Node):
    __slots__ = (
        "exclusive_maximum",
        "exclusive_minimum",
        "integer",
        "maximum",
        "maximum_is_exclusive",
        "minimum",
        "minimum_is_exclusive",
        "multiple_of",
        "requires",
    )

    def __init__(self, schema: Mapping[str, Any], *, requires: bool, integer: bool) -> None:
        self.requires = requires or integer
        self.integer = integer
        self.minimum = _number_keyword(schema, "minimum")
        self.maximum = _number_keyword(schema, "maximum")
        self.minimum_is_exclusive = self.maximum_is_exclusive = False
        self.exclusive_minimum = self.exclusive_maximum = None
        low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(low, bool):  # draft 4
            self.minimum_is_exclusive = low
        elif low is not None:
            self.exclusive_minimum = _number_keyword(schema, "exclusiveMinimum")
        if isinstance(high, bool):
            self.maximum_is_exclusive = high
        elif high is not None:
            self.exclusive_maximum = _number_keyword(schema, "exclusiveMaximum")
        multiple_of = _number_keyword(schema, "multipleOf")
        if multiple_of is not None and multiple_of <= 0:
            raise ValueError("multipleOf must be greater than 0")
        self.multiple_of = None if multiple_of is None else (multiple_of, _decimal(multiple_of))

    def check(self, value: Any, path: _Path) -> _Failure | None:
        kind = type(value)
        if kind is not int and (self.integer or kind is not float):
            if self.requires:
                return _type_failure(path, "Integer" if self.integer else "Number", value)
            return None
        failures = []
        minimum, maximum = self.minimum, self.maximum
        if minimum is not None:
            if self.minimum_is_exclusive and value <= minimum:
                text = f"{_java_number(value)} is not greater than {_java_number(minimum)}"
                failures.append(_Failure(path, text))
            elif value < minimum:
                text = f"{_java_number(value)} is not greater or equal to {_java_number(minimum)}"
                failures.append(_Failure(path, text))
        limit = self.exclusive_minimum
        if limit is not None and value <= limit:
            text = f"{_java_number(value)} is not greater than {_java_number(limit)}"
            failures.append(_Failure(path, text))
        if maximum is not None:
            if self.maximum_is_exclusive and maximum <= value:
                text = f"{_java_number(value)} is not less than {_java_number(maximum)}"
                failures.append(_Failure(path, text))
            elif maximum < value:
                text = f"{_java_number(value)} is not less or equal to {_java_number(maximum)}"
                failures.append(_Failure(path, text))
        limit = self.exclusive_maximum
        if limit is not None and value >= limit:
            text = f"{_java_number(value)} is not less than {_java_number(limit)}"
            failures.append(_Failure(path, text))
        if self.multiple_of is not None:
            factor, exact = self.multiple_of
            if kind is int and type(factor) is int:
                remainder: int | Decimal = value % factor
            else:
                remainder = _decimal(value) % exact
            if remainder != 0:
                text = f"{_java_number(value)} is not a multiple of {_java_number(factor)}"
                failures.append(_Failure(path, text))
        return _collect(failures, path)


class _String(_Node):
    __slots__ = ("format", "max_length", "min_length", "pattern", "requires")

    def __init__(self, schema: Mapping[str, Any], *, requires: bool) -> None:
        self.requires = requires
        self.min_length = _int_keyword(schema, "minLength")
        self.max_length = _int_keyword(schema, "maxLength")
        source = schema.get("pattern")
        self.pattern = None if source is None else (re.compile(source), source)
        name = schema.get("format")
        self.format = _FORMATS.get(name) if isinstance(name, str) else None

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if type(value) is not str:
            return _type_failure(path, "String", value) if self.requires else None
        failures = []
        length = len(value)
        if self.min_length is not None and length < self.min_length:
            text = f"expected minLength: {self.min_length}, actual: {length}"
            failures.append(_Failure(path, text))
        if self.max_length is not None and length > self.max_length:
            text = f"expected maxLength: {self.max_length}, actual: {length}"
            failures.append(_Failure(path, text))
        if self.pattern is not None and self.pattern[0].search(value) is None:
            text = f"string [{value}] does not match pattern {self.pattern[1]}"
            failures.append(_Failure(path, text))
        if self.format is not None and not self.format[0](value):
            failures.append(_Failure(path, f"[{value}] {self.format[1]}"))
        return _collect(failures, path)


class _Array(_Node):
    __slots__ = (
        "additional_items",
        "additional_schema",
        "contains",
        "item_schemas",
        "items",
        "max_items",
        "min_items",
        "requires",
        "unique",
    )

    def __init__(self, schema: Mapping[str, Any], compiler: _Compiler, *, requires: bool) -> None:
        self.requires = requires
        self.min_items = _int_keyword(schema, "minItems")
        self.max_items = _int_keyword(schema, "maxItems")
        self.unique = schema.get("uniqueItems") is True
        items = schema.get("items")
        self.items = None if isinstance(items, list) or items is None else compiler.compile(items)
        self.item_schemas = (
            [compiler.compile(s) for s in items] if isinstance(items, list) else None
        )
        additional = schema.get("additionalItems", True)
        self.additional_items = additional is not False
        self.additional_schema = (
            compiler.compile(additional)
            if isinstance(additional, Mapping) and self.item_schemas is not None
            else None
        )
        contains = schema.get("contains")
        self.contains = None if contains is None else compiler.compile(contains)

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if type(value) is not list:
            return _type_failure(path, "JSONArray", value) if self.requires else None
        failures = []
        size = len(value)
        if self.min_items is not None and size < self.min_items:
            text = f"expected minimum item count: {self.min_items}, found: {size}"
            failures.append(_Failure(path, text))
        if self.max_items is not None and self.max_items < size:
            text = f"expected maximum item count: {self.max_items}, found: {size}"
            failures.append(_Failure(path, text))
        if self.unique and size > 1 and _has_duplicates(value):
            failures.append(_Failure(path, "array items are not unique"))
        if self.items is not None:
            check = self.items.check
            for index, item in enumerate(value):
                failure = check(item, (path, index))
                if failure is not None:
                    failures.append(failure)
        if self.item_schemas is not None:
            declared = len(self.item_schemas)
            if not self.additional_items and size > declared:
                text = f"expected: [{declared}] array items, found: [{size}]"
                failures.append(_Failure(path, text))
            for index, (schema, item) in enumerate(zip(self.item_schemas, value, strict=False)):
                failure = schema.check(item, (path, index))
                if failure is not None:
                    failures.append(failure)
            if self.additional_schema is not None:
                for index in range(declared, size):
                    failure = self.additional_schema.check(value[index], (path, index))
                    if failure is not None:
                        failures.append(failure)
        if self.contains is not None:
            check = self.contains.check
            if all(check(item, (path, i)) is not None for i, item in enumerate(value)):
                text = "expected at least one array item to match 'contains' schema"
                failures.append(_Failure(path, text))
        return _collect(failures, path)


def _has_duplicates(items: list[Any]) -> bool:
    seen: list[Any] = []
    for item in items:
        if any(_equal(item, other) for other in seen):
            return True
        seen.append(item)
    return False


class _Object(_Node):
    __slots__ = (
        "additional",
        "additional_schema",
        "max_properties",
        "min_properties",
        "pattern_properties",
        "properties",
        "property_dependencies",
        "property_names",
        "required",
        "requires",
        "schema_dependencies",
    )

    def __init__(self, schema: Mapping[str, Any], compiler: _Compiler, *, requires: bool) -> None:
        self.requires = requires
        self.required = tuple(schema.get("required", ()))
        names = schema.get("propertyNames")
        self.property_names = None if names is None else compiler.compile(names)
        self.min_properties = _int_keyword(schema, "minProperties")
        self.max_properties = _int_keyword(schema, "maxProperties")
        property_deps, schema_deps = [], []
        dependencies = schema.get("dependencies", {})
        arrays = [k for k in dependencies if isinstance(dependencies[k], list)]
        for key in _java_order(arrays, len(arrays)):
            property_deps.append((key, tuple(dependencies[key])))
        schemas = [k for k in dependencies if not isinstance(dependencies[k], list)]
        for key in _java_order(schemas, len(schemas)):
            schema_deps.append((key, compiler.compile(dependencies[key])))
        self.property_dependencies = property_deps
        self.schema_dependencies = schema_deps
        additional = schema.get("additionalProperties", True)
        self.additional = additional is not False
        self.additional_schema = (
            compiler.compile(additional) if isinstance(additional, Mapping) else None
        )
        patterns = schema.get("patternProperties", {})
        self.pattern_properties = [(re.compile(p), compiler.compile(patterns[p])) for p in patterns]
        properties = schema.get("properties", {})
        # Visit order of ObjectSchema.getPropertySchemas(): the loader's HashMap order.
        ordered = _java_order(properties, len(properties))
        self.properties = {
            name: (rank, compiler.compile(properties[name])) for rank, name in enumerate(ordered)
        }

    def check(self, value: Any, path: _Path) -> _Failure | None:
        if type(value) is not dict:
            return _type_failure(path, "JSONObject", value) if self.requires else None
        failures = []
        for key in self.required:
            if key not in value:
                failures.append(_Failure(path, f"required key [{key}] not found"))
        if self.property_names is not None:
            for key in _java_order(value, len(value)):
                failure = self.property_names.check(key, (path, key))
                if failure is not None:
                    failures.append(failure)
        size = len(value)
        if self.min_properties is not None and size < self.min_properties:
            text = f"minimum size: [{self.min_properties}], found: [{size}]"
            failures.append(_Failure(path, text))
        if self.max_properties is not None and size > self.max_properties:
            text = f"maximum size: [{self.max_properties}], found: [{size}]"
            failures.append(_Failure(path, text))
        for key, needed in self.property_dependencies:
            if key in value:
                for other in needed:
                    if other not in value:
                        failures.append(_Failure(path, f"property [{other}] is required"))
        properties = self.properties
        property_failures = None
        extra = None
        for key, item in value.items():
            entry = properties.get(key)
            if entry is not None:
                failure = entry[1].check(item, (path, key))
                if failure is not None:
                    if property_failures is None:
                        property_failures = [(entry[0], failure)]
                    else:
                        property_failures.append((entry[0], failure))
            elif not self.pattern_properties or not any(
                p.search(key) for p, _ in self.pattern_properties
            ):
                if extra is None:
                    extra = [key]
                else:
                    extra.append(key)
        if extra is not None:
            extra = _java_order(extra, size) if len(extra) > 1 else extra
            if not self.additional:
                for key in extra:
                    failures.append(_Failure(path, f"extraneous key [{key}] is not permitted"))
            elif self.additional_schema is not None:
                for key in extra:
                    failure = self.additional_schema.check(value[key], (path, key))
                    if failure is not None:
                        failures.append(failure)
        if self.pattern_properties:
            keys = _java_order(value, size)
            for pattern, schema in self.pattern_properties:
                for key in keys:
                    if pattern.search(key):
                        failure = schema.check(value[key], (path, key))
                        if failure is not None:
                            failures.append(failure)
        for key, schema in self.schema_dependencies:
            if key in value:
                failure = schema.check(value, path)
                if failure is not None:
                    failures.append(failure)
        if property_failures is not None:
            property_failures.sort(key=lambda pair: pair[0])
            failures.extend(failure for _, failure in property_failures)
        return _collect(failures, path)


def _number_keyword(schema: Mapping[str, Any], key: str) -> int | float | None:
    value = schema.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(f"{key} must be a number, not {value!r}")
    return value


def _int_keyword(schema: Mapping[str, Any], key: str) -> int | None:
    value = schema.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{key} must be an integer, not {value!r}")
    return value


# Compiling, in the order of everit's SchemaLoader extractors

_OBJECT_KEYWORDS = (
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
)
_ARRAY_KEYWORDS = ("items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains")
_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_STRING_KEYWORDS = ("minLength", "maxLength", "pattern", "format")
_TYPE_KEYWORDS = {
    "object": _OBJECT_KEYWORDS,
    "array": _ARRAY_KEYWORDS,
    "number": _NUMBER_KEYWORDS,
    "integer": _NUMBER_KEYWORDS,
    "string": _STRING_KEYWORDS,
    "boolean": (),
    "null": (),
}
# CombinedSchemaLoader takes the keywords present from a HashSet.
_COMBINATORS = {"allOf": _AllOf, "anyOf": _AnyOf, "oneOf": _OneOf}
_COMBINATOR_ORDER = _java_order(_COMBINATORS, len(_COMBINATORS))


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, _Ref] = {}
        self.pending: list[tuple[str, _Ref]] = []

    def compile_root(self) -> _Node:
        node = self.compile(self.root)
        while self.pending:
            ref, placeholder = self.pending.pop()
            placeholder.target = self.compile(self._resolve(ref))
        return node

    def compile(self, schema: Any) -> _Node:
        if schema is True:
            return _Empty()
        if schema is False:
            return _False()
        if not isinstance(schema, Mapping):
            raise TypeError(f"a schema is an object or a boolean, not {schema!r}")
        if "$ref" in schema:  # everit ignores the keywords next to $ref
            return self._ref(schema["$ref"])
        nodes: list[_Node] = []
        if "enum" in schema:
            nodes.append(_Enum(list(schema["enum"])))
        for keyword in _COMBINATOR_ORDER:
            if keyword in schema:
                subschemas = [self.compile(s) for s in schema[keyword]]
                nodes.append(_COMBINATORS[keyword](subschemas))
        if "not" in schema:
            text = _json_text(schema["not"], java_order=False)
            nodes.append(_Not(self.compile(schema["not"]), text))
        if "const" in schema:
            nodes.append(_Const(schema["const"]))
        consumed: set[str] = set()
        if "type" in schema:
            kind = schema["type"]
            if isinstance(kind, list):
                nodes.append(_AnyOf([self._typed(schema, k, consumed) for k in kind]))
            else:
                nodes.append(self._typed(schema, kind, consumed))

        def present(keywords: tuple[str, ...]) -> bool:
            return any(k in schema and k not in consumed for k in keywords)

        if present(_ARRAY_KEYWORDS):
            nodes.append(_Array(schema, self, requires=False))
        if present(_OBJECT_KEYWORDS):
            nodes.append(_Object(schema, self, requires=False))
        if present(_NUMBER_KEYWORDS):
            nodes.append(_Number(schema, requires=False, integer=False))
        if present(_STRING_KEYWORDS):
            nodes.append(_String(schema, requires=False))
        if "if" in schema or "then" in schema or "else" in schema:
            parts = (schema.get(k) for k in ("if", "then", "else"))
            nodes.append(_Conditional(*(None if p is None else self.compile(p) for p in parts)))
        if not nodes:
            return _Empty()
        if len(nodes) == 1:
            return nodes[0]
        return _AllOf(nodes)  # everit's synthetic allOf

    def _typed(self, schema: Mapping[str, Any], kind: Any, consumed: set[str]) -> _Node:
        if kind not in _TYPE_KEYWORDS:
            raise ValueError(f"unknown type: [{kind}]")
        consumed.update(_TYPE_KEYWORDS[kind])
        if kind == "object":
            return _Object(schema, self, requires=True)
        if kind == "array":
            return _Array(schema, self, requires=True)
        if kind == "string":
            return _String(schema, requires=True)
        if kind in ("number", "integer"):
            return _Number(schema, requires=True, integer=kind == "integer")
        return _Boolean() if kind == "boolean" else _Null()

    def _ref(self, ref: Any) -> _Ref:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise ValueError(f"only references into the same schema are supported, not {ref!r}")
        placeholder = self.refs.get(ref)
        if placeholder is None:
            placeholder = self.refs[ref] = _Ref()
            self.pending.append((ref, placeholder))
        return placeholder

    def _resolve(self, ref: str) -> Any:
        from urllib.parse import unquote

        target: Any = self.root
        pointer = unquote(ref[1:])
        if not pointer:
            return target
        if not pointer.startswith("/"):
            raise ValueError(f"unsupported reference {ref!r}")
        for token in pointer[1:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            try:
                target = target[int(token)] if isinstance(target, list) else target[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise ValueError(f"unresolvable reference {ref!r}") from None
        return target
