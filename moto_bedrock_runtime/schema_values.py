"""Deterministic JSON values that satisfy a JSON Schema, for the canned engine.

The canned engine answers tool calls and structured-output requests without a model, and
callers validate what it returns (SDKs and agent frameworks check tool inputs against the
tool's schema), so invented values must be valid, reproducible and readable. Every choice
is derived from SHA-256 of the seed, the JSON pointer of the value being built and the
purpose of the choice, so a response is identical on every machine and run. Property names
hint at content ("city" -> "Seattle"), so values look like data rather than noise.

Generation is checked by a compact built-in validator and retried with other choices when
combinators (oneOf, not, contains, ...) are not met, so no third-party package is needed.
Work is bounded: hostile or unsatisfiable schemas get a best-effort value, never an error.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import ipaddress
import itertools
import json
import math
import re
import string
import uuid
from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction
from typing import Any
from urllib.parse import unquote

_DEEP = 4  # past this depth values stop growing: required members only, cheapest branches
_VERY_DEEP = 6  # past this, null and scalar types win so recursive schemas terminate
_MAX_DEPTH = 32  # hard stop for schemas that demand infinite nesting
_ATTEMPTS = 8  # candidates tried for one value before settling for a best-effort one
_FULL = 300  # values generated before optional members stop being added (keeps output small)
_BUDGET = 2000  # values generated before retries stop; at twice this, generation stops
_MAX_ITEMS = 1000  # cap on minItems/minProperties honoured, to bound work and memory
_MAX_LENGTH = 100_000  # cap on generated string length for the same reason
_SEARCH_LIMIT = 20_000  # strings the last-resort pattern search may try
_VALID_DEPTH = 100  # validator recursion limit; also breaks $ref cycles such as a -> b -> a

_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
_CHEAP_ORDER = ("null", "boolean", "integer", "number", "string", "array", "object")
_TYPE_KEYWORDS = (
    ("object", ("properties", "required", "patternProperties", "additionalProperties",
                "minProperties", "maxProperties", "propertyNames", "dependentRequired")),
    ("array", ("items", "prefixItems", "additionalItems", "minItems", "maxItems",
               "uniqueItems", "contains")),
    ("string", ("minLength", "maxLength", "pattern", "format")),
    ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
)  # fmt: skip

_STRING_WORDS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("city", "town"): ("Seattle", "Portland", "Austin", "Denver", "Boston", "Chicago",
                       "Paris", "Tokyo", "Berlin", "Toronto"),
    ("country",): ("United States", "Canada", "France", "Japan", "Germany", "Brazil", "India"),
    ("countrycode",): ("US", "CA", "FR", "JP", "DE", "BR"),
    ("state", "province"): ("Washington", "California", "Texas", "Oregon", "New York"),
    ("location", "place", "destination", "origin", "venue"): (
        "Seattle, WA", "Portland, OR", "Austin, TX", "Paris, France", "Tokyo, Japan"),
    ("address",): ("123 Main St, Seattle, WA 98101", "500 Market St, San Francisco, CA 94105",
                   "42 Elm Ave, Austin, TX 78701"),
    ("street",): ("123 Main St", "500 Market St", "42 Elm Ave", "7 Pine Rd"),
    ("zip", "zipcode", "postal", "postalcode", "postcode"): ("98101", "94105", "78701", "10001"),
    ("name", "fullname", "author", "owner", "customer", "person", "contact", "assignee"): (
        "Alice Johnson", "Bob Smith", "Carol Diaz", "David Lee", "Emma Brown", "Frank Miller"),
    ("firstname", "givenname"): ("Alice", "Bob", "Carol", "David", "Emma", "Frank"),
    ("lastname", "surname", "familyname"): ("Johnson", "Smith", "Diaz", "Lee", "Brown"),
    ("username", "user", "login", "handle"): ("alice", "bob_smith", "carol.d", "dlee"),
    ("phone", "telephone", "mobile", "phonenumber"): ("+14155550123", "+12065550188",
                                                       "+442079460958"),
    ("title", "subject", "headline"): ("Quarterly Report", "Getting Started", "Team Sync Notes",
                                       "Project Roadmap"),
    ("description", "summary", "text", "content", "body", "message", "comment", "note",
     "notes", "reason", "details", "instructions", "answer", "response"): (
        "A short example description.", "Everything is on track for the next release.",
        "Please review the attached summary.", "Lightweight and durable for everyday use."),
    ("query", "q", "search", "keyword", "keywords", "term", "topic"): (
        "weather in Seattle", "best hiking trails", "quarterly revenue report",
        "wireless headphones"),
    ("prompt", "question"): ("What is the weather like today?", "How do I reset my password?"),
    ("unit", "units"): ("celsius", "fahrenheit"),
    ("currency", "currencycode"): ("USD", "EUR", "GBP", "JPY"),
    ("language",): ("English", "Spanish", "French", "German"),
    ("lang",): ("en", "es", "fr", "de"),
    ("locale",): ("en-US", "fr-FR", "de-DE", "ja-JP"),
    ("color", "colour"): ("blue", "green", "red", "black"),
    ("status",): ("active", "pending", "completed"),
    ("category", "type", "kind"): ("general", "standard", "premium"),
    ("tag", "label"): ("urgent", "featured", "new", "sale"),
    ("company", "companyname", "organization", "organisation", "org", "employer", "vendor"): (
        "Acme Corp", "Globex", "Initech", "Umbrella Inc"),
    ("product", "item", "productname", "itemname"): ("Wireless Mouse", "USB-C Cable",
                                                      "Desk Lamp", "Notebook"),
    ("role", "job", "position", "occupation"): ("engineer", "designer", "manager", "analyst"),
    ("department", "team"): ("Engineering", "Marketing", "Sales", "Finance"),
    ("card", "cardnumber", "creditcard"): ("4111111111111111", "5555555555554444"),
    ("password", "passphrase"): ("S3cure!Passw0rd", "Tr0ub4dor&3x"),
    ("token", "secret", "apikey", "key"): ("tok_3f9a2c7b", "tok_8e1d4b6a", "tok_5c0f9e2d"),
    ("path", "filepath", "directory", "folder", "dir"): ("/home/user/report.txt",
                                                         "docs/readme.md", "data/input.csv"),
    ("file", "filename", "attachment"): ("report.pdf", "notes.txt", "data.csv"),
    ("version",): ("1.0.0", "2.3.1", "0.9.4"),
    ("symbol", "ticker", "stock"): ("AMZN", "AAPL", "MSFT", "GOOG"),
    ("airport", "airportcode"): ("SEA", "JFK", "LAX", "SFO"),
    ("method",): ("GET", "POST"),
    ("format", "extension"): ("json", "csv", "pdf"),
    ("sort", "order", "direction", "sortorder"): ("asc", "desc"),
    ("timezone", "tz"): ("America/Los_Angeles", "Europe/Paris", "Asia/Tokyo", "UTC"),
    ("region",): ("us-east-1", "us-west-2", "eu-west-1"),
    ("priority", "severity", "level"): ("high", "medium", "low"),
    ("genre",): ("jazz", "rock", "classical"),
    ("code", "sku", "reference", "ref"): ("ABC123", "XYZ789", "QRS456"),
    ("day", "weekday", "dayofweek"): ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    ("month",): ("January", "April", "July", "October"),
    ("image", "photo", "avatar", "picture", "thumbnail"): (
        "https://example.com/images/photo.jpg", "https://example.com/images/avatar.png"),
}  # fmt: skip
_WORDS = {alias: values for aliases, values in _STRING_WORDS.items() for alias in aliases}
_GENERIC = ("example", "sample", "alpha", "demo", "default", "standard")
_FILLER = ("sample", "text", "for", "testing")
_NAMES = ("alice", "bob", "carol", "david", "emma", "frank", "grace", "henry")
_URLS = ("https://example.com", "https://example.com/docs/getting-started",
         "https://api.example.com/v1/items/42", "https://www.example.org/about")  # fmt: skip
_REFERENCES = ("/docs/getting-started", "/api/v1/items/42", "../images/logo.png")
_HOSTS = ("api.example.com", "www.example.org", "mail.example.net", "example.com")
_DURATIONS = ("P1D", "PT15M", "PT2H30M", "P3DT4H", "P2W", "PT45S")
_COMMON = ("example", "a", "A", "0", "1", "abc", "ABC", "abc123", "A1b2C3", "Passw0rd!",
           "user@example.com", "https://example.com", "2024-01-01", "ABC-1234")  # fmt: skip

_HINT_FORMATS = {
    "email": "email", "mail": "email", "emailaddress": "email",
    "url": "uri", "uri": "uri", "link": "uri", "website": "uri", "homepage": "uri",
    "href": "uri", "endpoint": "uri", "webhook": "uri",
    "date": "date", "birthday": "date", "birthdate": "date", "dob": "date",
    "datetime": "date-time", "timestamp": "date-time", "time": "date-time", "at": "date-time",
    "deadline": "date-time",
    "uuid": "uuid", "guid": "uuid",
    "ip": "ipv4", "ipaddress": "ipv4", "ipv4": "ipv4", "ipv6": "ipv6",
    "host": "hostname", "hostname": "hostname", "domain": "hostname",
    "duration": "duration", "regex": "regex",
}  # fmt: skip

# name -> (preferred low, preferred high, decimal step for non-integers)
_NUMBER_WORDS: dict[tuple[str, ...], tuple[int, int, Fraction]] = {
    ("age",): (18, 80, Fraction(1)),
    ("year",): (2000, 2025, Fraction(1)),
    ("month",): (1, 12, Fraction(1)),
    ("day",): (1, 28, Fraction(1)),
    ("hour", "hours"): (0, 23, Fraction(1)),
    ("minute", "minutes", "second", "seconds"): (0, 59, Fraction(1)),
    ("temperature", "temp"): (-5, 35, Fraction(1, 10)),
    ("latitude", "lat"): (-60, 70, Fraction(1, 10_000)),
    ("longitude", "lon", "lng", "long"): (-170, 170, Fraction(1, 10_000)),
    ("price", "amount", "cost", "total", "budget", "balance", "fee", "subtotal"): (
        5, 500, Fraction(1, 100)),
    ("rating", "stars"): (1, 5, Fraction(1, 2)),
    ("score", "percent", "percentage", "progress"): (0, 100, Fraction(1, 10)),
    ("probability", "confidence", "ratio", "threshold"): (0, 1, Fraction(1, 100)),
    ("count", "quantity", "qty", "limit", "size", "page", "results", "num", "top", "k",
     "guests", "people", "adults", "rooms", "nights", "days", "retries", "attempts"): (
        1, 10, Fraction(1)),
    ("radius", "distance", "miles", "km"): (1, 50, Fraction(1, 10)),
    ("timeout",): (5, 60, Fraction(1)),
    ("port",): (1024, 9000, Fraction(1)),
    ("zoom",): (1, 20, Fraction(1)),
    ("tokens", "maxtokens"): (64, 1024, Fraction(1)),
}  # fmt: skip
# words that mark the low or early end of a range, and the high or late end
_STARTS = {"start", "from", "begin", "since", "min", "minimum", "lowest", "earliest", "after",
           "departure", "checkin", "open", "opens"}  # fmt: skip
_ENDS = {"end", "to", "until", "max", "maximum", "highest", "latest", "before", "return",
         "checkout", "due", "expiry", "expires", "close", "closes"}  # fmt: skip
_NUMBERS = {alias: value for aliases, value in _NUMBER_WORDS.items() for alias in aliases}

_Node = tuple[Any, ...]
_PRINTABLE = "".join(chr(code) for code in range(32, 127))
_SPACE = " \t\n\r\f\v"
_WORD = string.ascii_letters + string.digits + "_"
_CLASS_ESCAPES = {
    "d": string.digits,
    "D": "".join(c for c in _PRINTABLE if c not in string.digits),
    "w": _WORD,
    "W": "".join(c for c in _PRINTABLE if c not in _WORD),
    "s": _SPACE,
    "S": _PRINTABLE.replace(" ", ""),
}
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0", "a": "\a"}
_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")
_EMPTY: _Node = ("empty",)
_TIME = r"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)"
_MISSING = object()


def value_for_schema(schema: Mapping[str, Any], seed: str) -> Any:
    """A JSON value valid against `schema`, derived deterministically from `seed`.

    Never raises: schemas come from callers, so a malformed or unsatisfiable one gets a
    best-effort value rather than failing the emulated request.
    """
    try:
        return _Generator(schema, str(seed)).value()
    except Exception:  # the contract is "never raise", e.g. RecursionError on absurd nesting
        return "example"


class _Generator:
    """One generation run: the root document (for $ref), the seed and a work budget."""

    def __init__(self, root: Any, seed: str) -> None:
        self._root = root
        self._seed = seed
        self._made = 0
        self._ids: dict[str, Any] | None = None
        self._searched: dict[tuple[str, int, int | None], str | None] = {}

    def value(self) -> Any:
        return self._gen(self._root, "", 0, "", 0)

    # Choices -----------------------------------------------------------------------------

    def _pick(self, path: str, label: str, n: int) -> int:
        """A number in [0, n) fixed by the seed, the value's location and the choice's purpose."""
        if n <= 1:
            return 0
        data = f"{self._seed}\x00{path}\x00{label}".encode("utf-8", "surrogatepass")
        return int.from_bytes(hashlib.sha256(data).digest(), "big") % n

    def _picker(self, path: str, label: str) -> Callable[[int], int]:
        """A stream of choices, for generators (regex) that make many in sequence."""
        counter = itertools.count()
        return lambda n: self._pick(path, f"{label}.{next(counter)}", n)

    # References and allOf ----------------------------------------------------------------

    def _resolve(self, ref: str) -> Any:
        """The schema a $ref points at, or None when it lies outside this document."""
        base, _, fragment = ref.partition("#")
        doc = self._root
        if base and not (isinstance(doc, Mapping) and doc.get("$id") == base):
            doc = self._index().get(base)
            if doc is None:
                return None
        fragment = unquote(fragment)
        if not fragment:
            return doc
        if not fragment.startswith("/"):
            return self._index().get("#" + fragment)
        node = doc
        for part in fragment[1:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node

    def _index(self) -> dict[str, Any]:
        """Subschemas by $id (and its last segment) and by #anchor, collected once per run."""
        if self._ids is None:
            self._ids = {}
            stack = [self._root]
            while stack:
                node = stack.pop()
                if isinstance(node, Mapping):
                    ident = node.get("$id")
                    if isinstance(ident, str):
                        self._ids.setdefault(ident, node)
                        self._ids.setdefault(ident.rsplit("/", 1)[-1], node)
                    for key in ("$anchor", "$dynamicAnchor"):
                        if isinstance(node.get(key), str):
                            self._ids.setdefault("#" + node[key], node)
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)
        return self._ids

    def _flatten(self, schema: Any, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        """One schema with $ref and allOf folded in, so generation sees all constraints."""
        if schema is False:
            return {"not": {}}
        if not isinstance(schema, Mapping):
            return {}
        out: dict[str, Any] = {}
        for key in ("$ref", "$dynamicRef"):
            ref = schema.get(key)
            if isinstance(ref, str) and ref not in seen:
                out = _merge(out, self._flatten(self._resolve(ref), seen | {ref}))
        skip = ("$ref", "$dynamicRef", "allOf")
        out = _merge(out, {key: value for key, value in schema.items() if key not in skip})
        subschemas = schema.get("allOf")
        if isinstance(subschemas, list):
            for sub in subschemas:
                out = _merge(out, self._flatten(sub, seen))
        return out

    # Generation --------------------------------------------------------------------------

    def _gen(self, schema: Any, path: str, depth: int, hint: str, variant: int) -> Any:
        """Generate, check with the validator and retry other choices until the value fits.

        `variant` asks for a different value at the same place (unique array items, parent
        retries); `hint` is the property name that suggests what a string should look like.
        """
        self._made += 1
        if schema is False or depth > _MAX_DEPTH or self._made > 2 * _BUDGET:
            return None
        flat = self._flatten(schema)
        first: Any = None
        for attempt in range(_ATTEMPTS if self._made < _BUDGET else 1):
            value = self._attempt(flat, path, depth, hint, variant, attempt)
            if self._valid(value, schema, 0):
                return value
            if attempt == 0:
                first = value
        return first

    def _attempt(
        self, flat: dict[str, Any], path: str, depth: int, hint: str, variant: int, attempt: int
    ) -> Any:
        """One candidate; later attempts rotate discrete choices and shrink optional parts."""
        turn = variant + attempt
        salt = f"{variant}.{attempt}"
        minimal = depth > _DEEP or attempt >= 2 or self._made > _FULL
        cheap = depth > _VERY_DEEP or self._made > _BUDGET
        flat = self._choose_branches(flat, path, turn, minimal)
        if "const" in flat:
            return copy.deepcopy(flat["const"])
        enum = flat.get("enum")
        if isinstance(enum, list) and enum:
            return self._from_enum(enum, flat, path, turn)
        if attempt == 0 and not minimal:
            example = self._example(flat, path, variant)
            if example is not _MISSING:
                return example
        title = flat.get("title")
        hint = hint or (title if isinstance(title, str) else "")
        types = _types(flat, cheap)
        kind = types[attempt % len(types)]  # not `turn`: a parent's retry keeps non-null first
        if kind == "object":
            return self._object(flat, path, depth, turn, minimal)
        if kind == "array":
            return self._array(flat, path, depth, hint, salt, turn, minimal)
        if kind in ("integer", "number"):
            return self._number(flat, path, hint, salt, kind == "integer")
        if kind == "boolean":
            return (self._pick(path, "boolean", 2) + turn) % 2 == 0
        if kind == "null":
            return None
        return self._string(flat, path, hint, salt)

    def _choose_branches(
        self, flat: dict[str, Any], path: str, turn: int, minimal: bool
    ) -> dict[str, Any]:
        """Fold one oneOf/anyOf branch (or if/then/else arm) into the schema.

        Deep in the value the cheapest branch goes first so recursion ends; elsewhere the seed
        picks. Retries rotate, so a oneOf value matching two branches gets another try.
        """
        for _ in range(_MAX_DEPTH):
            key = next((k for k in ("oneOf", "anyOf") if _nonempty_list(flat.get(k))), None)
            if key is not None:
                options = flat[key]
                order = list(range(len(options)))
                if minimal:
                    order.sort(key=lambda i: self._cost(options[i]))
                start = 0 if minimal else self._pick(path, key, len(options))
                branch = options[order[(start + turn) % len(options)]]
                rest = {k: v for k, v in flat.items() if k != key}
            elif "if" in flat:
                then = turn % 2 == 0
                branch = (
                    {"allOf": [flat["if"], flat.get("then", True)]}
                    if then
                    else flat.get("else", True)
                )
                rest = {k: v for k, v in flat.items() if k not in ("if", "then", "else")}
            else:
                return flat
            flat = _merge(rest, self._flatten(branch))
        return flat

    def _cost(self, schema: Any) -> int:
        """How much a branch makes a value grow; null and scalars are cheapest."""
        flat = self._flatten(schema)
        if "const" in flat or "enum" in flat:
            return 0
        kind = _types(flat, cheap=True)[0]
        if kind in ("null", "boolean", "integer", "number", "string"):
            return 0 if kind == "null" else 1
        if kind == "array":
            return 2 + _count(flat.get("minItems"), 0)
        return 2 + len(_unique_strings(flat.get("required")))

    def _from_enum(self, options: list[Any], flat: dict[str, Any], path: str, turn: int) -> Any:
        """An enum member that also fits the other keywords; non-null members first."""
        rest = {key: value for key, value in flat.items() if key != "enum"}
        fitting = [option for option in options if self._valid(option, rest, 0)] or options
        preferred = [option for option in fitting if option is not None] or fitting
        index = (self._pick(path, "enum", len(preferred)) + turn) % len(preferred)
        return copy.deepcopy(preferred[index])

    def _example(self, flat: dict[str, Any], path: str, variant: int) -> Any:
        """A valid `examples` entry or scalar `default`: the schema author's realistic values.

        Container defaults are skipped: `{}` or `[]` is valid but shows nothing.
        """
        pool = list(flat["examples"]) if isinstance(flat.get("examples"), list) else []
        if "default" in flat and not isinstance(flat["default"], (Mapping, list)):
            pool.append(flat["default"])
        fitting = [value for value in pool if self._valid(value, flat, 0)]
        if not fitting:
            return _MISSING
        index = (self._pick(path, "example", len(fitting)) + variant) % len(fitting)
        return copy.deepcopy(fitting[index])

    def _object(
        self, flat: dict[str, Any], path: str, depth: int, turn: int, minimal: bool
    ) -> dict[str, Any]:
        """Required properties, then optional ones (unless minimal) within maxProperties."""
        props = _mapping(flat.get("properties"))
        patterns = [p for p in _mapping(flat.get("patternProperties")) if isinstance(p, str)]
        extra = flat.get("additionalProperties", True)
        names = flat.get("propertyNames", True)
        low = min(_count(flat.get("minProperties"), 0), _MAX_ITEMS)
        high = _count(flat.get("maxProperties"), None)
        keys = _unique_strings(flat.get("required"))

        def room() -> bool:
            return high is None or len(keys) < high

        def usable(key: str) -> bool:
            return key not in keys and props.get(key) is not False and self._valid(key, names, 0)

        if not minimal:
            for key in props:
                if isinstance(key, str) and room() and usable(key):
                    keys.append(key)
        keys = _with_dependencies(flat, keys)
        if not minimal:
            for pattern in patterns:
                key = next((k for k in self._pattern_keys(pattern, path, turn) if usable(k)), None)
                if key is not None and room():
                    keys.append(key)
        if len(keys) < low:
            for key in self._more_keys(props, patterns, extra, names, path, depth, turn):
                if len(keys) >= low:
                    break
                if usable(key):
                    keys.append(key)
        present = set(keys)
        ordered = [key for key in props if key in present]
        ordered += [key for key in keys if key not in props]
        pattern_schemas = _mapping(flat.get("patternProperties"))
        return {
            key: self._gen(
                _value_schema(props, pattern_schemas, extra, key),
                f"{path}/{key.replace('~', '~0').replace('/', '~1')}",
                depth + 1,
                key,
                turn,
            )
            for key in ordered
        }

    def _pattern_keys(self, pattern: str, path: str, turn: int) -> Iterator[str]:
        return self._pattern_strings(pattern, f"{path}/~{pattern}", f"key{turn}", 0, None)

    def _more_keys(
        self,
        props: Mapping[str, Any],
        patterns: list[str],
        extra: Any,
        names: Any,
        path: str,
        depth: int,
        turn: int,
    ) -> Iterator[str]:
        """Key candidates to reach minProperties: declared names, pattern matches, free names."""
        yield from (key for key in props if isinstance(key, str))
        for pattern in patterns:
            yield from self._pattern_keys(pattern, path, turn)
        if extra is False:
            return
        for n in range(_MAX_ITEMS):
            if isinstance(names, Mapping) and names:
                key = self._gen(names, f"{path}/~propertyNames", depth + 1, "key", turn + n)
                if isinstance(key, str):
                    yield key
            else:
                yield f"key{n + 1}"

    def _array(
        self,
        flat: dict[str, Any],
        path: str,
        depth: int,
        hint: str,
        salt: str,
        turn: int,
        minimal: bool,
    ) -> list[Any]:
        """1-3 items (tuples: one per position), within minItems/maxItems, unique if asked."""
        prefix, rest = _item_schemas(flat)
        low = min(_count(flat.get("minItems"), 0), _MAX_ITEMS)
        high = _count(flat.get("maxItems"), None)
        if rest is False:
            high = len(prefix) if high is None else min(high, len(prefix))
        contains = flat.get("contains")
        need = min(_count(flat.get("minContains"), 1), _MAX_ITEMS) if "contains" in flat else 0
        size = max(low, need)
        if not minimal:
            size = max(size, len(prefix) or 1 + self._pick(path, f"size{salt}", 3))
        if high is not None:
            size = min(size, high)
        unique = flat.get("uniqueItems") is True
        items: list[Any] = []
        seen: set[str] = set()
        for i in range(size):
            sub = prefix[i] if i < len(prefix) else rest
            if i >= size - need:
                sub = {"allOf": [sub, contains]}
            item_path = f"{path}/{i}"
            value = self._gen(sub, item_path, depth + 1, _singular(hint), turn)
            if unique:
                for v in range(1, _ATTEMPTS):
                    if _canon(value) not in seen:
                        break
                    value = self._gen(sub, item_path, depth + 1, _singular(hint), turn + v)
                if _canon(value) in seen and len(items) >= low:
                    break  # no further distinct value: stop at a length that is still valid
                seen.add(_canon(value))
            items.append(value)
        return items

    def _number(
        self, flat: dict[str, Any], path: str, hint: str, salt: str, integer: bool
    ) -> int | float:
        """A multiple of a readable step, in the hint's usual range when bounds allow."""
        lo, lo_open, hi, hi_open = _bounds(flat)
        lo, hi = _frac(lo), _frac(hi)
        multiple = _frac(flat.get("multipleOf"))
        if multiple is not None and multiple <= 0:
            multiple = None
        usual = next(
            (_NUMBERS[key] for key in _hint_keys(hint) if key in _NUMBERS),
            (1, 100, Fraction(1, 10)) if integer else (0, 100, Fraction(1, 10)),
        )
        middle = (usual[0] + usual[1]) // 2  # min_price below max_price, as people expect
        usual = {-1: (usual[0], middle, usual[2]), 1: (middle, usual[1], usual[2])}.get(
            _role(hint), usual
        )
        if integer:  # the integers that are multiples of p/q are the multiples of p
            steps = [Fraction(multiple.numerator) if multiple else Fraction(1)]
        elif multiple:
            steps = [multiple]
        else:
            steps = [usual[2], *(Fraction(1, 10**e) for e in range(1, 10))]
        for step in steps:
            hard = _multipliers(lo, lo_open, hi, hi_open, step)
            window = _window(hard, (math.ceil(usual[0] / step), math.floor(usual[1] / step)))
            if window is None:
                continue
            a, b = window
            chosen = a + self._pick(path, f"number{salt}", b - a + 1)
            for offset in range(64):  # float rounding can break multipleOf or an open bound
                for k in (chosen + offset, chosen - offset):
                    if a <= k <= b and _number_ok(value := _to_number(k * step), flat):
                        return value
        fallback = lo if lo is not None else hi if hi is not None else Fraction(0)
        return _to_number(Fraction(math.ceil(fallback)) if integer else fallback)

    def _string(self, flat: dict[str, Any], path: str, hint: str, salt: str) -> str:
        """Format value, else readable hint text, else a pattern-generated string."""
        low = min(_count(flat.get("minLength"), 0), _MAX_LENGTH)
        high = _count(flat.get("maxLength"), None)
        pattern = flat.get("pattern") if isinstance(flat.get("pattern"), str) else None
        fmt = flat.get("format") if isinstance(flat.get("format"), str) else None

        def fits(text: str) -> bool:
            if len(text) < low or (high is not None and len(text) > high):
                return False
            return pattern is None or _search(pattern, text)

        readable = self._hint_strings(hint, path, salt)
        formatted = self._format_values(fmt, path, salt, hint) if fmt else []
        candidates: Iterator[str] = iter(formatted)
        if pattern is None:
            candidates = itertools.chain(candidates, readable)
        else:
            candidates = itertools.chain(
                candidates,
                _variants(readable),
                self._pattern_strings(pattern, path, salt, low, high),
                _COMMON,
            )
        found = next((text for text in candidates if fits(text)), None)
        if found is None and pattern is not None:
            found = self._search_pattern(pattern, low, high)
        return found if found is not None else _fit(readable[0], low, high)

    def _hint_strings(self, hint: str, path: str, salt: str) -> list[str]:
        """Readable strings for a value named `hint` ("city" -> "Seattle"), best first."""
        start = self._pick(path, f"word{salt}", 1 << 30)
        words = _words(hint)
        for key in _hint_keys(hint):
            if key == "id":
                prefix = words[-2] if len(words) > 1 else "item"
                return [f"{prefix}_{1000 + start % 9000}", f"{prefix}{start % 100}"]
            if key in _HINT_FORMATS:
                return self._format_values(_HINT_FORMATS[key], path, salt, hint)
            if key in _WORDS:
                return _rotate(_WORDS[key], start)
        return _rotate(_GENERIC, start)

    def _format_values(self, fmt: str, path: str, salt: str, hint: str) -> list[str]:
        """Values for a string format: a realistic one first, a shorter one for tight lengths.

        Dates in one value share a seed-wide base week, and start-like names ("start_date",
        "from") fall before end-like ones ("end_date", "to"), so ranges read in order.
        """
        n = self._pick(path, f"format{salt}", 1 << 128)
        offset = {-1: n % 7, 1: 7 + n % 7}.get(_role(hint), n % 14)
        day = datetime.date(2024, 1, 1) + datetime.timedelta(
            days=self._pick("", "base-day", 731) + offset
        )
        clock = f"{8 + n // 731 % 10:02d}:{n // 7310 % 4 * 15:02d}:00"
        name = _NAMES[n % len(_NAMES)]
        host = _HOSTS[n % len(_HOSTS)]
        values = {
            "date": [day.isoformat()],
            "date-time": [f"{day}T{clock}Z"],
            "time": [f"{clock}Z"],
            "email": [f"{name}@example.com", "a@b.co"],
            "idn-email": [f"{name}@example.com", "a@b.co"],
            "uri": [_URLS[n % len(_URLS)], "https://a.co"],
            "iri": [_URLS[n % len(_URLS)], "https://a.co"],
            "uri-reference": [_REFERENCES[n % len(_REFERENCES)], "/a"],
            "iri-reference": [_REFERENCES[n % len(_REFERENCES)], "/a"],
            "uri-template": ["https://example.com/items/{id}"],
            "uuid": [str(uuid.UUID(int=n, version=4))],
            "ipv4": [f"192.0.2.{1 + n % 254}"],
            "ipv6": [f"2001:db8::{1 + n % 0xFFFE:x}"],
            "hostname": [host, "a.io"],
            "idn-hostname": [host, "a.io"],
            "duration": [_DURATIONS[n % len(_DURATIONS)]],
            "regex": ["^[a-z]+$"],
            "json-pointer": ["/items/0", ""],
            "relative-json-pointer": ["0/name", "0"],
            "byte": [base64.b64encode(name.encode()).decode()],
        }
        return values.get(fmt, [])

    def _pattern_strings(
        self, pattern: str, path: str, salt: str, low: int, high: int | None
    ) -> Iterator[str]:
        """Strings built from the pattern's syntax: readable picks, then the shortest, then
        ones stretched to minLength, then picks from whole classes (to meet lookaheads).

        Seeded picks come first so that unique array items and retries get different strings.
        """
        try:
            tree = _RegexParser(pattern).parse()
        except (ValueError, OverflowError):
            return
        shortest = self._write(tree, path, f"{salt}.shortest", True, 0, False)
        deficit = max(0, low - len(shortest or ""))
        plans = [(False, 0, False)] * 4 + [(True, 0, False), (True, deficit, False)]
        plans += [(False, deficit, False)] * 3 + [(False, 0, True)] * 4
        for n, (least, stretch, wide) in enumerate(plans):
            text = self._write(tree, path, f"{salt}.{n}", least, stretch, wide)
            if text is not None:
                yield text
        if shortest is not None and deficit and high is None:  # unanchored end: pad
            yield shortest + "a" * deficit

    def _write(
        self, tree: _Node, path: str, label: str, shortest: bool, stretch: int, wide: bool
    ) -> str | None:
        try:
            return _RegexWriter(self._picker(path, label), shortest, stretch, wide).write(tree)
        except (ValueError, OverflowError):
            return None

    def _search_pattern(self, pattern: str, low: int, high: int | None) -> str | None:
        """Last resort for patterns the generator cannot follow: try short strings in order."""
        key = (pattern, low, high)
        if key not in self._searched:
            self._searched[key] = _search_strings(pattern, low, high)
        return self._searched[key]

    # Validation --------------------------------------------------------------------------

    def _valid(self, value: Any, schema: Any, depth: int) -> bool:
        """Whether `value` satisfies `schema`; unknown keywords and unreadable parts pass."""
        if isinstance(schema, bool):
            return schema
        if not isinstance(schema, Mapping) or depth > _VALID_DEPTH:
            return True

        def ok(instance: Any, sub: Any) -> bool:
            return self._valid(instance, sub, depth + 1)

        for key in ("$ref", "$dynamicRef"):
            ref = schema.get(key)
            if isinstance(ref, str):
                target = self._resolve(ref)
                if target is not None and target is not schema and not ok(value, target):
                    return False
        enum = schema.get("enum")
        checks = (
            _type_ok(value, schema),
            "const" not in schema or _same(value, schema["const"]),
            not isinstance(enum, list) or any(_same(value, member) for member in enum),
        )
        if not all(checks):
            return False
        if isinstance(value, str) and not _string_ok(value, schema):
            return False
        if _is_number(value) and not _number_ok(value, schema):
            return False
        if isinstance(value, list) and not _array_ok(value, schema, ok):
            return False
        if isinstance(value, Mapping) and not _object_ok(value, schema, ok):
            return False
        return _combinators_ok(value, schema, ok)


class _RegexParser:
    """Parses the regex subset schema patterns use into a small tree for _RegexWriter.

    Nodes: ("chars", readable pool, full pool), ("seq", nodes), ("alt", nodes),
    ("rep", node, min, max or None), ("group", node, number or None), ("backref", number) and
    ("empty",) for anchors, word boundaries and lookarounds (they constrain, not produce).
    Anything else raises ValueError, and callers fall back to searching.
    """

    def __init__(self, pattern: str) -> None:
        self._text = pattern
        self._pos = 0
        self._groups = 0
        self._names: dict[str, int] = {}

    def parse(self) -> _Node:
        node = self._alternation()
        if self._pos != len(self._text):
            raise ValueError("unbalanced parenthesis")
        return node

    def _peek(self, ahead: int = 0) -> str:
        index = self._pos + ahead
        return self._text[index] if index < len(self._text) else ""

    def _next(self) -> str:
        if self._pos >= len(self._text):
            raise ValueError("unexpected end of pattern")
        self._pos += 1
        return self._text[self._pos - 1]

    def _until(self, stop: str) -> str:
        end = self._text.find(stop, self._pos)
        if end < 0:
            raise ValueError(f"missing {stop}")
        text, self._pos = self._text[self._pos : end], end + 1
        return text

    def _alternation(self) -> _Node:
        branches = [self._sequence()]
        while self._peek() == "|":
            self._pos += 1
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def _sequence(self) -> _Node:
        items = []
        while self._peek() not in ("", "|", ")"):
            items.append(self._quantified(self._atom()))
        return ("seq", items)

    def _atom(self) -> _Node:
        char = self._next()
        if char == "(":
            return self._group()
        if char == "[":
            return _chars(self._class())
        if char == ".":
            return _chars(_PRINTABLE)
        if char in "^$":
            return _EMPTY
        if char == "\\":
            return self._escape()
        if char in "*+?":
            raise ValueError("nothing to repeat")
        return _chars(char)

    def _quantified(self, atom: _Node) -> _Node:
        char = self._peek()
        match = _BRACES.match(self._text, self._pos) if char == "{" else None
        if char in ("?", "*", "+"):
            self._pos += 1
            low, high = {"?": (0, 1), "*": (0, None), "+": (1, None)}[char]
        elif match and (match[1] or match[3]):
            self._pos = match.end()
            low = int(match[1] or 0)
            high = int(match[3]) if match[3] else (None if match[2] else low)
        else:
            return atom
        if self._peek() in ("?", "+"):  # lazy or possessive: same strings match
            self._pos += 1
        if high is not None and high < low:
            raise ValueError("bad repeat interval")
        return atom if atom is _EMPTY else ("rep", atom, low, high)

    def _group(self) -> _Node:
        number = None
        lookaround = False
        if self._peek() == "?":
            self._pos += 1
            head = self._next()
            if head in "=!":
                lookaround = True
            elif head == "<" and self._peek() in ("=", "!"):
                self._pos += 1
                lookaround = True
            elif head == "P" and self._peek() == "=":
                self._pos += 1
                return ("backref", self._names.get(self._until(")"), 0))
            elif head in "<P":
                if head == "P" and self._next() != "<":
                    raise ValueError("bad named group")
                self._groups += 1
                number = self._names[self._until(">")] = self._groups
            elif head not in ":>":  # (?>...) is atomic; (?i) or (?i:...) are inline flags
                while head not in (":", ")"):
                    if not (head.isalpha() or head == "-"):
                        raise ValueError("unsupported group")
                    head = self._next()
                if head == ")":
                    return _EMPTY
        else:
            self._groups += 1
            number = self._groups
        inner = self._alternation()
        if self._next() != ")":
            raise ValueError("unbalanced parenthesis")
        return _EMPTY if lookaround else ("group", inner, number)

    def _escape(self) -> _Node:
        char = self._next()
        if char in "bBAZzG":
            return _EMPTY
        if char in "123456789":
            while self._peek().isdigit():
                char += self._next()
            return ("backref", int(char))
        if char == "k" and self._peek() == "<":
            self._pos += 1
            return ("backref", self._names.get(self._until(">"), 0))
        return _chars(self._escaped(char))

    def _escaped(self, char: str) -> str:
        """The characters an escape stands for, e.g. \\d -> digits, \\x41 -> A."""
        if char in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[char]
        if char in "pP":  # Unicode properties: letters or digits are enough to generate
            if self._peek() == "{":
                self._pos += 1
                name = self._until("}")
            else:
                name = self._next()
            digits = name.startswith("N") != (char == "P")
            return string.digits if digits else string.ascii_letters
        if char == "x":
            return chr(int(self._take(2), 16))
        if char == "u":
            if self._peek() == "{":
                self._pos += 1
                return chr(int(self._until("}"), 16))
            return chr(int(self._take(4), 16))
        if char == "c":
            return chr(ord(self._next()) % 32)
        return _SIMPLE_ESCAPES.get(char, char)

    def _take(self, count: int) -> str:
        text = self._text[self._pos : self._pos + count]
        if len(text) != count:
            raise ValueError("truncated escape")
        self._pos += count
        return text

    def _class(self) -> str:
        """The characters a [...] class allows (negated classes against printable ASCII)."""
        negate = self._peek() == "^"
        if negate:
            self._pos += 1
        members: list[str] = []
        first = True
        while (char := self._next()) != "]" or first:
            first = False
            start = self._class_member(char)
            if len(start) == 1 and self._peek() == "-" and self._peek(1) not in ("]", ""):
                self._pos += 1
                end = self._class_member(self._next())
                if len(end) != 1 or end < start:
                    raise ValueError("bad character range")
                members.append(_span(start, end))
            else:
                members.append(start)
        chars = "".join(dict.fromkeys("".join(members)))
        if negate:
            chars = "".join(c for c in _PRINTABLE if c not in chars)
        if not chars:
            raise ValueError("empty character class")
        return chars

    def _class_member(self, char: str) -> str:
        if char != "\\":
            return char
        char = self._next()
        return "\b" if char == "b" else self._escaped(char)


class _RegexWriter:
    """Writes one string matching a parsed pattern.

    `shortest` takes minimum repeats and first alternatives, `stretch` adds repeats to reach
    minLength, `wide` draws from whole classes instead of their readable part.
    """

    def __init__(self, pick: Callable[[int], int], shortest: bool, stretch: int, wide: bool):
        self._pick = pick
        self._shortest = shortest
        self._stretch = stretch
        self._wide = wide
        self._groups: dict[int, str] = {}

    def write(self, node: _Node) -> str:
        kind = node[0]
        if kind == "chars":
            pool = node[2] if self._wide else node[1]
            return pool[self._pick(len(pool))]
        if kind == "seq":
            return "".join(self.write(child) for child in node[1])
        if kind == "alt":
            return self.write(node[1][0 if self._shortest else self._pick(len(node[1]))])
        if kind == "rep":
            parts: list[str] = []
            size = 0
            for _ in range(self._repeats(node[2], node[3])):
                parts.append(self.write(node[1]))
                size += len(parts[-1])
                if size > _MAX_LENGTH:  # nested repeats such as (a{1000}){1000}
                    raise ValueError("pattern string too long")
            return "".join(parts)
        if kind == "group":
            text = self.write(node[1])
            if node[2] is not None:
                self._groups[node[2]] = text
            return text
        if kind == "backref":
            return self._groups.get(node[1], "")
        return ""

    def _repeats(self, low: int, high: int | None) -> int:
        extra = 0
        if not self._shortest:
            extra = self._pick(min(3, high - low if high is not None else 3) + 1)
            if high is None and low == 0:
                extra = max(extra, 1)  # "x*" reads better as "xx" than as nothing
        count = low + extra + self._stretch
        count = count if high is None else min(count, high)
        if count > _MAX_LENGTH:
            raise ValueError("repeat too large")
        return count


# Helpers ---------------------------------------------------------------------------------


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """allOf in one schema as far as keywords combine; the validator checks the rest."""
    out = dict(base)
    for key, value in extra.items():
        if key not in out:
            out[key] = value
            continue
        current = out[key]
        both_maps = isinstance(current, Mapping) and isinstance(value, Mapping)
        both_lists = isinstance(current, list) and isinstance(value, list)
        both_numbers = _finite(current) and _finite(value)
        if key in ("properties", "patternProperties", "dependentSchemas") and both_maps:
            merged = dict(current)
            for name, sub in value.items():
                merged[name] = {"allOf": [merged[name], sub]} if name in merged else sub
            out[key] = merged
        elif key == "required" and both_lists:
            out[key] = current + [name for name in value if name not in current]
        elif key == "type":
            out[key] = _intersect_types(current, value)
        elif key == "enum" and both_lists:
            out[key] = [member for member in current if any(_same(member, v) for v in value)]
        elif key in ("anyOf", "oneOf") and both_lists:  # (A1|A2) and (B1|B2): pairs of both
            out[key] = [{"allOf": [a, b]} for a in current for b in value]
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties",
                     "minContains") and both_numbers:  # fmt: skip
            out[key] = max(current, value)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties",
                     "maxContains") and both_numbers:  # fmt: skip
            out[key] = min(current, value)
        elif key == "multipleOf" and both_numbers and current > 0 and value > 0:
            a, b = _frac(current), _frac(value)
            top, bottom = math.lcm(a.numerator, b.numerator), math.gcd(a.denominator, b.denominator)
            out[key] = _to_number(Fraction(top, bottom))
        elif key in ("items", "additionalItems", "additionalProperties", "contains",
                     "propertyNames"):  # fmt: skip
            out[key] = {"allOf": [current, value]}
        elif key == "not":
            out[key] = {"anyOf": [current, value]}
        elif key == "uniqueItems":
            out[key] = current is True or value is True
    return out


def _type_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return None


def _intersect_types(current: Any, value: Any) -> Any:
    a, b = _type_list(current), _type_list(value)
    if a is None or b is None:
        return value if a is None else current
    both = [t for t in a if t in b or (t == "integer" and "number" in b)]
    both += [t for t in b if t == "integer" and "number" in a and t not in both]
    return both or current


def _types(flat: Mapping[str, Any], cheap: bool) -> list[str]:
    """Types the value may take, preferred first: non-null, or cheapest when recursion must end."""
    types = list(dict.fromkeys(t for t in _type_list(flat.get("type")) or () if t in _TYPES))
    if not types:
        types = [kind for kind, words in _TYPE_KEYWORDS if any(w in flat for w in words)]
        types = types or ["string"]
    if flat.get("nullable") is True and "null" not in types:
        types.append("null")
    if cheap:
        return sorted(types, key=_CHEAP_ORDER.index)
    return sorted(types, key=lambda t: t == "null")


def _item_schemas(schema: Mapping[str, Any]) -> tuple[list[Any], Any]:
    """(positional schemas, schema for the other items) for 2020-12 and draft-07 spellings."""
    prefix = schema.get("prefixItems")
    items = schema.get("items", True)
    if isinstance(prefix, list):
        return prefix, True if isinstance(items, list) else items
    if isinstance(items, list):
        return items, schema.get("additionalItems", True)
    return [], items


def _value_schema(
    props: Mapping[str, Any], patterns: Mapping[str, Any], extra: Any, key: str
) -> Any:
    """What a property's value must satisfy: its declaration, matching patterns, or the rest."""
    parts = [props[key]] if key in props else []
    parts += [sub for pattern, sub in patterns.items() if _search(pattern, key)]
    if not parts:
        return extra
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _with_dependencies(flat: Mapping[str, Any], keys: list[str]) -> list[str]:
    """Add the properties that dependentRequired (draft-07: dependencies) demand."""
    rules: dict[str, list[str]] = {}
    for keyword in ("dependencies", "dependentRequired"):
        for key, needed in _mapping(flat.get(keyword)).items():
            rules.setdefault(key, []).extend(_unique_strings(needed))
    out = list(keys)
    for key in out:  # grows while iterating, so dependencies of dependencies are covered
        out.extend(name for name in rules.get(key, ()) if name not in out)
    return out


def _multipliers(
    lo: Fraction | None, lo_open: bool, hi: Fraction | None, hi_open: bool, step: Fraction
) -> tuple[int | None, int | None]:
    """Smallest and largest k with k * step inside the (possibly open) bounds."""
    low = high = None
    if lo is not None:
        low = math.floor(lo / step) + 1 if lo_open else math.ceil(lo / step)
    if hi is not None:
        high = math.ceil(hi / step) - 1 if hi_open else math.floor(hi / step)
    return low, high


def _window(hard: tuple[int | None, int | None], usual: tuple[int, int]) -> tuple[int, int] | None:
    """Multipliers to pick from: the usual range where it overlaps the bounds enough to give
    some choice (unique items need it), else a stretch next to a bound."""
    low, high = hard
    a = usual[0] if low is None else max(usual[0], low)
    b = usual[1] if high is None else min(usual[1], high)
    choices = math.inf if low is None or high is None else high - low + 1
    if b - a + 1 >= min(10, choices):
        return a, b
    span = max(usual[1] - usual[0], 10)
    if low is not None:
        a, b = low, low + span if high is None else min(high, low + span)
    elif high is not None:
        a, b = high - span, high
    else:  # a step too coarse for the usual range, e.g. multipleOf 1000
        b = a + 9
    return (a, b) if a <= b else None


def _bounds(schema: Mapping[str, Any]) -> tuple[Any, bool, Any, bool]:
    """(low, low exclusive, high, high exclusive), from draft-04 boolean or numeric forms."""
    result: list[Any] = []
    for inclusive, exclusive, stricter in (
        ("minimum", "exclusiveMinimum", max),
        ("maximum", "exclusiveMaximum", min),
    ):
        bound = schema.get(inclusive) if _finite(schema.get(inclusive)) else None
        flag = schema.get(exclusive)
        if flag is True and bound is not None:
            result += [bound, True]
        elif _finite(flag) and (bound is None or stricter(flag, bound) == flag):
            result += [flag, True]
        else:
            result += [bound, False]
    return result[0], result[1], result[2], result[3]


def _number_ok(value: Any, schema: Mapping[str, Any]) -> bool:
    lo, lo_open, hi, hi_open = _bounds(schema)
    if lo is not None and (value < lo or (lo_open and value == lo)):
        return False
    if hi is not None and (value > hi or (hi_open and value == hi)):
        return False
    multiple = schema.get("multipleOf")
    if not _finite(multiple) or multiple <= 0:
        return True
    if isinstance(multiple, float):  # the float test jsonschema applies, rounding and all
        try:
            quotient = value / multiple
            return int(quotient) == quotient
        except OverflowError:
            return (Fraction(value) / Fraction(multiple)).denominator == 1
    return value % multiple == 0


def _string_ok(text: str, schema: Mapping[str, Any]) -> bool:
    high = _count(schema.get("maxLength"), None)
    if len(text) < _count(schema.get("minLength"), 0) or (high is not None and len(text) > high):
        return False
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _search(pattern, text):
        return False
    fmt = schema.get("format")
    check = _FORMAT_CHECKS.get(fmt) if isinstance(fmt, str) else None
    return check is None or check(text)


def _array_ok(items: list[Any], schema: Mapping[str, Any], ok: Callable[[Any, Any], bool]) -> bool:
    prefix, rest = _item_schemas(schema)
    if not all(ok(item, sub) for item, sub in zip(items, prefix, strict=False)):
        return False
    if not all(ok(item, rest) for item in items[len(prefix) :]):
        return False
    high = _count(schema.get("maxItems"), None)
    if len(items) < _count(schema.get("minItems"), 0) or (high is not None and len(items) > high):
        return False
    if schema.get("uniqueItems") is True and len({_canon(item) for item in items}) != len(items):
        return False
    if "contains" in schema:
        hits = sum(1 for item in items if ok(item, schema["contains"]))
        most = _count(schema.get("maxContains"), None)
        if hits < _count(schema.get("minContains"), 1) or (most is not None and hits > most):
            return False
    return True


def _object_ok(
    obj: Mapping[str, Any], schema: Mapping[str, Any], ok: Callable[[Any, Any], bool]
) -> bool:
    props = _mapping(schema.get("properties"))
    patterns = _mapping(schema.get("patternProperties"))
    for key, value in obj.items():
        if not ok(
            value, _value_schema(props, patterns, schema.get("additionalProperties", True), key)
        ):
            return False
        if "propertyNames" in schema and not ok(key, schema["propertyNames"]):
            return False
    if any(key not in obj for key in _unique_strings(schema.get("required"))):
        return False
    high = _count(schema.get("maxProperties"), None)
    if len(obj) < _count(schema.get("minProperties"), 0) or (high is not None and len(obj) > high):
        return False
    for keyword in ("dependentRequired", "dependencies", "dependentSchemas"):
        for key, needed in _mapping(schema.get(keyword)).items():
            if key not in obj:
                continue
            if isinstance(needed, list):
                if any(name not in obj for name in _unique_strings(needed)):
                    return False
            elif not ok(obj, needed):
                return False
    return True


def _combinators_ok(value: Any, schema: Mapping[str, Any], ok: Callable[[Any, Any], bool]) -> bool:
    all_of, any_of, one_of = (schema.get(k) for k in ("allOf", "anyOf", "oneOf"))
    if isinstance(all_of, list) and not all(ok(value, sub) for sub in all_of):
        return False
    if _nonempty_list(any_of) and not any(ok(value, sub) for sub in any_of):
        return False
    if _nonempty_list(one_of) and sum(1 for sub in one_of if ok(value, sub)) != 1:
        return False
    if "not" in schema and ok(value, schema["not"]):
        return False
    if "if" in schema:
        arm = schema.get("then", True) if ok(value, schema["if"]) else schema.get("else", True)
        return ok(value, arm)
    return True


def _type_ok(value: Any, schema: Mapping[str, Any]) -> bool:
    types = [t for t in _type_list(schema.get("type")) or () if t in _TYPES]
    if not types:
        return True
    if schema.get("nullable") is True:  # OpenAPI 3.0: widens a declared type
        types.append("null")
    return any(_is_type(value, kind) for kind in types)


def _is_integer(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "null": lambda value: value is None,
    "boolean": lambda value: isinstance(value, bool),
    "string": lambda value: isinstance(value, str),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, Mapping),
    "integer": _is_integer,
    "number": lambda value: _is_number(value),
}


def _is_type(value: Any, kind: str) -> bool:
    return _TYPE_CHECKS[kind](value)


def _parses(parser: Callable[[str], Any]) -> Callable[[str], bool]:
    def check(text: str) -> bool:
        try:
            parser(text)
        except (ValueError, re.error):
            return False
        return True

    return check


def _date_ok(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None and _parses(
        datetime.date.fromisoformat
    )(text)


_FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "date": _date_ok,
    "date-time": lambda t: (
        re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]" + _TIME, t) is not None and _date_ok(t[:10])
    ),
    "time": lambda t: re.fullmatch(_TIME, t) is not None,
    "email": lambda t: "@" in t,
    "idn-email": lambda t: "@" in t,
    "ipv4": _parses(ipaddress.IPv4Address),
    "ipv6": _parses(ipaddress.IPv6Address),
    "uuid": lambda t: (
        re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", t) is not None
    ),
    "uri": lambda t: re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S*", t) is not None,
    "regex": _parses(re.compile),
}


def _search(pattern: Any, text: str) -> bool:
    """re.search, as jsonschema applies `pattern`; a pattern Python cannot compile passes."""
    try:
        return re.search(pattern, text) is not None
    except (re.error, TypeError, OverflowError, RecursionError):
        return True


def _search_strings(pattern: str, low: int, high: int | None) -> str | None:
    """Short strings over the pattern's own literal characters, tried in order."""
    try:
        regex = re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    alphabet = sorted({c for c in pattern if c.isalnum() or c in "@.:/+-_ "} | set("aA0"))
    top = low + 4 if high is None else min(high, low + 4)
    tries = 0
    for size in range(low, top + 1):
        for chars in itertools.product(alphabet, repeat=size):
            tries += 1
            if tries > _SEARCH_LIMIT:
                return None
            if regex.search(text := "".join(chars)):
                return text
    return None


def _chars(pool: str) -> _Node:
    return ("chars", _readable(pool), pool)


def _readable(pool: str) -> str:
    """The friendliest part of a character pool: letters for broad classes, space for \\s."""
    if " " in pool and set(pool) <= set(_SPACE):
        return " "
    if len(pool) <= 26:
        return pool
    for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
        subset = "".join(c for c in pool if c in group)
        if subset:
            return subset
    return pool


def _span(start: str, end: str) -> str:
    """A class range; huge Unicode ranges are cut to their printable ASCII part."""
    low, high = ord(start), ord(end)
    if high - low > 256:
        ascii_part = "".join(chr(c) for c in range(max(low, 32), min(high, 126) + 1))
        return ascii_part or "".join(chr(c) for c in range(low, low + 256))
    return "".join(chr(c) for c in range(low, high + 1))


def _words(hint: str) -> list[str]:
    """Lower-case words of a property name: "startDate" and "start_date" -> [start, date]."""
    return re.findall(r"[a-z]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", hint).lower())


def _hint_keys(hint: str) -> list[str]:
    """Vocabulary keys for a name: the whole name, its last two words, then each word."""
    words = _words(hint)
    keys = ["".join(words), "".join(words[-2:]), *reversed(words)]
    return list(dict.fromkeys(key for key in keys if key))


def _role(hint: str) -> int:
    """-1 for the low end of a range ("start_date", "min_price"), 1 for the high end, else 0."""
    words = set(_words(hint))
    return -1 if words & _STARTS else 1 if words & _ENDS else 0


def _singular(word: str) -> str:
    """An array item's hint from the array's name: "cities" -> "city", "tags" -> "tag"."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if lower.endswith(("sses", "xes", "ches", "shes", "uses")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _rotate(values: tuple[str, ...], start: int) -> list[str]:
    start %= len(values)
    return [*values[start:], *values[:start]]


def _variants(texts: list[str]) -> Iterator[str]:
    """Spellings of readable candidates, so "^[a-z_]+$" still gets "new_york"."""
    for text in texts:
        snake = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
        yield from (text, text.lower(), text.upper(), snake.lower(), snake.replace("_", ""))


def _fit(text: str, low: int, high: int | None) -> str:
    """Pad with words or cut at maxLength so readable text meets the length bounds."""
    parts = [text] if text else []
    size = len(text)
    for word in itertools.cycle(_FILLER):
        if size >= low:
            break
        parts.append(word)
        size += len(word) + 1
    text = " ".join(parts)
    if high is not None and len(text) > high:
        head = text[: high + 1]
        whole_words = head[: head.rfind(" ")].rstrip()  # "Bob Smith" cut to 8 -> "Bob"
        text = whole_words if whole_words and len(whole_words) >= low else text[:high].rstrip()
        text += "x" * min(max(0, low - len(text)), high - len(text))
    return text


def _to_number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _frac(value: Any) -> Fraction | None:
    """Exact value of a schema number; floats by their decimal text, so 0.1 means 1/10."""
    if not _finite(value):
        return None
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _finite(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: Any, default: Any) -> Any:
    """A non-negative integer keyword value (2.0 counts as 2), or `default` when malformed."""
    if not _finite(value) or value < 0 or value != int(value):
        return default
    return int(value)


def _nonempty_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unique_strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(item for item in value if isinstance(item, str)))


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _canon(value: Any) -> str:
    """JSON text equal exactly when JSON Schema calls values equal (1 == 1.0, 1 != true)."""
    return json.dumps(_plain(value), sort_keys=True, default=repr)


def _same(a: Any, b: Any) -> bool:
    return _canon(a) == _canon(b)
