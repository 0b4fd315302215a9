"""The moto half of the LocalStack adapter (localstack_ext/dispatch.py), on the moto this
project depends on: no LocalStack needed, so it runs in the project's own virtualenv.

LocalStack's own moto (moto-ext) takes the other branch of dispatch.py; test_localstack.py
covers that one inside LocalStack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from moto import mock_aws

from localstack_ext.dispatch import answer
from moto_bedrock_runtime.moto_services import SERVER_REQUEST

from .conftest import HAIKU, check_output, check_stream

ACCOUNT = "000000000000"
JSON = {"Content-Type": "application/json"}
MESSAGES = {"messages": [{"role": "user", "content": [{"text": "hello"}]}]}


@pytest.fixture(autouse=True)
def _reset_backends() -> Iterator[None]:
    """moto's reset on leaving the mock clears what these calls created."""
    with mock_aws():
        yield


def runtime_url(model_id: str, operation: str) -> str:
    """The URL with the path as botocore sends it: the model id in one encoded segment."""
    host = "https://bedrock-runtime.us-east-1.amazonaws.com"
    return f"{host}/model/{quote(model_id, safe='')}/{operation}"


def call(service: str, method: str, url: str, body: Any = None) -> tuple[int, Any, Any]:
    data = json.dumps(body).encode() if body is not None else b""
    headers = {**JSON, "x-moto-account-id": ACCOUNT}
    return answer(service, method, url, headers, data)


def test_requests_look_received_by_a_server() -> None:
    """moto 5.2 streams only for a server's requests; this is the branch it takes."""
    assert SERVER_REQUEST.from_wsgi_server is True


def test_converse() -> None:
    status, headers, body = call(
        "bedrock-runtime", "POST", runtime_url(HAIKU, "converse"), MESSAGES
    )
    assert status == 200
    assert headers["x-amzn-RequestId"]
    check_output("Converse", json.loads(body))


def test_stream_is_a_generator_of_bedrock_frames() -> None:
    status, headers, body = call(
        "bedrock-runtime", "POST", runtime_url(HAIKU, "converse-stream"), MESSAGES
    )
    assert status == 200
    assert headers["Content-Type"] == "application/vnd.amazon.eventstream"
    assert isinstance(body, Iterator)  # LocalStack writes each frame as it is produced
    names = [name for name, _ in check_stream("ConverseStream", b"".join(body))]
    assert names[0] == "messageStart" and names[-1] == "metadata"


def test_model_arn_keeps_its_encoded_slash() -> None:
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/us.{HAIKU}"
    status, _, body = call("bedrock-runtime", "POST", runtime_url(profile, "converse"), MESSAGES)
    assert status == 200, body


def test_region_from_the_host_and_account_from_the_header() -> None:
    job = {
        "jobName": "job-1",
        "customModelName": "model-1",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
        "baseModelIdentifier": "amazon.titan-text-express-v1",
        "trainingDataConfig": {"s3Uri": "s3://bucket/train.jsonl"},
        "outputDataConfig": {"s3Uri": "s3://bucket/out/"},
        "hyperParameters": {"epochCount": "1"},
    }
    url = "https://bedrock.eu-west-1.amazonaws.com/model-customization-jobs"
    _, _, body = call("bedrock", "POST", url, job)  # moto's own operation
    arn = json.loads(body)["jobArn"]
    assert arn.startswith(f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:model-customization-job/")


def test_errors_are_bedrocks() -> None:
    status, headers, body = call(
        "bedrock-runtime", "POST", runtime_url("no.such-model", "converse"), MESSAGES
    )
    assert status == 400
    assert headers["x-amzn-ErrorType"].startswith("ValidationException:")
    assert json.loads(body) == {"message": "The provided model identifier is invalid."}


def test_motos_own_operations_answer_json() -> None:
    """moto's own handlers (invocation logging here) set no Content-Type; LocalStack would
    then send text/plain, so the control plane names JSON itself."""
    host = "https://bedrock.us-east-1.amazonaws.com"
    status, headers, body = call("bedrock", "GET", f"{host}/logging/modelinvocations")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    check_output("GetModelInvocationLoggingConfiguration", json.loads(body), service="bedrock")
