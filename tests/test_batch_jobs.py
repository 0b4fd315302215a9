"""Batch inference: jobs that read JSONL from mocked S3, run every record through the runtime
(engine, rules, faults) and write `<output>/<jobId>/<file>.out` and `manifest.json.out`; the
four operations' raw answers checked against botocore's shapes, every List filter and page, the
statuses (Submitted → InProgress → Completed / PartiallyCompleted / Failed / Stopped) and the
errors with their codes and statuses."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from moto_bedrock_runtime.config import PROVISIONING_SECONDS
from moto_bedrock_runtime.jobs import batch
from moto_bedrock_runtime.testing import BedrockControls

from .conftest import (
    NO_RETRIES,
    CliServer,
    capture_bodies,
    check_output,
    client_for,
    collect_pages,
    error_of,
)

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/BedrockBatch"
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
JOB_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:model-invocation-job/[a-z0-9]{{12}}$")
FINAL = {"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"}


def claude(text: str) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
    }


def llama(text: str) -> dict[str, Any]:
    return {"prompt": text, "max_gen_len": 64}


def jsonl(*lines: Any) -> bytes:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    return text.encode()


class Clients:
    """bedrock, S3 and bedrock-runtime clients of one mock or server, bedrock bodies captured."""

    def __init__(self, url: str | None = None) -> None:
        if url:
            self.bedrock = client_for(url, "bedrock")
            self.s3 = client_for(url, "s3")
        else:
            self.bedrock = boto3.client("bedrock", region_name="us-east-1", config=NO_RETRIES)
            self.s3 = boto3.client("s3", region_name="us-east-1")
        self.bodies = capture_bodies(self.bedrock)

    def checked(self, operation: str) -> dict[str, Any]:
        body = json.loads(self.bodies[-1])
        check_output(operation, body, service="bedrock")
        return body

    def bucket(self, name: str, region: str = "us-east-1") -> str:
        extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {}}
        if extra:
            extra["CreateBucketConfiguration"]["LocationConstraint"] = region
        self.s3.create_bucket(Bucket=name, **extra)
        return name

    def upload(self, uri: str, data: bytes) -> str:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)
        return uri

    def read(self, uri: str) -> bytes:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, bucket: str) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def create(
        self, name: str, source: str, target: str, model_id: str = HAIKU, **extra: Any
    ) -> str:
        arn = self.bedrock.create_model_invocation_job(
            jobName=name,
            roleArn=ROLE,
            modelId=model_id,
            inputDataConfig={"s3InputDataConfig": {"s3Uri": source}},
            outputDataConfig={"s3OutputDataConfig": {"s3Uri": target}},
            **extra,
        )["jobArn"]
        assert JOB_ARN.match(arn)
        assert self.checked("CreateModelInvocationJob") == {"jobArn": arn}
        return arn

    def get(self, identifier: str) -> dict[str, Any]:
        self.bedrock.get_model_invocation_job(jobIdentifier=identifier)
        return self.checked("GetModelInvocationJob")

    def wait(self, arn: str) -> dict[str, Any]:
        """Polls as an application does, until the job has a final status."""
        for _ in range(100):
            job = self.get(arn)
            if job["status"] in FINAL:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {arn} did not finish: {job}")

    def list_all(self, **params: Any) -> list[dict[str, Any]]:
        return collect_pages(self._page, "invocationJobSummaries", **params)

    def _page(self, **params: Any) -> dict[str, Any]:
        self.bedrock.list_model_invocation_jobs(**params)
        return self.checked("ListModelInvocationJobs")

    def names(self, **params: Any) -> list[str]:
        return [job["jobName"] for job in self.list_all(**params)]


@pytest.fixture
def aws() -> Iterator[Clients]:
    with mock_aws():
        yield Clients()


def out_lines(aws: Clients, uri: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in aws.read(uri).decode().splitlines()]


def job_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# -- end to end -------------------------------------------------------------------------------


def test_a_claude_job_end_to_end(aws: Clients) -> None:
    aws.bucket("batch-in")
    aws.bucket("batch-out")
    source = aws.upload(
        "s3://batch-in/jobs/input.jsonl",
        jsonl(
            {"recordId": "CALL0000001", "modelInput": claude("Summarize the call: refund asked")},
            {"recordId": "CALL0000002", "modelInput": claude("Summarize the call: late parcel")},
        ),
    )
    arn = aws.create("claude-job", source, "s3://batch-out/results/")
    job = aws.wait(arn)
    assert job["status"] == "Completed"
    assert job["jobName"] == "claude-job" and job["modelId"] == HAIKU and job["roleArn"] == ROLE
    assert (job["totalRecordCount"], job["processedRecordCount"]) == (2, 2)
    assert (job["successRecordCount"], job["errorRecordCount"]) == (2, 0)
    assert job["endTime"] >= job["submitTime"] and "message" not in job
    assert job["inputDataConfig"] == {"s3InputDataConfig": {"s3Uri": source}}
    prefix = f"s3://batch-out/results/{job_id(arn)}"
    lines = out_lines(aws, f"{prefix}/input.jsonl.out")
    assert [line["recordId"] for line in lines] == ["CALL0000001", "CALL0000002"]
    for line in lines:
        assert line["modelInput"]["messages"][0]["role"] == "user"
        output = line["modelOutput"]
        assert output["type"] == "message" and output["role"] == "assistant"
        assert output["id"].startswith("msg_bdrk_") and output["stop_reason"] == "end_turn"
        assert output["content"][0]["type"] == "text" and output["content"][0]["text"]
        assert set(output["usage"]) >= {"input_tokens", "output_tokens"}
    manifest = json.loads(aws.read(f"{prefix}/manifest.json.out"))
    assert manifest == {
        "totalRecordCount": 2,
        "processedRecordCount": 2,
        "successRecordCount": 2,
        "errorRecordCount": 0,
        "inputTokenCount": sum(line["modelOutput"]["usage"]["input_tokens"] for line in lines),
        "outputTokenCount": sum(line["modelOutput"]["usage"]["output_tokens"] for line in lines),
    }


def test_llama_and_embedding_jobs_write_each_familys_native_shape(aws: Clients) -> None:
    aws.bucket("native")
    source = aws.upload(
        "s3://native/llama/prompts.jsonl",
        jsonl({"recordId": "L1", "modelInput": llama("Name a river")}),
    )
    arn = aws.create("llama-job", source, "s3://native/out", model_id=LLAMA)
    assert aws.wait(arn)["status"] == "Completed"
    (line,) = out_lines(aws, f"s3://native/out/{job_id(arn)}/prompts.jsonl.out")
    assert set(line["modelOutput"]) >= {
        "generation",
        "prompt_token_count",
        "generation_token_count",
        "stop_reason",
    }
    source = aws.upload(
        "s3://native/embed/texts.jsonl",
        jsonl({"recordId": "E1", "modelInput": {"inputText": "rivers of Europe"}}),
    )
    arn = aws.create("embed-job", source, "s3://native/out", model_id=TITAN_EMBED)
    assert aws.wait(arn)["status"] == "Completed"
    (line,) = out_lines(aws, f"s3://native/out/{job_id(arn)}/texts.jsonl.out")
    assert len(line["modelOutput"]["embedding"]) == 1024
    assert line["modelOutput"]["inputTextTokenCount"] > 0


def test_a_converse_job_writes_converse_answers(aws: Clients) -> None:
    aws.bucket("conv")
    message = {"messages": [{"role": "user", "content": [{"text": "Hello there"}]}]}
    source = aws.upload("s3://conv/in.jsonl", jsonl({"recordId": "C1", "modelInput": message}))
    arn = aws.create("converse-job", source, "s3://conv/out", modelInvocationType="Converse")
    job = aws.wait(arn)
    assert job["status"] == "Completed" and job["modelInvocationType"] == "Converse"
    (line,) = out_lines(aws, f"s3://conv/out/{job_id(arn)}/in.jsonl.out")
    output = line["modelOutput"]
    assert output["output"]["message"]["role"] == "assistant"
    assert output["stopReason"] == "end_turn" and output["usage"]["totalTokens"] > 0


def test_a_folder_of_inputs_gives_one_output_per_file(aws: Clients) -> None:
    aws.bucket("folder")
    aws.upload("s3://folder/in/a.jsonl", jsonl({"recordId": "A", "modelInput": claude("a")}))
    aws.upload("s3://folder/in/b.jsonl", jsonl({"recordId": "B", "modelInput": claude("b")}))
    aws.upload("s3://folder/in/notes.txt", b"not an input file")
    arn = aws.create("folder-job", "s3://folder/in/", "s3://folder/out/")
    assert aws.wait(arn)["totalRecordCount"] == 2
    assert sorted(k for k in aws.keys("folder") if k.startswith("out/")) == [
        f"out/{job_id(arn)}/a.jsonl.out",
        f"out/{job_id(arn)}/b.jsonl.out",
        f"out/{job_id(arn)}/manifest.json.out",
    ]


def test_records_without_an_id_get_one(aws: Clients) -> None:
    aws.bucket("ids")
    source = aws.upload("s3://ids/in.jsonl", jsonl({"modelInput": claude("no id")}))
    arn = aws.create("ids-job", source, "s3://ids/out")
    aws.wait(arn)
    (line,) = out_lines(aws, f"s3://ids/out/{job_id(arn)}/in.jsonl.out")
    assert re.fullmatch(r"[A-Z0-9]{11}", line["recordId"])


# -- records that fail, jobs that fail ---------------------------------------------------------


def test_bad_lines_and_failing_records_make_it_partially_completed(aws: Clients) -> None:
    aws.bucket("partial")
    source = aws.upload(
        "s3://partial/in.jsonl",
        jsonl(
            {"recordId": "GOOD", "modelInput": claude("fine")},
            "this is not json",
            {"recordId": "NOINPUT"},
            {"recordId": "BADBODY", "modelInput": {"prompt": "not a Claude body"}},
            "",
        ),
    )
    arn = aws.create("partial-job", source, "s3://partial/out")
    job = aws.wait(arn)
    assert job["status"] == "PartiallyCompleted"
    assert (job["totalRecordCount"], job["successRecordCount"], job["errorRecordCount"]) == (
        4,
        1,
        3,
    )
    lines = out_lines(aws, f"s3://partial/out/{job_id(arn)}/in.jsonl.out")
    assert "modelOutput" in lines[0] and lines[0]["recordId"] == "GOOD"
    assert lines[1]["modelInput"] == "this is not json"
    assert lines[1]["error"]["errorCode"] == 400
    assert lines[2]["recordId"] == "NOINPUT" and lines[2]["error"]["errorCode"] == 400
    bad = lines[3]["error"]
    assert bad["errorCode"] == 400 and bad["errorMessage"].startswith("Malformed input request")
    assert all("modelOutput" not in line for line in lines[1:])
    manifest = json.loads(aws.read(f"s3://partial/out/{job_id(arn)}/manifest.json.out"))
    assert manifest["errorRecordCount"] == 3 and manifest["successRecordCount"] == 1


def test_rules_and_faults_apply_to_each_record(aws: Clients) -> None:
    controls = BedrockControls()
    controls.answer("Declared answer.", prompt_contains="declared")
    controls.fail("ThrottlingException", prompt_contains="throttle me")
    aws.bucket("rules")
    source = aws.upload(
        "s3://rules/in.jsonl",
        jsonl(
            {"recordId": "R1", "modelInput": claude("give the declared one")},
            {"recordId": "R2", "modelInput": claude("throttle me please")},
        ),
    )
    arn = aws.create("rules-job", source, "s3://rules/out")
    assert aws.wait(arn)["status"] == "PartiallyCompleted"
    first, second = out_lines(aws, f"s3://rules/out/{job_id(arn)}/in.jsonl.out")
    assert first["modelOutput"]["content"][0]["text"] == "Declared answer."
    assert second["error"]["errorCode"] == 429
    controls.set_faults(throttle_every=1)
    arn = aws.create("faults-job", source, "s3://rules/out")
    assert aws.wait(arn)["errorRecordCount"] == 2


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (
            "s3://missing-in/in.jsonl",
            "s3://present/out",
            "The S3 bucket missing-in does not exist.",
        ),
        ("s3://present/in.jsonl", "s3://missing-out/", "The S3 bucket missing-out does not exist."),
        (
            "s3://present/nothing-here/",
            "s3://present/out",
            "No JSONL records were found at the input location s3://present/nothing-here/.",
        ),
        (
            "s3://elsewhere/in.jsonl",
            "s3://present/out",
            "The S3 bucket elsewhere is in eu-west-1; Amazon Bedrock can only use buckets in "
            "us-east-1, the Region of the request.",
        ),
    ],
)
def test_unusable_locations_fail_the_job(
    aws: Clients, source: str, target: str, message: str
) -> None:
    aws.bucket("present")
    aws.bucket("elsewhere", region="eu-west-1")
    aws.upload("s3://present/in.jsonl", jsonl({"modelInput": claude("x")}))
    aws.upload("s3://elsewhere/in.jsonl", jsonl({"modelInput": claude("x")}))
    arn = aws.create("failing-job", source, target)
    job = aws.wait(arn)
    assert job["status"] == "Failed" and job["message"] == message
    assert job["totalRecordCount"] == 0 and "endTime" in job
    assert not [key for key in aws.keys("present") if job_id(arn) in key]


# -- statuses, stop ----------------------------------------------------------------------------


def test_statuses_move_one_step_per_delay(aws: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROVISIONING_SECONDS, "1.5")
    aws.bucket("slow")
    source = aws.upload("s3://slow/in.jsonl", jsonl({"recordId": "S", "modelInput": claude("s")}))
    arn = aws.create("slow-job", source, "s3://slow/out")
    seen = [aws.get(arn)["status"]]
    assert aws.keys("slow") == ["in.jsonl"]
    while seen[-1] not in FINAL:
        time.sleep(0.1)
        status = aws.get(arn)["status"]
        if status != seen[-1]:
            seen.append(status)
    assert seen == ["Submitted", "InProgress", "Completed"]


def test_stop_before_the_run_writes_nothing(aws: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROVISIONING_SECONDS, "60")
    aws.bucket("stop")
    source = aws.upload("s3://stop/in.jsonl", jsonl({"modelInput": claude("stop")}))
    arn = aws.create("stop-job", source, "s3://stop/out")
    aws.bedrock.stop_model_invocation_job(jobIdentifier=job_id(arn))
    assert aws.checked("StopModelInvocationJob") == {}
    assert aws.get(arn)["status"] == "Stopping"
    monkeypatch.setenv(PROVISIONING_SECONDS, "0")
    job = aws.get(arn)
    assert job["status"] == "Stopped" and "endTime" in job
    assert aws.keys("stop") == ["in.jsonl"]
    code, status, message = error_of(aws.bedrock.stop_model_invocation_job, jobIdentifier=arn)
    assert (code, status) == ("ConflictException", 400)
    assert message == f"The model invocation job {arn} is Stopped and can't be stopped."


def test_stop_right_after_create_with_no_delay(aws: Clients) -> None:
    """On AWS a Submitted job can be stopped; a read must not finish it first."""
    aws.bucket("quick")
    source = aws.upload("s3://quick/in.jsonl", jsonl({"modelInput": claude("quick")}))
    arn = aws.create("quick-job", source, "s3://quick/out")
    aws.bedrock.stop_model_invocation_job(jobIdentifier=arn)
    assert aws.get(arn)["status"] == "Stopped"


def test_a_bad_page_token_on_motos_own_list_is_a_client_error(aws: Clients) -> None:
    code, status, _ = error_of(aws.bedrock.list_model_customization_jobs, nextToken="abc")
    assert status == 400 and code


def test_a_completed_job_cannot_be_stopped(aws: Clients) -> None:
    aws.bucket("done")
    source = aws.upload("s3://done/in.jsonl", jsonl({"modelInput": claude("done")}))
    arn = aws.create("done-job", source, "s3://done/out")
    assert aws.wait(arn)["status"] == "Completed"
    code, status, _ = error_of(aws.bedrock.stop_model_invocation_job, jobIdentifier=arn)
    assert (code, status) == ("ConflictException", 400)


def test_a_run_stopped_midway_writes_what_ran(aws: Clients) -> None:
    aws.bucket("midway")
    aws.upload(
        "s3://midway/in.jsonl",
        jsonl(*({"recordId": f"R{n}", "modelInput": claude(f"record {n}")} for n in range(3))),
    )
    asked: list[bool] = []

    def stop_after_two() -> bool:
        asked.append(True)
        return len(asked) > 2

    spec = batch.BatchSpec(
        "abcdefabcdef", ACCOUNT, "us-east-1", HAIKU, "InvokeModel", "s3://midway/in.jsonl",
        "s3://midway/out",
    )  # fmt: skip
    outcome = batch.run(spec, stop_after_two)
    assert (outcome.status, outcome.total, outcome.processed) == ("Stopped", 3, 2)
    lines = out_lines(aws, "s3://midway/out/abcdefabcdef/in.jsonl.out")
    assert [line["recordId"] for line in lines] == ["R0", "R1"]
    manifest = json.loads(aws.read("s3://midway/out/abcdefabcdef/manifest.json.out"))
    assert (manifest["totalRecordCount"], manifest["processedRecordCount"]) == (3, 2)


# -- list -------------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(aws: Clients) -> None:
    aws.bucket("many")
    good = aws.upload("s3://many/in.jsonl", jsonl({"modelInput": claude("x")}))
    arns = []
    for name in ("alpha-one", "beta-two", "alpha-three"):
        arns.append(aws.create(name, good, "s3://many/out"))
        time.sleep(0.01)
    failed = aws.create("gamma-failed", "s3://many/none.jsonl", "s3://many/out")
    assert aws.names() == ["gamma-failed", "alpha-three", "beta-two", "alpha-one"]
    assert aws.names(sortOrder="Ascending", sortBy="CreationTime") == [
        "alpha-one",
        "beta-two",
        "alpha-three",
        "gamma-failed",
    ]
    assert aws.names(nameContains="alpha") == ["alpha-three", "alpha-one"]
    assert aws.names(statusEquals="Failed") == ["gamma-failed"]
    assert aws.names(statusEquals="Completed", maxResults=1) == [
        "alpha-three",
        "beta-two",
        "alpha-one",
    ]
    aws.bedrock.list_model_invocation_jobs(maxResults=2)
    first = aws.checked("ListModelInvocationJobs")
    assert len(first["invocationJobSummaries"]) == 2 and first["nextToken"]
    after = aws.bedrock.get_model_invocation_job(jobIdentifier=arns[1])["submitTime"]
    assert aws.names(submitTimeAfter=after) == ["gamma-failed", "alpha-three"]
    assert aws.names(submitTimeBefore=after) == ["alpha-one"]
    assert aws.names(submitTimeAfter=after + timedelta(days=1)) == []
    summary = aws.list_all(nameContains="gamma")[0]
    assert summary["jobArn"] == failed and summary["message"]


def test_list_input_errors(aws: Clients) -> None:
    unchecked = boto3.client(
        "bedrock",
        region_name="us-east-1",
        config=NO_RETRIES.merge(Config(parameter_validation=False)),
    )
    code, status, message = error_of(unchecked.list_model_invocation_jobs, nextToken="bogus")
    assert (code, status) == ("ValidationException", 400)
    assert message == "The provided pagination token is invalid."
    code, _, message = error_of(unchecked.list_model_invocation_jobs, statusEquals="Done")
    assert code == "ValidationException" and "statusEquals" in message
    code, _, message = error_of(unchecked.list_model_invocation_jobs, maxResults=0)
    assert code == "ValidationException" and "maxResults" in message


# -- create and get errors, idempotency, tags ----------------------------------------------------


def test_get_by_id_or_arn_and_not_found(aws: Clients) -> None:
    aws.bucket("get")
    source = aws.upload("s3://get/in.jsonl", jsonl({"modelInput": claude("x")}))
    arn = aws.create("get-job", source, "s3://get/out")
    assert aws.get(job_id(arn))["jobArn"] == arn
    missing = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-invocation-job/aaaaaaaaaaaa"
    code, status, message = error_of(aws.bedrock.get_model_invocation_job, jobIdentifier=missing)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == f"Model invocation job {missing} not found"
    code, status, _ = error_of(aws.bedrock.stop_model_invocation_job, jobIdentifier=missing)
    assert (code, status) == ("ResourceNotFoundException", 404)
    code, status, _ = error_of(aws.bedrock.get_model_invocation_job, jobIdentifier="NOT-AN-ID")
    assert (code, status) == ("ValidationException", 400)


def test_create_errors(aws: Clients) -> None:
    unchecked = boto3.client(
        "bedrock",
        region_name="us-east-1",
        config=NO_RETRIES.merge(Config(parameter_validation=False)),
    )
    config = {
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://bkt/in.jsonl"}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://bkt/out"}},
    }
    code, status, message = error_of(
        unchecked.create_model_invocation_job, jobName="no-role", modelId=HAIKU, **config
    )
    assert (code, status) == ("ValidationException", 400)
    assert "roleArn" in message
    code, _, message = error_of(
        aws.bedrock.create_model_invocation_job,
        jobName="bad-model",
        roleArn=ROLE,
        modelId="anthropic.no-such-model-v1:0",
        **config,
    )
    assert (code, message) == ("ValidationException", "The provided model identifier is invalid.")
    code, _, message = error_of(
        unchecked.create_model_invocation_job,
        jobName="bad-uri",
        roleArn=ROLE,
        modelId=HAIKU,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": "https://example.com/in.jsonl"}},
        outputDataConfig=config["outputDataConfig"],
    )
    assert code == "ValidationException" and "s3Uri" in message
    tags = [{"key": f"k{n}", "value": "v"} for n in range(51)]
    code, status, _ = error_of(
        aws.bedrock.create_model_invocation_job,
        jobName="tags",
        roleArn=ROLE,
        modelId=HAIKU,
        tags=tags,
        **config,
    )
    assert (code, status) == ("TooManyTagsException", 400)


def test_the_client_request_token_makes_create_idempotent(aws: Clients) -> None:
    aws.bucket("idem")
    source = aws.upload("s3://idem/in.jsonl", jsonl({"modelInput": claude("x")}))
    arn = aws.create("idem-job", source, "s3://idem/out", clientRequestToken="token-1")
    assert aws.create("idem-job", source, "s3://idem/out", clientRequestToken="token-1") == arn
    assert aws.get(arn)["clientRequestToken"] == "token-1"
    code, status, message = error_of(
        aws.bedrock.create_model_invocation_job,
        jobName="other-name",
        roleArn=ROLE,
        modelId=HAIKU,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": source}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": "s3://idem/out"}},
        clientRequestToken="token-1",
    )
    assert (code, status) == ("ConflictException", 400)
    assert "token-1" in message
    assert len(aws.list_all()) == 1


def test_tags_on_a_job(aws: Clients) -> None:
    aws.bucket("tags")
    source = aws.upload("s3://tags/in.jsonl", jsonl({"modelInput": claude("x")}))
    arn = aws.create(
        "tagged-job", source, "s3://tags/out", tags=[{"key": "team", "value": "search"}]
    )
    assert aws.bedrock.list_tags_for_resource(resourceARN=arn)["tags"] == [
        {"key": "team", "value": "search"}
    ]
    aws.bedrock.tag_resource(resourceARN=arn, tags=[{"key": "env", "value": "test"}])
    assert len(aws.bedrock.list_tags_for_resource(resourceARN=arn)["tags"]) == 2


# -- over HTTP --------------------------------------------------------------------------------


def test_over_the_moto_bedrock_server(cli_server: CliServer) -> None:
    aws = Clients(cli_server.url)
    aws.bucket("server-batch")
    source = aws.upload(
        "s3://server-batch/in.jsonl",
        jsonl(
            {"recordId": "H1", "modelInput": claude("over http")},
            {"recordId": "H2", "modelInput": llama("not for Claude")},
        ),
    )
    arn = aws.create("server-job", source, "s3://server-batch/out/")
    job = aws.wait(arn)
    assert job["status"] == "PartiallyCompleted" and job["successRecordCount"] == 1
    first, second = out_lines(aws, f"s3://server-batch/out/{job_id(arn)}/in.jsonl.out")
    assert first["modelOutput"]["type"] == "message"
    assert second["error"]["errorCode"] == 400
    assert arn in [s["jobArn"] for s in aws.list_all(nameContains="server-job")]
    code, status, _ = error_of(aws.bedrock.stop_model_invocation_job, jobIdentifier=arn)
    assert (code, status) == ("ConflictException", 400)
