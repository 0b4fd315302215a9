"""Odd but valid input never escapes as a 500; answers do not depend on the interpreter's hash
seed; errors mid-stream follow each stream's own exception members."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError

from moto_bedrock_runtime.catalog import models
from moto_bedrock_runtime.engines.canned import CannedEngine
from moto_bedrock_runtime.errors import BedrockError
from moto_bedrock_runtime.schema_values import value_for_schema
from moto_bedrock_runtime.vendors import codec_for
from moto_bedrock_runtime.vendors.validation import load_schema

from .conftest import HAIKU
from .test_invoke_server import SAMPLES, _base_id, _streams

IMAGE_FAMILIES = {"titan-image", "nova-canvas", "stability-sd3", "stability-sdxl"}


def _call(runtime: Any, model_id: str, body: Any, stream: bool) -> None:
    """A modeled 4xx error is fine; anything the service model calls a server error is not."""
    try:
        if stream:
            response = runtime.invoke_model_with_response_stream(modelId=model_id, body=body)
            list(response["body"])
        else:
            runtime.invoke_model(modelId=model_id, body=body)["body"].read()
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        assert status < 500, (model_id, body, error.response["Error"])


@pytest.mark.parametrize(
    "model_id",
    sorted(m for m in SAMPLES if models()[_base_id(m)].family not in IMAGE_FAMILIES),
)
def test_schema_valid_bodies_never_fail_as_server_errors(runtime: Any, model_id: str) -> None:
    schema = load_schema(codec_for(models()[_base_id(model_id)]).schema)
    for seed in range(15):
        body = json.dumps(value_for_schema(schema, f"{model_id}:{seed}"))
        _call(runtime, model_id, body, stream=False)
        if _streams(model_id) and seed % 3 == 0:
            _call(runtime, model_id, body, stream=True)


BAD_BASE64 = [
    (
        HAIKU,
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 100,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "!!"},
                        },
                        {"type": "text", "text": "What is this?"},
                    ],
                }
            ],
        },
    ),
    (
        "us.amazon.nova-lite-v1:0",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"image": {"format": "png", "source": {"bytes": "abcde"}}},
                        {"text": "What is this?"},
                    ],
                }
            ]
        },
    ),
    (
        "mistral.pixtral-large-2502-v1:0",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is this?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,abcde"}},
                    ],
                }
            ]
        },
    ),
    ("us.meta.llama3-2-11b-instruct-v1:0", {"prompt": "What is this?", "images": ["@@@"]}),
]


@pytest.mark.parametrize(("model_id", "body"), BAD_BASE64, ids=lambda v: str(v)[:24])
def test_bad_base64_is_a_validation_error(runtime: Any, model_id: str, body: Any) -> None:
    if model_id.startswith("mistral.pixtral"):
        model_id = f"us.{model_id}"
    with pytest.raises(ClientError) as info:
        runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "base64-encoded string" in info.value.response["Error"]["Message"]


_PROBE = """
import json, boto3
from moto import mock_aws
import moto_bedrock_runtime
moto_bedrock_runtime.activate()
with mock_aws():
    c = boto3.client("bedrock-runtime", region_name="us-east-1")
    tool = {"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object",
        "properties": {"q": {"type": "string"}, "n": {"type": "integer"}}, "required": ["q"]}}}}
    m = [{"role": "user", "content": [{"text": "look up rivers"}]}]
    a = c.converse(modelId="MODEL", messages=m, toolConfig={"tools": [tool]})
    b = c.invoke_model(modelId="MODEL", body=json.dumps({"anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200, "messages": [{"role": "user", "content": "hello"}]}))
    print(json.dumps([a["output"], a["usage"], json.loads(b["body"].read())], sort_keys=True))
""".replace("MODEL", HAIKU)


def test_answers_do_not_depend_on_the_hash_seed() -> None:
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _PROBE],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    assert "tooluse_" in outputs.pop()


@pytest.mark.parametrize(
    ("code", "member"),
    [
        ("ModelTimeoutException", "modelTimeoutException"),
        ("ThrottlingException", "throttlingException"),
        ("AccessDeniedException", "internalServerException"),
    ],
)
def test_invoke_stream_errors_use_that_streams_members(
    runtime: Any, monkeypatch: pytest.MonkeyPatch, code: str, member: str
) -> None:
    original = CannedEngine.stream

    def failing(self: CannedEngine, request: Any) -> Any:
        events = original(self, request)
        yield next(events)
        raise BedrockError("stopped", code=code)

    monkeypatch.setattr(CannedEngine, "stream", failing)
    body = json.dumps(SAMPLES[HAIKU])
    stream = runtime.invoke_model_with_response_stream(modelId=HAIKU, body=body)["body"]
    with pytest.raises(EventStreamError) as info:
        list(stream)
    assert info.value.response["Error"]["Code"] == member
