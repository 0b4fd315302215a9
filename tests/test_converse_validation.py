"""Every Converse rule Bedrock enforces, each with its exact error code, status and message."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from moto_bedrock_runtime import conversation
from moto_bedrock_runtime import converse as rules
from moto_bedrock_runtime.catalog import INVALID_MODEL_ID
from moto_bedrock_runtime.guardrails import GUARDRAIL_NOT_FOUND

from .conftest import HAIKU, SONNET_37

WEATHER = {
    "toolSpec": {
        "name": "get_weather",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
    }
}
TOOLS = {"tools": [WEATHER]}


def user(*blocks: Any) -> dict[str, Any]:
    return {"role": "user", "content": [b if isinstance(b, dict) else {"text": b} for b in blocks]}


def assistant(*blocks: Any) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": [b if isinstance(b, dict) else {"text": b} for b in blocks],
    }


def use(tool_id: str) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": tool_id, "name": "get_weather", "input": {"city": "Rome"}}}


def result(tool_id: str, **extra: Any) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": tool_id, "content": [{"text": "ok"}], **extra}}


CASES = [
    pytest.param(
        {"messages": [assistant("hi")]},
        "ValidationException",
        conversation.MUST_START_WITH_USER,
        id="start",
    ),
    pytest.param(
        {"messages": [user("a"), user("b")]},
        "ValidationException",
        conversation.MUST_ALTERNATE,
        id="alternate",
    ),
    pytest.param(
        {"messages": [user("a"), assistant(use("tooluse_a")), user(result("tooluse_a"))]},
        "ValidationException",
        conversation.TOOL_CONFIG_REQUIRED,
        id="toolconfig",
    ),
    pytest.param(
        {
            "messages": [user("a"), assistant("b"), user(result("tooluse_a"))],
            "toolConfig": TOOLS,
        },
        "ValidationException",
        "The number of toolResult blocks at messages.2.content exceeds the number of toolUse "
        "blocks of previous turn.",
        id="too-many-results",
    ),
    pytest.param(
        {
            "messages": [
                user("a"),
                assistant(use("tooluse_a"), use("tooluse_b")),
                user(result("tooluse_a")),
            ],
            "toolConfig": TOOLS,
        },
        "ValidationException",
        "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_b",
        id="missing-results",
    ),
    pytest.param(
        {
            "messages": [
                user("a"),
                assistant(use("tooluse_a")),
                user({"toolResult": {"toolUseId": "tooluse_a", "content": [], "status": "error"}}),
            ],
            "toolConfig": TOOLS,
        },
        "ValidationException",
        "The content field at messages.2.content.0.toolResult cannot be empty when status value is "
        "error.",
        id="empty-error-result",
    ),
    pytest.param(
        {"messages": [user("a"), {"role": "assistant", "content": []}, user("b")]},
        "ValidationException",
        "The content field in the Message object at messages.1 is empty. Add a ContentBlock "
        "object to the content field and try again.",
        id="empty-content",
    ),
    pytest.param(
        {"messages": [user("hello", "   ")]},
        "ValidationException",
        "The text field in the ContentBlock object at messages.0.content.1 is blank. Add text to "
        "the text field, and try again.",
        id="blank-text",
    ),
    pytest.param(
        {
            "messages": [
                user({"document": {"format": "txt", "name": "n", "source": {"bytes": b"x"}}})
            ]
        },
        "ValidationException",
        conversation.DOCUMENT_WITHOUT_TEXT,
        id="document-without-text",
    ),
    pytest.param(
        {
            "toolConfig": {
                "tools": [
                    WEATHER,
                    {"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "string"}}}},
                ]
            }
        },
        "ValidationException",
        "The value at toolConfig.tools.1.toolSpec.inputSchema.json.type must be one of the "
        "following: object.",
        id="tool-schema-not-object",
    ),
    pytest.param(
        {"additionalModelRequestFields": ["x"]},
        "ValidationException",
        rules.FIELDS_NOT_OBJECT,
        id="fields-not-object",
    ),
    pytest.param(
        {"messages": [user("word " * 210_000)]},
        "ValidationException",
        "Input is too long for requested model.",
        id="context-window",
    ),
    pytest.param(
        {"modelId": "amazon.titan-embed-text-v2:0"},
        "ValidationException",
        rules.NOT_A_CHAT_MODEL,
        id="embedding-model",
    ),
    pytest.param(
        {"modelId": "amazon.titan-text-express-v1", "system": [{"text": "be nice"}]},
        "ValidationException",
        rules.NO_SYSTEM,
        id="no-system",
    ),
    pytest.param(
        {"modelId": "amazon.titan-text-express-v1", "toolConfig": TOOLS},
        "ValidationException",
        rules.NO_TOOL_USE,
        id="no-tools",
    ),
    pytest.param(
        {"modelId": "claude-3-haiku"}, "ValidationException", INVALID_MODEL_ID, id="friendly-name"
    ),
    pytest.param(
        {"modelId": "eu.anthropic.claude-3-haiku-20240307-v1:0"},
        "ValidationException",
        INVALID_MODEL_ID,
        id="profile-of-another-geo",
    ),
    pytest.param(
        {"modelId": "anthropic.claude-3-5-sonnet-20241022-v2:0"},
        "ValidationException",
        "Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand "
        "throughput isn’t supported. Retry your request with the ID or ARN of an inference "
        "profile that contains this model.",
        id="profile-only-model",
    ),
    pytest.param(
        {"inferenceConfig": {"maxTokens": 5000}},
        "ValidationException",
        "The maximum tokens you requested exceeds the model limit of 4096. Try again with a "
        "maximum tokens value that is lower than 4096.",
        id="max-tokens-over-limit",
    ),
    pytest.param(
        {"toolConfig": {"tools": [WEATHER, WEATHER]}},
        "ValidationException",
        conversation.DUPLICATE_TOOL,
        id="duplicate-tools",
    ),
    pytest.param(
        {"toolConfig": {"tools": [WEATHER], "toolChoice": {"tool": {"name": "nope"}}}},
        "ValidationException",
        conversation.UNKNOWN_FORCED_TOOL.format(name="nope"),
        id="unknown-forced-tool",
    ),
    pytest.param(
        {
            "modelId": SONNET_37,
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 10}},
        },
        "ValidationException",
        "The model returned the following errors: thinking.enabled.budget_tokens: Input should "
        "be greater than or equal to 1024",
        id="thinking-budget",
    ),
    pytest.param(
        {
            "outputConfig": {
                "textFormat": {"type": "json_schema", "structure": {"jsonSchema": {"schema": "{}"}}}
            }
        },
        "ValidationException",
        rules.NO_STRUCTURED_OUTPUT,
        id="structured-output-unsupported",
    ),
    pytest.param(
        {"guardrailConfig": {"guardrailIdentifier": "gr1234", "guardrailVersion": "1"}},
        "ValidationException",
        GUARDRAIL_NOT_FOUND,
        id="unknown-guardrail",
    ),
]


@pytest.mark.parametrize(("overrides", "code", "message"), CASES)
@pytest.mark.parametrize("operation", ["converse", "converse_stream"])
def test_rule(
    runtime: Any, operation: str, overrides: dict[str, Any], code: str, message: str
) -> None:
    request = {"modelId": HAIKU, "messages": [user("hello")], **overrides}
    with pytest.raises(ClientError) as info:
        response = getattr(runtime, operation)(**request)
        list(response.get("stream", []))
    error = info.value.response
    assert error["Error"]["Code"] == code
    assert error["Error"]["Message"] == message
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_streaming_tool_use_refused_where_the_model_cannot(runtime: Any) -> None:
    with pytest.raises(ClientError) as info:
        runtime.converse_stream(
            modelId="mistral.mistral-large-2402-v1:0", messages=[user("hi")], toolConfig=TOOLS
        )
    assert info.value.response["Error"]["Message"] == rules.NO_STREAMING_TOOL_USE


def test_valid_tool_conversation_passes(runtime: Any) -> None:
    response = runtime.converse(
        modelId=HAIKU,
        messages=[
            user("a"),
            assistant(use("tooluse_a")),
            user(result("tooluse_a", status="error")),
        ],
        toolConfig=TOOLS,
    )
    assert response["stopReason"] == "end_turn"
    assert "an error: ok" in response["output"]["message"]["content"][0]["text"]


@pytest.mark.parametrize("model", ["us.deepseek.r1-v1:0", "openai.gpt-oss-20b-1:0"])
def test_models_that_always_reason_do_so_on_converse(runtime: Any, model: str) -> None:
    message = runtime.converse(modelId=model, messages=[user("Is 7 prime?")])["output"]["message"]
    assert list(message["content"][0]) == ["reasoningContent"]


def test_zero_max_tokens_gives_an_empty_truncated_answer(runtime: Any) -> None:
    import json

    body = {"inputText": "hi", "textGenerationConfig": {"maxTokenCount": 0}}
    answer = runtime.invoke_model(modelId="amazon.titan-text-express-v1", body=json.dumps(body))
    result = json.loads(answer["body"].read())["results"][0]
    assert result["completionReason"] == "LENGTH" and result["tokenCount"] == 0
