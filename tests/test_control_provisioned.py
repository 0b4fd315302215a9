"""Provisioned Throughput: create, get, list (every filter, sort and page), update, delete,
tags and errors, each raw answer checked against botocore's shapes; Creating → InService as
reads observe it; runtime calls (Converse and InvokeModel) through a provisioned-model ARN."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from moto_bedrock_runtime.config import PROVISIONING_SECONDS

from .conftest import (
    CliServer,
    capture_bodies,
    check_output,
    client_for,
    client_of,
    collect_pages,
    error_of,
)

ACCOUNT = "123456789012"
HAIKU_200K = "anthropic.claude-3-haiku-20240307-v1:0:200k"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN_8K = "amazon.titan-text-express-v1:0:8k"
NOVA_MICRO_128K = "amazon.nova-micro-v1:0:128k"
PT_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:provisioned-model/[a-z0-9]{{12}}$")
NOT_READY = "Model is not ready to serve inference requests. Wait and try your request again."


def fm_arn(model_id: str, region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def claude_body(text: str) -> str:
    message = {"role": "user", "content": [{"type": "text", "text": text}]}
    return json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [message]}
    )


class Clients:
    """bedrock and bedrock-runtime clients of one mock, with the bedrock raw bodies captured."""

    def __init__(self) -> None:
        self.bedrock = client_of(None, "bedrock")
        self.runtime = client_of(None)
        self.bodies = capture_bodies(self.bedrock)
        self.unchecked = client_of(None, "bedrock", unchecked=True)

    def checked(self, operation: str) -> dict[str, Any]:
        """The last raw bedrock body, checked against the operation's output shape."""
        body = json.loads(self.bodies[-1])
        check_output(operation, body, service="bedrock")
        return body

    def create(self, name: str, model_id: str = HAIKU_200K, **extra: Any) -> str:
        response = self.bedrock.create_provisioned_model_throughput(
            provisionedModelName=name, modelId=model_id, modelUnits=1, **extra
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
        self.checked("CreateProvisionedModelThroughput")
        assert PT_ARN.match(response["provisionedModelArn"])
        return response["provisionedModelArn"]

    def get(self, identifier: str) -> dict[str, Any]:
        self.bedrock.get_provisioned_model_throughput(provisionedModelId=identifier)
        return self.checked("GetProvisionedModelThroughput")

    def list_all(self, **params: Any) -> list[dict[str, Any]]:
        """Every summary, page by page, each raw page checked."""
        return collect_pages(self._page, "provisionedModelSummaries", **params)

    def _page(self, **params: Any) -> dict[str, Any]:
        self.bedrock.list_provisioned_model_throughputs(**params)
        return self.checked("ListProvisionedModelThroughputs")

    def names(self, **params: Any) -> list[str]:
        return [s["provisionedModelName"] for s in self.list_all(**params)]


@pytest.fixture
def aws() -> Iterator[Clients]:
    with mock_aws():
        yield Clients()


def custom_model(aws: Clients, name: str, base: str = HAIKU_200K) -> str:
    """A custom model made by moto's own customization job (found by name)."""
    aws.bedrock.create_model_customization_job(
        jobName=f"{name}-job",
        customModelName=name,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/bedrock",
        baseModelIdentifier=base,
        trainingDataConfig={"s3Uri": "s3://training/data.jsonl"},
        outputDataConfig={"s3Uri": "s3://training/out/"},
        hyperParameters={"epochCount": "1"},
    )
    return aws.bedrock.get_custom_model(modelIdentifier=name)["modelArn"]


def imported_custom_model(aws: Clients, name: str) -> str:
    """A custom model with an AWS-shaped ARN (CreateCustomModel: a Nova Micro base)."""
    arn = aws.bedrock.create_custom_model(
        modelName=name, modelSourceConfig={"s3DataSource": {"s3Uri": "s3://nova/nova-micro/"}}
    )["modelArn"]
    assert aws.bedrock.get_custom_model(modelIdentifier=arn)["modelStatus"] == "Active"
    return arn


# -- create and get ---------------------------------------------------------------------------


def test_create_and_get_with_a_one_month_commitment(aws: Clients) -> None:
    arn = aws.create(
        "pt-haiku", commitmentDuration="OneMonth", tags=[{"key": "team", "value": "ml"}]
    )
    got = aws.get(arn)
    assert got["provisionedModelName"] == "pt-haiku"
    assert got["provisionedModelArn"] == arn
    assert got["modelArn"] == got["desiredModelArn"] == fm_arn(HAIKU_200K)
    assert got["foundationModelArn"] == fm_arn(HAIKU_200K)
    assert got["modelUnits"] == got["desiredModelUnits"] == 1
    assert got["status"] == "InService"  # the first read after creation sees it done
    assert got["commitmentDuration"] == "OneMonth"
    created = datetime.fromisoformat(got["creationTime"])
    expiry = datetime.fromisoformat(got["commitmentExpirationTime"])
    assert (expiry.month - created.month) % 12 == 1 and expiry.time() == created.time()
    assert "failureMessage" not in got
    assert aws.get("pt-haiku") == got  # by name as well as by ARN
    tags = aws.bedrock.list_tags_for_resource(resourceARN=arn)["tags"]
    assert tags == [{"key": "team", "value": "ml"}]


def test_six_month_and_no_commitment(aws: Clients) -> None:
    six = aws.get(aws.create("six", commitmentDuration="SixMonths"))
    created = datetime.fromisoformat(six["creationTime"])
    expiry = datetime.fromisoformat(six["commitmentExpirationTime"])
    assert (expiry.month - created.month) % 12 == 6
    assert timedelta(days=180) < expiry - created < timedelta(days=185)
    none = aws.get(aws.create("none", model_id=fm_arn(TITAN_8K)))
    assert "commitmentDuration" not in none and "commitmentExpirationTime" not in none
    assert none["modelArn"] == fm_arn(TITAN_8K)


def test_a_custom_model_by_name_or_arn(aws: Clients) -> None:
    arn = imported_custom_model(aws, "nova-custom")
    by_arn = aws.get(aws.create("by-arn", model_id=arn))
    assert by_arn["modelArn"] == arn
    assert by_arn["foundationModelArn"] == fm_arn(NOVA_MICRO_128K)
    by_name = aws.get(aws.create("by-name", model_id="nova-custom"))
    assert by_name["modelArn"] == arn


def test_the_client_request_token_makes_create_idempotent(aws: Clients) -> None:
    first = aws.create("once", clientRequestToken="token-1")
    assert aws.create("once", clientRequestToken="token-1") == first
    assert aws.names() == ["once"]


# -- status transitions and the runtime ---------------------------------------------------------


def test_the_runtime_refuses_a_throughput_nobody_has_read_yet(aws: Clients) -> None:
    arn = aws.create("fresh")
    code, status, message = error_of(aws.runtime.converse, modelId=arn, messages=[user("hi")])
    assert (code, status, message) == ("ModelNotReadyException", 429, NOT_READY)
    code, status, _ = error_of(aws.runtime.invoke_model, modelId=arn, body=claude_body("hi"))
    assert (code, status) == ("ModelNotReadyException", 429)
    assert aws.get(arn)["status"] == "InService"
    reply = aws.runtime.converse(modelId=arn, messages=[user("hello provisioned")])
    assert "hello provisioned" in reply["output"]["message"]["content"][0]["text"]
    native = aws.runtime.invoke_model(modelId=arn, body=claude_body("hi"))["body"].read()
    assert json.loads(native)["type"] == "message"


def test_a_delay_keeps_it_creating_until_it_has_passed(
    aws: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROVISIONING_SECONDS, "600")
    arn = aws.create("slow")
    assert aws.get(arn)["status"] == "Creating"
    assert aws.names(statusEquals="Creating") == ["slow"]
    assert aws.names(statusEquals="InService") == []
    code, _, _ = error_of(aws.runtime.converse, modelId=arn, messages=[user("hi")])
    assert code == "ModelNotReadyException"
    monkeypatch.setenv(PROVISIONING_SECONDS, "0")
    assert aws.get(arn)["status"] == "InService"
    assert aws.runtime.converse(modelId=arn, messages=[user("hi")])["stopReason"] == "end_turn"


def test_runtime_calls_through_a_throughput_for_a_moto_custom_model(aws: Clients) -> None:
    custom = custom_model(aws, "tuned-haiku")
    arn = aws.create("for-custom", model_id="tuned-haiku")
    # moto's custom-model ARNs (custom-model/<name>) are not AWS-shaped: no shape check here.
    got = aws.bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    assert got["modelArn"] == custom and got["foundationModelArn"] == fm_arn(HAIKU_200K)
    reply = aws.runtime.converse(modelId=arn, messages=[user("tuned")])
    assert "tuned" in reply["output"]["message"]["content"][0]["text"]
    native = json.loads(aws.runtime.invoke_model(modelId=arn, body=claude_body("x"))["body"].read())
    assert native["role"] == "assistant"


# -- list ---------------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(aws: Clients) -> None:
    custom = imported_custom_model(aws, "nova-base")
    for name, model in (("alpha-1", HAIKU_200K), ("beta-2", TITAN_8K), ("alpha-3", custom)):
        aws.create(name, model_id=model)
        time.sleep(0.005)
    assert aws.names() == ["alpha-3", "beta-2", "alpha-1"]  # newest first by default
    assert aws.names(sortBy="CreationTime", sortOrder="Ascending") == [
        "alpha-1",
        "beta-2",
        "alpha-3",
    ]
    assert aws.names(sortOrder="Descending") == ["alpha-3", "beta-2", "alpha-1"]
    assert aws.names(nameContains="alpha") == ["alpha-3", "alpha-1"]
    assert aws.names(modelArnEquals=fm_arn(TITAN_8K)) == ["beta-2"]
    assert aws.names(modelArnEquals=custom) == ["alpha-3"]
    assert aws.names(statusEquals="InService") == ["alpha-3", "beta-2", "alpha-1"]
    assert aws.names(statusEquals="Failed") == []
    middle = datetime.fromisoformat(aws.get("beta-2")["creationTime"])
    assert aws.names(creationTimeAfter=middle) == ["alpha-3"]
    assert aws.names(creationTimeBefore=middle) == ["alpha-1"]
    assert aws.names(creationTimeAfter=middle - timedelta(days=1), nameContains="beta") == [
        "beta-2"
    ]
    # One per page: each page carries a token until the last, and the pages add up.
    aws.bedrock.list_provisioned_model_throughputs(maxResults=1)
    first = aws.checked("ListProvisionedModelThroughputs")
    assert len(first["provisionedModelSummaries"]) == 1 and first["nextToken"]
    assert aws.names(maxResults=1) == ["alpha-3", "beta-2", "alpha-1"]
    assert aws.names(maxResults=2, sortOrder="Ascending") == ["alpha-1", "beta-2", "alpha-3"]
    aws.bedrock.list_provisioned_model_throughputs(maxResults=3)
    assert "nextToken" not in aws.checked("ListProvisionedModelThroughputs")


def test_list_input_errors(aws: Clients) -> None:
    code, status, message = error_of(
        aws.bedrock.list_provisioned_model_throughputs, nextToken="not-a-token"
    )
    assert (code, status, message) == (
        "ValidationException",
        400,
        "The provided pagination token is invalid.",
    )
    code, status, message = error_of(
        aws.bedrock.list_provisioned_model_throughputs, statusEquals="Running"
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value 'Running' at 'statusEquals' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Creating, InService, Updating, Failed]"
    )
    _, _, message = error_of(aws.bedrock.list_provisioned_model_throughputs, maxResults=1001)
    assert message == (
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000"
    )
    _, _, message = error_of(aws.bedrock.list_provisioned_model_throughputs, sortBy="Name")
    assert "Value 'Name' at 'sortBy'" in message


# -- update -------------------------------------------------------------------------------------


def test_update_renames_and_moves_to_a_custom_model_of_the_same_base(
    aws: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    custom = imported_custom_model(aws, "tuned")  # customized from Nova Micro
    arn = aws.create("before", model_id=NOVA_MICRO_128K)
    aws.get(arn)
    monkeypatch.setenv(PROVISIONING_SECONDS, "600")
    response = aws.bedrock.update_provisioned_model_throughput(
        provisionedModelId=arn, desiredProvisionedModelName="after", desiredModelId=custom
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    aws.checked("UpdateProvisionedModelThroughput")
    got = aws.get("after")
    assert got["status"] == "Updating"
    assert got["modelArn"] == fm_arn(NOVA_MICRO_128K) and got["desiredModelArn"] == custom
    assert error_of(aws.bedrock.get_provisioned_model_throughput, provisionedModelId="before")[0]
    # The runtime keeps serving the current model while the update runs.
    assert aws.runtime.converse(modelId=arn, messages=[user("hi")])["stopReason"] == "end_turn"
    monkeypatch.setenv(PROVISIONING_SECONDS, "0")
    got = aws.get(arn)
    assert got["status"] == "InService" and got["modelArn"] == got["desiredModelArn"] == custom


def test_update_errors(aws: Clients) -> None:
    arn = aws.create("one")
    aws.create("two")
    update = aws.bedrock.update_provisioned_model_throughput
    code, status, message = error_of(update, provisionedModelId=arn, desiredModelId=TITAN_8K)
    assert (code, status) == ("ValidationException", 400)
    assert fm_arn(HAIKU_200K) in message
    code, status, _ = error_of(update, provisionedModelId=arn, desiredProvisionedModelName="two")
    assert (code, status) == ("ConflictException", 400)
    code, status, message = error_of(
        update, provisionedModelId="missing", desiredProvisionedModelName="x"
    )
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        "Provisioned model throughput missing not found",
    )


# -- delete, tags and errors -------------------------------------------------------------------


def test_delete_by_name_or_arn_and_the_commitment_term(aws: Clients) -> None:
    arn = aws.create("free", tags=[{"key": "k", "value": "v"}])
    aws.bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
    aws.checked("DeleteProvisionedModelThroughput")
    code, status, _ = error_of(aws.bedrock.get_provisioned_model_throughput, provisionedModelId=arn)
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, _ = error_of(aws.bedrock.list_tags_for_resource, resourceARN=arn)
    assert code == "ResourceNotFoundException"
    aws.create("by-name")
    aws.bedrock.delete_provisioned_model_throughput(provisionedModelId="by-name")
    committed = aws.create("committed", commitmentDuration="OneMonth")
    code, status, message = error_of(
        aws.bedrock.delete_provisioned_model_throughput, provisionedModelId=committed
    )
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("You can't delete a Provisioned Throughput before its commitment")
    assert aws.names() == ["committed"]


def test_tags_on_a_throughput(aws: Clients) -> None:
    arn = aws.create("tagged")
    aws.bedrock.tag_resource(resourceARN=arn, tags=[{"key": "a", "value": "1"}])
    aws.bedrock.untag_resource(resourceARN=arn, tagKeys=["a"])
    assert aws.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == []
    many = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    code, status, _ = error_of(
        aws.bedrock.create_provisioned_model_throughput,
        provisionedModelName="too-many",
        modelId=HAIKU_200K,
        modelUnits=1,
        tags=many,
    )
    assert (code, status) == ("TooManyTagsException", 400)
    assert aws.names() == ["tagged"]


def test_create_errors(aws: Clients) -> None:
    aws.create("taken")
    create = aws.bedrock.create_provisioned_model_throughput
    code, status, _ = error_of(create, provisionedModelName="taken", modelId=TITAN_8K, modelUnits=1)
    assert (code, status) == ("ConflictException", 400)
    code, status, message = error_of(
        create, provisionedModelName="on-demand", modelId=HAIKU, modelUnits=1
    )
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(f"The model {HAIKU} doesn't support Provisioned Throughput")
    for unknown in ("anthropic.claude-9", fm_arn(HAIKU_200K, "eu-west-1")):
        _, _, message = error_of(create, provisionedModelName="x", modelId=unknown, modelUnits=1)
        assert message == "The provided model identifier is invalid."
    code, status, message = error_of(
        create, provisionedModelName="x", modelId="no-such-custom-model", modelUnits=1
    )
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        "Custom model no-such-custom-model not found",
    )
    code, status, message = error_of(
        aws.unchecked.create_provisioned_model_throughput,
        provisionedModelName="x",
        modelId=HAIKU_200K,
        modelUnits=0,
    )
    assert (code, status, message) == (
        "ValidationException",
        400,
        "1 validation error detected: Value '0' at 'modelUnits' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )
    _, _, message = error_of(
        create,
        provisionedModelName="x",
        modelId=HAIKU_200K,
        modelUnits=1,
        commitmentDuration="OneYear",
    )
    assert "Member must satisfy enum value set: [OneMonth, SixMonths]" in message
    code, status, message = error_of(
        aws.bedrock.get_provisioned_model_throughput, provisionedModelId="bad id!"
    )
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value 'bad id!' at 'provisionedModel")
    assert aws.names() == ["taken"]


# -- over HTTP ---------------------------------------------------------------------------------


def test_over_the_moto_bedrock_server(cli_server: CliServer) -> None:
    bedrock = client_for(cli_server.url, "bedrock")
    runtime = client_for(cli_server.url)
    bodies = capture_bodies(bedrock)
    arn = bedrock.create_provisioned_model_throughput(
        provisionedModelName="over-http", modelId=HAIKU_200K, modelUnits=2
    )["provisionedModelArn"]
    code, _, _ = error_of(runtime.converse, modelId=arn, messages=[user("hi")])
    assert code == "ModelNotReadyException"
    bedrock.get_provisioned_model_throughput(provisionedModelId=arn)
    got = json.loads(bodies[-1])
    check_output("GetProvisionedModelThroughput", got, service="bedrock")
    assert got["status"] == "InService" and got["modelUnits"] == 2
    bedrock.list_provisioned_model_throughputs(nameContains="over-http", maxResults=5)
    listed = json.loads(bodies[-1])
    check_output("ListProvisionedModelThroughputs", listed, service="bedrock")
    assert [s["provisionedModelArn"] for s in listed["provisionedModelSummaries"]] == [arn]
    reply = runtime.converse(modelId=arn, messages=[user("over http")])
    assert "over http" in reply["output"]["message"]["content"][0]["text"]
    native = json.loads(runtime.invoke_model(modelId=arn, body=claude_body("x"))["body"].read())
    assert native["type"] == "message"
    bedrock.delete_provisioned_model_throughput(provisionedModelId=arn)
