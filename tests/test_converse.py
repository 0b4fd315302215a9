"""Converse and ConverseStream under @mock_aws, read the way real clients read them."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError, EventStreamError

from moto_bedrock_runtime.engines.canned import CannedEngine
from moto_bedrock_runtime.errors import AccessDeniedException, ThrottlingException
from moto_bedrock_runtime.neutral import TextDelta
from moto_bedrock_runtime.runtime.responses import INTERNAL_ERROR

from .conftest import HAIKU, SONNET_37, SONNET_45, capture_bodies, check_output

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "minLength": 2},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                    "when": {"type": "string", "format": "date"},
                },
                "required": ["city", "unit", "days"],
                "additionalProperties": False,
            }
        },
    }
}
SEARCH_TOOL = {
    "toolSpec": {
        "name": "search_flights",
        "description": "Search flights between airports",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "origin": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "destination": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "passengers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "properties": {
                                "name": {"type": "string"},
                                "age": {"type": "integer", "minimum": 0},
                            },
                            "required": ["name", "age"],
                        },
                    },
                },
                "required": ["origin", "destination", "passengers"],
            }
        },
    }
}


def user(*blocks: Any) -> dict[str, Any]:
    return {"role": "user", "content": [b if isinstance(b, dict) else {"text": b} for b in blocks]}


def text_of(response: dict[str, Any]) -> str:
    return "".join(b.get("text", "") for b in response["output"]["message"]["content"])


def collect_stream(response: dict[str, Any]) -> list[dict[str, Any]]:
    return list(response["stream"])


def rebuild(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What a client assembles from ConverseStream events: blocks, stop reason, usage."""
    blocks: dict[int, dict[str, Any]] = {}
    result: dict[str, Any] = {}
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            blocks[start["contentBlockIndex"]] = {
                "toolUse": dict(start["start"]["toolUse"], input="")
            }
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            block = blocks.setdefault(delta["contentBlockIndex"], {})
            if "text" in delta["delta"]:
                block["text"] = block.get("text", "") + delta["delta"]["text"]
            elif "toolUse" in delta["delta"]:
                block["toolUse"]["input"] += delta["delta"]["toolUse"]["input"]
            else:
                reasoning = block.setdefault("reasoning", {"text": "", "signature": ""})
                for key, value in delta["delta"]["reasoningContent"].items():
                    reasoning[key] += value
        elif "messageStop" in event:
            result["stopReason"] = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            result["usage"] = event["metadata"]["usage"]
            result["latencyMs"] = event["metadata"]["metrics"]["latencyMs"]
    result["blocks"] = [blocks[i] for i in sorted(blocks)]
    return result


def test_converse_answers_with_a_valid_wire_shape(runtime: Any) -> None:
    bodies = capture_bodies(runtime)
    response = runtime.converse(modelId=HAIKU, messages=[user("Tell me about Lisbon.")])
    check_output("Converse", json.loads(bodies[0]))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert response["output"]["message"]["role"] == "assistant"
    assert "Lisbon" in text_of(response)
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert all(isinstance(usage[k], int) for k in ("inputTokens", "outputTokens", "totalTokens"))
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert usage["outputTokens"] > 5
    assert isinstance(response["metrics"]["latencyMs"], int)


def test_same_request_same_answer(runtime: Any) -> None:
    request = {"modelId": HAIKU, "messages": [user("Summarise the plot of Hamlet.")]}
    first, second = runtime.converse(**request), runtime.converse(**request)
    assert first["output"] == second["output"]
    assert first["usage"] == second["usage"]
    other = runtime.converse(modelId=HAIKU, messages=[user("Summarise the plot of Macbeth.")])
    assert other["output"] != first["output"]


def test_stream_carries_the_same_answer_as_converse(runtime: Any) -> None:
    request = {"modelId": HAIKU, "messages": [user("Describe the sea in two sentences.")]}
    whole = runtime.converse(**request)
    events = collect_stream(runtime.converse_stream(**request))
    names = [next(iter(e)) for e in events]
    assert names[0] == "messageStart" and events[0]["messageStart"] == {"role": "assistant"}
    assert names[-2:] == ["messageStop", "metadata"]
    assert names.count("contentBlockDelta") > 3
    assert "contentBlockStart" not in names  # text blocks begin with their deltas
    rebuilt = rebuild(events)
    assert rebuilt["blocks"] == [{"text": text_of(whole)}]
    assert rebuilt["stopReason"] == whole["stopReason"]
    assert rebuilt["usage"] == whole["usage"]
    assert isinstance(rebuilt["latencyMs"], int)


def test_tool_round_trip_with_schema_valid_input(runtime: Any) -> None:
    tools = {"tools": [SEARCH_TOOL, WEATHER_TOOL]}
    first_turn = user("What's the weather like in Paris this week?")
    response = runtime.converse(modelId=HAIKU, messages=[first_turn], toolConfig=tools)
    assert response["stopReason"] == "tool_use"
    content = response["output"]["message"]["content"]
    use = next(block["toolUse"] for block in content if "toolUse" in block)
    assert use["name"] == "get_weather"
    assert use["toolUseId"].startswith("tooluse_")
    jsonschema.validate(
        use["input"],
        WEATHER_TOOL["toolSpec"]["inputSchema"]["json"],
        format_checker=jsonschema.FormatChecker(),
    )
    result = {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"json": {"temp": 21}}]}}
    final = runtime.converse(
        modelId=HAIKU,
        messages=[first_turn, response["output"]["message"], user(result)],
        toolConfig=tools,
    )
    assert final["stopReason"] == "end_turn"
    assert "get_weather" in text_of(final) and '"temp": 21' in text_of(final)
    assert not any("toolUse" in b for b in final["output"]["message"]["content"])


@pytest.mark.parametrize(
    ("choice", "expected"),
    [({"any": {}}, "search_flights"), ({"tool": {"name": "search_flights"}}, "search_flights")],
)
def test_forced_tool_choice(runtime: Any, choice: dict[str, Any], expected: str) -> None:
    response = runtime.converse(
        modelId=HAIKU,
        messages=[user("Find me a flight from LIS to JFK for two people.")],
        toolConfig={"tools": [WEATHER_TOOL, SEARCH_TOOL], "toolChoice": choice},
    )
    content = response["output"]["message"]["content"]
    assert [list(b) for b in content] == [["toolUse"]]
    assert content[0]["toolUse"]["name"] == expected
    jsonschema.validate(
        content[0]["toolUse"]["input"], SEARCH_TOOL["toolSpec"]["inputSchema"]["json"]
    )


def test_streamed_tool_use_arrives_as_partial_json(runtime: Any) -> None:
    events = collect_stream(
        runtime.converse_stream(
            modelId=HAIKU,
            messages=[user("Weather in Oslo please")],
            toolConfig={"tools": [WEATHER_TOOL]},
        )
    )
    starts = [e["contentBlockStart"] for e in events if "contentBlockStart" in e]
    assert len(starts) == 1 and starts[0]["contentBlockIndex"] == 1
    assert starts[0]["start"]["toolUse"]["name"] == "get_weather"
    pieces = [
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "contentBlockDelta" in e and "toolUse" in e["contentBlockDelta"]["delta"]
    ]
    assert len(pieces) > 1 and all(isinstance(p, str) for p in pieces)
    jsonschema.validate(
        json.loads("".join(pieces)), WEATHER_TOOL["toolSpec"]["inputSchema"]["json"]
    )
    assert rebuild(events)["stopReason"] == "tool_use"


def test_structured_output_is_valid_json_for_the_schema(runtime: Any) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
            "genres": {"type": "array", "items": {"enum": ["drama", "comedy", "sci-fi"]}},
        },
        "required": ["title", "year", "genres"],
        "additionalProperties": False,
    }
    response = runtime.converse(
        modelId=SONNET_45,
        messages=[user("Recommend one film as JSON.")],
        outputConfig={
            "textFormat": {
                "type": "json_schema",
                "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "film"}},
            }
        },
    )
    jsonschema.validate(json.loads(text_of(response)), schema)


def test_reasoning_comes_first_with_a_signature(runtime: Any) -> None:
    request = {
        "modelId": SONNET_37,
        "messages": [user("Is 1001 prime?")],
        "inferenceConfig": {"maxTokens": 4000},
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
    }
    response = runtime.converse(**request)
    content = response["output"]["message"]["content"]
    reasoning = content[0]["reasoningContent"]["reasoningText"]
    assert reasoning["text"] and reasoning["signature"]
    assert "text" in content[1]
    events = collect_stream(runtime.converse_stream(**request))
    deltas = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    reasoning_deltas = [
        d["delta"]["reasoningContent"] for d in deltas if d["contentBlockIndex"] == 0
    ]
    assert "signature" in reasoning_deltas[-1]
    assert all("text" in d for d in reasoning_deltas[:-1])
    assert rebuild(events)["blocks"][0]["reasoning"] == reasoning


def test_max_tokens_truncates(runtime: Any) -> None:
    response = runtime.converse(
        modelId=HAIKU, messages=[user("Write a long essay.")], inferenceConfig={"maxTokens": 5}
    )
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 5
    events = collect_stream(
        runtime.converse_stream(
            modelId=HAIKU, messages=[user("Write a long essay.")], inferenceConfig={"maxTokens": 5}
        )
    )
    assert rebuild(events)["blocks"] == [{"text": text_of(response)}]
    assert rebuild(events)["stopReason"] == "max_tokens"


def test_stop_sequences(runtime: Any) -> None:
    response = runtime.converse(
        modelId=HAIKU,
        messages=[user("Say something about penguins and glaciers.")],
        inferenceConfig={"stopSequences": ["glaciers"]},
        additionalModelResponseFieldPaths=["/stop_sequence"],
    )
    assert response["stopReason"] == "stop_sequence"
    assert "glaciers" not in text_of(response) and "penguins" in text_of(response)
    assert response["additionalModelResponseFields"] == {"stop_sequence": "glaciers"}


def test_every_content_block_type_is_accepted(runtime: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    messages = [
        user(
            "Look at these.",
            {"image": {"format": "png", "source": {"bytes": png}}},
            {"document": {"format": "txt", "name": "notes", "source": {"bytes": b"hello notes"}}},
            {"cachePoint": {"type": "default"}},
            {"guardContent": {"text": {"text": "guarded text"}}},
        ),
        {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "hm", "signature": "sig"}}},
                {"text": "Calling a tool."},
                {
                    "toolUse": {
                        "toolUseId": "tooluse_1",
                        "name": "get_weather",
                        "input": {"city": "X"},
                    }
                },
            ],
        },
        user(
            {
                "toolResult": {
                    "toolUseId": "tooluse_1",
                    "content": [{"text": "sunny"}],
                    "status": "success",
                }
            }
        ),
    ]
    response = runtime.converse(
        modelId=SONNET_45,
        system=[{"text": "Be brief."}, {"cachePoint": {"type": "default"}}],
        messages=messages,
        toolConfig={"tools": [WEATHER_TOOL, {"cachePoint": {"type": "default"}}]},
        inferenceConfig={"maxTokens": 500, "temperature": 0.2},
        requestMetadata={"team": "qa"},
        performanceConfig={"latency": "standard"},
        serviceTier={"type": "default"},
        promptVariables={"x": {"text": "y"}},
    )
    assert response["stopReason"] == "end_turn"
    assert response["performanceConfig"] == {"latency": "standard"}
    assert response["serviceTier"] == {"type": "default"}
    usage = response["usage"]
    # The image counts, and everything before the last cache point is written to the cache.
    assert usage["inputTokens"] + usage["cacheWriteInputTokens"] > 1600
    assert usage["cacheWriteInputTokens"] > 1600 and usage["cacheReadInputTokens"] == 0


@pytest.mark.parametrize(
    ("raised", "member", "message"),
    [
        (
            ThrottlingException("Too many tokens, please wait before trying again."),
            "throttlingException",
            "Too many tokens, please wait before trying again.",
        ),
        (AccessDeniedException("not in a stream"), "internalServerException", INTERNAL_ERROR),
        (RuntimeError("engine bug"), "internalServerException", INTERNAL_ERROR),
    ],
    ids=["modeled", "not-a-stream-member", "unexpected"],
)
def test_errors_after_the_stream_started_are_exception_events(
    runtime: Any, monkeypatch: pytest.MonkeyPatch, raised: Exception, member: str, message: str
) -> None:
    original = CannedEngine.stream

    def failing(self: CannedEngine, request: Any) -> Any:
        """The real stream up to its first text delta, then the failure."""
        for event in original(self, request):
            yield event
            if isinstance(event, TextDelta):
                raise raised

    monkeypatch.setattr(CannedEngine, "stream", failing)
    stream = runtime.converse_stream(modelId=HAIKU, messages=[user("hi")])["stream"]
    received = []
    with pytest.raises(EventStreamError) as info:
        for event in stream:
            received.append(event)
    assert [next(iter(e)) for e in received] == ["messageStart", "contentBlockDelta"]
    assert info.value.response["Error"] == {"Code": member, "Message": message}


def test_video_citations_and_search_results(runtime: Any) -> None:
    video = {"video": {"format": "mp4", "source": {"s3Location": {"uri": "s3://clips/a.mp4"}}}}
    search = {
        "searchResult": {
            "source": "https://example.com/rivers",
            "title": "Rivers",
            "content": [{"text": "The Danube flows through ten countries."}],
        }
    }
    citations = {
        "citationsContent": {
            "content": [{"text": "The Danube crosses ten countries."}],
            "citations": [
                {
                    "title": "Rivers",
                    "sourceContent": [{"text": "The Danube flows through ten countries."}],
                    "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 39}},
                }
            ],
        }
    }
    messages = [
        user("What happens in this clip?", video, search),
        {"role": "assistant", "content": [citations]},
        user("And which river is longest?"),
    ]
    response = runtime.converse(modelId="us.amazon.nova-pro-v1:0", messages=messages)
    assert response["stopReason"] == "end_turn"
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=HAIKU, messages=[user("clip", video)])
    assert info.value.response["Error"]["Message"] == (
        "This model doesn't support the video content block that you provided. Try again with a "
        "supported content block."
    )


def test_concurrent_calls_are_independent_and_deterministic(runtime: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def ask(i: int) -> str:
        reply = runtime.converse(modelId=HAIKU, messages=[user(f"Question number {i % 4}")])
        return text_of(reply)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(32)))
    for i, answer in enumerate(answers):
        assert f"Question number {i % 4}" in answer
        assert answer == answers[i % 4]


def test_custom_model_arn_answers_as_its_base_model(runtime: Any) -> None:
    import boto3

    bedrock = boto3.client("bedrock", region_name="us-east-1")
    bedrock.create_model_customization_job(
        jobName="tune",
        customModelName="my-haiku",
        roleArn="arn:aws:iam::123456789012:role/r",
        baseModelIdentifier=HAIKU,
        trainingDataConfig={"s3Uri": "s3://bucket/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://bucket/out/"},
        hyperParameters={"epochCount": "1"},
    )
    arn = bedrock.get_custom_model(modelIdentifier="my-haiku")["modelArn"]
    response = runtime.converse(modelId=arn, messages=[user("hello custom model")])
    assert "hello custom model" in text_of(response)
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=arn.replace("my-haiku", "other"), messages=[user("x")])
    assert info.value.response["Error"]["Message"] == "The provided model identifier is invalid."
