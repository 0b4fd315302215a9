"""Prompt caching: the prefix before the last cache point is a cache write on first use and a
cache read while it lives, in Converse's usage, Claude's usage and the stream metrics."""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto import mock_aws

from .conftest import NO_RETRIES

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
LONG = "Our support policy covers refunds, exchanges and repairs in detail. " * 120


def converse(runtime: Any, system_text: str, question: str = "Can I return shoes?") -> Any:
    return runtime.converse(
        modelId=SONNET,
        system=[{"text": system_text}, {"cachePoint": {"type": "default"}}],
        messages=[{"role": "user", "content": [{"text": question}]}],
    )["usage"]


def test_first_call_writes_then_calls_read(runtime: Any) -> None:
    first = converse(runtime, LONG)
    assert first["cacheWriteInputTokens"] > 1024 and first["cacheReadInputTokens"] == 0
    second = converse(runtime, LONG, "And sandals?")
    assert second["cacheReadInputTokens"] == first["cacheWriteInputTokens"]
    assert second["cacheWriteInputTokens"] == 0
    for usage in (first, second):
        cached = usage["cacheReadInputTokens"] + usage["cacheWriteInputTokens"]
        assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] + cached
    assert second["inputTokens"] < 50
    other = converse(runtime, LONG + " Also gift cards.")
    assert other["cacheWriteInputTokens"] > 0 and other["cacheReadInputTokens"] == 0


def test_short_prefixes_are_not_cached(runtime: Any) -> None:
    usage = converse(runtime, "Be brief.")
    assert "cacheReadInputTokens" not in usage and "cacheWriteInputTokens" not in usage


def test_a_new_mock_starts_with_an_empty_cache() -> None:
    for _ in range(2):
        with mock_aws():
            client = boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)
            assert converse(client, LONG)["cacheWriteInputTokens"] > 0


def test_claude_native_usage_and_stream_metrics(runtime: Any) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "system": [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "Can I return shoes?"}],
    }
    first = runtime.invoke_model(modelId=SONNET, body=json.dumps(body))
    usage = json.loads(first["body"].read())["usage"]
    assert usage["cache_creation_input_tokens"] > 1024 and usage["cache_read_input_tokens"] == 0
    stream = runtime.invoke_model_with_response_stream(modelId=SONNET, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in stream["body"]]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["cacheReadInputTokenCount"] == usage["cache_creation_input_tokens"]
    assert metrics["cacheWriteInputTokenCount"] == 0
    assert chunks[0]["message"]["usage"]["input_tokens"] == metrics["inputTokenCount"]
