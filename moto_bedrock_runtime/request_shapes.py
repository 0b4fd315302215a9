"""Validate and parse rest-json request bodies against botocore's service models.

The server takes bodies from any HTTP client, not only boto3 (which validates client-side), so it
checks them as AWS's Coral servers do and answers a ValidationException listing every violation,
rather than crashing later on malformed input. The walk runs on every request, so an operation's
shapes are compiled once into nodes keyed by shape name (members, required set, compiled pattern).

Messages (Coral's wording where Coral has one):

* ``Value '<v>' at '<path>' failed to satisfy constraint: Member must ...`` for length (strings,
  lists, maps, decoded blobs), range, pattern and enum constraints, and ``Value null at '<path>'
  ... Member must not be null`` for a missing required member or a null list item or map value.
* Wrong JSON type, same form: ``Member must be a string`` (a list, a structure, a map, an integer,
  a number, a boolean, a base64-encoded blob, a timestamp). Integers must be JSON integers within
  the Java type (32 bits for ``integer``, 64 for ``long``), so ``5.0`` is not one; booleans are not
  numbers.
* Unions: ``Value at '<path>' failed to satisfy constraint: Member must have exactly one member
  set`` when none or several are set (null counts as unset).
* Map keys: ``Value '<key>' at '<map>' failed to satisfy constraint: Map keys must satisfy
  constraint: [Member must ..., ...]``: Coral's wording, showing the bad key, not the whole map.
* Unknown keys, a union's included: ``Unknown parameter '<key>' at '<path>'``, or
  ``Unknown parameter '<key>'`` at the top level; a body that is not an object: ``Request body
  must be a JSON object``. Neither is a constraint violation, so neither counts in the header.
* The text is ``N validation error(s) detected: `` (N counting the constraint-style violations,
  omitted when there are none) and the violations joined with ``; `` in document order: for each
  structure, its union check, then its members in the body's key order, then its missing
  required members in model order.
* Paths: structure members joined with ``.``, list items ``<list>.<1-based index>.member``, map
  values ``<map>.<key>``.
* Values print as Java's ``toString`` would: strings as-is, ``true``/``false``, integers as
  given, ``float``/``double`` members as Java doubles (``1.5``, ``2.0``, ``1.0E10``), lists as
  ``[a, b]``, structures and maps as ``{key=value, ...}``, blobs as the base64 text sent.
* Sensitive shapes (``sensitive: true``) and everything inside them are never echoed: the value
  is left out (``Value at '<path>' ...``), and sensitive members inside a printed list, map or
  structure print as ``***``.

Parsing: null members are unset and left out of the result; blobs become ``bytes`` (strict
base64); timestamps take epoch seconds or ISO 8601 text (UTC if naive) and become aware
``datetime``s; ``document`` members are returned as given, unchecked; containers are rebuilt.
Members bound to the URI, headers or query string are not body members, so a body key with one of
their names is an unknown parameter. For an input whose ``payload`` member is a structure, pass
that member's shape. Lengths count code points.

Patterns must match the whole value (Java's ``Matcher.matches``). The models' patterns are Java
regexes, so before compiling: ``\\p{..}``/``\\P{..}`` Unicode categories expand to explicit
ranges, ``.`` excludes line terminators, and ``\\d``/``\\s``/``\\w`` stay ASCII (``re.ASCII``).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import Any

from botocore.model import ServiceModel, Shape, StructureShape

_Errors = list[tuple[bool, str]]
"""Violations found so far, each (counted in the header?, message)."""

_INT_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"
_UNICODE_CATEGORY = re.compile(r"\\([pP])\{(?:Is)?([A-Z][a-z]?)\}")
_NOT_NULL = "Member must not be null"
_EXACTLY_ONE = "Member must have exactly one member set"


class ShapeError(Exception):
    """Raised with AWS's message text; ``.messages`` holds the individual violations."""

    def __init__(self, messages: list[str], counted: int) -> None:
        header = f"{counted} validation error{'' if counted == 1 else 's'} detected: "
        self.messages = messages
        self.message = (header if counted else "") + "; ".join(messages)
        super().__init__(self.message)


class _Node:
    """What validating one shape needs, precomputed: the per-request walk never touches botocore."""

    __slots__ = (
        "constrained",
        "enum",
        "enum_text",
        "int_range",
        "is_float",
        "item",
        "key",
        "max",
        "members",
        "min",
        "parse",
        "pattern",
        "pattern_text",
        "required",
        "sensitive",
        "type_word",
        "union",
        "value",
    )

    def __init__(self, shape: Shape) -> None:
        meta = shape.metadata
        self.sensitive = bool(meta.get("sensitive"))
        self.min: float | None = meta.get("min")
        self.max: float | None = meta.get("max")
        self.parse: _Parser = _parse_document
        self.type_word = ""
        self.members: dict[str, _Node] = {}
        self.required: tuple[str, ...] = ()
        self.union = bool(meta.get("union"))
        self.item: _Node | None = None
        self.key: _Node | None = None
        self.value: _Node | None = None
        self.pattern: re.Pattern[str] | None = None
        self.pattern_text = ""
        self.enum: frozenset[str] = frozenset()
        self.enum_text = ""
        self.int_range = (0, 0)
        self.is_float = False
        self.constrained = bool(meta.keys() & {"min", "max", "pattern", "enum"})


_Parser = Callable[[_Node, Any, str, bool, _Errors], Any]
"""parse(node, value, path, hidden, errors) -> parsed value (``hidden``: in a sensitive shape)."""


def _service_model(service: str) -> ServiceModel:
    from .moto_services import service_model  # moto's copy, loaded once

    return service_model(service)


@functools.cache
def input_shape(service: str, operation: str) -> StructureShape:
    """The operation's input shape from botocore's model, loaded once per process."""
    shape = _service_model(service).operation_model(operation).input_shape
    if shape is None:
        raise ValueError(f"{service} {operation} takes no input")
    return shape


def parse_body(shape: StructureShape, data: Any, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """Validate a JSON-decoded request body against ``shape`` and return it parsed.

    Only body members are checked; top-level keys named in ``skip`` are copied unchecked and are
    not required. Raises ShapeError listing every violation.
    """
    if not isinstance(data, dict):
        raise ShapeError(["Request body must be a JSON object"], 0)
    errors: _Errors = []
    result = _parse_structure(_root(shape), data, "", False, errors, skip)
    if errors:
        raise ShapeError([message for _, message in errors], sum(c for c, _ in errors))
    return result


@functools.lru_cache(maxsize=256)
def _root(shape: Shape) -> _Node:
    """The compiled tree for a root shape (shapes hash by identity; input_shape caches them)."""
    return _compile(shape, {})


def _compile(shape: Shape, nodes: dict[str, _Node]) -> _Node:
    """Build the node for ``shape``, once per shape name (so recursive shapes terminate)."""
    node = nodes.get(shape.name)
    if node is not None:
        return node
    node = nodes[shape.name] = _Node(shape)
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and not meta.get("document"):
        node.parse, node.type_word = _parse_structure, "a structure"
        node.members = {
            name: _compile(member, nodes)
            for name, member in shape.members.items()  # type: ignore[attr-defined]
            if "location" not in member.serialization
        }
        node.required = tuple(n for n in meta.get("required", ()) if n in node.members)
    elif kind == "list":
        node.parse, node.type_word = _parse_list, "a list"
        node.item = _compile(shape.member, nodes)  # type: ignore[attr-defined]
    elif kind == "map":
        node.parse, node.type_word = _parse_map, "a map"
        node.key = _compile(shape.key, nodes)  # type: ignore[attr-defined]
        node.value = _compile(shape.value, nodes)  # type: ignore[attr-defined]
    elif kind == "string":
        node.parse, node.type_word = _parse_string, "a string"
        if "pattern" in meta:
            node.pattern_text = meta["pattern"]
            node.pattern = _compile_pattern(node.pattern_text)
        if "enum" in meta:
            node.enum = frozenset(meta["enum"])
            node.enum_text = f"[{', '.join(meta['enum'])}]"
    elif kind in _INT_RANGES:
        node.parse, node.type_word = _parse_integer, "an integer"
        node.int_range = _INT_RANGES[kind]
    elif kind in ("float", "double"):
        node.parse, node.type_word, node.is_float = _parse_float, "a number", True
    elif kind == "boolean":
        node.parse, node.type_word = _parse_boolean, "a boolean"
    elif kind == "blob":
        node.parse, node.type_word = _parse_blob, "a base64-encoded blob"
    elif kind == "timestamp":
        node.parse, node.type_word = _parse_timestamp, "a timestamp"
    elif kind != "structure":  # document structures keep _parse_document
        raise ValueError(f"shape {shape.name}: unsupported type {kind}")
    return node


# -- the walk: each parser returns the parsed value and appends violations to ``errors`` ---------


def _parse_structure(
    node: _Node,
    value: Any,
    path: str,
    hidden: bool,
    errors: _Errors,
    skip: Collection[str] = (),
) -> Any:
    if not isinstance(value, dict):
        return _type_error(node, value, path, hidden, errors)
    hidden = hidden or node.sensitive
    members = node.members
    prefix = f"{path}." if path else ""
    first_error = len(errors)
    members_set = 0
    out = {}
    for key, item in value.items():
        if skip and key in skip:
            out[key] = item
            continue
        member = members.get(key)
        if member is None:
            errors.append((False, f"Unknown parameter '{key}'" + (f" at '{path}'" if path else "")))
        elif item is not None:
            members_set += 1
            out[key] = member.parse(member, item, prefix + key, hidden, errors)
    if node.union and members_set != 1:
        message = f"Value at '{path}' failed to satisfy constraint: {_EXACTLY_ONE}"
        errors.insert(first_error, (True, message))
    for name in node.required:
        if value.get(name) is None and name not in skip:
            _violation(errors, members[name], None, prefix + name, hidden, _NOT_NULL)
    return out


def _parse_list(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    if not isinstance(value, list):
        return _type_error(node, value, path, hidden, errors)
    if node.min is not None or node.max is not None:
        _check_length(node, value, len(value), path, hidden, errors)
    hidden = hidden or node.sensitive
    item: _Node = node.item  # type: ignore[assignment]
    parse = item.parse
    out = []
    for index, element in enumerate(value, 1):
        if element is None:
            _violation(errors, item, None, f"{path}.{index}.member", hidden, _NOT_NULL)
        else:
            out.append(parse(item, element, f"{path}.{index}.member", hidden, errors))
    return out


def _parse_map(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    if not isinstance(value, dict):
        return _type_error(node, value, path, hidden, errors)
    if node.min is not None or node.max is not None:
        _check_length(node, value, len(value), path, hidden, errors)
    hidden = hidden or node.sensitive
    key_node: _Node = node.key  # type: ignore[assignment]
    value_node: _Node = node.value  # type: ignore[assignment]
    out = {}
    for key, element in value.items():
        broken = _string_violations(key_node, key)
        if broken:
            shown = "" if hidden or key_node.sensitive else f" '{key}'"
            rule = f"Map keys must satisfy constraint: [{', '.join(broken)}]"
            errors.append((True, f"Value{shown} at '{path}' failed to satisfy constraint: {rule}"))
        if element is None:
            _violation(errors, value_node, None, f"{path}.{key}", hidden, _NOT_NULL)
        else:
            out[key] = value_node.parse(value_node, element, f"{path}.{key}", hidden, errors)
    return out


def _parse_string(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    if not isinstance(value, str):
        return _type_error(node, value, path, hidden, errors)
    if node.constrained:
        for rule in _string_violations(node, value):
            _violation(errors, node, value, path, hidden, rule)
    return value


def _parse_integer(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    low, high = node.int_range
    if type(value) is not int or not low <= value <= high:  # bool is not an int here
        return _type_error(node, value, path, hidden, errors)
    _check_range(node, value, path, hidden, errors)
    return value


def _parse_float(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    if type(value) is not float and type(value) is not int:
        return _type_error(node, value, path, hidden, errors)
    _check_range(node, value, path, hidden, errors)
    return value


def _parse_boolean(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    if type(value) is not bool:
        return _type_error(node, value, path, hidden, errors)
    return value


def _parse_blob(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    if not isinstance(value, str):
        return _type_error(node, value, path, hidden, errors)
    try:
        decoded = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        return _type_error(node, value, path, hidden, errors)
    if node.min is not None or node.max is not None:
        _check_length(node, value, len(decoded), path, hidden, errors)
    return decoded


def _parse_timestamp(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    try:
        if type(value) is int or type(value) is float:
            return dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    return _type_error(node, value, path, hidden, errors)


def _parse_document(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    return value


# -- constraint checks ----------------------------------------------------------------------------


def _string_violations(node: _Node, value: str) -> list[str]:
    """The constraints a string (a member or a map key) breaks, in Coral's wording."""
    broken = []
    if node.min is not None and len(value) < node.min:
        broken.append(f"Member must have length greater than or equal to {node.min}")
    if node.max is not None and len(value) > node.max:
        broken.append(f"Member must have length less than or equal to {node.max}")
    if node.pattern is not None and node.pattern.fullmatch(value) is None:
        broken.append(f"Member must satisfy regular expression pattern: {node.pattern_text}")
    if node.enum and value not in node.enum:
        broken.append(f"Member must satisfy enum value set: {node.enum_text}")
    return broken


def _check_length(
    node: _Node, value: Any, length: int, path: str, hidden: bool, errors: _Errors
) -> None:
    if node.min is not None and length < node.min:
        rule = f"Member must have length greater than or equal to {node.min}"
        _violation(errors, node, value, path, hidden, rule)
    if node.max is not None and length > node.max:
        rule = f"Member must have length less than or equal to {node.max}"
        _violation(errors, node, value, path, hidden, rule)


def _check_range(node: _Node, value: float, path: str, hidden: bool, errors: _Errors) -> None:
    if node.min is not None and value < node.min:
        rule = f"Member must have value greater than or equal to {_number_text(node.min, False)}"
        _violation(errors, node, value, path, hidden, rule)
    if node.max is not None and value > node.max:
        rule = f"Member must have value less than or equal to {_number_text(node.max, False)}"
        _violation(errors, node, value, path, hidden, rule)


def _type_error(node: _Node, value: Any, path: str, hidden: bool, errors: _Errors) -> Any:
    _violation(errors, node, value, path, hidden, f"Member must be {node.type_word}")
    return value


def _violation(
    errors: _Errors, node: _Node, value: Any, path: str, hidden: bool, rule: str
) -> None:
    """Record ``Value '<value>' at '<path>' failed to satisfy constraint: <rule>``; a None value
    prints as ``null`` and a sensitive one not at all."""
    if hidden or node.sensitive:
        shown = ""
    elif value is None:
        shown = " null"
    else:
        shown = f" '{_render(node, value)}'"
    errors.append((True, f"Value{shown} at '{path}' failed to satisfy constraint: {rule}"))


# -- rendering values the way Java's toString does ------------------------------------------------


def _render(node: _Node | None, value: Any) -> str:
    """Java-like text for a value. ``node`` (None where unknown) formats float members as doubles
    and redacts sensitive members nested in lists, maps and structures."""
    if node is not None and node.sensitive:
        return "***"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value, node is not None and node.is_float)
    if isinstance(value, list):
        item = node.item if node is not None else None
        return f"[{', '.join(_render(item, v) for v in value)}]"
    if isinstance(value, dict):
        if node is None:
            parts = (f"{k}={_render(None, v)}" for k, v in value.items())
        elif node.value is not None:  # a map
            parts = (f"{k}={_render(node.value, v)}" for k, v in value.items())
        else:
            parts = (f"{k}={_render(node.members.get(k), v)}" for k, v in value.items())
        return f"{{{', '.join(parts)}}}"
    return "null"


def _number_text(value: float, as_double: bool) -> str:
    """Java's Integer/Double.toString: ``5``, ``1.5``, ``2.0``, ``1.0E10``, ``1.0E-5``."""
    if isinstance(value, int) and not as_double:
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)  # positional in this range, with ".0" when integral, like Java
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    scale = int(exponent) + len(text) - 1
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{scale}"


# -- Java regexes ---------------------------------------------------------------------------------


@functools.cache
def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a model's (Java) pattern for ``fullmatch``; ``re.ASCII`` as Java's default."""
    return re.compile(_translate_java_regex(pattern), re.ASCII)


def _translate_java_regex(pattern: str) -> str:
    """Rewrite the Java constructs that Python's ``re`` lacks or reads differently."""
    out = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            category = _UNICODE_CATEGORY.match(pattern, i)
            if category:
                ranges = _category_ranges(category[2], negate=category[1] == "P")
                out.append(ranges if in_class else f"[{ranges}]")
                i = category.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            char = _JAVA_DOT
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _category_ranges(category: str, negate: bool) -> str:
    """Character-class ranges (no brackets) for a Unicode general category such as L or Lu."""
    width = len(category)
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if (unicodedata.category(chr(code))[:width] == category) != negate:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    if not ranges:
        raise ValueError(f"unknown Unicode category {category!r}")
    return "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)
