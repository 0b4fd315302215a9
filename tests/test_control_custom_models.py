"""Custom models beyond moto's customization jobs: CreateCustomModel (in moto's store, with
ListCustomModels and DeleteCustomModel over both kinds), model import jobs and imported models,
model copy jobs across regions, and custom model deployments. Every operation, filter and page
is checked against botocore's shapes, with the errors AWS gives and runtime calls (Converse and
InvokeModel) through custom-model, imported-model and deployment ARNs."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from moto import mock_aws

from moto_bedrock_runtime.config import PROVISIONING_SECONDS

from .conftest import (
    CREDENTIALS,
    NO_RETRIES,
    CliServer,
    capture_bodies,
    check_output,
    collect_pages,
    error_of,
)

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bedrock-import"
HAIKU_200K = "anthropic.claude-3-haiku-20240307-v1:0:200k"
NOVA_MICRO = "amazon.nova-micro-v1:0:128k"
NOVA_LITE = "amazon.nova-lite-v1:0:300k"
NOT_READY = "Model is not ready to serve inference requests. Wait and try your request again."
CUSTOM_ARN = re.compile(rf"^arn:aws:bedrock:(?P<region>[a-z0-9-]+):{ACCOUNT}:custom-model/")
IMPORTED_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:imported-model/[a-z0-9]{{12}}$")
JOB_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:model-import-job/[a-z0-9]{{12}}$")
COPY_ARN = re.compile(rf"^arn:aws:bedrock:us-west-2:{ACCOUNT}:model-copy-job/[a-z0-9]{{12}}$")
DEPLOYMENT_ARN = re.compile(
    rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/[a-z0-9]{{12}}$"
)
LLAMA_PROMPT = (
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is a llama?<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n"
)


def fm_arn(model_id: str, region: str = "us-east-1") -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def text_of(reply: dict[str, Any]) -> str:
    return reply["output"]["message"]["content"][0]["text"]


def s3_source(uri: str) -> dict[str, Any]:
    return {"s3DataSource": {"s3Uri": uri}}


class Region:
    """bedrock and bedrock-runtime clients of one region, bedrock's raw bodies captured."""

    def __init__(self, region: str, endpoint_url: str | None = None) -> None:
        extra: dict[str, Any] = (
            {"endpoint_url": endpoint_url, **CREDENTIALS} if endpoint_url else {}
        )
        self.bedrock = boto3.client("bedrock", region_name=region, config=NO_RETRIES, **extra)
        self.runtime = boto3.client(
            "bedrock-runtime", region_name=region, config=NO_RETRIES, **extra
        )
        self.bodies = capture_bodies(self.bedrock)

    def checked(self, operation: str) -> dict[str, Any]:
        body = json.loads(self.bodies[-1])
        check_output(operation, body, service="bedrock")
        return body

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call a bedrock operation (CamelCase name) and return its checked raw body."""
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        getattr(self.bedrock, method)(**params)
        return self.checked(operation)

    def list_all(self, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every summary of a List operation, page by page, each raw page checked."""
        return collect_pages(lambda **page: self.call(operation, **page), key, **params)

    def create_custom_model(self, name: str, uri: str = "s3://nova-models/run-1/") -> str:
        response = self.bedrock.create_custom_model(
            modelName=name, modelSourceConfig=s3_source(uri)
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        return self.checked("CreateCustomModel")["modelArn"]

    def import_model(
        self, job: str, model: str, uri: str = "s3://weights/llama/", **extra: Any
    ) -> str:
        response = self.bedrock.create_model_import_job(
            jobName=job,
            importedModelName=model,
            roleArn=ROLE,
            modelDataSource=s3_source(uri),
            **extra,
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
        return self.checked("CreateModelImportJob")["jobArn"]

    def deploy(self, name: str, model_arn: str, **extra: Any) -> str:
        response = self.bedrock.create_custom_model_deployment(
            modelDeploymentName=name, modelArn=model_arn, **extra
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        arn = self.checked("CreateCustomModelDeployment")["customModelDeploymentArn"]
        assert DEPLOYMENT_ARN.match(arn)
        return arn


@pytest.fixture
def east() -> Iterator[Region]:
    with mock_aws():
        yield Region("us-east-1")


@pytest.fixture
def west(east: Region) -> Region:
    return Region("us-west-2")


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Resources stay in their transitional status until the test sets the delay back to 0."""
    monkeypatch.setenv(PROVISIONING_SECONDS, "600")
    yield monkeypatch


def names(summaries: list[dict[str, Any]], key: str = "modelName") -> list[str]:
    return [summary[key] for summary in summaries]


# -- CreateCustomModel and moto's custom-model operations ---------------------------------------


def test_create_custom_model_lands_in_motos_store(east: Region) -> None:
    arn = east.create_custom_model("nova-tuned")
    assert CUSTOM_ARN.match(arn) and arn.split("/")[1] == "imported"
    got = east.call("GetCustomModel", modelIdentifier=arn)
    assert got["modelName"] == "nova-tuned" and got["modelArn"] == arn
    assert got["customizationType"] == "IMPORTED" and got["modelStatus"] == "Active"
    assert got["baseModelArn"] == fm_arn(NOVA_MICRO)
    assert east.bedrock.get_custom_model(modelIdentifier="nova-tuned")["modelArn"] == arn
    (summary,) = east.list_all("ListCustomModels", "modelSummaries")
    assert summary == {
        "modelArn": arn,
        "modelName": "nova-tuned",
        "creationTime": summary["creationTime"],
        "baseModelArn": fm_arn(NOVA_MICRO),
        "baseModelName": "amazon.nova-micro-v1",
        "customizationType": "IMPORTED",
        "ownerAccountId": ACCOUNT,
        "modelStatus": "Active",
    }
    east.call("DeleteCustomModel", modelIdentifier=arn)  # by ARN as well as by name
    code, status, _ = error_of(east.bedrock.get_custom_model, modelIdentifier=arn)
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_the_nova_size_comes_from_the_source(east: Region) -> None:
    lite = east.create_custom_model("lite", "s3://models/nova-lite/checkpoint/")
    assert east.call("GetCustomModel", modelIdentifier=lite)["baseModelArn"] == fm_arn(NOVA_LITE)
    package = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/nova-pro-tuned/1"
    east.bedrock.create_custom_model(
        modelName="pro",
        customModelDataSource={"modelPackageArnDataSource": {"modelPackageArn": package}},
    )
    pro = east.call("GetCustomModel", modelIdentifier="pro")
    assert pro["baseModelArn"] == fm_arn("amazon.nova-pro-v1:0:300k")


def test_a_custom_model_is_creating_until_read_and_the_runtime_waits(
    east: Region, slow: pytest.MonkeyPatch
) -> None:
    arn = east.create_custom_model("pending")
    assert east.call("GetCustomModel", modelIdentifier=arn)["modelStatus"] == "Creating"
    listed = east.list_all("ListCustomModels", "modelSummaries", modelStatus="Creating")
    assert names(listed) == ["pending"]
    assert east.list_all("ListCustomModels", "modelSummaries", modelStatus="Active") == []
    code, status, message = error_of(east.runtime.converse, modelId=arn, messages=[user("hi")])
    assert (code, status, message) == ("ModelNotReadyException", 429, NOT_READY)
    slow.setenv(PROVISIONING_SECONDS, "0")
    assert east.call("GetCustomModel", modelIdentifier=arn)["modelStatus"] == "Active"
    assert "hi" in text_of(east.runtime.converse(modelId=arn, messages=[user("hi")]))
    body = {"messages": [{"role": "user", "content": [{"text": "nova?"}]}]}
    native = json.loads(
        east.runtime.invoke_model(modelId=arn, body=json.dumps(body))["body"].read()
    )
    assert native["output"]["message"]["role"] == "assistant"  # Nova's native shape


def test_list_custom_models_filters_and_pages(east: Region) -> None:
    for name, uri in (("micro-a", "s3://models/nova-micro/"), ("lite-b", "s3://models/nova-lite/")):
        east.create_custom_model(name, uri)
    east.create_custom_model("micro-c", "s3://models/x/")
    listed = east.list_all("ListCustomModels", "modelSummaries", maxResults=1)
    assert sorted(names(listed)) == ["lite-b", "micro-a", "micro-c"]
    by = east.list_all
    assert sorted(names(by("ListCustomModels", "modelSummaries", nameContains="micro"))) == [
        "micro-a",
        "micro-c",
    ]
    for member in ("baseModelArnEquals", "foundationModelArnEquals"):
        found = by("ListCustomModels", "modelSummaries", **{member: fm_arn(NOVA_LITE)})
        assert names(found) == ["lite-b"]
    assert by("ListCustomModels", "modelSummaries", isOwned=False) == []
    assert len(by("ListCustomModels", "modelSummaries", isOwned=True)) == 3
    now = datetime.now(timezone.utc)
    assert (
        len(by("ListCustomModels", "modelSummaries", creationTimeAfter=now - timedelta(hours=1)))
        == 3
    )
    assert (
        by("ListCustomModels", "modelSummaries", creationTimeBefore=now - timedelta(hours=1)) == []
    )
    ascending = by(
        "ListCustomModels", "modelSummaries", sortBy="CreationTime", sortOrder="Ascending"
    )
    times = [summary["creationTime"] for summary in ascending]
    assert times == sorted(times)


def test_moto_customization_job_models_answer_at_runtime(east: Region) -> None:
    east.bedrock.create_model_customization_job(
        jobName="tune-haiku",
        customModelName="tuned-haiku",
        roleArn=ROLE,
        baseModelIdentifier=HAIKU_200K,
        trainingDataConfig={"s3Uri": "s3://training/data.jsonl"},
        outputDataConfig={"s3Uri": "s3://training/out/"},
        hyperParameters={"epochCount": "1"},
    )
    arn = east.bedrock.get_custom_model(modelIdentifier="tuned-haiku")["modelArn"]
    assert "custom model" in text_of(
        east.runtime.converse(modelId=arn, messages=[user("custom model")])
    )
    message = {"role": "user", "content": [{"type": "text", "text": "hi"}]}
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 32, "messages": [message]}
    native = json.loads(
        east.runtime.invoke_model(modelId=arn, body=json.dumps(body))["body"].read()
    )
    assert native["type"] == "message" and native["role"] == "assistant"
    east.bedrock.delete_custom_model(modelIdentifier="tuned-haiku")
    code, _, message_text = error_of(east.runtime.converse, modelId=arn, messages=[user("x")])
    assert (code, message_text) == (
        "ValidationException",
        "The provided model identifier is invalid.",
    )


def test_create_custom_model_errors_tags_and_idempotency(east: Region) -> None:
    arn = east.bedrock.create_custom_model(
        modelName="tagged",
        modelSourceConfig=s3_source("s3://models/a/"),
        modelTags=[{"key": "team", "value": "ml"}],
        clientRequestToken="once",
    )["modelArn"]
    again = east.bedrock.create_custom_model(
        modelName="tagged", modelSourceConfig=s3_source("s3://models/a/"), clientRequestToken="once"
    )
    assert again["modelArn"] == arn
    assert east.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "team", "value": "ml"}
    ]
    code, status, message = error_of(
        east.bedrock.create_custom_model,
        modelName="tagged",
        modelSourceConfig=s3_source("s3://models/b/"),
    )
    assert (code, status, message) == (
        "ConflictException",
        400,
        "Custom model tagged already exists",
    )
    code, status, message = error_of(east.bedrock.create_custom_model, modelName="no-source")
    assert (code, status) == ("ValidationException", 400)
    assert message == "Specify either modelSourceConfig or customModelDataSource."
    code, status, _ = error_of(
        east.bedrock.create_custom_model,
        modelName="many-tags",
        modelSourceConfig=s3_source("s3://models/c/"),
        modelTags=[{"key": f"k{i}", "value": "v"} for i in range(51)],
    )
    assert (code, status) == ("TooManyTagsException", 400)
    code, status, message = error_of(east.bedrock.delete_custom_model, modelIdentifier="missing")
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        "Custom model missing not found",
    )


# -- model import jobs and imported models -------------------------------------------------------


def test_an_import_job_completes_into_an_imported_model(east: Region) -> None:
    job_arn = east.import_model(
        "import-llama",
        "my-llama",
        jobTags=[{"key": "job", "value": "1"}],
        importedModelTags=[{"key": "model", "value": "1"}],
        importedModelKmsKeyId="1234abcd-12ab-34cd-56ef-1234567890ab",
        vpcConfig={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]},
    )
    assert JOB_ARN.match(job_arn)
    job = east.call("GetModelImportJob", jobIdentifier=job_arn)
    assert job["status"] == "Completed" and job["jobName"] == "import-llama"
    assert job["importedModelName"] == "my-llama" and IMPORTED_ARN.match(job["importedModelArn"])
    assert job["roleArn"] == ROLE and job["modelDataSource"] == s3_source("s3://weights/llama/")
    assert job["vpcConfig"] == {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}
    assert job["importedModelKmsKeyArn"] == (
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    assert {"endTime", "lastModifiedTime", "creationTime"} <= set(job)
    assert east.call("GetModelImportJob", jobIdentifier="import-llama") == job
    model = east.call("GetImportedModel", modelIdentifier=job["importedModelArn"])
    assert model["modelName"] == "my-llama" and model["jobArn"] == job_arn
    assert model["modelArchitecture"] == "llama" and model["instructSupported"] is True
    assert model["modelKmsKeyArn"] == job["importedModelKmsKeyArn"]
    assert model["customModelUnits"]["customModelUnitsPerModelCopy"] == 1
    assert east.call("GetImportedModel", modelIdentifier="my-llama") == model
    tags = east.bedrock.list_tags_for_resource
    assert tags(resourceARN=job_arn)["tags"] == [{"key": "job", "value": "1"}]
    assert tags(resourceARN=model["modelArn"])["tags"] == [{"key": "model", "value": "1"}]


def test_an_imported_llama_answers_in_llamas_native_format(east: Region) -> None:
    east.import_model("job", "llama-import")
    (summary,) = east.list_all("ListImportedModels", "modelSummaries")
    arn = summary["modelArn"]
    body = {"prompt": LLAMA_PROMPT, "max_gen_len": 64, "temperature": 0.5}
    native = json.loads(
        east.runtime.invoke_model(modelId=arn, body=json.dumps(body))["body"].read()
    )
    assert set(native) == {
        "generation",
        "prompt_token_count",
        "generation_token_count",
        "stop_reason",
    }
    assert "llama" in text_of(east.runtime.converse(modelId=arn, messages=[user("a llama")]))


def test_config_json_in_s3_picks_the_architecture(east: Region) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="weights")
    s3.put_object(Bucket="weights", Key="mistral/config.json", Body=b'{"model_type": "mistral"}')
    s3.put_object(Bucket="weights", Key="odd/config.json", Body=b'{"model_type": "mamba"}')
    s3.put_object(Bucket="weights", Key="broken/config.json", Body=b"{not json")
    east.import_model("mistral-job", "my-mistral", "s3://weights/mistral/")
    east.import_model("odd-job", "my-odd", "s3://weights/odd")
    east.import_model("broken-job", "my-broken", "s3://weights/broken/")
    model = east.call("GetImportedModel", modelIdentifier="my-mistral")
    assert model["modelArchitecture"] == "mistral"
    body = {"prompt": "<s>[INST] Why mistral? [/INST]", "max_tokens": 50}
    raw = east.runtime.invoke_model(modelId=model["modelArn"], body=json.dumps(body))["body"]
    assert set(json.loads(raw.read())["outputs"][0]) == {"text", "stop_reason"}
    odd = east.call("GetModelImportJob", jobIdentifier="odd-job")
    assert odd["status"] == "Failed" and "importedModelArn" not in odd
    assert odd["failureMessage"] == "The model architecture mamba isn't supported for import."
    broken = east.call("GetModelImportJob", jobIdentifier="broken-job")
    assert broken["status"] == "Failed"
    assert (
        broken["failureMessage"]
        == "The config.json file in the model data source isn't valid JSON."
    )
    assert names(east.list_all("ListImportedModels", "modelSummaries")) == ["my-mistral"]


def test_an_import_job_in_progress_has_no_model_yet(east: Region, slow: pytest.MonkeyPatch) -> None:
    job_arn = east.import_model("slow-job", "slow-model")
    job = east.call("GetModelImportJob", jobIdentifier=job_arn)
    assert job["status"] == "InProgress" and "importedModelArn" not in job and "endTime" not in job
    code, status, _ = error_of(east.bedrock.get_imported_model, modelIdentifier="slow-model")
    assert (code, status) == ("ResourceNotFoundException", 404)
    listed = east.list_all(
        "ListModelImportJobs", "modelImportJobSummaries", statusEquals="InProgress"
    )
    assert names(listed, "jobName") == ["slow-job"]
    code, status, _ = error_of(
        east.bedrock.create_model_import_job,
        jobName="other",
        importedModelName="slow-model",
        roleArn=ROLE,
        modelDataSource=s3_source("s3://weights/x/"),
    )
    assert (code, status) == ("ConflictException", 400)
    slow.setenv(PROVISIONING_SECONDS, "0")
    arn = east.call("GetImportedModel", modelIdentifier="slow-model")["modelArn"]
    assert "ok" in text_of(east.runtime.converse(modelId=arn, messages=[user("ok")]))


def test_list_import_jobs_and_imported_models(east: Region) -> None:
    for job, model in (("job-a", "model-a"), ("job-b", "model-b"), ("other-c", "model-c")):
        east.import_model(job, model)
        time.sleep(0.005)
    jobs = east.list_all("ListModelImportJobs", "modelImportJobSummaries", maxResults=2)
    assert names(jobs, "jobName") == ["other-c", "job-b", "job-a"]
    assert all(job["status"] == "Completed" and "importedModelArn" in job for job in jobs)
    by = east.list_all
    ascending = by(
        "ListModelImportJobs",
        "modelImportJobSummaries",
        sortBy="CreationTime",
        sortOrder="Ascending",
    )
    assert names(ascending, "jobName") == ["job-a", "job-b", "other-c"]
    assert names(
        by("ListModelImportJobs", "modelImportJobSummaries", nameContains="job"), "jobName"
    ) == ["job-b", "job-a"]
    assert by("ListModelImportJobs", "modelImportJobSummaries", statusEquals="Failed") == []
    middle = datetime.fromisoformat(
        east.call("GetModelImportJob", jobIdentifier="job-b")["creationTime"]
    )
    assert names(
        by("ListModelImportJobs", "modelImportJobSummaries", creationTimeAfter=middle), "jobName"
    ) == ["other-c"]
    assert names(
        by("ListModelImportJobs", "modelImportJobSummaries", creationTimeBefore=middle), "jobName"
    ) == ["job-a"]
    models = by("ListImportedModels", "modelSummaries", maxResults=1, sortOrder="Ascending")
    assert names(models) == ["model-a", "model-b", "model-c"]
    assert names(by("ListImportedModels", "modelSummaries", nameContains="c")) == ["model-c"]
    created = datetime.fromisoformat(models[1]["creationTime"])
    assert names(by("ListImportedModels", "modelSummaries", creationTimeAfter=created)) == [
        "model-c"
    ]
    assert names(by("ListImportedModels", "modelSummaries", creationTimeBefore=created)) == [
        "model-a"
    ]
    east.call("DeleteImportedModel", modelIdentifier="model-b")
    east.call("DeleteImportedModel", modelIdentifier=models[0]["modelArn"])
    assert names(by("ListImportedModels", "modelSummaries")) == ["model-c"]


def test_import_errors(east: Region) -> None:
    east.import_model("taken-job", "taken-model")
    create = east.bedrock.create_model_import_job
    common = {"roleArn": ROLE, "modelDataSource": s3_source("s3://weights/x/")}
    code, status, message = error_of(create, jobName="taken-job", importedModelName="new", **common)
    assert (code, status, message) == (
        "ConflictException",
        400,
        "Model import job taken-job already exists",
    )
    code, status, message = error_of(
        create, jobName="new", importedModelName="taken-model", **common
    )
    assert (code, status, message) == (
        "ConflictException",
        400,
        "Imported model taken-model already exists",
    )
    for call, key in (
        (east.bedrock.get_model_import_job, "jobIdentifier"),
        (east.bedrock.get_imported_model, "modelIdentifier"),
        (east.bedrock.delete_imported_model, "modelIdentifier"),
    ):
        code, status, message = error_of(call, **{key: "nothing"})
        assert (code, status) == ("ResourceNotFoundException", 404)
        assert message.endswith("nothing not found")
    code, status, message = error_of(
        create,
        jobName="bad",
        importedModelName="bad",
        roleArn="not-a-role",
        modelDataSource=s3_source("s3://weights/x/"),
    )
    assert (code, status) == ("ValidationException", 400)
    assert "at 'roleArn' failed to satisfy constraint" in message
    code, status, message = error_of(east.bedrock.list_imported_models, sortOrder="Sideways")
    assert (code, status) == ("ValidationException", 400)
    assert "[Ascending, Descending]" in message


def test_the_client_request_token_makes_an_import_idempotent(east: Region) -> None:
    first = east.import_model("job", "model", clientRequestToken="abc")
    assert east.import_model("job", "model", clientRequestToken="abc") == first


# -- model copy jobs -----------------------------------------------------------------------------


def test_a_copy_job_copies_a_custom_model_to_its_region(east: Region, west: Region) -> None:
    source = east.create_custom_model("source-model", "s3://models/nova-lite/")
    response = west.bedrock.create_model_copy_job(
        sourceModelArn=source,
        targetModelName="copied",
        modelKmsKeyId=f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        targetModelTags=[{"key": "copy", "value": "yes"}],
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    job_arn = west.checked("CreateModelCopyJob")["jobArn"]
    assert COPY_ARN.match(job_arn)
    job = west.call("GetModelCopyJob", jobArn=job_arn)
    assert job["status"] == "Completed" and job["sourceModelArn"] == source
    assert job["sourceAccountId"] == ACCOUNT and job["sourceModelName"] == "source-model"
    assert job["targetModelName"] == "copied" and job["targetModelTags"] == [
        {"key": "copy", "value": "yes"}
    ]
    target = job["targetModelArn"]
    assert CUSTOM_ARN.match(target).group("region") == "us-west-2"
    copied = west.call("GetCustomModel", modelIdentifier="copied")
    assert copied["modelArn"] == target and copied["baseModelArn"] == fm_arn(NOVA_LITE, "us-west-2")
    assert copied["modelKmsKeyArn"] == job["targetModelKmsKeyArn"]
    assert west.bedrock.list_tags_for_resource(resourceARN=target)["tags"] == job["targetModelTags"]
    assert names(east.list_all("ListCustomModels", "modelSummaries")) == ["source-model"]
    assert "copy" in text_of(west.runtime.converse(modelId=target, messages=[user("copy")]))
    code, _, _ = error_of(east.runtime.converse, modelId=target, messages=[user("x")])
    assert code == "ValidationException"  # another region's ARN


def test_a_copy_in_progress_and_the_copy_job_list(
    east: Region, west: Region, slow: pytest.MonkeyPatch
) -> None:
    first = east.create_custom_model("first")
    second = east.create_custom_model("second")
    slow.setenv(PROVISIONING_SECONDS, "0")
    east.bedrock.get_custom_model(modelIdentifier=first)
    slow.setenv(PROVISIONING_SECONDS, "600")
    pending = west.bedrock.create_model_copy_job(sourceModelArn=first, targetModelName="copy-one")[
        "jobArn"
    ]
    assert west.call("GetModelCopyJob", jobArn=pending)["status"] == "InProgress"
    code, _, _ = error_of(west.bedrock.get_custom_model, modelIdentifier="copy-one")
    assert code == "ResourceNotFoundException"
    code, status, _ = error_of(
        west.bedrock.create_model_copy_job, sourceModelArn=second, targetModelName="copy-one"
    )
    assert (code, status) == ("ConflictException", 400)
    slow.setenv(PROVISIONING_SECONDS, "0")
    time.sleep(0.005)
    west.bedrock.create_model_copy_job(sourceModelArn=second, targetModelName="copy-two")
    by = west.list_all
    jobs = by("ListModelCopyJobs", "modelCopyJobSummaries", maxResults=1)
    assert names(jobs, "targetModelName") == ["copy-two", "copy-one"]
    assert all(job["status"] == "Completed" for job in jobs)
    key = "modelCopyJobSummaries"
    assert names(by("ListModelCopyJobs", key, sortOrder="Ascending"), "targetModelName") == [
        "copy-one",
        "copy-two",
    ]
    assert names(by("ListModelCopyJobs", key, sourceModelArnEquals=second), "targetModelName") == [
        "copy-two"
    ]
    assert names(
        by("ListModelCopyJobs", key, targetModelNameContains="one"), "targetModelName"
    ) == ["copy-one"]
    assert len(by("ListModelCopyJobs", key, sourceAccountEquals=ACCOUNT)) == 2
    assert by("ListModelCopyJobs", key, sourceAccountEquals="210987654321") == []
    assert by("ListModelCopyJobs", key, statusEquals="InProgress") == []
    created = datetime.fromisoformat(jobs[1]["creationTime"])
    assert names(by("ListModelCopyJobs", key, creationTimeAfter=created), "targetModelName") == [
        "copy-two"
    ]
    assert names(by("ListModelCopyJobs", key, creationTimeBefore=created), "targetModelName") == []
    assert sorted(names(by("ListCustomModels", "modelSummaries"))) == ["copy-one", "copy-two"]


def test_copy_errors(east: Region, west: Region) -> None:
    missing = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/imported/abcdefghijkl"
    code, status, message = error_of(
        west.bedrock.create_model_copy_job, sourceModelArn=missing, targetModelName="x"
    )
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        f"Custom model {missing} not found",
    )
    job = f"arn:aws:bedrock:us-west-2:{ACCOUNT}:model-copy-job/abcdefghijkl"
    code, status, message = error_of(west.bedrock.get_model_copy_job, jobArn=job)
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        f"Model copy job {job} not found",
    )
    code, status, _ = error_of(west.bedrock.get_model_copy_job, jobArn="not-an-arn")
    assert (code, status) == ("ValidationException", 400)


# -- custom model deployments -------------------------------------------------------------------


def test_a_deployment_serves_its_custom_model(east: Region) -> None:
    model = east.create_custom_model("deployable")
    arn = east.deploy(
        "prod", model, description="production", tags=[{"key": "env", "value": "prod"}]
    )
    code, status, message = error_of(east.runtime.converse, modelId=arn, messages=[user("hi")])
    assert (code, status, message) == ("ModelNotReadyException", 429, NOT_READY)
    got = east.call("GetCustomModelDeployment", customModelDeploymentIdentifier=arn)
    assert got["status"] == "Active" and got["modelArn"] == model
    assert got["modelDeploymentName"] == "prod" and got["description"] == "production"
    assert "updateDetails" not in got
    assert east.call("GetCustomModelDeployment", customModelDeploymentIdentifier="prod") == got
    assert "deployed" in text_of(east.runtime.converse(modelId=arn, messages=[user("deployed")]))
    body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    native = json.loads(
        east.runtime.invoke_model(modelId=arn, body=json.dumps(body))["body"].read()
    )
    assert native["output"]["message"]["content"][0]["text"]
    assert east.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "env", "value": "prod"}
    ]
    east.call("DeleteCustomModelDeployment", customModelDeploymentIdentifier="prod")
    code, status, _ = error_of(
        east.bedrock.get_custom_model_deployment, customModelDeploymentIdentifier=arn
    )
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, _, _ = error_of(east.runtime.converse, modelId=arn, messages=[user("gone")])
    assert code == "ValidationException"


def test_updating_a_deployment(east: Region, slow: pytest.MonkeyPatch) -> None:
    first = east.create_custom_model("first")
    second = east.create_custom_model("second", "s3://models/nova-lite/")
    arn = east.deploy("dep", first)
    assert (
        east.call("GetCustomModelDeployment", customModelDeploymentIdentifier=arn)["status"]
        == "Creating"
    )
    slow.setenv(PROVISIONING_SECONDS, "0")
    east.call("GetCustomModelDeployment", customModelDeploymentIdentifier=arn)
    east.call("GetCustomModel", modelIdentifier=second)
    slow.setenv(PROVISIONING_SECONDS, "600")
    response = east.bedrock.update_custom_model_deployment(
        customModelDeploymentIdentifier="dep", modelArn=second
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert east.checked("UpdateCustomModelDeployment")["customModelDeploymentArn"] == arn
    got = east.call("GetCustomModelDeployment", customModelDeploymentIdentifier=arn)
    assert got["status"] == "Active" and got["modelArn"] == first
    assert got["updateDetails"] == {"modelArn": second, "updateStatus": "Updating"}
    assert east.runtime.converse(modelId=arn, messages=[user("hi")])["stopReason"] == "end_turn"
    slow.setenv(PROVISIONING_SECONDS, "0")
    got = east.call("GetCustomModelDeployment", customModelDeploymentIdentifier=arn)
    assert got["modelArn"] == second
    assert got["updateDetails"] == {"modelArn": second, "updateStatus": "UpdateCompleted"}


def test_list_deployments(east: Region) -> None:
    first = east.create_custom_model("first")
    second = east.create_custom_model("second")
    for name, model in (("blue-a", first), ("green-b", second), ("blue-c", second)):
        east.deploy(name, model)
        time.sleep(0.005)
    key = "modelDeploymentSummaries"
    by = east.list_all
    found = by("ListCustomModelDeployments", key, maxResults=1)
    assert names(found, "customModelDeploymentName") == ["blue-c", "green-b", "blue-a"]
    assert all(summary["status"] == "Active" for summary in found)
    ascending = by("ListCustomModelDeployments", key, sortBy="CreationTime", sortOrder="Ascending")
    assert names(ascending, "customModelDeploymentName") == ["blue-a", "green-b", "blue-c"]
    assert names(
        by("ListCustomModelDeployments", key, nameContains="blue"), "customModelDeploymentName"
    ) == ["blue-c", "blue-a"]
    assert names(
        by("ListCustomModelDeployments", key, modelArnEquals=first), "customModelDeploymentName"
    ) == ["blue-a"]
    assert len(by("ListCustomModelDeployments", key, statusEquals="Active")) == 3
    assert by("ListCustomModelDeployments", key, statusEquals="Creating") == []
    middle = datetime.fromisoformat(found[1]["createdAt"])
    assert names(
        by("ListCustomModelDeployments", key, createdAfter=middle), "customModelDeploymentName"
    ) == ["blue-c"]
    assert names(
        by("ListCustomModelDeployments", key, createdBefore=middle), "customModelDeploymentName"
    ) == ["blue-a"]


def test_deployment_errors(east: Region) -> None:
    model = east.create_custom_model("model")
    east.deploy("taken", model, clientRequestToken="t1")
    assert east.deploy("taken", model, clientRequestToken="t1")  # the same request again
    code, status, message = error_of(
        east.bedrock.create_custom_model_deployment, modelDeploymentName="taken", modelArn=model
    )
    assert (code, status, message) == (
        "ConflictException",
        400,
        "Custom model deployment taken already exists",
    )
    unknown = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/imported/abcdefghijkl"
    code, status, message = error_of(
        east.bedrock.create_custom_model_deployment, modelDeploymentName="new", modelArn=unknown
    )
    assert (code, status, message) == (
        "ResourceNotFoundException",
        404,
        f"Custom model {unknown} not found",
    )
    code, status, message = error_of(
        east.bedrock.create_custom_model_deployment,
        modelDeploymentName="new",
        modelArn="arn:aws:bedrock:us-east-1::foundation-model/x.y",
    )
    assert (code, status) == ("ValidationException", 400)
    assert "at 'modelArn' failed to satisfy constraint" in message
    for call, extra in (
        (east.bedrock.get_custom_model_deployment, {}),
        (east.bedrock.delete_custom_model_deployment, {}),
        (east.bedrock.update_custom_model_deployment, {"modelArn": model}),
    ):
        code, status, message = error_of(call, customModelDeploymentIdentifier="nothing", **extra)
        assert (code, status, message) == (
            "ResourceNotFoundException",
            404,
            "Custom model deployment nothing not found",
        )
    code, status, _ = error_of(east.bedrock.list_custom_model_deployments, nextToken="bogus")
    assert (code, status) == ("ValidationException", 400)


# -- over HTTP ----------------------------------------------------------------------------------


def test_over_the_moto_bedrock_server(cli_server: CliServer) -> None:
    east = Region("us-east-1", cli_server.url)
    west = Region("us-west-2", cli_server.url)
    job = east.import_model("http-job", "http-llama")
    imported = east.call("GetModelImportJob", jobIdentifier=job)["importedModelArn"]
    body = {"prompt": LLAMA_PROMPT, "max_gen_len": 32}
    native = json.loads(
        east.runtime.invoke_model(modelId=imported, body=json.dumps(body))["body"].read()
    )
    assert "generation" in native
    assert "http" in text_of(east.runtime.converse(modelId=imported, messages=[user("http")]))
    model = east.create_custom_model("http-nova")
    east.call("GetCustomModel", modelIdentifier=model)
    deployment = east.deploy("http-deployment", model)
    east.call("GetCustomModelDeployment", customModelDeploymentIdentifier=deployment)
    assert "served" in text_of(east.runtime.converse(modelId=deployment, messages=[user("served")]))
    copy = west.bedrock.create_model_copy_job(sourceModelArn=model, targetModelName="http-copy")[
        "jobArn"
    ]
    target = west.call("GetModelCopyJob", jobArn=copy)["targetModelArn"]
    assert "copied" in text_of(west.runtime.converse(modelId=target, messages=[user("copied")]))
    for region, arn in ((east, model), (west, target)):
        region.call("DeleteCustomModel", modelIdentifier=arn)
    east.call("DeleteCustomModelDeployment", customModelDeploymentIdentifier=deployment)
    east.call("DeleteImportedModel", modelIdentifier=imported)
