"""InvokeModel and InvokeModelWithResponseStream through the Anthropic codecs, read as the
anthropic SDK and langchain-aws read them; and the service-level rules every family shares."""

from __future__ import annotations

import base64
import json
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError

from .conftest import HAIKU, SONNET_37, check_stream, client_for

MESSAGES_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 300,
    "system": "You are terse.",
    "messages": [{"role": "user", "content": [{"type": "text", "text": "Name a blue fruit."}]}],
}
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
        "required": ["city", "unit"],
    },
}
SAMPLES = {
    HAIKU: MESSAGES_BODY,
    "anthropic.claude-v2:1": {
        "prompt": "\n\nHuman: Name a blue fruit.\n\nAssistant:",
        "max_tokens_to_sample": 200,
    },
}


def invoke(client: Any, body: dict[str, Any], model: str = HAIKU) -> tuple[dict[str, Any], Any]:
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    return json.loads(response["body"].read()), response


def chunks(client: Any, body: dict[str, Any], model: str = HAIKU) -> list[dict[str, Any]]:
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def test_messages_response_as_the_sdk_reads_it(runtime: Any) -> None:
    answer, response = invoke(runtime, MESSAGES_BODY)
    assert answer["id"].startswith("msg_bdrk_01")
    assert answer["type"] == "message" and answer["role"] == "assistant"
    assert answer["model"] == "claude-3-haiku-20240307"
    assert answer["content"][0]["type"] == "text" and "blue fruit" in answer["content"][0]["text"]
    assert answer["stop_reason"] == "end_turn" and answer["stop_sequence"] is None
    usage = answer["usage"]
    assert isinstance(usage["input_tokens"], int) and isinstance(usage["output_tokens"], int)
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == str(usage["input_tokens"])
    assert headers["x-amzn-bedrock-output-token-count"] == str(usage["output_tokens"])
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 1
    assert response["contentType"] == "application/json"
    assert invoke(runtime, MESSAGES_BODY)[0] == answer


def test_messages_stream_sequence_and_metrics(runtime: Any) -> None:
    whole, _ = invoke(runtime, MESSAGES_BODY)
    parts = chunks(runtime, MESSAGES_BODY)
    types = [part["type"] for part in parts]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert parts[0]["message"]["usage"]["input_tokens"] == whole["usage"]["input_tokens"]
    text = "".join(p["delta"]["text"] for p in parts if p["type"] == "content_block_delta")
    assert text == whole["content"][0]["text"]
    assert parts[-2]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert parts[-2]["usage"]["output_tokens"] == whole["usage"]["output_tokens"]
    metrics = parts[-1]["amazon-bedrock-invocationMetrics"]
    assert set(metrics) == {
        "inputTokenCount",
        "outputTokenCount",
        "invocationLatency",
        "firstByteLatency",
    }
    assert all(isinstance(value, int) for value in metrics.values())
    assert metrics["outputTokenCount"] == whole["usage"]["output_tokens"]


def test_messages_tool_round_trip(runtime: Any) -> None:
    body = {
        **MESSAGES_BODY,
        "tools": [WEATHER],
        "messages": [{"role": "user", "content": "What's the weather in Porto?"}],
    }
    answer, _ = invoke(runtime, body)
    assert answer["stop_reason"] == "tool_use"
    use = answer["content"][-1]
    assert use["type"] == "tool_use" and use["id"].startswith("toolu_bdrk_01")
    jsonschema.validate(use["input"], WEATHER["input_schema"])
    follow_up = {
        **body,
        "messages": [
            *body["messages"],
            {"role": "assistant", "content": answer["content"]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": use["id"], "content": "22 degrees"}
                ],
            },
        ],
    }
    final, _ = invoke(runtime, follow_up)
    assert final["stop_reason"] == "end_turn"
    assert "22 degrees" in final["content"][0]["text"]
    streamed = chunks(runtime, body)
    starts = [p["content_block"] for p in streamed if p["type"] == "content_block_start"]
    assert starts[-1]["type"] == "tool_use" and starts[-1]["id"] == use["id"]
    partial = "".join(
        p["delta"]["partial_json"]
        for p in streamed
        if p["type"] == "content_block_delta" and p["delta"]["type"] == "input_json_delta"
    )
    assert json.loads(partial) == use["input"]


def test_thinking_blocks(runtime: Any) -> None:
    body = {
        **MESSAGES_BODY,
        "max_tokens": 3000,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    answer, _ = invoke(runtime, body, f"us.{SONNET_37.removeprefix('us.')}")
    assert [b["type"] for b in answer["content"]] == ["thinking", "text"]
    assert answer["content"][0]["signature"]
    deltas = [
        p["delta"]["type"]
        for p in chunks(runtime, body, SONNET_37)
        if p["type"] == "content_block_delta"
    ]
    assert deltas[0] == "thinking_delta" and "signature_delta" in deltas


def test_text_completions(runtime: Any) -> None:
    body = SAMPLES["anthropic.claude-v2:1"]
    answer, _ = invoke(runtime, body, "anthropic.claude-v2:1")
    assert answer["stop_reason"] == "stop_sequence" and answer["stop"] == "\n\nHuman:"
    assert "blue fruit" in answer["completion"]
    parts = chunks(runtime, body, "anthropic.claude-v2:1")
    assert "".join(p["completion"] for p in parts) == answer["completion"]
    assert parts[-1]["stop_reason"] == "stop_sequence"
    assert "amazon-bedrock-invocationMetrics" in parts[-1]


@pytest.mark.parametrize(
    "model",
    [
        f"us.{HAIKU}",
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}",
    ],
    ids=["profile", "fm-arn", "profile-arn"],
)
def test_model_routing(runtime: Any, model: str) -> None:
    answer, _ = invoke(runtime, MESSAGES_BODY, model)
    assert answer["model"] == "claude-3-haiku-20240307"


def _error(call: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as info:
        result = call()
        for _ in result.get("body", []):
            pass
    return {
        **info.value.response["Error"],
        "status": info.value.response["ResponseMetadata"]["HTTPStatusCode"],
    }


ERRORS = [
    pytest.param(
        {**MESSAGES_BODY, "max_tokens": 8192},
        "Malformed input request: #/max_tokens: 8192 is not less or equal to 4096, please "
        "reformat your input and try again.",
        id="model-cap",
    ),
    pytest.param(
        {**MESSAGES_BODY, "messages": [{"role": "assistant", "content": "hi"}]},
        'messages: first message must use the "user" role',
        id="first-user",
    ),
    pytest.param(
        {
            **MESSAGES_BODY,
            "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        },
        'messages: roles must alternate between "user" and "assistant", but found multiple "user" '
        "roles in a row",
        id="alternate",
    ),
    pytest.param(
        {**MESSAGES_BODY, "stream": True},
        "Malformed input request: #: extraneous key [stream] is not permitted, please reformat "
        "your input and try again.",
        id="extraneous",
    ),
]


@pytest.mark.parametrize(("body", "message"), ERRORS)
@pytest.mark.parametrize("operation", ["invoke_model", "invoke_model_with_response_stream"])
def test_model_errors(runtime: Any, operation: str, body: dict[str, Any], message: str) -> None:
    error = _error(lambda: getattr(runtime, operation)(modelId=HAIKU, body=json.dumps(body)))
    assert error == {"Code": "ValidationException", "Message": message, "status": 400}


def test_body_not_json(runtime: Any) -> None:
    error = _error(lambda: runtime.invoke_model(modelId=HAIKU, body=b"{nope"))
    assert error["Message"] == "Malformed input request, please reformat your input and try again."


def test_content_type_and_accept(runtime: Any) -> None:
    body = json.dumps(MESSAGES_BODY)
    error = _error(lambda: runtime.invoke_model(modelId=HAIKU, body=body, contentType="text/plain"))
    assert (
        error["Message"] == "The provided Content Type is invalid or not supported for this model"
    )
    error = _error(lambda: runtime.invoke_model(modelId=HAIKU, body=body, accept="image/png"))
    assert error["Message"] == "The provided Accept Type is invalid or not supported for this model"
    answer = runtime.invoke_model(
        modelId=HAIKU, body=body, accept="*/*", contentType="application/json"
    )
    assert json.loads(answer["body"].read())["type"] == "message"


def test_streaming_refused_for_models_that_do_not_stream(runtime: Any) -> None:
    error = _error(
        lambda: runtime.invoke_model_with_response_stream(
            modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "hello"})
        )
    )
    assert error["Message"] == "The model is unsupported for streaming."


def test_invalid_model_and_unsupported_family(runtime: Any) -> None:
    error = _error(lambda: runtime.invoke_model(modelId="anthropic.claude-9", body=b"{}"))
    assert error["Message"] == "The provided model identifier is invalid."
    error = _error(lambda: runtime.invoke_model(modelId="luma.ray-v2:0", body=b"{}"))
    assert error["Message"] == "moto-bedrock does not implement InvokeModel for luma models yet."


def test_guardrail_header_names_a_missing_guardrail(runtime: Any) -> None:
    error = _error(
        lambda: runtime.invoke_model(
            modelId=HAIKU,
            body=json.dumps(MESSAGES_BODY),
            guardrailIdentifier="gr1",
            guardrailVersion="1",
        )
    )
    assert (
        error["Message"]
        == "The guardrail identifier or version provided in the request does not exist."
    )


@pytest.mark.server
def test_stream_frames_over_http(threaded_server: str) -> None:
    client = client_for(threaded_server)
    response = client.invoke_model_with_response_stream(
        modelId=HAIKU, body=json.dumps(MESSAGES_BODY)
    )
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["x-amzn-bedrock-content-type"] == "application/json"
    raw = response["body"]._raw_stream.read()
    events = check_stream("InvokeModelWithResponseStream", raw)
    assert {name for name, _ in events} == {"chunk"}
    decoded = [json.loads(base64.b64decode(payload["bytes"])) for _, payload in events]
    assert decoded[-1]["type"] == "message_stop"


def test_stream_start_reports_the_engines_prompt_count(runtime: Any) -> None:
    """message_start carries the engine's count (here a declared one), not a codec estimate."""
    from moto_bedrock_runtime.testing import BedrockControls

    BedrockControls().answer(
        {"text": "Declared.", "usage": {"input_tokens": 7, "output_tokens": 2}}
    )
    parts = chunks(runtime, MESSAGES_BODY)
    assert parts[0]["message"]["usage"]["input_tokens"] == 7
    assert parts[-1]["amazon-bedrock-invocationMetrics"]["inputTokenCount"] == 7
