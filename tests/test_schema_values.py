"""schema_values: every generated value validates (jsonschema, with format checks), the same
seed gives the same value in any process, and values read like data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft7Validator, Draft202012Validator

from moto_bedrock_runtime.schema_values import _Generator, value_for_schema

SEEDS = [f"seed-{n}" for n in range(12)]

WEATHER = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City and state, e.g. Seattle, WA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location"],
}
SEARCH = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 1},
        "filters": {
            "type": "object",
            "properties": {
                "category": {"type": "string", "enum": ["books", "electronics", "travel"]},
                "min_price": {"type": "number", "minimum": 0},
                "max_price": {"type": "number", "minimum": 0, "maximum": 10000},
                "in_stock": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                "published": {
                    "type": "object",
                    "properties": {
                        "from": {"type": "string", "format": "date"},
                        "to": {"type": "string", "format": "date"},
                    },
                },
            },
            "additionalProperties": False,
        },
        "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
    },
    "required": ["query"],
    "additionalProperties": False,
}
ORDER = {
    "type": "object",
    "properties": {
        "order_id": {"type": "string", "format": "uuid"},
        "customer_email": {"type": "string", "format": "email"},
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 20},
                    "unit_price": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01},
                },
                "required": ["sku", "quantity"],
                "additionalProperties": False,
            },
        },
        "placed_at": {"type": "string", "format": "date-time"},
    },
    "required": ["order_id", "items"],
}
CALENDAR = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 60},
        "start": {"type": "string", "format": "date-time"},
        "duration": {"type": "string", "format": "duration"},
        "attendees": {
            "type": "array",
            "items": {"type": "string", "format": "email"},
            "minItems": 1,
            "uniqueItems": True,
        },
        "reminder_minutes": {"type": "integer", "enum": [5, 10, 15, 30]},
    },
    "required": ["title", "start", "attendees"],
}
FLIGHT = {
    "type": "object",
    "properties": {
        "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "departure_date": {"type": "string", "format": "date"},
        "passengers": {"type": "integer", "minimum": 1, "maximum": 9},
        "cabin": {"enum": ["economy", "premium", "business", "first"]},
        "phone": {"type": "string", "pattern": r"^\+?[1-9]\d{1,14}$"},
    },
    "required": ["origin", "destination", "departure_date"],
}
CONTACT = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "website": {"type": "string", "format": "uri"},
        "homepage_ref": {"type": "string", "format": "uri-reference"},
        "server": {"type": "string", "format": "hostname"},
        "ip": {"type": "string", "format": "ipv4"},
        "ip6": {"type": "string", "format": "ipv6"},
        "wake_time": {"type": "string", "format": "time"},
        "filter_regex": {"type": "string", "format": "regex"},
        "pointer": {"type": "string", "format": "json-pointer"},
    },
}
STRUCTURED_OUTPUT = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 10, "maxLength": 200},
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "entities": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "type": {"type": "string", "enum": ["person", "org", "place"]},
                },
                "required": ["name", "type"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["summary", "sentiment", "confidence", "entities"],
    "additionalProperties": False,
}
TREE = {
    "$defs": {
        "node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            },
            "required": ["name", "children"],
        }
    },
    "$ref": "#/$defs/node",
}
ROOT_RECURSION = {
    "type": "object",
    "properties": {
        "value": {"type": "integer"},
        "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
    },
    "required": ["value", "next"],
}
JSON_VALUE = {
    "$defs": {
        "json": {
            "oneOf": [
                {"type": "string"},
                {"type": "number"},
                {"type": "boolean"},
                {"type": "null"},
                {"type": "array", "items": {"$ref": "#/$defs/json"}, "minItems": 1},
                {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/json"},
                    "minProperties": 1,
                },
            ]
        }
    },
    "$ref": "#/$defs/json",
}
SHAPES = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"kind": {"const": "circle"}, "radius": {"type": "number"}},
            "required": ["kind", "radius"],
        },
        {
            "type": "object",
            "properties": {
                "kind": {"const": "rectangle"},
                "width": {"type": "number", "exclusiveMinimum": 0},
                "height": {"type": "number", "exclusiveMinimum": 0},
            },
            "required": ["kind", "width", "height"],
        },
    ]
}

DRAFT_2020 = Draft202012Validator
DRAFT_7 = Draft7Validator
CASES: list[tuple[str, Any, type]] = [
    ("get_weather", WEATHER, DRAFT_2020),
    ("search_nested_filters", SEARCH, DRAFT_2020),
    ("order_array_of_objects", ORDER, DRAFT_2020),
    ("calendar_event", CALENDAR, DRAFT_2020),
    ("book_flight", FLIGHT, DRAFT_2020),
    ("contact_formats", CONTACT, DRAFT_2020),
    ("structured_output", STRUCTURED_OUTPUT, DRAFT_2020),
    ("recursive_tree_defs", TREE, DRAFT_2020),
    ("recursive_root_ref", ROOT_RECURSION, DRAFT_2020),
    ("recursive_json_value_oneof", JSON_VALUE, DRAFT_2020),
    ("oneof_discriminated", SHAPES, DRAFT_2020),
    ("sku_pattern", {"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"}, DRAFT_2020),
    ("e164_pattern", {"type": "string", "pattern": r"^\+?[1-9]\d{1,14}$"}, DRAFT_2020),
    ("hex_color", {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}, DRAFT_2020),
    (
        "clock_alternation",
        {"type": "string", "pattern": r"^(?:[01]\d|2[0-3]):[0-5]\d$"},
        DRAFT_2020,
    ),
    ("semver", {"type": "string", "pattern": r"^v\d+\.\d+\.\d+(-[a-z]+)?$"}, DRAFT_2020),
    ("negated_classes", {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"}, DRAFT_2020),
    (
        "lookahead_password",
        {"type": "string", "pattern": r"^(?=.*[A-Z])(?=.*\d).{8,}$"},
        DRAFT_2020,
    ),
    ("backreference", {"type": "string", "pattern": r"^(\w)\w*\1$"}, DRAFT_2020),
    ("unanchored_pattern", {"type": "string", "pattern": "ab+c", "minLength": 6}, DRAFT_2020),
    ("zip_optional_group", {"type": "string", "pattern": r"^\d{5}(-\d{4})?$"}, DRAFT_2020),
    (
        "pattern_exact_length",
        {"type": "string", "pattern": "^[a-z]+$", "minLength": 12, "maxLength": 12},
        DRAFT_2020,
    ),
    ("string_lengths", {"type": "string", "minLength": 40, "maxLength": 45}, DRAFT_2020),
    ("tiny_max_length", {"type": "string", "maxLength": 2}, DRAFT_2020),
    (
        "number_exclusive_open_unit",
        {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        DRAFT_2020,
    ),
    (
        "number_multiple_half",
        {"type": "number", "multipleOf": 0.5, "minimum": 1, "maximum": 4},
        DRAFT_2020,
    ),
    (
        "number_multiple_tenth",
        {"type": "number", "multipleOf": 0.1, "minimum": 0.2, "maximum": 0.9},
        DRAFT_2020,
    ),
    ("integer_multiple_of_half", {"type": "integer", "multipleOf": 1.5, "minimum": 10}, DRAFT_2020),
    ("integer_single_value", {"type": "integer", "minimum": -5, "maximum": -5}, DRAFT_2020),
    ("integer_negative_only", {"type": "integer", "exclusiveMaximum": 0}, DRAFT_2020),
    ("huge_minimum", {"type": "number", "minimum": 1e12}, DRAFT_2020),
    (
        "draft4_boolean_exclusive",
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 0.5,
            "exclusiveMaximum": True,
        },
        Draft4Validator,
    ),
    (
        "draft7_tuple_items",
        {
            "type": "array",
            "items": [{"type": "string", "format": "date"}, {"type": "integer"}],
            "additionalItems": False,
            "minItems": 2,
        },
        DRAFT_7,
    ),
    (
        "prefix_items_closed",
        {
            "type": "array",
            "prefixItems": [{"type": "number"}, {"type": "number"}, {"enum": ["N", "S"]}],
            "items": False,
        },
        DRAFT_2020,
    ),
    (
        "unique_small_enum",
        {
            "type": "array",
            "items": {"enum": ["red", "green", "blue"]},
            "uniqueItems": True,
            "minItems": 3,
        },
        DRAFT_2020,
    ),
    (
        "unique_booleans",
        {"type": "array", "items": {"type": "boolean"}, "uniqueItems": True, "minItems": 2},
        DRAFT_2020,
    ),
    (
        "contains_min_contains",
        {
            "type": "array",
            "items": {"type": "integer", "minimum": 0},
            "contains": {"minimum": 100},
            "minContains": 2,
            "maxContains": 3,
        },
        DRAFT_2020,
    ),
    ("empty_array_only", {"type": "array", "maxItems": 0}, DRAFT_2020),
    (
        "min_properties_map",
        {"type": "object", "additionalProperties": {"type": "integer"}, "minProperties": 3},
        DRAFT_2020,
    ),
    (
        "pattern_properties_closed",
        {
            "type": "object",
            "patternProperties": {"^x-[a-z]+$": {"type": "string"}},
            "additionalProperties": False,
            "minProperties": 2,
        },
        DRAFT_2020,
    ),
    (
        "property_names",
        {"type": "object", "propertyNames": {"pattern": "^[a-z]{3,8}$"}, "minProperties": 2},
        DRAFT_2020,
    ),
    (
        "max_properties",
        {
            "type": "object",
            "properties": {c: {"type": "string"} for c in "abcdef"},
            "required": ["f"],
            "maxProperties": 3,
        },
        DRAFT_2020,
    ),
    (
        "dependent_required",
        {
            "type": "object",
            "properties": {
                "card": {"type": "string"},
                "nickname": {"type": "string"},
                "billing_address": {"type": "string"},
            },
            "required": ["card"],
            "dependentRequired": {"card": ["billing_address"]},
            "maxProperties": 2,
        },
        DRAFT_2020,
    ),
    (
        "all_of_merge",
        {
            "allOf": [
                {
                    "type": "object",
                    "properties": {"name": {"type": "string"}},
                    "required": ["name"],
                },
                {"properties": {"age": {"type": "integer", "minimum": 18}}, "required": ["age"]},
                {"properties": {"name": {"maxLength": 8}, "age": {"maximum": 30}}},
            ],
            "unevaluatedProperties": False,
        },
        DRAFT_2020,
    ),
    (
        "one_of_required_exclusive",
        {
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "phone": {"type": "string"},
            },
            "oneOf": [{"required": ["email"]}, {"required": ["phone"]}],
        },
        DRAFT_2020,
    ),
    ("one_of_integer_or_number", {"oneOf": [{"type": "integer"}, {"type": "number"}]}, DRAFT_2020),
    (
        "any_of_mixed",
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "integer", "minimum": 1900}]},
        DRAFT_2020,
    ),
    (
        "not_enum",
        {"type": "string", "enum": ["admin", "root", "guest"], "not": {"const": "root"}},
        DRAFT_2020,
    ),
    (
        "not_multiple",
        {"type": "integer", "minimum": 1, "maximum": 9, "not": {"multipleOf": 2}},
        DRAFT_2020,
    ),
    (
        "draft7_definitions_ref",
        {
            "definitions": {
                "address": {
                    "type": "object",
                    "properties": {
                        "street": {"type": "string"},
                        "city": {"type": "string"},
                        "zip": {"type": "string", "pattern": r"^\d{5}$"},
                    },
                    "required": ["street", "city", "zip"],
                }
            },
            "type": "object",
            "properties": {
                "home": {"$ref": "#/definitions/address"},
                "work": {"$ref": "#/definitions/address"},
            },
            "required": ["home"],
        },
        DRAFT_7,
    ),
    (
        "anchor_ref",
        {
            "$defs": {"id": {"$anchor": "ident", "type": "string", "pattern": "^id-[0-9]{3}$"}},
            "type": "array",
            "items": {"$ref": "#ident"},
        },
        DRAFT_2020,
    ),
    (
        "if_then_else",
        {
            "type": "object",
            "properties": {"country": {"enum": ["US", "CA"]}, "postal_code": {"type": "string"}},
            "required": ["country", "postal_code"],
            "if": {"properties": {"country": {"const": "US"}}},
            "then": {"properties": {"postal_code": {"pattern": r"^\d{5}$"}}},
            "else": {"properties": {"postal_code": {"pattern": r"^[A-Z]\d[A-Z] \d[A-Z]\d$"}}},
        },
        DRAFT_2020,
    ),
    ("type_list", {"type": ["integer", "string"], "minimum": 3}, DRAFT_2020),
    ("nullable_openapi", {"type": "string", "nullable": True, "format": "date"}, DRAFT_2020),
    (
        "null_or_object",
        {"type": ["null", "object"], "properties": {"a": {"type": "integer"}}},
        DRAFT_2020,
    ),
    ("const_object", {"const": {"mode": "fast", "retries": 3}}, DRAFT_2020),
    ("enum_mixed", {"enum": [None, 1, "two", [3], {"four": 4}]}, DRAFT_2020),
    ("boolean_true", True, DRAFT_2020),
    ("empty_schema", {}, DRAFT_2020),
    (
        "boolean_subschemas",
        {"type": "object", "properties": {"keep": True, "never": False}, "required": ["keep"]},
        DRAFT_2020,
    ),
    ("examples_used", {"type": "string", "examples": ["Lisbon", 42], "maxLength": 10}, DRAFT_2020),
    (
        "deeply_nested",
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "object",
                    "properties": {
                        "b": {
                            "type": "object",
                            "properties": {
                                "c": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "d": {
                                                "type": "object",
                                                "properties": {"e": {"type": "integer"}},
                                                "required": ["e"],
                                            }
                                        },
                                        "required": ["d"],
                                    },
                                    "minItems": 1,
                                }
                            },
                            "required": ["c"],
                        }
                    },
                    "required": ["b"],
                }
            },
            "required": ["a"],
        },
        DRAFT_2020,
    ),
]


@pytest.mark.parametrize(
    ("schema", "validator"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_value_is_valid(schema: Any, validator: type) -> None:
    validator.check_schema(schema)
    for seed in SEEDS:
        value = value_for_schema(schema, seed)
        # each draft's own FormatChecker: the generic one checks "time" the draft-3 way
        checker = validator(schema, format_checker=validator.FORMAT_CHECKER)
        errors = list(checker.iter_errors(value))
        assert not errors, f"seed {seed}: {json.dumps(value)} -> {errors[0].message}"
        json.dumps(value)  # plain JSON types only


@pytest.mark.parametrize("schema", [case[1] for case in CASES], ids=[case[0] for case in CASES])
def test_same_seed_same_value(schema: Any) -> None:
    first = value_for_schema(schema, "fixed")
    assert json.dumps(value_for_schema(schema, "fixed")) == json.dumps(first)


def test_same_value_across_processes() -> None:
    """Nothing depends on str hashing, dict order of sets, or the process."""
    program = (
        "import json, sys\n"
        "from moto_bedrock_runtime.schema_values import value_for_schema\n"
        "schemas = json.loads(sys.stdin.read())\n"
        "print(json.dumps([value_for_schema(s, 'abc') for s in schemas]))\n"
    )
    schemas = json.dumps([SEARCH, ORDER, TREE, JSON_VALUE, CALENDAR])
    outputs = {
        subprocess.run(
            [sys.executable, "-c", program],
            input=schemas,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout
        for hash_seed in ("0", "1", "12345")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == [
        value_for_schema(s, "abc") for s in [SEARCH, ORDER, TREE, JSON_VALUE, CALENDAR]
    ]


@pytest.mark.parametrize(
    "schema",
    [
        WEATHER,
        ORDER,
        FLIGHT,
        {"type": "integer"},
        {"type": "number", "minimum": 0, "maximum": 1},
        {"type": "string", "format": "date-time"},
        {"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"},
        {"type": "array", "items": {"type": "string", "format": "uuid"}},
    ],
    ids=["weather", "order", "flight", "integer", "unit_number", "date_time", "sku", "uuids"],
)
def test_different_seeds_usually_differ(schema: Any) -> None:
    values = {json.dumps(value_for_schema(schema, seed)) for seed in SEEDS}
    assert len(values) >= 4


def test_property_names_hint_readable_values() -> None:
    value = value_for_schema(
        {
            "type": "object",
            "properties": {
                name: {"type": "string"}
                for name in ("city", "email", "start_date", "customer_name", "website", "user_id")
            },
        },
        "hints",
    )
    assert value["city"] in {"Seattle", "Portland", "Austin", "Denver", "Boston", "Chicago",
                             "Paris", "Tokyo", "Berlin", "Toronto"}  # fmt: skip
    assert re.fullmatch(r"[a-z]+@example\.com", value["email"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value["start_date"])
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", value["customer_name"])
    assert value["website"].startswith("https://")
    assert re.fullmatch(r"user_\d{4}", value["user_id"])


def test_pattern_generation_is_readable_and_exact() -> None:
    for seed in SEEDS:
        assert re.fullmatch(r"[A-Z]{3}-\d{4}", value_for_schema(ORDER, seed)["items"][0]["sku"])
    phone = value_for_schema(
        {"type": "object", "properties": {"phone": FLIGHT["properties"]["phone"]}}, "p"
    )
    assert phone == {"phone": "+14155550123"} or re.fullmatch(r"\+?[1-9]\d{1,14}", phone["phone"])


def test_required_and_optional_properties_are_present() -> None:
    value = value_for_schema(SEARCH, "full")
    assert set(value) == {"query", "filters", "limit"}
    assert set(value["filters"]) == {
        "category",
        "min_price",
        "max_price",
        "in_stock",
        "tags",
        "published",
    }


def test_arrays_have_one_to_three_items_by_default() -> None:
    lengths = {
        len(value_for_schema({"type": "array", "items": {"type": "integer"}}, s)) for s in SEEDS
    }
    assert lengths <= {1, 2, 3} and len(lengths) > 1


def test_unique_items_exhaust_a_small_enum() -> None:
    schema = {
        "type": "array",
        "items": {"enum": ["red", "green", "blue"]},
        "uniqueItems": True,
        "minItems": 3,
    }
    for seed in SEEDS:
        assert sorted(value_for_schema(schema, seed)) == ["blue", "green", "red"]


def test_one_of_value_matches_exactly_the_chosen_branch() -> None:
    schema = {name: schema for name, schema, _ in CASES}["one_of_required_exclusive"]
    for seed in SEEDS:
        value = value_for_schema(schema, seed)
        assert ("email" in value) != ("phone" in value)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@pytest.mark.parametrize("schema", [TREE, ROOT_RECURSION, JSON_VALUE], ids=["tree", "list", "json"])
def test_recursion_stops_soon(schema: Any) -> None:
    for seed in SEEDS:
        assert _depth(value_for_schema(schema, seed)) <= 12


def test_examples_and_defaults_are_used_when_valid() -> None:
    assert value_for_schema({"type": "string", "examples": ["Lisbon", 42]}, "x") == "Lisbon"
    assert value_for_schema({"type": "integer", "minimum": 5, "default": 3}, "x") != 3


def test_nullable_prefers_a_value() -> None:
    assert isinstance(value_for_schema({"type": ["null", "string"]}, "x"), str)
    assert isinstance(value_for_schema({"type": "integer", "nullable": True}, "x"), int)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": 5},
        {"type": ["nonsense"]},
        {"properties": [], "required": "name"},
        {"$ref": "#/nope"},
        {"$ref": "https://elsewhere.example/schema.json"},
        {"$ref": "#"},
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
        {"type": "string", "pattern": "("},
        {"type": "string", "pattern": "[z-a]"},
        {"type": "string", "pattern": "a{5,2}"},
        {"type": "string", "pattern": "(?<=x)y", "minLength": 3},
        {"type": "string", "pattern": "^a$", "minLength": 5},
        {"type": "string", "pattern": "^[a-z]{1000000000}$"},
        {"minimum": "x", "maximum": None, "multipleOf": 0},
        {"type": "integer", "minimum": 5, "maximum": 1},
        {"type": "integer", "multipleOf": -3},
        {"type": "array", "minItems": 10**12},
        {"type": "string", "minLength": 10**12},
        {"allOf": "x", "anyOf": [], "oneOf": {}},
        {"enum": []},
        {"items": 3, "prefixItems": "x", "contains": 7},
        {"type": "object", "required": ["a"], "properties": {"a": {"$ref": "#"}}},
        {"type": "object", "required": ["kids"],
         "properties": {"kids": {"type": "array", "minItems": 2, "items": {"$ref": "#"}}}},
        {"not": {}},
        False,
        {"format": 3, "pattern": 4, "minLength": -1, "maxLength": 1.5},
        "not a schema",
        None,
        {"type": "object", "minProperties": 2, "maxProperties": 1},
    ],
)  # fmt: skip
def test_never_raises(schema: Any) -> None:
    # the generator itself copes; value_for_schema's catch-all is only a last line of defence
    json.dumps(_Generator(schema, "robust").value())
    json.dumps(value_for_schema(schema, "robust"))


def test_negative_lookahead_is_respected() -> None:
    value = value_for_schema({"type": "string", "pattern": r"^(?!admin$)[a-z]{5}$"}, "s")
    assert re.fullmatch(r"[a-z]{5}", value) and value != "admin"


def test_ranges_read_in_order() -> None:
    schema = {
        "type": "object",
        "properties": {
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
            "min_price": {"type": "number"},
            "max_price": {"type": "number"},
        },
    }
    for seed in SEEDS:
        value = value_for_schema(schema, seed)
        assert value["start_date"] < value["end_date"]
        assert value["min_price"] <= value["max_price"]
