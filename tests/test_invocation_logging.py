"""Model invocation logging: with PutModelInvocationLoggingConfiguration set, every runtime
call is delivered as a ModelInvocationLog record to mocked CloudWatch Logs and S3, read back
here as an application's log-reading code reads them, with the data-delivery settings
honoured."""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from moto_bedrock_runtime.testing import BedrockControls

from .conftest import NO_RETRIES, CliServer, capture_bodies, check_output, client_for

ACCOUNT = "123456789012"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
GROUP = "bedrock-invocations"
STREAM = "aws/bedrock/modelinvocations"
KEY = re.compile(
    rf"^audit/AWSLogs/{ACCOUNT}/BedrockModelInvocationLogs/us-east-1/\d{{4}}/\d\d/\d\d/\d\d/"
    r"\d{8}T\d{9}Z_[0-9a-f]{16}\.json\.gz$"
)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def claude_body(text: str) -> str:
    message = {"role": "user", "content": [{"type": "text", "text": text}]}
    return json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [message]}
    )


class Clients:
    def __init__(self, url: str | None = None) -> None:
        make = (lambda service: client_for(url, service)) if url else self._local
        self.bedrock = make("bedrock")
        self.runtime = make("bedrock-runtime")
        self.logs = make("logs")
        self.s3 = make("s3")
        self.runtime_bodies = capture_bodies(self.runtime)

    @staticmethod
    def _local(service: str) -> Any:
        return boto3.client(service, region_name="us-east-1", config=NO_RETRIES)

    def configure(self, **settings: Any) -> None:
        self.logs.create_log_group(logGroupName=GROUP)
        self.s3.create_bucket(Bucket="invocation-logs")
        config = {
            "cloudWatchConfig": {
                "logGroupName": GROUP,
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/BedrockLogging",
            },
            "s3Config": {"bucketName": "invocation-logs", "keyPrefix": "audit"},
            **settings,
        }
        self.bedrock.put_model_invocation_logging_configuration(loggingConfig=config)

    def cloudwatch(self) -> list[dict[str, Any]]:
        events = self.logs.get_log_events(
            logGroupName=GROUP, logStreamName=STREAM, startFromHead=True
        )["events"]
        return [json.loads(event["message"]) for event in events]

    def s3_records(self) -> list[dict[str, Any]]:
        listed = self.s3.list_objects_v2(Bucket="invocation-logs", Prefix="audit/")
        records = []
        for item in sorted(listed.get("Contents", []), key=lambda o: o["Key"]):
            assert KEY.match(item["Key"]), item["Key"]
            body = self.s3.get_object(Bucket="invocation-logs", Key=item["Key"])["Body"].read()
            records += [json.loads(line) for line in gzip.decompress(body).splitlines()]
        return records


@pytest.fixture
def aws() -> Iterator[Clients]:
    with mock_aws():
        yield Clients()


def test_a_converse_call_is_logged_to_cloudwatch_and_s3(aws: Clients) -> None:
    aws.configure(textDataDeliveryEnabled=True)
    reply = aws.runtime.converse(
        modelId=HAIKU,
        messages=[user("Where is my parcel?")],
        requestMetadata={"team": "support"},
    )
    answer = json.loads(aws.runtime_bodies[-1])
    check_output("Converse", answer)
    (record,) = aws.cloudwatch()
    assert aws.s3_records() == [record]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.pop("timestamp"))
    assert record == {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "accountId": ACCOUNT,
        "identity": {"arn": f"arn:aws:sts::{ACCOUNT}:user/moto"},
        "region": "us-east-1",
        "requestId": reply["ResponseMetadata"]["RequestId"],
        "operation": "Converse",
        "modelId": HAIKU,
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": {
                "messages": [user("Where is my parcel?")],
                "requestMetadata": {"team": "support"},
            },
            "inputTokenCount": reply["usage"]["inputTokens"],
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": answer,
            "outputTokenCount": reply["usage"]["outputTokens"],
        },
        "requestMetadata": {"team": "support"},
    }


def test_invoke_model_and_both_streams_are_logged_once_each(aws: Clients) -> None:
    aws.configure(textDataDeliveryEnabled=True)
    invoked = aws.runtime.invoke_model(modelId=HAIKU, body=claude_body("invoke"))
    native = json.loads(invoked["body"].read())
    streamed = aws.runtime.invoke_model_with_response_stream(modelId=HAIKU, body=claude_body("s"))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in streamed["body"]]
    conversed = aws.runtime.converse_stream(modelId=HAIKU, messages=[user("stream")])
    events = list(conversed["stream"])
    records = aws.cloudwatch()
    assert [r["operation"] for r in records] == [
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "ConverseStream",
    ]
    invoke, native_stream, converse_stream = records
    headers = invoked["ResponseMetadata"]["HTTPHeaders"]
    assert invoke["input"]["inputBodyJson"] == json.loads(claude_body("invoke"))
    assert invoke["input"]["inputTokenCount"] == int(headers["x-amzn-bedrock-input-token-count"])
    assert invoke["output"]["outputBodyJson"] == native
    assert invoke["output"]["outputTokenCount"] == native["usage"]["output_tokens"]
    assert native_stream["output"]["outputBodyJson"] == chunks
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert native_stream["input"]["inputTokenCount"] == metrics["inputTokenCount"]
    assert native_stream["output"]["outputTokenCount"] == metrics["outputTokenCount"]
    usage = events[-1]["metadata"]["usage"]
    assert converse_stream["output"]["outputTokenCount"] == usage["outputTokens"]
    assert converse_stream["output"]["outputBodyJson"][0] == {"messageStart": {"role": "assistant"}}
    assert len(aws.s3_records()) == 3


def test_bodies_follow_the_data_delivery_settings(aws: Clients) -> None:
    aws.configure(embeddingDataDeliveryEnabled=True)
    aws.runtime.converse(modelId=HAIKU, messages=[user("secret text")])
    aws.runtime.invoke_model(modelId=TITAN_EMBED, body=json.dumps({"inputText": "vector me"}))
    text, embedding = aws.cloudwatch()
    assert "inputBodyJson" not in text["input"] and "outputBodyJson" not in text["output"]
    assert text["input"]["inputTokenCount"] > 0 and text["output"]["outputTokenCount"] > 0
    assert "inputBodyJson" not in embedding["input"]
    assert len(embedding["output"]["outputBodyJson"]["embedding"]) == 1024


def test_an_image_request_needs_image_delivery_too(aws: Clients) -> None:
    aws.configure(textDataDeliveryEnabled=True)
    picture = {"image": {"format": "png", "source": {"bytes": PNG}}}
    message = {"role": "user", "content": [{"text": "What is this?"}, picture]}
    aws.runtime.converse(modelId=HAIKU, messages=[message])
    aws.bedrock.put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {
                "logGroupName": GROUP,
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
            },
            "textDataDeliveryEnabled": True,
            "imageDataDeliveryEnabled": True,
        }
    )
    aws.runtime.converse(modelId=HAIKU, messages=[message])
    without, with_images = aws.cloudwatch()
    assert "inputBodyJson" not in without["input"] and "outputBodyJson" in without["output"]
    assert with_images["input"]["inputBodyJson"]["messages"][0]["content"][0] == {
        "text": "What is this?"
    }


def test_a_failed_call_is_logged_with_its_error_code(aws: Clients) -> None:
    aws.configure(textDataDeliveryEnabled=True)
    BedrockControls().fail("ThrottlingException", times=1)
    with pytest.raises(aws.runtime.exceptions.ThrottlingException):
        aws.runtime.converse(modelId=HAIKU, messages=[user("busy?")])
    (record,) = aws.cloudwatch()
    assert record["errorCode"] == "ThrottlingException" and "output" not in record
    assert record["input"]["inputBodyJson"] == {"messages": [user("busy?")]}


def test_the_caller_identity_is_the_access_keys_user(aws: Clients) -> None:
    aws.configure()
    iam = boto3.client("iam", region_name="us-east-1")
    arn = iam.create_user(UserName="analyst")["User"]["Arn"]
    key = iam.create_access_key(UserName="analyst")["AccessKey"]
    runtime = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=NO_RETRIES,
    )
    runtime.converse(modelId=HAIKU, messages=[user("who am I")])
    assert aws.cloudwatch()[0]["identity"] == {"arn": arn}


def test_nothing_is_logged_without_or_after_the_configuration(aws: Clients) -> None:
    aws.runtime.converse(modelId=HAIKU, messages=[user("not logged")])
    aws.configure(textDataDeliveryEnabled=True)
    aws.runtime.converse(modelId=HAIKU, messages=[user("logged")])
    aws.bedrock.delete_model_invocation_logging_configuration()
    aws.runtime.converse(modelId=HAIKU, messages=[user("not logged either")])
    assert [r["input"]["inputBodyJson"]["messages"][0] for r in aws.cloudwatch()] == [
        user("logged")
    ]


def test_a_missing_destination_never_fails_the_call(aws: Clients) -> None:
    aws.bedrock.put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {
                "logGroupName": "no-such-group",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
            },
            "s3Config": {"bucketName": "no-such-bucket"},
            "textDataDeliveryEnabled": True,
        }
    )
    reply = aws.runtime.converse(modelId=HAIKU, messages=[user("still answered")])
    assert reply["output"]["message"]["content"][0]["text"]


def test_over_the_moto_bedrock_server(cli_server: CliServer) -> None:
    aws = Clients(cli_server.url)
    aws.configure(textDataDeliveryEnabled=True)
    try:
        reply = aws.runtime.converse(modelId=HAIKU, messages=[user("logged over http")])
        record = next(
            r for r in aws.cloudwatch() if r["requestId"] == reply["ResponseMetadata"]["RequestId"]
        )
        assert record["input"]["inputBodyJson"] == {"messages": [user("logged over http")]}
        assert record["output"]["outputTokenCount"] == reply["usage"]["outputTokens"]
        assert record in aws.s3_records()
    finally:
        aws.bedrock.delete_model_invocation_logging_configuration()
