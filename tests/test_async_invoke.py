"""Async invoke on the runtime: StartAsyncInvoke / GetAsyncInvoke / ListAsyncInvokes, with the
output written to mocked S3 (Nova Reel and Luma placeholders, Marengo embeddings), idempotent
client tokens, every List filter and page, rules and faults failing an invocation, and the
errors with their codes; every raw answer checked against botocore's shapes."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from moto_bedrock_runtime.config import PROVISIONING_SECONDS
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
REEL = "amazon.nova-reel-v1:1"
LUMA = "luma.ray-v2:0"
MARENGO = "twelvelabs.marengo-embed-2-7-v1:0"
INVOCATION_ARN = re.compile(rf"^arn:aws:bedrock:us-east-1:{ACCOUNT}:async-invoke/[a-z0-9]{{12}}$")
THROTTLED = (
    "Too many requests, please wait before trying again. You have sent too many requests.  "
    "Wait before trying again."
)


def reel(text: str, seconds: int = 6) -> dict[str, Any]:
    return {
        "taskType": "TEXT_VIDEO",
        "textToVideoParams": {"text": text},
        "videoGenerationConfig": {
            "durationSeconds": seconds,
            "fps": 24,
            "dimension": "1280x720",
            "seed": 7,
        },
    }


def output(uri: str) -> dict[str, Any]:
    return {"s3OutputDataConfig": {"s3Uri": uri}}


class Clients:
    """bedrock-runtime and S3 clients of one mock or server, runtime bodies captured."""

    def __init__(self, url: str | None = None) -> None:
        if url:
            self.runtime = client_for(url)
            self.s3 = client_for(url, "s3")
        else:
            self.runtime = boto3.client(
                "bedrock-runtime", region_name="us-east-1", config=NO_RETRIES
            )
            self.s3 = boto3.client("s3", region_name="us-east-1")
        self.bodies = capture_bodies(self.runtime)

    def checked(self, operation: str) -> dict[str, Any]:
        body = json.loads(self.bodies[-1])
        check_output(operation, body)
        return body

    def start(self, model_id: str, model_input: Any, uri: str, **extra: Any) -> str:
        arn = self.runtime.start_async_invoke(
            modelId=model_id, modelInput=model_input, outputDataConfig=output(uri), **extra
        )["invocationArn"]
        assert INVOCATION_ARN.match(arn)
        assert self.checked("StartAsyncInvoke") == {"invocationArn": arn}
        return arn

    def get(self, arn: str) -> dict[str, Any]:
        self.runtime.get_async_invoke(invocationArn=arn)
        return self.checked("GetAsyncInvoke")

    def wait(self, arn: str) -> dict[str, Any]:
        for _ in range(100):
            found = self.get(arn)
            if found["status"] != "InProgress":
                return found
            time.sleep(0.05)
        raise AssertionError(f"{arn} did not finish")

    def list_all(self, **params: Any) -> list[dict[str, Any]]:
        return collect_pages(self._page, "asyncInvokeSummaries", **params)

    def _page(self, **params: Any) -> dict[str, Any]:
        self.runtime.list_async_invokes(**params)
        return self.checked("ListAsyncInvokes")

    def read(self, bucket: str, key: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def aws() -> Iterator[Clients]:
    with mock_aws():
        clients = Clients()
        clients.s3.create_bucket(Bucket="media")
        yield clients


def invocation_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


# -- the models and their output ---------------------------------------------------------------


def test_nova_reel_writes_its_video_to_s3(aws: Clients) -> None:
    arn = aws.start(
        REEL, reel("A cat on a skateboard"), "s3://media/videos", clientRequestToken="t1"
    )
    got = aws.wait(arn)
    assert got["status"] == "Completed"
    assert got["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{REEL}"
    assert got["clientRequestToken"] == "t1"
    assert got["outputDataConfig"] == output("s3://media/videos")
    assert got["endTime"] >= got["submitTime"] and "failureMessage" not in got
    video = aws.read("media", f"videos/{invocation_id(arn)}/output.mp4")
    assert video[4:8] == b"ftyp" and b"moov" in video and b"mvhd" in video
    again = aws.start(REEL, reel("A cat on a skateboard"), "s3://media/videos")
    aws.wait(again)
    assert aws.read("media", f"videos/{invocation_id(again)}/output.mp4") == video
    other = aws.start(REEL, reel("A dog on a skateboard", seconds=12), "s3://media/videos")
    aws.wait(other)
    assert aws.read("media", f"videos/{invocation_id(other)}/output.mp4") != video


def test_nova_reel_multi_shot_and_luma(aws: Clients) -> None:
    shots = {
        "taskType": "MULTI_SHOT_MANUAL",
        "multiShotManualParams": {"shots": [{"text": "sunrise"}, {"text": "sunset"}]},
    }
    arn = aws.start(REEL, shots, "s3://media/")
    assert aws.wait(arn)["status"] == "Completed"
    assert aws.read("media", f"{invocation_id(arn)}/output.mp4")[4:8] == b"ftyp"
    arn = aws.start(LUMA, {"prompt": "waves", "duration": "9s"}, "s3://media/luma/")
    assert aws.wait(arn)["status"] == "Completed"
    assert aws.read("media", f"luma/{invocation_id(arn)}/output.mp4")[4:8] == b"ftyp"


def test_marengo_writes_embeddings(aws: Clients) -> None:
    arn = aws.start(MARENGO, {"inputType": "text", "inputText": "a red car"}, "s3://media/emb")
    assert aws.wait(arn)["status"] == "Completed"
    data = json.loads(aws.read("media", f"emb/{invocation_id(arn)}/output.json"))["data"]
    assert len(data) == 1 and len(data[0]["embedding"]) == 1024
    clip = base64.b64encode(b"\x00\x00\x00\x18ftypmp42 a short clip").decode()
    video = {"inputType": "video", "mediaSource": {"base64String": clip}, "lengthSec": 4.0}
    arn = aws.start(MARENGO, video, "s3://media/emb")
    aws.wait(arn)
    data = json.loads(aws.read("media", f"emb/{invocation_id(arn)}/output.json"))["data"]
    assert [d["embeddingOption"] for d in data] == ["visual-text", "visual-image", "audio"]
    assert all(len(d["embedding"]) == 1024 and (d["startSec"], d["endSec"]) == (0, 4) for d in data)
    aws.s3.put_object(Bucket="media", Key="audio/talk.wav", Body=b"RIFF audio")
    audio = {
        "inputType": "audio",
        "mediaSource": {"s3Location": {"uri": "s3://media/audio/talk.wav"}},
    }
    arn = aws.start(MARENGO, audio, "s3://media/emb")
    aws.wait(arn)
    data = json.loads(aws.read("media", f"emb/{invocation_id(arn)}/output.json"))["data"]
    assert [d["embeddingOption"] for d in data] == ["audio"]


def test_media_that_cannot_be_read_fails_the_invocation(aws: Clients) -> None:
    missing = {"inputType": "image", "mediaSource": {"s3Location": {"uri": "s3://media/none.png"}}}
    arn = aws.start(MARENGO, missing, "s3://media/emb")
    got = aws.wait(arn)
    assert got["status"] == "Failed"
    assert (
        got["failureMessage"]
        == "The media at s3://media/none.png could not be read: no such object."
    )


# -- rules, faults, statuses ---------------------------------------------------------------------


def test_declared_errors_and_faults_fail_an_invocation(aws: Clients) -> None:
    controls = BedrockControls()
    controls.fail("ValidationException", "The prompt is not allowed.", prompt_contains="forbidden")
    arn = aws.start(REEL, reel("a forbidden scene"), "s3://media/v")
    got = aws.wait(arn)
    assert (got["status"], got["failureMessage"]) == ("Failed", "The prompt is not allowed.")
    assert "output.mp4" not in str(aws.s3.list_objects_v2(Bucket="media"))
    controls.set_faults(throttle_every=1)
    arn = aws.start(MARENGO, {"inputType": "text", "inputText": "x"}, "s3://media/e")
    assert aws.wait(arn)["failureMessage"] == THROTTLED


def test_it_stays_in_progress_until_the_delay_has_passed(
    aws: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROVISIONING_SECONDS, "2")
    arn = aws.start(LUMA, {"prompt": "slow"}, "s3://media/slow")
    got = aws.get(arn)
    assert got["status"] == "InProgress" and "endTime" not in got
    assert aws.s3.list_objects_v2(Bucket="media").get("KeyCount") == 0
    time.sleep(2.1)
    assert aws.get(arn)["status"] == "Completed"


def test_calls_are_in_the_history(aws: Clients) -> None:
    aws.start(LUMA, {"prompt": "history"}, "s3://media/h")
    entry = BedrockControls().invocations()[-1]
    assert entry["operation"] == "StartAsyncInvoke" and entry["model_id"] == LUMA
    assert entry["status"] == 200 and entry["request"]["modelInput"] == {"prompt": "history"}


# -- list -------------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(aws: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    arns = []
    for n in range(3):
        arns.append(aws.start(LUMA, {"prompt": f"clip {n}"}, "s3://media/list"))
        time.sleep(0.01)
    failing = aws.start(
        MARENGO, {"inputType": "image", "mediaSource": {"base64String": "%%"}}, "s3://media/x"
    )
    everything = [s["invocationArn"] for s in aws.list_all()]
    assert everything == [failing, *reversed(arns)]
    ascending = aws.list_all(sortOrder="Ascending", sortBy="SubmissionTime")
    assert [s["invocationArn"] for s in ascending] == [*arns, failing]
    assert [s["invocationArn"] for s in aws.list_all(statusEquals="Failed")] == [failing]
    assert len(aws.list_all(statusEquals="Completed", maxResults=1)) == 3
    aws.runtime.list_async_invokes(maxResults=2)
    first = aws.checked("ListAsyncInvokes")
    assert len(first["asyncInvokeSummaries"]) == 2 and first["nextToken"]
    pages = aws.runtime.get_paginator("list_async_invokes").paginate(
        PaginationConfig={"PageSize": 3}
    )
    assert sum(len(p["asyncInvokeSummaries"]) for p in pages) == 4
    middle = aws.runtime.get_async_invoke(invocationArn=arns[1])["submitTime"]
    after = [s["invocationArn"] for s in aws.list_all(submitTimeAfter=middle)]
    assert after == [failing, arns[2]]
    before = [s["invocationArn"] for s in aws.list_all(submitTimeBefore=middle)]
    assert before == [arns[0]]
    monkeypatch.setenv(PROVISIONING_SECONDS, "60")
    waiting = aws.start(LUMA, {"prompt": "later"}, "s3://media/list")
    assert [s["invocationArn"] for s in aws.list_all(statusEquals="InProgress")] == [waiting]


def test_list_input_errors(aws: Clients) -> None:
    unchecked = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        config=NO_RETRIES.merge(Config(parameter_validation=False)),
    )
    code, status, message = error_of(unchecked.list_async_invokes, nextToken="bogus")
    assert (code, status, message) == (
        "ValidationException",
        400,
        "The provided pagination token is invalid.",
    )
    code, _, message = error_of(unchecked.list_async_invokes, statusEquals="Done")
    assert code == "ValidationException" and "statusEquals" in message
    code, _, message = error_of(unchecked.list_async_invokes, maxResults=5000)
    assert code == "ValidationException" and "maxResults" in message


# -- idempotency and errors ----------------------------------------------------------------------


def test_the_client_request_token_makes_start_idempotent(aws: Clients) -> None:
    first = aws.start(LUMA, {"prompt": "once"}, "s3://media/i", clientRequestToken="same-token")
    assert (
        aws.start(LUMA, {"prompt": "once"}, "s3://media/i", clientRequestToken="same-token")
        == first
    )
    code, status, message = error_of(
        aws.runtime.start_async_invoke,
        modelId=LUMA,
        modelInput={"prompt": "twice"},
        outputDataConfig=output("s3://media/i"),
        clientRequestToken="same-token",
    )
    assert (code, status) == ("ConflictException", 400)
    assert "same-token" in message
    assert len(aws.list_all()) == 1


@pytest.mark.parametrize(
    ("model_id", "model_input", "uri", "message"),
    [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            {"messages": []},
            "s3://media/x",
            "The provided request is not valid",
        ),
        (LUMA, "a string, not an object", "s3://media/x", "The provided request is not valid"),
        (
            "amazon.no-such-model-v1:0",
            {},
            "s3://media/x",
            "The provided model identifier is invalid.",
        ),
        (
            REEL,
            {"taskType": "TEXT_VIDEO"},
            "s3://media/x",
            "Malformed input request: #: required key [textToVideoParams] not found, please "
            "reformat your input and try again.",
        ),
        (
            LUMA,
            {"prompt": "x", "duration": "7s"},
            "s3://media/x",
            "Malformed input request: #/duration: 7s is not a valid enum value, please reformat "
            "your input and try again.",
        ),
        (
            LUMA,
            {"prompt": "x"},
            "s3://no-such-bucket/x",
            "The S3 bucket no-such-bucket does not exist.",
        ),
    ],
)
def test_start_errors(
    aws: Clients, model_id: str, model_input: Any, uri: str, message: str
) -> None:
    code, status, got = error_of(
        aws.runtime.start_async_invoke,
        modelId=model_id,
        modelInput=model_input,
        outputDataConfig=output(uri),
    )
    assert (code, status, got) == ("ValidationException", 400, message)


def test_get_errors(aws: Clients) -> None:
    missing = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:async-invoke/aaaaaaaaaaaa"
    code, status, message = error_of(aws.runtime.get_async_invoke, invocationArn=missing)
    assert (code, status, message) == (
        "ValidationException",
        400,
        f"The invocation {missing} was not found.",
    )
    code, status, message = error_of(aws.runtime.get_async_invoke, invocationArn="not-an-arn")
    assert (code, status) == ("ValidationException", 400)
    assert "invocationArn" in message


# -- over HTTP --------------------------------------------------------------------------------


def test_over_the_moto_bedrock_server(cli_server: CliServer) -> None:
    aws = Clients(cli_server.url)
    aws.s3.create_bucket(Bucket="server-async")
    arn = aws.start(REEL, reel("over http"), "s3://server-async/out", clientRequestToken="srv-1")
    assert (
        aws.start(REEL, reel("over http"), "s3://server-async/out", clientRequestToken="srv-1")
        == arn
    )
    got = aws.wait(arn)
    assert got["status"] == "Completed"
    assert aws.read("server-async", f"out/{invocation_id(arn)}/output.mp4")[4:8] == b"ftyp"
    assert arn in [s["invocationArn"] for s in aws.list_all(maxResults=1)]
    code, status, _ = error_of(
        aws.runtime.get_async_invoke,
        invocationArn=f"arn:aws:bedrock:us-east-1:{ACCOUNT}:async-invoke/zzzzzzzzzzzz",
    )
    assert (code, status) == ("ValidationException", 400)
