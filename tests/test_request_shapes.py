"""request_shapes against the real bedrock-runtime and bedrock models, plus a few synthetic shapes
for what those models lack (body timestamps, a non-sensitive constrained map)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
import warnings
from typing import Any

import pytest
from botocore.loaders import create_loader
from botocore.model import ShapeResolver, StructureShape

from moto_bedrock_runtime.request_shapes import (
    ShapeError,
    _compile_pattern,
    _translate_java_regex,
    input_shape,
    parse_body,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
SIGNATURE = b"\x00\x01redacted-reasoning\xff"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def converse() -> StructureShape:
    return input_shape("bedrock-runtime", "Converse")


def full_request() -> dict[str, Any]:
    """A Converse body using every content-block kind and every top-level body member."""
    return {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": "Describe these."},
                    {"image": {"format": "png", "source": {"bytes": b64(PNG)}}},
                    {
                        "document": {
                            "format": "pdf",
                            "name": "report",
                            "source": {"bytes": b64(PDF)},
                            "citations": {"enabled": True},
                        }
                    },
                    {
                        "video": {
                            "format": "mp4",
                            "source": {
                                "s3Location": {
                                    "uri": "s3://my-bucket/clips/a.mp4",
                                    "bucketOwner": "123456789012",
                                }
                            },
                        }
                    },
                    {"guardContent": {"text": {"text": "check me", "qualifiers": ["query"]}}},
                    {"cachePoint": {"type": "default", "ttl": "5m"}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}},
                    {"reasoningContent": {"redactedContent": b64(SIGNATURE)}},
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_1",
                            "name": "get_weather",
                            "input": {"city": "Paris", "days": [1, 2], "extra": None},
                        }
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "toolResult": {
                            "toolUseId": "tooluse_1",
                            "content": [{"json": {"temp": 21.5, "ok": True}}, {"text": "sunny"}],
                            "status": "success",
                        }
                    }
                ],
            },
        ],
        "system": [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
        "inferenceConfig": {"maxTokens": 512, "temperature": 0.5, "topP": 1, "stopSequences": []},
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "description": "Weather by city",
                        "inputSchema": {"json": {"type": "object", "required": ["city"]}},
                        "strict": False,
                    }
                }
            ],
            "toolChoice": {"tool": {"name": "get_weather"}},
        },
        "guardrailConfig": {"guardrailIdentifier": "abc123", "guardrailVersion": "DRAFT"},
        "additionalModelRequestFields": {"top_k": 40, "nested": [{"any": "thing"}]},
        "promptVariables": {"city": {"text": "Paris"}},
        "additionalModelResponseFieldPaths": ["/stop_sequence"],
        "requestMetadata": {"team": "search"},
        "performanceConfig": {"latency": "standard"},
        "serviceTier": {"type": "default"},
        "outputConfig": {
            "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{}"}}}
        },
    }


def error_of(shape: StructureShape, body: Any, **kwargs: Any) -> ShapeError:
    with pytest.raises(ShapeError) as caught:
        parse_body(shape, body, **kwargs)
    return caught.value


def message_of(shape: StructureShape, body: Any, **kwargs: Any) -> str:
    return error_of(shape, body, **kwargs).message


def with_content(*blocks: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": list(blocks)}]}


CONTENT = "messages.1.member.content"


# -- valid bodies ---------------------------------------------------------------------------------


def test_full_converse_request_parses_with_blobs_decoded(converse: StructureShape) -> None:
    body = full_request()
    original = copy.deepcopy(body)

    parsed = parse_body(converse, body, skip=("modelId",))

    expected = copy.deepcopy(original)
    user, assistant, _ = expected["messages"]
    user["content"][1]["image"]["source"]["bytes"] = PNG
    user["content"][2]["document"]["source"]["bytes"] = PDF
    assistant["content"][1]["reasoningContent"]["redactedContent"] = SIGNATURE
    assert parsed == expected
    assert body == original  # the input is left alone
    assert parsed["messages"] is not body["messages"]


def test_documents_are_returned_unchecked(converse: StructureShape) -> None:
    odd_schema: Any = [1, "x", None, {"deep": {"er": [True]}}]
    body = {
        "toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": odd_schema}}}]},
        "additionalModelRequestFields": "just a string",
    }
    parsed = parse_body(converse, body)
    assert parsed["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"] == odd_schema
    assert parsed["additionalModelRequestFields"] == "just a string"


def test_null_members_are_unset_and_dropped(converse: StructureShape) -> None:
    body = {
        "messages": [{"role": "user", "content": [{"text": "hi", "image": None}]}],
        "system": None,
    }
    assert parse_body(converse, body) == with_content({"text": "hi"})


def test_skip_copies_named_top_level_keys_unchecked(converse: StructureShape) -> None:
    assert parse_body(converse, {"modelId": 7}, skip=("modelId",)) == {"modelId": 7}


def test_uri_members_are_not_body_members(converse: StructureShape) -> None:
    # modelId is bound to the URI: neither required in the body nor accepted there.
    assert parse_body(converse, {}) == {}
    assert message_of(converse, {"modelId": "m"}) == "Unknown parameter 'modelId'"


def test_converse_stream_and_count_tokens() -> None:
    stream = input_shape("bedrock-runtime", "ConverseStream")
    body = {k: v for k, v in full_request().items() if k != "guardrailConfig"}
    body["guardrailConfig"] = {"guardrailIdentifier": "abc", "guardrailVersion": "1"}
    assert parse_body(stream, body)["messages"][0]["content"][1]["image"]["source"]["bytes"] == PNG

    count = input_shape("bedrock-runtime", "CountTokens")
    converse_input = {"input": {"converse": {"messages": full_request()["messages"][:1]}}}
    assert parse_body(count, converse_input)["input"]["converse"]["messages"][0]["role"] == "user"
    raw = {"input": {"invokeModel": {"body": b64(b'{"prompt": "hi"}')}}}
    assert parse_body(count, raw) == {"input": {"invokeModel": {"body": b'{"prompt": "hi"}'}}}


def test_input_shape_is_cached() -> None:
    assert input_shape("bedrock-runtime", "Converse") is input_shape("bedrock-runtime", "Converse")


# -- constraint violations ------------------------------------------------------------------------


def test_value_below_minimum(converse: StructureShape) -> None:
    error = error_of(converse, {"inferenceConfig": {"maxTokens": 0}})
    assert error.message == (
        "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )
    assert str(error) == error.message
    assert error.messages == [error.message.removeprefix("1 validation error detected: ")]


def test_several_violations_in_document_order(converse: StructureShape) -> None:
    body = {"inferenceConfig": {"temperature": 1.5}, "system": [{"text": "ok"}, {"text": ""}]}
    error = error_of(converse, body)
    assert error.message == (
        "2 validation errors detected: Value '1.5' at 'inferenceConfig.temperature' failed to "
        "satisfy constraint: Member must have value less than or equal to 1; Value '' at "
        "'system.2.member.text' failed to satisfy constraint: Member must have length greater "
        "than or equal to 1"
    )
    assert len(error.messages) == 2


@pytest.mark.parametrize(
    ("temperature", "shown"),
    [(2, "2.0"), (1e10, "1.0E10"), (-0.5, "-0.5"), (-1.5e-5, "-1.5E-5")],
)
def test_float_members_print_as_java_doubles(
    converse: StructureShape, temperature: float, shown: str
) -> None:
    bound = "less than or equal to 1" if temperature > 0 else "greater than or equal to 0"
    assert message_of(converse, {"inferenceConfig": {"temperature": temperature}}) == (
        f"1 validation error detected: Value '{shown}' at 'inferenceConfig.temperature' failed "
        f"to satisfy constraint: Member must have value {bound}"
    )


def test_missing_required_member(converse: StructureShape) -> None:
    assert message_of(converse, {"messages": [{"content": []}]}) == (
        "1 validation error detected: Value null at 'messages.1.member.role' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_null_list_item(converse: StructureShape) -> None:
    assert message_of(converse, with_content(None)) == (
        f"1 validation error detected: Value null at '{CONTENT}.1.member' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_enum(converse: StructureShape) -> None:
    body = {"messages": [{"role": "robot", "content": []}]}
    assert message_of(converse, body) == (
        "1 validation error detected: Value 'robot' at 'messages.1.member.role' failed to satisfy "
        "constraint: Member must satisfy enum value set: [user, assistant, system]"
    )


def test_pattern_and_lengths(converse: StructureShape) -> None:
    def tool_use(name: str) -> dict[str, Any]:
        return with_content({"toolUse": {"toolUseId": "t1", "name": name, "input": {}}})

    at = f"at '{CONTENT}.1.member.toolUse.name' failed to satisfy constraint: Member must"
    assert message_of(converse, tool_use("get weather")) == (
        f"1 validation error detected: Value 'get weather' {at} satisfy regular expression "
        "pattern: [a-zA-Z0-9_-]+"
    )
    assert message_of(converse, tool_use("x" * 65)) == (
        f"1 validation error detected: Value '{'x' * 65}' {at} have length less than or equal to 64"
    )
    assert message_of(converse, tool_use("")) == (
        f"2 validation errors detected: Value '' {at} have length greater than or equal to 1; "
        f"Value '' {at} satisfy regular expression pattern: [a-zA-Z0-9_-]+"
    )


def test_list_lengths_print_the_list(converse: StructureShape) -> None:
    assert message_of(converse, {"toolConfig": {"tools": []}}) == (
        "1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1"
    )
    paths = [f"/p{i}" for i in range(11)]
    assert message_of(converse, {"additionalModelResponseFieldPaths": paths}) == (
        f"1 validation error detected: Value '[{', '.join(paths)}]' at "
        "'additionalModelResponseFieldPaths' failed to satisfy constraint: Member must have "
        "length less than or equal to 10"
    )


def test_blob_length_counts_decoded_bytes(converse: StructureShape) -> None:
    document = {"format": "pdf", "name": "d", "source": {"bytes": ""}}
    assert message_of(converse, with_content({"document": document})) == (
        f"1 validation error detected: Value '' at '{CONTENT}.1.member.document.source.bytes' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1"
    )


# -- wrong JSON types -----------------------------------------------------------------------------


def document_bytes(value: Any) -> dict[str, Any]:
    return with_content({"document": {"format": "pdf", "name": "d", "source": {"bytes": value}}})


@pytest.mark.parametrize(
    ("body", "shown", "path", "kind"),
    [
        ({"messages": "hello"}, "hello", "messages", "a list"),
        ({"inferenceConfig": [1, "a"]}, "[1, a]", "inferenceConfig", "a structure"),
        ({"inferenceConfig": {"maxTokens": "10"}}, "10", "inferenceConfig.maxTokens", "an integer"),
        ({"inferenceConfig": {"maxTokens": 1.5}}, "1.5", "inferenceConfig.maxTokens", "an integer"),
        ({"inferenceConfig": {"maxTokens": 5.0}}, "5.0", "inferenceConfig.maxTokens", "an integer"),
        (
            {"inferenceConfig": {"maxTokens": True}},
            "true",
            "inferenceConfig.maxTokens",
            "an integer",
        ),
        (
            {"inferenceConfig": {"maxTokens": 2**31}},
            "2147483648",
            "inferenceConfig.maxTokens",
            "an integer",
        ),
        ({"inferenceConfig": {"topP": "0.5"}}, "0.5", "inferenceConfig.topP", "a number"),
        ({"inferenceConfig": {"topP": False}}, "false", "inferenceConfig.topP", "a number"),
        ({"system": [{"text": {"a": 1}}]}, "{a=1}", "system.1.member.text", "a string"),
        (
            with_content({"document": {"format": "pdf", "name": "d", "citations": {"enabled": 1}}}),
            "1",
            f"{CONTENT}.1.member.document.citations.enabled",
            "a boolean",
        ),
        (document_bytes("not base64!"), "not base64!", None, "a base64-encoded blob"),
        (document_bytes("aGk"), "aGk", None, "a base64-encoded blob"),  # missing padding
        (document_bytes("aGk=\n"), "aGk=\n", None, "a base64-encoded blob"),
        (document_bytes("é"), "é", None, "a base64-encoded blob"),
        (document_bytes(12), "12", None, "a base64-encoded blob"),
    ],
)
def test_wrong_json_type(
    converse: StructureShape, body: dict[str, Any], shown: str, path: str | None, kind: str
) -> None:
    path = path or f"{CONTENT}.1.member.document.source.bytes"
    error = error_of(converse, body)
    assert error.messages[0] == (
        f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must be {kind}"
    )


def test_body_must_be_an_object(converse: StructureShape) -> None:
    assert message_of(converse, ["messages"]) == "Request body must be a JSON object"


# -- unknown members and unions -------------------------------------------------------------------


def test_unknown_parameters_are_not_counted(converse: StructureShape) -> None:
    assert message_of(converse, {"inferenceConfig": {"foo": 1}}) == (
        "Unknown parameter 'foo' at 'inferenceConfig'"
    )
    assert message_of(converse, {"foo": 1, "bar": None}) == (
        "Unknown parameter 'foo'; Unknown parameter 'bar'"
    )
    error = error_of(converse, {"inferenceConfig": {"foo": 1, "maxTokens": 0}})
    assert error.message == (
        "1 validation error detected: Unknown parameter 'foo' at 'inferenceConfig'; Value '0' at "
        "'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater "
        "than or equal to 1"
    )
    assert len(error.messages) == 2


@pytest.mark.parametrize(
    "block",
    [{}, {"text": None}, {"text": "a", "cachePoint": {"type": "default"}}],
)
def test_union_needs_exactly_one_member(converse: StructureShape, block: dict[str, Any]) -> None:
    assert message_of(converse, with_content(block)) == (
        f"1 validation error detected: Value at '{CONTENT}.1.member' failed to satisfy "
        "constraint: Member must have exactly one member set"
    )


def test_empty_structures_count_as_set_union_members(converse: StructureShape) -> None:
    body = {
        "toolConfig": {"tools": [{"cachePoint": {"type": "default"}}], "toolChoice": {"any": {}}}
    }
    assert parse_body(converse, body) == body
    body["toolConfig"]["toolChoice"]["auto"] = {}
    assert message_of(converse, body) == (
        "1 validation error detected: Value at 'toolConfig.toolChoice' failed to satisfy "
        "constraint: Member must have exactly one member set"
    )


def test_unknown_union_member(converse: StructureShape) -> None:
    assert message_of(converse, with_content({"txt": "hi"})) == (
        f"1 validation error detected: Value at '{CONTENT}.1.member' failed to satisfy "
        f"constraint: Member must have exactly one member set; Unknown parameter 'txt' at "
        f"'{CONTENT}.1.member'"
    )
    assert message_of(converse, with_content({"text": "hi", "txt": "hi"})) == (
        f"Unknown parameter 'txt' at '{CONTENT}.1.member'"
    )


# -- sensitive shapes -----------------------------------------------------------------------------


def test_sensitive_values_are_never_echoed(converse: StructureShape) -> None:
    # ImageSource, ReasoningContentBlock and RequestMetadata are sensitive in the model.
    image = {"image": {"format": "png", "source": {"bytes": "secret!"}}}
    reasoning = {"reasoningContent": {"reasoningText": {"signature": "s"}}}
    body = {**with_content(image, reasoning), "requestMetadata": {"bad key!": "x" * 257}}
    error = error_of(converse, body)
    assert error.messages == [
        f"Value at '{CONTENT}.1.member.image.source.bytes' failed to satisfy constraint: "
        "Member must be a base64-encoded blob",
        f"Value at '{CONTENT}.2.member.reasoningContent.reasoningText.text' failed to satisfy "
        "constraint: Member must not be null",
        "Value at 'requestMetadata' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must satisfy regular expression pattern: "
        r"[a-zA-Z0-9\s:_@$#=/+,-.]{1,256}]",
        "Value at 'requestMetadata.bad key!' failed to satisfy constraint: Member must have "
        "length less than or equal to 256",
        "Value at 'requestMetadata.bad key!' failed to satisfy constraint: Member must satisfy "
        r"regular expression pattern: [a-zA-Z0-9\s:_@$#=/+,-.]{0,256}",
    ]
    assert "secret" not in error.message
    assert error.message.startswith("5 validation errors detected: ")
    assert message_of(converse, {"requestMetadata": {}}) == (
        "1 validation error detected: Value at 'requestMetadata' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


# -- synthetic shapes for what the Bedrock models lack in request bodies ---------------------------


def synthetic(shapes: dict[str, Any]) -> StructureShape:
    return ShapeResolver(shapes).get_shape_by_name("Input")  # type: ignore[return-value]


@pytest.fixture(scope="module")
def labels() -> StructureShape:
    return synthetic(
        {
            "Input": {
                "type": "structure",
                "members": {
                    "labels": {"shape": "Labels"},
                    "people": {"shape": "People"},
                    "at": {"shape": "Time"},
                    "big": {"shape": "Big"},
                },
            },
            "Labels": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Count"}},
            "Key": {"type": "string", "min": 2, "pattern": "[a-z]+"},
            "Count": {"type": "integer", "max": 9},
            "People": {"type": "list", "member": {"shape": "Person"}, "max": 1},
            "Person": {
                "type": "structure",
                "members": {"name": {"shape": "Key"}, "pin": {"shape": "Pin"}},
            },
            "Pin": {"type": "string", "sensitive": True},
            "Time": {"type": "timestamp", "timestampFormat": "iso8601"},
            "Big": {"type": "long"},
        }
    )


def test_map_keys_and_values(labels: StructureShape) -> None:
    assert parse_body(labels, {"labels": {"ab": 1}}) == {"labels": {"ab": 1}}
    assert error_of(labels, {"labels": {"A": 10, "ok": None}}).messages == [
        "Value 'A' at 'labels' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length greater than or equal to 2, Member must satisfy regular "
        "expression pattern: [a-z]+]",
        "Value '10' at 'labels.A' failed to satisfy constraint: Member must have value less than "
        "or equal to 9",
        "Value null at 'labels.ok' failed to satisfy constraint: Member must not be null",
    ]
    assert message_of(labels, {"labels": ["ab"]}) == (
        "1 validation error detected: Value '[ab]' at 'labels' failed to satisfy constraint: "
        "Member must be a map"
    )


def test_printed_structures_redact_sensitive_members(labels: StructureShape) -> None:
    people = [{"name": "ann", "pin": "1234"}, {"name": "bob"}]
    assert message_of(labels, {"people": people}) == (
        "1 validation error detected: Value '[{name=ann, pin=***}, {name=bob}]' at 'people' "
        "failed to satisfy constraint: Member must have length less than or equal to 1"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)),
        (1700000000.5, dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=dt.timezone.utc)),
        ("2024-05-01T12:00:00Z", dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)),
        ("2024-05-01T12:00:00", dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)),
        (
            "2024-05-01T14:00:00+02:00",
            dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc),
        ),
    ],
)
def test_timestamps(labels: StructureShape, value: Any, expected: dt.datetime) -> None:
    assert parse_body(labels, {"at": value}) == {"at": expected}


@pytest.mark.parametrize("value", ["yesterday", True, [2024], 1e20])
def test_bad_timestamps(labels: StructureShape, value: Any) -> None:
    assert (
        error_of(labels, {"at": value})
        .messages[0]
        .endswith("at 'at' failed to satisfy constraint: Member must be a timestamp")
    )


def test_long_range(labels: StructureShape) -> None:
    assert parse_body(labels, {"big": 2**63 - 1}) == {"big": 2**63 - 1}
    assert error_of(labels, {"big": 2**63}).messages == [
        f"Value '{2**63}' at 'big' failed to satisfy constraint: Member must be an integer"
    ]


# -- the control plane ----------------------------------------------------------------------------


def test_bedrock_create_guardrail() -> None:
    shape = input_shape("bedrock", "CreateGuardrail")
    body = {
        "name": "my-guardrail",
        "blockedInputMessaging": "no",
        "blockedOutputsMessaging": "no",
        "contentPolicyConfig": {
            "filtersConfig": [{"type": "HATE", "inputStrength": "HIGH", "outputStrength": "LOW"}]
        },
        "contextualGroundingPolicyConfig": {
            "filtersConfig": [{"type": "GROUNDING", "threshold": 0.75}]
        },
        "tags": [{"key": "team", "value": "search"}],
    }
    assert parse_body(shape, body) == body

    body["contentPolicyConfig"]["filtersConfig"][0]["type"] = "RUDE"
    body["contextualGroundingPolicyConfig"]["filtersConfig"][0]["threshold"] = -0.25
    body["tags"][0]["key"] = "team!"
    del body["blockedOutputsMessaging"]
    assert error_of(shape, body).messages == [
        "Value 'RUDE' at 'contentPolicyConfig.filtersConfig.1.member.type' failed to satisfy "
        "constraint: Member must satisfy enum value set: [SEXUAL, VIOLENCE, HATE, INSULTS, "
        "MISCONDUCT, PROMPT_ATTACK]",
        "Value '-0.25' at 'contextualGroundingPolicyConfig.filtersConfig.1.member.threshold' "
        "failed to satisfy constraint: Member must have value greater than or equal to 0",
        "Value 'team!' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy "
        r"regular expression pattern: [a-zA-Z0-9\s._:/=+@-]*",
        # GuardrailBlockedMessaging is sensitive, so even null is not printed.
        "Value at 'blockedOutputsMessaging' failed to satisfy constraint: Member must not be null",
    ]


def test_skip_also_lifts_requirements() -> None:
    shape = input_shape("bedrock", "CreateGuardrail")
    body = {"blockedInputMessaging": "no", "blockedOutputsMessaging": "no"}
    assert parse_body(shape, body, skip=("name",)) == body


def test_recursive_shapes_compile() -> None:
    # CreateEvaluationJob reaches RetrievalFilter, which contains lists of itself.
    shape = input_shape("bedrock", "CreateEvaluationJob")
    assert error_of(shape, {}).message.startswith("5 validation errors detected: Value null at")


# -- patterns -------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["bedrock-runtime", "bedrock"])
def test_every_model_pattern_compiles(service: str) -> None:
    model = create_loader().load_service_model(service, "service-2")
    patterns = {s["pattern"] for s in model["shapes"].values() if "pattern" in s}
    assert patterns
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # re's FutureWarnings flag Java-only class syntax
        for pattern in patterns:
            re.compile(_translate_java_regex(pattern), re.ASCII)
            assert _compile_pattern(pattern) is _compile_pattern(pattern)


def test_java_regex_translation() -> None:
    # bedrock's AutomatedReasoningPolicyDefinitionTypeName-style pattern uses Unicode categories.
    words = _compile_pattern(r"\p{L}[\p{L}\p{M}0-9_]*( [\p{L}\p{M}0-9_]+)*")
    assert words.fullmatch("Élan_1 ďaľší")
    assert words.fullmatch("e\u0301t\u00e9")  # a combining mark (M) after a letter
    assert not words.fullmatch("1abc")
    assert not words.fullmatch("abc ")
    assert _compile_pattern(r"\P{L}+").fullmatch("12 !")
    # Java's '.' stops at line terminators and its \d is ASCII; a class's '.' stays literal.
    s3_uri = _compile_pattern(r"s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?")
    assert s3_uri.fullmatch("s3://bucket/a/b.txt")
    assert not s3_uri.fullmatch("s3://bucket/a\nb")
    assert not s3_uri.fullmatch("s3://bucket/a\rb")
    assert not _compile_pattern(r"v\d+.\d+").fullmatch("v\u0663.1")
    assert _compile_pattern("[a.]+").fullmatch("a.a")
    assert not _compile_pattern("[a.]+").fullmatch("ab")
