"""Evaluation jobs: create (automated, human and RAG), get, list (every filter, sort and page),
stop and batch delete, each raw answer checked against botocore's shapes; the status
transitions as reads observe them; and the errors with their codes and statuses."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from moto_bedrock_runtime.config import PROVISIONING_SECONDS

from .conftest import CliServer, capture_bodies, check_output, client_for, client_of, error_parts

ACCOUNT = "123456789012"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET_35 = "anthropic.claude-3-5-sonnet-20240620-v1:0"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Evaluation"
JOB_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:evaluation-job/[a-z0-9]{{12}}$")
OUTPUT = {"s3Uri": "s3://evaluation-results/out/"}


def dataset(task: str = "Summarization") -> dict[str, Any]:
    return {
        "taskType": task,
        "dataset": {"name": "Builtin.Gigaword"},
        "metricNames": ["Builtin.Accuracy", "Builtin.Robustness"],
    }


def automated(*tasks: str, judge: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "datasetMetricConfigs": [dataset(t) for t in tasks or ("Summarization",)]
    }
    if judge:
        config["evaluatorModelConfig"] = {"bedrockEvaluatorModels": [{"modelIdentifier": judge}]}
    return {"automated": config}


def models(*identifiers: str) -> dict[str, Any]:
    return {
        "models": [
            {"bedrockModel": {"modelIdentifier": i, "inferenceParams": "{}"}} for i in identifiers
        ]
    }


HUMAN = {
    "human": {
        "humanWorkflowConfig": {
            "flowDefinitionArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:flow-definition/review",
            "instructions": "Rate each answer.",
        },
        "customMetrics": [{"name": "Helpfulness", "ratingMethod": "ThumbsUpDown"}],
        "datasetMetricConfigs": [
            {
                "taskType": "Generation",
                "dataset": {
                    "name": "prompts",
                    "datasetLocation": {"s3Uri": "s3://evaluation-data/prompts.jsonl"},
                },
                "metricNames": ["Helpfulness"],
            }
        ],
    }
}
RAG = {
    "ragConfigs": [
        {
            "knowledgeBaseConfig": {
                "retrieveAndGenerateConfig": {
                    "type": "KNOWLEDGE_BASE",
                    "knowledgeBaseConfiguration": {
                        "knowledgeBaseId": "KB12345678",
                        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
                    },
                }
            }
        }
    ]
}


class Clients:
    """A bedrock client of one mock with its raw bodies captured."""

    def __init__(self) -> None:
        self.bedrock = client_of(None, "bedrock")
        self.bodies = capture_bodies(self.bedrock)
        self.unchecked = client_of(None, "bedrock", unchecked=True)

    def checked(self, operation: str) -> dict[str, Any]:
        body = json.loads(self.bodies[-1])
        check_output(operation, body, service="bedrock")
        return body

    def create(self, name: str, **extra: Any) -> str:
        request: dict[str, Any] = {
            "jobName": name,
            "roleArn": ROLE,
            "evaluationConfig": automated(),
            "inferenceConfig": models(HAIKU),
            "outputDataConfig": OUTPUT,
        }
        request.update(extra)
        response = self.bedrock.create_evaluation_job(**request)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
        self.checked("CreateEvaluationJob")
        assert JOB_ARN.match(response["jobArn"])
        return response["jobArn"]

    def get(self, arn: str) -> dict[str, Any]:
        self.bedrock.get_evaluation_job(jobIdentifier=arn)
        return self.checked("GetEvaluationJob")

    def listed(self, **params: Any) -> dict[str, Any]:
        self.bedrock.list_evaluation_jobs(**params)
        return self.checked("ListEvaluationJobs")

    def names(self, **params: Any) -> list[str]:
        return [s["jobName"] for s in self.listed(**params)["jobSummaries"]]


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        yield Clients()


def test_create_and_get_an_automated_job(clients: Clients) -> None:
    arn = clients.create(
        "summaries",
        jobDescription="Haiku summaries",
        customerEncryptionKeyId="alias/evaluations",
        evaluationConfig=automated("Summarization", judge=SONNET_35),
    )
    job = clients.get(arn)
    assert job["jobArn"] == arn and job["jobName"] == "summaries"
    assert job["status"] == "Completed"  # the first read after creation observes completion
    assert job["jobType"] == "Automated" and job["applicationType"] == "ModelEvaluation"
    assert job["jobDescription"] == "Haiku summaries"
    assert job["customerEncryptionKeyId"] == "alias/evaluations"
    assert job["roleArn"] == ROLE and job["outputDataConfig"] == OUTPUT
    assert job["evaluationConfig"] == automated("Summarization", judge=SONNET_35)
    assert job["inferenceConfig"] == models(HAIKU)
    assert job["creationTime"] <= job["lastModifiedTime"]

    summary = clients.listed()["jobSummaries"][0]
    assert summary["evaluationTaskTypes"] == ["Summarization"]
    assert summary["modelIdentifiers"] == [HAIKU]
    assert summary["evaluatorModelIdentifiers"] == [SONNET_35]
    assert summary["inferenceConfigSummary"] == {
        "modelConfigSummary": {
            "bedrockModelIdentifiers": [HAIKU],
            "precomputedInferenceSourceIdentifiers": [],
        }
    }


def test_human_and_rag_jobs(clients: Clients) -> None:
    human = clients.create(
        "human-review",
        evaluationConfig=HUMAN,
        inferenceConfig=models(HAIKU, f"us.{SONNET_35}"),
    )
    assert clients.get(human)["jobType"] == "Human"
    rag = clients.create(
        "kb-answers",
        applicationType="RagEvaluation",
        evaluationConfig=automated("QuestionAndAnswer", judge=SONNET_35),
        inferenceConfig=RAG,
    )
    assert clients.get(rag)["inferenceConfig"] == RAG
    summaries = {s["jobName"]: s for s in clients.listed()["jobSummaries"]}
    assert summaries["human-review"]["evaluationTaskTypes"] == ["Generation"]
    assert summaries["human-review"]["modelIdentifiers"] == [HAIKU, f"us.{SONNET_35}"]
    assert summaries["kb-answers"]["ragIdentifiers"] == ["KB12345678"]
    assert summaries["kb-answers"]["inferenceConfigSummary"] == {
        "ragConfigSummary": {
            "bedrockKnowledgeBaseIdentifiers": ["KB12345678"],
            "precomputedRagSourceIdentifiers": [],
        }
    }


def test_client_request_token_makes_create_idempotent(clients: Clients) -> None:
    first = clients.create("once", clientRequestToken="token-1")
    assert clients.create("once", clientRequestToken="token-1") == first
    assert clients.names() == ["once"]


def test_list_filters(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    clients.create("alpha-one")
    monkeypatch.setenv(PROVISIONING_SECONDS, "60")  # beta-two stays InProgress to be stopped
    middle = clients.create("beta-two")
    clients.bedrock.stop_evaluation_job(jobIdentifier=middle)
    monkeypatch.setenv(PROVISIONING_SECONDS, "0")
    time.sleep(0.002)
    clients.create("alpha-three", applicationType="RagEvaluation", inferenceConfig=RAG)

    assert clients.names() == ["alpha-three", "beta-two", "alpha-one"]
    assert clients.names(sortOrder="Ascending", sortBy="CreationTime") == [
        "alpha-one",
        "beta-two",
        "alpha-three",
    ]
    assert clients.names(nameContains="alpha") == ["alpha-three", "alpha-one"]
    assert clients.names(statusEquals="Stopped") == ["beta-two"]
    assert clients.names(statusEquals="Completed") == ["alpha-three", "alpha-one"]
    assert clients.names(applicationTypeEquals="RagEvaluation") == ["alpha-three"]
    assert clients.names(applicationTypeEquals="ModelEvaluation") == ["beta-two", "alpha-one"]

    created = datetime.fromisoformat(clients.get(middle)["creationTime"].replace("Z", "+00:00"))
    assert clients.names(creationTimeAfter=created) == ["alpha-three"]
    assert clients.names(creationTimeBefore=created) == ["alpha-one"]
    assert clients.names(creationTimeAfter=created - timedelta(days=1)) == [
        "alpha-three",
        "beta-two",
        "alpha-one",
    ]
    # botocore's model says a page holds 1 to 5 summaries; an empty result is still a list.
    assert clients.bedrock.list_evaluation_jobs(nameContains="gamma")["jobSummaries"] == []


def test_list_pages(clients: Clients) -> None:
    for n in range(5):
        clients.create(f"job-{n}")
        time.sleep(0.002)
    seen, token = [], None
    while True:
        page = clients.listed(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["jobSummaries"]) <= 2
        seen += [s["jobName"] for s in page["jobSummaries"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert seen == [f"job-{n}" for n in reversed(range(5))]
    paginator = clients.bedrock.get_paginator("list_evaluation_jobs")
    pages = paginator.paginate(sortOrder="Ascending", PaginationConfig={"PageSize": 3})
    assert [[s["jobName"] for s in p["jobSummaries"]] for p in pages] == [
        ["job-0", "job-1", "job-2"],
        ["job-3", "job-4"],
    ]
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.list_evaluation_jobs(nextToken="garbage")
    assert error_parts(excinfo) == (
        "ValidationException",
        400,
        "The provided pagination token is invalid.",
    )


def test_status_transitions_as_reads_observe_them(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROVISIONING_SECONDS, "2")
    arn = clients.create("slow")
    assert clients.get(arn)["status"] == "InProgress"
    response = clients.bedrock.stop_evaluation_job(jobIdentifier=arn)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    check_output("StopEvaluationJob", json.loads(clients.bodies[-1]), service="bedrock")
    assert clients.get(arn)["status"] == "Stopping"
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.stop_evaluation_job(jobIdentifier=arn)
    assert error_parts(excinfo) == (
        "ConflictException",
        400,
        f"The evaluation job {arn} is Stopping; only an InProgress job can be stopped.",
    )
    time.sleep(2.1)
    job = clients.get(arn)
    assert job["status"] == "Stopped" and job["lastModifiedTime"] > job["creationTime"]

    clients.bedrock.batch_delete_evaluation_job(jobIdentifiers=[arn])
    assert clients.checked("BatchDeleteEvaluationJob")["evaluationJobs"] == [
        {"jobIdentifier": arn, "jobStatus": "Deleting"}
    ]
    assert clients.get(arn)["status"] == "Deleting"
    assert clients.names(statusEquals="Deleting") == ["slow"]
    time.sleep(2.1)
    with pytest.raises(ClientError) as excinfo:
        clients.get(arn)
    assert error_parts(excinfo) == (
        "ResourceNotFoundException",
        404,
        f"The evaluation job {arn} was not found.",
    )


def test_batch_delete_reports_each_job(clients: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    done = clients.create("done")
    assert clients.get(done)["status"] == "Completed"
    monkeypatch.setenv(PROVISIONING_SECONDS, "60")
    running = clients.create("running")
    missing = done[:-12] + "000000000000"
    response = clients.bedrock.batch_delete_evaluation_job(jobIdentifiers=[done, running, missing])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    body = clients.checked("BatchDeleteEvaluationJob")
    assert body["evaluationJobs"] == [{"jobIdentifier": done, "jobStatus": "Deleting"}]
    assert body["errors"] == [
        {
            "jobIdentifier": running,
            "code": "409",
            "message": "Only evaluation jobs that are Completed, Failed or Stopped can be deleted.",
        },
        {
            "jobIdentifier": missing,
            "code": "404",
            "message": f"The evaluation job {missing} was not found.",
        },
    ]
    monkeypatch.setenv(PROVISIONING_SECONDS, "0")
    assert clients.names() == ["running"]


def test_too_many_tags_at_creation(clients: Clients) -> None:
    from moto_bedrock_runtime.control.owned_resources import TOO_MANY_TAGS

    with pytest.raises(ClientError) as info:
        clients.create("tags", jobTags=[{"key": f"k{n}", "value": "v"} for n in range(51)])
    assert info.value.response["Error"] == {
        "Code": "TooManyTagsException",
        "Message": TOO_MANY_TAGS,
    }


def test_tags_given_at_creation(clients: Clients) -> None:
    arn = clients.create("tagged", jobTags=[{"key": "team", "value": "ml"}])
    assert clients.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "team", "value": "ml"}
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"inferenceConfig": models("anthropic.claude-9-v1:0")},
            "The provided model identifier is invalid.",
        ),
        (
            {"evaluationConfig": automated(judge="acme.judge-v1:0")},
            "The provided model identifier is invalid.",
        ),
        (
            {"applicationType": "RagEvaluation"},
            "A RagEvaluation job needs inferenceConfig.ragConfigs.",
        ),
        ({"inferenceConfig": RAG}, "A ModelEvaluation job needs inferenceConfig.models."),
        (
            {"jobName": "Not_Valid"},
            "1 validation error detected: Value 'Not_Valid' at 'jobName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[a-z0-9](-*[a-z0-9]){0,62}",
        ),
    ],
)
def test_create_validation(clients: Clients, change: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients.create("invalid", **change)
    assert error_parts(excinfo) == ("ValidationException", 400, message)
    assert clients.bedrock.list_evaluation_jobs()["jobSummaries"] == []


def test_create_requires_its_members(clients: Clients) -> None:
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.create_evaluation_job(
            jobName="no-role",
            evaluationConfig=automated(),
            inferenceConfig=models(HAIKU),
            outputDataConfig=OUTPUT,
        )
    assert error_parts(excinfo) == (
        "ValidationException",
        400,
        "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
        "Member must not be null",
    )
    with pytest.raises(ClientError) as excinfo:
        clients.unchecked.create_evaluation_job(
            jobName="two-configs",
            roleArn=ROLE,
            evaluationConfig={**automated(), **HUMAN},
            inferenceConfig=models(HAIKU),
            outputDataConfig=OUTPUT,
        )
    assert error_parts(excinfo)[:2] == ("ValidationException", 400)


def test_errors_for_unknown_and_duplicate_jobs(clients: Clients) -> None:
    clients.create("unique")
    with pytest.raises(ClientError) as excinfo:
        clients.create("unique")
    assert error_parts(excinfo) == (
        "ConflictException",
        400,
        "An evaluation job with the name unique already exists.",
    )
    unknown = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:evaluation-job/000000000000"
    for call in (clients.bedrock.get_evaluation_job, clients.bedrock.stop_evaluation_job):
        with pytest.raises(ClientError) as excinfo:
            call(jobIdentifier=unknown)
        assert error_parts(excinfo)[:2] == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.get_evaluation_job(jobIdentifier="unique")
    assert error_parts(excinfo)[:2] == ("ValidationException", 400)
    done = clients.listed()["jobSummaries"][0]["jobArn"]
    with pytest.raises(ClientError) as excinfo:
        clients.bedrock.stop_evaluation_job(jobIdentifier=done)
    assert error_parts(excinfo)[:2] == ("ConflictException", 400)


def test_evaluation_jobs_over_the_server(cli_server: CliServer) -> None:
    bedrock = client_for(cli_server.url, "bedrock")
    bodies = capture_bodies(bedrock)
    arn = bedrock.create_evaluation_job(
        jobName="server-job",
        roleArn=ROLE,
        evaluationConfig=automated("Classification"),
        inferenceConfig=models(HAIKU),
        outputDataConfig=OUTPUT,
    )["jobArn"]
    assert JOB_ARN.match(arn)
    bedrock.get_evaluation_job(jobIdentifier=arn)
    job = json.loads(bodies[-1])
    check_output("GetEvaluationJob", job, service="bedrock")
    assert job["status"] == "Completed"
    bedrock.list_evaluation_jobs(nameContains="server")
    listed = json.loads(bodies[-1])
    check_output("ListEvaluationJobs", listed, service="bedrock")
    assert [s["jobArn"] for s in listed["jobSummaries"]] == [arn]
    deleted = bedrock.batch_delete_evaluation_job(jobIdentifiers=[arn])
    assert deleted["evaluationJobs"] == [{"jobIdentifier": arn, "jobStatus": "Deleting"}]
