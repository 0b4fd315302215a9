"""Hypothesis strategies for fuzzing the server: requests derived from botocore's input shapes
(serialized by botocore's own rest-json serializer, so every operation of bedrock and
bedrock-runtime gets well-formed HTTP with its path, query, headers and body), native
InvokeModel bodies from schemas/, and raw garbage.

Values are mostly plausible (catalog model ids, ARNs, enum members, in-range numbers) and
often not (unknown enum values, out-of-range numbers, huge or odd strings, missing required
members), so the fuzzer reaches deep validation as well as the first check.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer
from hypothesis import strategies as st

from moto_bedrock_runtime import catalog

MAX_DEPTH = 5
# Operations a fuzzer cannot drive over HTTP/1.1 (a bidirectional HTTP/2 event stream).
SKIPPED = frozenset({"InvokeModelWithBidirectionalStream"})


@cache
def service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@cache
def _serializer(service: str) -> Any:
    return create_serializer(service_model(service).metadata["protocol"], include_validation=False)


def operations(service: str) -> list[str]:
    return [name for name in service_model(service).operation_names if name not in SKIPPED]


def _model_ids() -> st.SearchStrategy[str]:
    ids = sorted(catalog.models())
    return st.sampled_from(
        [
            *ids[:40],
            "us.anthropic.claude-3-haiku-20240307-v1:0",
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123",
            "anthropic.claude-nope-v9:0",
        ]
    )


_LONG_TEXT = st.integers(min_value=2000, max_value=3000).map(lambda n: "x" * n)
_ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "..", "%", "%zz", "a/b", "::", "\u0000", "ééé"]),
    _LONG_TEXT,
)


def _string(shape: Shape) -> st.SearchStrategy[str]:
    enum = shape.enum
    if enum:
        return st.one_of(st.sampled_from(list(enum)), st.just("NOT_A_MEMBER"))
    name = shape.name.lower()
    if "model" in name and ("id" in name or "identifier" in name or "arn" in name):
        return st.one_of(_model_ids(), _ODD_TEXT)
    if "arn" in name:
        return st.one_of(
            st.just("arn:aws:bedrock:us-east-1:123456789012:custom-model/m1"),
            st.just("arn:aws:iam::123456789012:role/BedrockRole"),
            st.just("arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"),
            _ODD_TEXT,
        )
    if "s3" in name or "uri" in name:
        return st.one_of(st.just("s3://bucket/key"), _ODD_TEXT)
    return st.one_of(st.text(min_size=1, max_size=20), _ODD_TEXT)


def _number(shape: Shape) -> st.SearchStrategy[Any]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name == "integer" or shape.type_name == "long":
        plausible = st.integers(
            min_value=int(low) if low is not None else 0,
            max_value=int(high) if high is not None else 10_000,
        )
        return st.one_of(plausible, st.integers(min_value=-(2**40), max_value=2**40))
    plausible = st.floats(
        min_value=float(low) if low is not None else 0.0,
        max_value=float(high) if high is not None else 100.0,
        allow_nan=False,
    )
    return st.one_of(plausible, st.floats(allow_nan=False, allow_infinity=False, width=32))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def shape_values(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for a botocore input shape, of its modeled types (botocore must serialize them)."""
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return _JSON
        if depth >= MAX_DEPTH:
            return st.just({})
        members = {name: shape_values(member, depth + 1) for name, member in shape.members.items()}
        if shape.metadata.get("union"):
            return st.one_of([st.fixed_dictionaries({n: s}) for n, s in members.items()])
        required = set(shape.required_members)
        # Path labels stay: without one there is no URL to send (botocore cannot build it).
        droppable = sorted(
            n for n in required if shape.members[n].serialization.get("location") != "uri"
        )
        full = st.fixed_dictionaries(
            {n: s for n, s in members.items() if n in required},
            optional={n: s for n, s in members.items() if n not in required},
        )
        if not droppable:
            return full
        dropped = full.flatmap(
            lambda value: st.sampled_from(droppable).map(
                lambda gone: {k: v for k, v in value.items() if k != gone}
            )
        )
        return st.one_of(full, full, full, dropped)
    if kind == "list":
        if depth >= MAX_DEPTH:
            return st.just([])
        return st.lists(shape_values(shape.member, depth + 1), max_size=3)
    if kind == "map":
        if depth >= MAX_DEPTH:
            return st.just({})
        keys = st.text(min_size=1, max_size=12)
        return st.dictionaries(keys, shape_values(shape.value, depth + 1), max_size=3)
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long", "float", "double"):
        return _number(shape)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.one_of(st.binary(max_size=64), st.just(b'{"messages": []}'))
    if kind == "timestamp":
        return st.datetimes(
            min_value=datetime(2000, 1, 1),
            max_value=datetime(2100, 1, 1),
            timezones=st.just(timezone.utc),
        )
    raise AssertionError(f"no strategy for {kind}")


def serialized(service: str, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    """botocore's HTTP request dict (method, url_path, query_string, headers, body) for
    generated parameters of one operation."""
    model: OperationModel = service_model(service).operation_model(operation)
    params = shape_values(model.input_shape) if model.input_shape else st.just({})
    serializer = _serializer(service)
    return params.map(lambda values: serializer.serialize_to_request(values, model))


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    folder = resources.files("moto_bedrock_runtime.schemas")
    return {
        entry.name.removesuffix(".json"): json.loads(entry.read_text())
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


def _from_schema(node: Any, root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values valid for the draft-07 subset schemas/ uses (type, properties, required, items,
    enum, bounds, lengths, $ref to definitions, anyOf); recursion is cut at MAX_DEPTH."""
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return _JSON
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _from_schema(root["definitions"][name], root, depth + 1)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node:
        return st.one_of([_from_schema(option, root, depth + 1) for option in node["anyOf"]])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([_from_schema({**node, "type": one}, root, depth) for one in kind])
    if kind == "object" or "properties" in node:
        properties = node.get("properties", {})
        members = {k: _from_schema(v, root, depth + 1) for k, v in properties.items()}
        required = [k for k in node.get("required", []) if k in members]
        return st.fixed_dictionaries(
            {k: members[k] for k in required},
            optional={k: v for k, v in members.items() if k not in required},
        )
    if kind == "array":
        return st.lists(
            _from_schema(node.get("items", {}), root, depth + 1),
            min_size=node.get("minItems", 0),
            max_size=min(node.get("maxItems", 3), max(3, node.get("minItems", 0))),
        )
    if kind == "string":
        return st.text(
            min_size=node.get("minLength", 0), max_size=min(node.get("maxLength", 30), 30)
        )
    if kind in ("integer", "number"):
        low, high = node.get("minimum", 0), node.get("maximum", 4096)
        if kind == "integer":
            return st.integers(min_value=int(low), max_value=int(high))
        return st.floats(min_value=low, max_value=high, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    return _JSON


def native_bodies(schema_name: str) -> st.SearchStrategy[bytes]:
    """Bodies valid for a vendor schema, or that schema's body with one member broken."""
    schema = _schemas()[schema_name]
    valid = _from_schema(schema, schema)
    broken = valid.flatmap(
        lambda body: (
            st.sampled_from(sorted(body) or ["x"]).flatmap(
                lambda key: _JSON.map(lambda junk: {**body, key: junk})
            )
            if isinstance(body, dict)
            else st.just(body)
        )
    )
    return st.one_of(valid, broken).map(lambda body: json.dumps(body).encode())


def schema_names() -> list[str]:
    return sorted(_schemas())


GARBAGE_BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=100).map(str.encode),
    st.sampled_from(
        [
            b"",
            b"{",
            b'{"messages": [',
            b"null",
            b"[]",
            b'"text"',
            b"\xff\xfe\x00\x01",
            b'{"messages": "\xc3\x28"}',
            b'{"a":' * 2000,
            json.dumps(
                {"messages": [{"role": "user", "content": [{"text": "x" * 100_000}]}]}
            ).encode(),
        ]
    ),
)
GARBAGE_CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "",
        "*/*",
        "\u00e9",
    ]
)
GARBAGE_MODEL_SEGMENTS = st.one_of(
    _LONG_TEXT,
    st.sampled_from(
        [
            "%",
            "%zz",
            "%E0%A4%A",
            "%00",
            "anthropic.claude-3-haiku-20240307-v1%3A0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-lite-v1%3A0",
            "..",
            "%C0%AF",
        ]
    ),
    st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="/?#"),
        min_size=1,
        max_size=40,
    ),
)
RUNTIME_SUFFIXES = st.sampled_from(
    ["converse", "converse-stream", "invoke", "invoke-with-response-stream", "count-tokens", "nope"]
)
