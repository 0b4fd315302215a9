"""Activation into moto: idempotent, reversible, FIPS and dual-stack hosts, bearer tokens,
and moto's own bedrock control-plane operations still working."""

from __future__ import annotations

from typing import Any

import boto3
import moto.backend_index as backend_index
import moto.bedrock
import moto.bedrockruntime
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import moto_bedrock_runtime
from moto_bedrock_runtime.control.models import bedrock_backends
from moto_bedrock_runtime.runtime.models import bedrockruntime_backends

from .conftest import HAIKU, NO_RETRIES, CliServer

MESSAGES = [{"role": "user", "content": [{"text": "ping"}]}]


def test_pytest_plugin_activated_us() -> None:
    assert moto_bedrock_runtime.is_active()
    assert moto.bedrockruntime.bedrockruntime_backends is bedrockruntime_backends
    assert moto.bedrock.bedrock_backends is bedrock_backends


def test_activation_is_idempotent_and_reversible() -> None:
    patterns = list(backend_index.backend_url_patterns)
    moto_bedrock_runtime.activate()
    assert backend_index.backend_url_patterns == patterns
    moto_bedrock_runtime.deactivate()
    try:
        assert not moto_bedrock_runtime.is_active()
        assert moto.bedrockruntime.bedrockruntime_backends is not bedrockruntime_backends
        assert len(backend_index.backend_url_patterns) == len(patterns) - 4
        with mock_aws():
            stock = boto3.client("bedrock-runtime", region_name="us-east-1")
            assert stock.invoke_model(modelId=HAIKU, body=b"{}")["body"].read() == b"{}"
    finally:
        moto_bedrock_runtime.activate()
    assert backend_index.backend_url_patterns == patterns


@pytest.mark.parametrize(
    "endpoint_options",
    [{}, {"use_fips_endpoint": True}, {"use_dualstack_endpoint": True}],
    ids=["standard", "fips", "dualstack"],
)
def test_endpoint_variants_in_process(endpoint_options: dict[str, Any]) -> None:
    from botocore.config import Config

    with mock_aws():
        client = boto3.client(
            "bedrock-runtime",
            region_name="us-west-2",
            config=NO_RETRIES.merge(Config(**endpoint_options)),
        )
        assert client.converse(modelId=HAIKU, messages=MESSAGES)["stopReason"] == "end_turn"


def test_bearer_token_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKbearer-in-process")
    seen = []
    with mock_aws():
        client = boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)
        client.meta.events.register(
            "before-send", lambda request, **_: seen.append(request.headers["Authorization"])
        )
        assert client.converse(modelId=HAIKU, messages=MESSAGES)["stopReason"] == "end_turn"
    assert seen == [b"Bearer ABSKbearer-in-process"] or seen == ["Bearer ABSKbearer-in-process"]


@pytest.mark.server
def test_bearer_token_over_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "ABSKsecret-bearer-token-value"
    server = CliServer("--tls", "--log-level", "DEBUG")
    try:
        assert server.cert and server.url.startswith("https://")
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", token)
        client = boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=server.url,
            verify=server.cert,
            config=NO_RETRIES,
        )
        seen = []
        client.meta.events.register(
            "before-send", lambda request, **_: seen.append(request.headers["Authorization"])
        )
        assert client.converse(modelId=HAIKU, messages=MESSAGES)["stopReason"] == "end_turn"
        events = list(client.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"])
        assert "metadata" in events[-1]
        assert all(str(value).startswith(("Bearer", "b'Bearer")) for value in seen)
        bedrock = boto3.client(
            "bedrock", region_name="us-east-1", endpoint_url=server.url, verify=server.cert
        )
        bedrock.put_model_invocation_logging_configuration(
            loggingConfig={"s3Config": {"bucketName": "bkt"}}
        )
        assert bedrock.get_model_invocation_logging_configuration()["loggingConfig"]
    finally:
        output = server.stop()
    assert token not in output
    assert "POST /model/" in output  # DEBUG request lines were logged, without the token


def test_moto_control_plane_operations_still_work() -> None:
    with mock_aws():
        bedrock = boto3.client("bedrock", region_name="us-east-1", config=NO_RETRIES)
        job_arn = bedrock.create_model_customization_job(
            jobName="job1",
            customModelName="custom1",
            roleArn="arn:aws:iam::123456789012:role/r",
            baseModelIdentifier="amazon.titan-text-express-v1",
            trainingDataConfig={"s3Uri": "s3://bucket/train.jsonl"},
            outputDataConfig={"s3Uri": "s3://bucket/out/"},
            hyperParameters={"epochCount": "1"},
        )["jobArn"]
        assert bedrock.get_model_customization_job(jobIdentifier="job1")["jobArn"] == job_arn
        summaries = bedrock.list_model_customization_jobs()["modelCustomizationJobSummaries"]
        assert [s["jobName"] for s in summaries] == ["job1"]
        bedrock.stop_model_customization_job(jobIdentifier="job1")
        models = bedrock.list_custom_models()["modelSummaries"]
        assert [m["modelName"] for m in models] == ["custom1"]
        model_arn = bedrock.get_custom_model(modelIdentifier="custom1")["modelArn"]
        bedrock.tag_resource(resourceARN=model_arn, tags=[{"key": "team", "value": "qa"}])
        tags = bedrock.list_tags_for_resource(resourceARN=model_arn)["tags"]
        assert tags == [{"key": "team", "value": "qa"}]
        bedrock.untag_resource(resourceARN=model_arn, tagKeys=["team"])
        assert bedrock.list_tags_for_resource(resourceARN=model_arn)["tags"] == []
        bedrock.delete_custom_model(modelIdentifier="custom1")
        bedrock.put_model_invocation_logging_configuration(
            loggingConfig={"s3Config": {"bucketName": "logs"}, "textDataDeliveryEnabled": True}
        )
        assert bedrock.get_model_invocation_logging_configuration()["loggingConfig"]["s3Config"]
        bedrock.delete_model_invocation_logging_configuration()
        with pytest.raises(ClientError) as info:
            bedrock.get_custom_model(modelIdentifier="custom1")
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
