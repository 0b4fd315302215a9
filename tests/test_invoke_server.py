"""Every family's sample body through the `moto-bedrock` process over HTTP: the same answers as
in-process, AWS's headers, and stream frames that decode and fit botocore's shapes."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from moto_bedrock_runtime.catalog import models
from moto_bedrock_runtime.errors import ValidationException
from moto_bedrock_runtime.vendors import codec_for
from moto_bedrock_runtime.vendors.validation import validate_body

from . import (
    test_invoke_anthropic,
    test_vendor_amazon_embed_image,
    test_vendor_amazon_meta_deepseek,
    test_vendor_mistral_cohere_ai21_openai,
)
from .conftest import NO_RETRIES, CliServer, check_stream, client_for

pytestmark = pytest.mark.server

SAMPLES: dict[str, dict[str, Any]] = {
    **test_invoke_anthropic.SAMPLES,
    **test_vendor_amazon_meta_deepseek.SAMPLES,
    **test_vendor_mistral_cohere_ai21_openai.SAMPLES,
    **test_vendor_amazon_embed_image.SAMPLES,
}


def _base_id(model_id: str) -> str:
    return model_id.split(".", 1)[1] if model_id.split(".", 1)[0] in ("us", "eu") else model_id


def _streams(model_id: str) -> bool:
    model = models()[_base_id(model_id)]
    return bool(model.summary.get("responseStreamingSupported")) and codec_for(model).kind == "chat"


def test_every_family_has_a_sample() -> None:
    families = {models()[_base_id(model_id)].family for model_id in SAMPLES}
    invocable = {"anthropic-messages", "anthropic-text", "titan-text", "nova", "llama", "deepseek"}
    invocable |= {"mistral-text", "mistral-chat", "cohere-command", "cohere-command-r"}
    invocable |= {"cohere-embed-v3", "cohere-embed-v4", "ai21-jamba", "openai-chat"}
    invocable |= {"titan-embed-text-v1", "titan-embed-text-v2", "titan-embed-image", "nova-embed"}
    invocable |= {"titan-image", "nova-canvas", "stability-sd3", "stability-sdxl"}
    assert invocable <= families


@pytest.mark.parametrize("model_id", sorted(SAMPLES))
def test_invoke_over_http_matches_in_process(cli_server: CliServer, model_id: str) -> None:
    body = json.dumps(SAMPLES[model_id])
    remote = client_for(cli_server.url).invoke_model(modelId=model_id, body=body)
    with mock_aws():
        local = boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)
        expected = json.loads(local.invoke_model(modelId=model_id, body=body)["body"].read())
    answer = json.loads(remote["body"].read())
    headers = remote["ResponseMetadata"]["HTTPHeaders"]
    assert remote["contentType"] == "application/json"
    assert headers["x-amzn-requestid"]
    assert int(headers["x-amzn-bedrock-input-token-count"]) >= 0
    assert int(headers["x-amzn-bedrock-output-token-count"]) >= 0
    # Same request, same answer; only wall-clock fields may differ.
    for volatile in ("created", "meta"):
        answer.pop(volatile, None)
        expected.pop(volatile, None)
    assert answer == expected


@pytest.mark.parametrize("model_id", sorted(m for m in SAMPLES if _streams(m)))
def test_stream_over_http(cli_server: CliServer, model_id: str) -> None:
    response = client_for(cli_server.url).invoke_model_with_response_stream(
        modelId=model_id, body=json.dumps(SAMPLES[model_id])
    )
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/vnd.amazon.eventstream"
    assert headers["x-amzn-bedrock-content-type"] == "application/json"
    events = check_stream("InvokeModelWithResponseStream", response["body"]._raw_stream.read())
    chunks = [json.loads(base64.b64decode(payload["bytes"])) for _, payload in events]
    assert len(chunks) >= 2
    metrics = [
        c["amazon-bedrock-invocationMetrics"]
        for c in chunks
        if "amazon-bedrock-invocationMetrics" in c
    ]
    assert len(metrics) == 1 and "amazon-bedrock-invocationMetrics" in chunks[-1]
    assert all(isinstance(value, int) for value in metrics[0].values())


@pytest.mark.parametrize("model_id", sorted(SAMPLES))
def test_bad_body_over_http(cli_server: CliServer, model_id: str) -> None:
    """An unknown key gets exactly the message the schema validator writes for it."""
    bad = {**SAMPLES[model_id], "not_a_parameter": 1}
    schema = codec_for(models()[_base_id(model_id)]).schema
    with pytest.raises(ValidationException) as expected:
        validate_body(schema, bad)
    with pytest.raises(ClientError) as info:
        client_for(cli_server.url).invoke_model(modelId=model_id, body=json.dumps(bad))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["Error"]["Message"] == expected.value.message
    assert (
        "not_a_parameter" in expected.value.message or "schema violations" in expected.value.message
    )


def test_stream_starts_before_the_answer_is_finished() -> None:
    delay = 0.15
    server = CliServer(env={"MOTO_BEDROCK_STREAM_DELAY_MS": str(int(delay * 1000))})
    try:
        client = client_for(server.url)
        body = json.dumps(test_invoke_anthropic.MESSAGES_BODY)
        started = time.perf_counter()
        arrivals = []
        stream = client.invoke_model_with_response_stream(
            modelId="anthropic.claude-3-haiku-20240307-v1:0", body=body
        )
        for event in stream["body"]:
            if json.loads(event["chunk"]["bytes"])["type"] == "content_block_delta":
                arrivals.append(time.perf_counter() - started)
    finally:
        server.stop()
    assert len(arrivals) >= 5
    assert arrivals[0] < arrivals[-1] - (len(arrivals) - 2) * delay
