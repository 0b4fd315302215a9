"""InvokeModel body validation: everit-json-schema's texts, grouping and order, as Bedrock
prints them in "Malformed input request: ..."."""

from __future__ import annotations

import importlib.resources
from typing import Any

import jsonschema
import pytest

from moto_bedrock_runtime.errors import ValidationException
from moto_bedrock_runtime.vendors.validation import (
    MALFORMED,
    CompiledSchema,
    compile_schema,
    load_schema,
    malformed,
    validate_body,
    violation,
)

SCHEMAS = importlib.resources.files("moto_bedrock_runtime.schemas")
SHIPPED = sorted(p.name[: -len(".json")] for p in SCHEMAS.iterdir() if p.name.endswith(".json"))


def text(schema: dict[str, Any], body: Any) -> str | None:
    """What Bedrock prints between "Malformed input request: " and ", please ..."."""
    return compile_schema(schema).message(body)


def error(schema: Any, body: Any) -> str:
    with pytest.raises(ValidationException) as caught:
        validate_body(schema, body)
    assert caught.value.code == "ValidationException"
    return caught.value.message


def obj(properties: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **keywords}


# One schema shaped like the Messages API, for the examples Bedrock users have posted.
MESSAGES = {
    "type": "object",
    "required": ["anthropic_version", "max_tokens", "messages"],
    "additionalProperties": False,
    "definitions": {
        "block": {
            "type": "object",
            "required": ["type", "text"],
            "additionalProperties": False,
            "properties": {
                "type": {"type": "string", "enum": ["text"]},
                "text": {"type": "string"},
            },
        }
    },
    "properties": {
        "anthropic_version": {"type": "string"},
        "max_tokens": {"type": "integer", "minimum": 1},
        "temperature": {"type": "number", "minimum": 0, "maximum": 1},
        "messages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["role", "content"],
                "additionalProperties": False,
                "properties": {
                    "role": {"type": "string", "enum": ["user", "assistant"]},
                    "content": {"type": "array", "items": {"$ref": "#/definitions/block"}},
                },
            },
        },
    },
}
GOOD = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 10,
    "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
}


# The envelope


def test_valid_body_returns_none() -> None:
    assert validate_body(MESSAGES, GOOD) is None
    assert compile_schema(MESSAGES).violations(GOOD) == []
    assert compile_schema(MESSAGES).message(GOOD) is None


def test_exception_carries_bedrock_wording() -> None:
    message = error(MESSAGES, {**GOOD, "stream": True})
    assert message == (
        "Malformed input request: #: extraneous key [stream] is not permitted, "
        "please reformat your input and try again."
    )
    assert message == MALFORMED.format(violations="#: extraneous key [stream] is not permitted")


# required / additionalProperties


def test_required_at_root() -> None:
    body = {k: v for k, v in GOOD.items() if k != "max_tokens"}
    assert text(MESSAGES, body) == "#: required key [max_tokens] not found"


def test_required_nested_in_array() -> None:
    body = {**GOOD, "messages": [{"content": []}]}
    assert text(MESSAGES, body) == "#/messages/0: required key [role] not found"


def test_required_keys_in_schema_order_then_extraneous() -> None:
    # Bedrock's answer to a Messages body sent to a prompt model.
    schema = {"type": "object", "required": ["prompt"], "additionalProperties": False}
    assert text(schema, {"messages": []}) == (
        "#: required key [prompt] not found#: extraneous key [messages] is not permitted"
    )


def test_extraneous_key_at_root_and_in_a_content_block() -> None:
    assert text(MESSAGES, {**GOOD, "stream": True}) == "#: extraneous key [stream] is not permitted"
    body = {**GOOD, "messages": [{"role": "user", "content": [{"type": "text", "text": "a"}, {}]}]}
    body["messages"][0]["content"][1] = {"text": "b", "cache": 1}
    assert text(MESSAGES, body) == (
        "#/messages/0/content/1: required key [type] not found"
        "#/messages/0/content/1: extraneous key [cache] is not permitted"
    )


def test_extraneous_keys_in_java_hashmap_order() -> None:
    # Bedrock printed input_schema before description for a tool {name, description,
    # input_schema}: the order of org.json's HashMap, not the body's.
    schema = obj({"name": {"type": "string"}}, additionalProperties=False)
    body = {"name": "t", "description": "d", "input_schema": {}}
    assert text(schema, body) == (
        "#: extraneous key [input_schema] is not permitted"
        "#: extraneous key [description] is not permitted"
    )


def test_additional_properties_schema() -> None:
    schema = obj({"a": {}}, additionalProperties={"type": "integer"})
    assert (
        text(schema, {"a": "x", "b": 1, "c": "y"}) == "#/c: expected type: Integer, found: String"
    )


def test_pattern_properties() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^x-": {"type": "string"}},
        "additionalProperties": False,
    }
    assert text(schema, {"x-a": "ok", "x-b": 2, "y": 1}) == (
        "#: extraneous key [y] is not permitted#/x-b: expected type: String, found: Integer"
    )


def test_property_names() -> None:
    schema = {"type": "object", "propertyNames": {"maxLength": 3}}
    assert text(schema, {"abcd": 1}) == "#/abcd: expected maxLength: 3, actual: 4"


def test_min_and_max_properties() -> None:
    assert text({"minProperties": 2}, {"a": 1}) == "#: minimum size: [2], found: [1]"
    assert text({"maxProperties": 1}, {"a": 1, "b": 2}) == "#: maximum size: [1], found: [2]"


def test_dependencies() -> None:
    schema = {"dependencies": {"a": ["b", "c"], "d": {"required": ["e"]}}}
    assert text(schema, {"a": 1, "c": 1}) == "#: property [b] is required"
    assert text(schema, {"d": 1}) == "#: required key [e] not found"


# type


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("object", "s", "expected type: JSONObject, found: String"),
        ("array", "s", "expected type: JSONArray, found: String"),
        ("string", 1, "expected type: String, found: Integer"),
        ("string", [], "expected type: String, found: JSONArray"),
        ("string", {}, "expected type: String, found: JSONObject"),
        ("number", None, "expected type: Number, found: Null"),
        ("number", True, "expected type: Number, found: Boolean"),
        ("integer", 1.5, "expected type: Integer, found: BigDecimal"),
        ("integer", 1.0, "expected type: Integer, found: BigDecimal"),
        ("integer", "1", "expected type: Integer, found: String"),
        ("boolean", 2**40, "expected type: Boolean, found: Long"),
        ("boolean", 2**70, "expected type: Boolean, found: BigInteger"),
        ("boolean", "true", "expected type: Boolean, found: String"),
        ("null", "x", "expected: null, found: String"),
    ],
)
def test_type(kind: str, value: Any, expected: str) -> None:
    assert text(obj({"v": {"type": kind}}), {"v": value}) == f"#/v: {expected}"


def test_type_accepts_its_values() -> None:
    schema = obj(
        {
            "i": {"type": "integer"},
            "n": {"type": "number"},
            "b": {"type": "boolean"},
            "z": {"type": "null"},
            "big": {"type": "integer"},
        }
    )
    assert text(schema, {"i": 3, "n": 0.5, "b": False, "z": None, "big": 2**80}) is None


def test_type_of_nested_array_item() -> None:
    body = {**GOOD, "messages": [{"role": "user", "content": "hi"}]}
    assert text(MESSAGES, body) == "#/messages/0/content: expected type: JSONArray, found: String"


def test_several_types_is_an_anyof_of_one_schema_per_type() -> None:
    schema = obj({"system": {"type": ["string", "array"]}})
    assert text(schema, {"system": "s"}) is None
    assert text(schema, {"system": 5}) == (
        "#/system: expected type: String, found: Integer"
        "#/system: expected type: JSONArray, found: Integer"
    )


def test_keywords_without_type_check_only_their_own_type() -> None:
    schema = obj({"v": {"minLength": 2, "minimum": 3}})
    assert text(schema, {"v": 7}) is None
    assert text(schema, {"v": None}) is None
    assert text(schema, {"v": "x"}) == "#/v: expected minLength: 2, actual: 1"
    assert text(schema, {"v": 1}) == "#/v: 1 is not greater or equal to 3"


# numbers


def test_maximum() -> None:
    schema = obj({"max_gen_len": {"type": "integer", "maximum": 2048}})
    assert text(schema, {"max_gen_len": 8192}) == "#/max_gen_len: 8192 is not less or equal to 2048"
    assert text(schema, {"max_gen_len": 2048}) is None


def test_minimum() -> None:
    schema = obj({"temperature": {"type": "number", "minimum": 0}})
    assert text(schema, {"temperature": -1}) == "#/temperature: -1 is not greater or equal to 0"


def test_exclusive_limits_draft6_numbers() -> None:
    schema = obj({"v": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}})
    assert text(schema, {"v": 0}) == "#/v: 0 is not greater than 0"
    assert text(schema, {"v": 1}) == "#/v: 1 is not less than 1"
    assert text(schema, {"v": 0.5}) is None


def test_exclusive_limits_draft4_booleans() -> None:
    schema = obj(
        {
            "v": {
                "type": "number",
                "minimum": 0,
                "exclusiveMinimum": True,
                "maximum": 1.0,
                "exclusiveMaximum": True,
            }
        }
    )
    assert text(schema, {"v": 0}) == "#/v: 0 is not greater than 0"
    assert text(schema, {"v": 1}) == "#/v: 1 is not less than 1.0"


def test_numbers_print_as_java_prints_them() -> None:
    schema = obj({"v": {"type": "number", "maximum": 0.25}})
    assert text(schema, {"v": 0.5}) == "#/v: 0.5 is not less or equal to 0.25"
    assert text(schema, {"v": 1.0}) == "#/v: 1.0 is not less or equal to 0.25"
    assert text(schema, {"v": 1e16}) == "#/v: 1E+16 is not less or equal to 0.25"
    low = obj({"v": {"type": "number", "minimum": 1}})
    assert text(low, {"v": 1e-7}) == "#/v: 1E-7 is not greater or equal to 1"
    assert text(low, {"v": 0.00001}) == "#/v: 0.00001 is not greater or equal to 1"


def test_several_number_violations_are_grouped() -> None:
    schema = obj({"v": {"type": "integer", "maximum": 5, "multipleOf": 2}})
    assert text(schema, {"v": 7}) == "#/v: 7 is not less or equal to 5#/v: 7 is not a multiple of 2"
    assert compile_schema(schema).failure({"v": 7}).message == "2 schema violations found"


def test_multiple_of() -> None:
    schema = obj({"x": {"type": "number", "multipleOf": 2}})
    assert text(schema, {"x": 7}) == "#/x: 7 is not a multiple of 2"
    decimal = obj({"x": {"type": "number", "multipleOf": 0.1}})
    assert text(decimal, {"x": 0.3}) is None  # exact decimals, not binary floats
    assert text(decimal, {"x": 0.35}) == "#/x: 0.35 is not a multiple of 0.1"


# strings


def test_max_length() -> None:
    schema = obj({"texts": {"type": "array", "items": {"type": "string", "maxLength": 2048}}})
    assert (
        text(schema, {"texts": ["x" * 4680]}) == "#/texts/0: expected maxLength: 2048, actual: 4680"
    )


def test_min_length_counts_code_points() -> None:
    schema = obj({"inputText": {"type": "string", "minLength": 1, "maxLength": 1}})
    assert text(schema, {"inputText": ""}) == "#/inputText: expected minLength: 1, actual: 0"
    assert text(schema, {"inputText": "😀"}) is None


def test_pattern_is_a_search() -> None:
    schema = obj({"x": {"type": "string", "pattern": r"^\d+$"}, "y": {"pattern": "b"}})
    assert text(schema, {"x": "abc"}) == r"#/x: string [abc] does not match pattern ^\d+$"
    assert text(schema, {"y": "abc"}) is None


@pytest.mark.parametrize(
    ("name", "good", "bad", "expected"),
    [
        ("email", "a@example.com", "abc", "[abc] is not a valid email address"),
        (
            "date-time",
            "2024-01-02T03:04:05.123Z",
            "2024-01-02",
            "[2024-01-02] is not a valid date-time. Expected [yyyy-MM-dd'T'HH:mm:ssZ, "
            "yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,9}Z, yyyy-MM-dd'T'HH:mm:ss[+-]HH:mm, "
            "yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,9}[+-]HH:mm]",
        ),
        (
            "date",
            "2024-02-29",
            "2023-02-29",
            "[2023-02-29] is not a valid date. Expected [yyyy-MM-dd]",
        ),
        ("uri", "https://example.com/a", "no scheme", "[no scheme] is not a valid URI"),
        ("ipv4", "10.0.0.1", "10.0.0.256", "[10.0.0.256] is not a valid ipv4 address"),
        ("ipv6", "::1", "1:::2", "[1:::2] is not a valid ipv6 address"),
        ("hostname", "api.example.com", "-bad-.com", "[-bad-.com] is not a valid hostname"),
        ("regex", "^a+$", "(", "[(] is not a valid regular expression"),
    ],
)
def test_format(name: str, good: str, bad: str, expected: str) -> None:
    schema = obj({"x": {"type": "string", "format": name}})
    assert text(schema, {"x": good}) is None
    assert text(schema, {"x": bad}) == f"#/x: {expected}"


def test_unknown_format_is_not_checked() -> None:
    assert text(obj({"x": {"type": "string", "format": "byte"}}), {"x": "%%%"}) is None


# arrays


def test_max_items() -> None:
    schema = obj({"stop": {"type": "array", "maxItems": 10}})
    assert (
        text(schema, {"stop": ["s"] * 11}) == "#/stop: expected maximum item count: 10, found: 11"
    )


def test_min_items() -> None:
    schema = obj({"stop": {"type": "array", "minItems": 1}})
    assert text(schema, {"stop": []}) == "#/stop: expected minimum item count: 1, found: 0"


def test_unique_items() -> None:
    schema = obj({"a": {"type": "array", "uniqueItems": True}})
    assert text(schema, {"a": [1, {"k": [1]}, {"k": [1.0]}]}) == "#/a: array items are not unique"
    assert text(schema, {"a": [1, True, "1"]}) is None


def test_tuple_items_and_additional_items() -> None:
    schema = {"type": "array", "items": [{"type": "string"}], "additionalItems": False}
    assert text(schema, ["a", "b"]) == "#: expected: [1] array items, found: [2]"
    open_schema = {
        "type": "array",
        "items": [{"type": "string"}],
        "additionalItems": {"type": "integer"},
    }
    assert text(open_schema, [1, 2, "c"]) == (
        "#/0: expected type: String, found: Integer#/2: expected type: Integer, found: String"
    )


def test_contains() -> None:
    schema = {"type": "array", "contains": {"const": 1}}
    assert text(schema, [2, 1]) is None
    assert text(schema, [2]) == "#: expected at least one array item to match 'contains' schema"


def test_nested_pointers_escape_slash_and_tilde() -> None:
    schema = {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }
    assert (
        text(schema, {"a/b~c": ["ok", 1]}) == "#/a~1b~0c/1: expected type: String, found: Integer"
    )


# enum / const


def test_enum() -> None:
    body = {**GOOD, "messages": [{"role": "bogus", "content": []}]}
    assert text(MESSAGES, body) == "#/messages/0/role: bogus is not a valid enum value"


def test_enum_prints_values_as_org_json_does() -> None:
    schema = obj({"v": {"enum": ["a", 1]}})
    assert text(schema, {"v": 1.0}) is None  # numbers compare by value
    assert text(schema, {"v": True}) == "#/v: true is not a valid enum value"
    assert text(schema, {"v": None}) == "#/v: null is not a valid enum value"
    assert text(schema, {"v": 0.5}) == "#/v: 0.5 is not a valid enum value"
    assert text(schema, {"v": {"k": "</x>"}}) == '#/v: {"k":"<\\/x>"} is not a valid enum value'
    assert text(schema, {"v": [1, "b"]}) == '#/v: [1,"b"] is not a valid enum value'


def test_const_has_an_empty_text() -> None:
    # everit reports const with an empty message, so Bedrock prints "#/tools/0/type: ".
    schema = obj({"type": {"const": "computer_20241022"}, "n": {"type": "integer"}})
    assert text(schema, {"type": "bogus", "n": "x"}) == (
        "#/type: #/n: expected type: Integer, found: String"
    )
    assert text(schema, {"type": "computer_20241022"}) is None


def test_type_and_enum_is_a_synthetic_all_of() -> None:
    schema = obj({"role": {"type": "string", "enum": ["user"]}})
    assert text(schema, {"role": 5}) == (
        "#/role: 5 is not a valid enum value#/role: expected type: String, found: Integer"
    )
    assert compile_schema(schema).failure({"role": 5}).count == 2


# not / combinators / conditionals


def test_not() -> None:
    schema = {"not": {"required": ["messages"]}}
    assert text(schema, {"prompt": "x"}) is None
    assert text(schema, {"messages": []}) == (
        '#: subject must not be valid against schema {"required":["messages"]}'
    )


def test_any_of_prints_the_leaf_violations_of_every_branch() -> None:
    # Bedrock's Claude 3 answer for a Messages body without max_tokens: a text-completion
    # branch (no "messages") or the Messages branch.
    schema = {
        "anyOf": [
            {"not": {"required": ["messages"]}},
            {"required": ["max_tokens", "messages"]},
        ]
    }
    assert text(schema, {"messages": []}) == (
        '#: subject must not be valid against schema {"required":["messages"]}'
        "#: required key [max_tokens] not found"
    )
    assert text(schema, {"prompt": "p"}) is None
    assert compile_schema(schema).failure({"messages": []}).count == 2


def test_a_branch_with_several_violations_prints_after_single_ones() -> None:
    schema = {
        "anyOf": [
            {"not": {"required": ["messages"]}, "required": ["prompt"]},
            {"required": ["max_tokens", "messages"]},
        ]
    }
    assert text(schema, {"messages": []}) == (
        "#: required key [max_tokens] not found"
        '#: subject must not be valid against schema {"required":["messages"]}'
        "#: required key [prompt] not found"
    )


def test_combinator_exception_texts() -> None:
    any_of = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert compile_schema(any_of).failure(1.5).message == (
        "#: no subschema matched out of the total 2 subschemas"
    )
    all_of = {"allOf": [{"type": "string"}, {"maxLength": 1}]}
    assert compile_schema(all_of).failure("ab").message == "#: only 1 subschema matches out of 2"
    assert text(all_of, "ab") == "#: expected maxLength: 1, actual: 2"


def test_one_of_that_matches_several_prints_its_own_doubled_pointer() -> None:
    schema = obj({"x": {"oneOf": [{"type": "integer"}, {"minimum": 0}]}})
    assert text(schema, {"x": -1.5}) == (
        "#/x: expected type: Integer, found: BigDecimal#/x: -1.5 is not greater or equal to 0"
    )
    assert text(schema, {"x": 3}) == "#/x: #: 2 subschemas matched instead of one"
    assert text(schema, {"x": -1}) is None


def test_if_then_else() -> None:
    schema = {
        "if": {"properties": {"type": {"const": "tool"}}},
        "then": {"required": ["name"]},
        "else": {"required": ["text"]},
    }
    assert text(schema, {"type": "tool", "name": "n"}) is None
    assert text(schema, {"type": "tool"}) == "#: required key [name] not found"
    assert compile_schema(schema).failure({"type": "tool"}).message == (
        'input is invalid against the "then" schema'
    )
    # The else branch prints the "if" violations too.
    assert text(schema, {"type": "x"}) == "#/type: #: required key [text] not found"


def test_false_and_true_schemas() -> None:
    schema = obj({"never": False, "anything": True})
    assert text(schema, {"anything": [1]}) is None
    assert text(schema, {"never": 1}) == "#/never: false schema always fails"


# $ref


def test_ref_to_definitions_and_defs() -> None:
    body = {**GOOD, "messages": [{"role": "user", "content": [{"type": "image"}]}]}
    assert text(MESSAGES, body) == (
        "#/messages/0/content/0: required key [text] not found"
        "#/messages/0/content/0/type: image is not a valid enum value"
    )
    schema = {"$defs": {"n": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/n"}}}
    assert text(schema, {"a": "x"}) == "#/a: expected type: Integer, found: String"


def test_recursive_ref_and_ignored_siblings() -> None:
    tree = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"kids": {"type": "array", "items": {"$ref": "#"}}},
    }
    assert text(tree, {"kids": [{"kids": [{"x": 1}]}]}) == (
        "#/kids/0/kids/0: extraneous key [x] is not permitted"
    )
    sibling = {"definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "maxLength": 1}
    assert text(sibling, "long") is None


def test_unresolvable_or_remote_ref_is_a_schema_error() -> None:
    with pytest.raises(ValueError, match="unresolvable"):
        compile_schema({"$ref": "#/definitions/missing"})
    with pytest.raises(ValueError, match="same schema"):
        compile_schema({"$ref": "https://example.com/s.json"})


def test_unknown_type_is_a_schema_error() -> None:
    with pytest.raises(ValueError, match=r"unknown type: \[map\]"):
        compile_schema({"type": "map"})


# Several violations: grouping, order, styles


def test_violations_of_a_context_are_grouped_and_leaves_print_first() -> None:
    body = {
        "max_tokens": "many",
        "messages": [{"role": "bogus", "content": [], "name": "n"}],
        "stream": True,
    }
    failure = compile_schema(MESSAGES).failure(body)
    assert failure.message == "5 schema violations found"
    assert failure.count == 5
    # Root leaves first (required, extraneous, max_tokens), then the /messages/0 group.
    assert compile_schema(MESSAGES).violations(body) == [
        "#: required key [anthropic_version] not found",
        "#: extraneous key [stream] is not permitted",
        "#/max_tokens: expected type: Integer, found: String",
        "#/messages/0: extraneous key [name] is not permitted",
        "#/messages/0/role: bogus is not a valid enum value",
    ]
    assert text(MESSAGES, body) == "".join(compile_schema(MESSAGES).violations(body))


def test_properties_are_visited_in_java_hashmap_order() -> None:
    # Buckets in a 16-slot HashMap: "top_p" < "max_tokens" whatever the schema's order.
    schema = obj({"max_tokens": {"type": "integer"}, "top_p": {"type": "number"}})
    assert text(schema, {"max_tokens": "a", "top_p": "b"}) == (
        "#/top_p: expected type: Number, found: String"
        "#/max_tokens: expected type: Integer, found: String"
    )


def test_count_style_prints_the_number_of_violations() -> None:
    schema = {
        "x-bedrock-violations": "count",
        "type": "object",
        "required": ["inputText"],
        "properties": {"inputText": {"type": "string"}},
        "additionalProperties": False,
    }
    message = error(schema, {"inputText": "x", "a": 1, "b": 2})
    assert message == (
        "Malformed input request: 2 schema violations found, "
        "please reformat your input and try again."
    )


def test_count_style_prints_a_single_violation_without_its_pointer() -> None:
    schema = {
        "x-bedrock-violations": "count",
        "type": "object",
        "properties": {"inputText": {"type": "string"}},
        "additionalProperties": False,
    }
    assert error(schema, {"inputText": "x", "textGenerationConfig": {}}) == (
        "Malformed input request: extraneous key [textGenerationConfig] is not permitted, "
        "please reformat your input and try again."
    )
    assert text(schema, {"inputText": 1}) == "expected type: String, found: Integer"
    assert compile_schema(schema).style == "count"


def test_count_style_counts_nested_violations() -> None:
    schema = {"x-bedrock-violations": "count", **MESSAGES}
    body = {**GOOD, "messages": [{"role": "bogus", "content": "x"}], "top_k": 1}
    assert text(schema, body) == "3 schema violations found"


def test_unknown_style_is_a_schema_error() -> None:
    with pytest.raises(ValueError, match="x-bedrock-violations"):
        compile_schema({"x-bedrock-violations": "list"})


# Helpers for codecs


def test_violation_helper() -> None:
    assert violation("#/max_gen_len", "8192 is not less or equal to 2048") == (
        "#/max_gen_len: 8192 is not less or equal to 2048"
    )


def test_malformed_concat() -> None:
    exc = malformed(
        violation("#", "required key [inputText] not found"),
        violation("#", "required key [inputImage] not found"),
    )
    assert isinstance(exc, ValidationException)
    assert exc.message == (
        "Malformed input request: #: required key [inputText] not found"
        "#: required key [inputImage] not found, please reformat your input and try again."
    )


def test_malformed_count() -> None:
    two = malformed(violation("#", "a"), violation("#/b", "c"), style="count")
    assert two.message == MALFORMED.format(violations="2 schema violations found")
    one = malformed(violation("#/x", "extraneous key [k] is not permitted"), style="count")
    assert one.message == MALFORMED.format(violations="extraneous key [k] is not permitted")


def test_malformed_rejects_nothing_and_unknown_styles() -> None:
    with pytest.raises(ValueError):
        malformed()
    with pytest.raises(ValueError):
        malformed(violation("#", "x"), style="list")


# Loading and caching


def test_compiled_schema_is_cached_per_mapping_and_reusable() -> None:
    first = compile_schema(MESSAGES)
    assert compile_schema(MESSAGES) is first
    assert compile_schema(first) is first
    assert isinstance(first, CompiledSchema)
    assert compile_schema(dict(MESSAGES)) is not first  # another mapping, another entry
    validate_body(first, GOOD)


def test_load_schema_missing_name() -> None:
    with pytest.raises(FileNotFoundError):
        load_schema("no-such-schema")


@pytest.mark.skipif(not SHIPPED, reason="no schema files shipped yet")
def test_named_schemas_are_loaded_and_compiled_once() -> None:
    name = SHIPPED[0]
    assert load_schema(name) is load_schema(name)
    assert compile_schema(name) is compile_schema(name)
    assert compile_schema(name).schema is load_schema(name)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_schema_compiles(name: str) -> None:
    compiled = compile_schema(name)
    assert compiled.style in ("concat", "count")
    jsonschema.validators.validator_for(compiled.schema).check_schema(compiled.schema)


# Agreement with the jsonschema library on what is valid


AGREEMENT = [
    (MESSAGES, GOOD),
    (MESSAGES, {**GOOD, "temperature": 1.5}),
    (MESSAGES, {**GOOD, "temperature": 1}),
    (MESSAGES, {**GOOD, "messages": [{"role": "user", "content": [{"type": "text"}]}]}),
    ({"type": ["string", "null"], "maxLength": 2}, None),
    ({"type": ["string", "null"], "maxLength": 2}, "abc"),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 2),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 2.5),
    ({"anyOf": [{"const": 1}, {"enum": ["a"]}]}, True),
    ({"uniqueItems": True}, [1, 1.0]),
    ({"items": [{"type": "string"}], "additionalItems": False}, ["a"]),
    ({"dependencies": {"a": ["b"]}}, {"a": 1}),
    ({"if": {"const": 1}, "then": {"multipleOf": 2}}, 1),
    ({"not": {"type": "string"}}, 1),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"A": 1}),
]


@pytest.mark.parametrize(("schema", "body"), AGREEMENT)
def test_validity_agrees_with_jsonschema(schema: dict[str, Any], body: Any) -> None:
    expected = jsonschema.Draft7Validator(schema).is_valid(body)
    assert (text(schema, body) is None) == expected
