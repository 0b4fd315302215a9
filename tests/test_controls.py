"""The test controls through their three front doors, in-process and against a server.

Every rule feature is exercised through a `door` (see the fixture): the Python API
(`BedrockControls`; given `endpoint_url` against the `moto-bedrock` process), raw HTTP with
`requests` to /moto-api/static/bedrock/..., and the `mock_bedrock` pytest fixture, each
in-process (moto's `mock_aws`) and against a server (ThreadedMotoServer in this process, or the
`moto-bedrock` process). A feature test is written once and runs through every door.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from moto_bedrock_runtime.catalog import models
from moto_bedrock_runtime.controls import NOT_READY, THROTTLED, TIMED_OUT, RuleError, startup
from moto_bedrock_runtime.testing import BedrockControls
from moto_bedrock_runtime.vendors import codec_for

from .conftest import CREDENTIALS, NO_RETRIES, CliServer
from .test_invoke_server import SAMPLES, _base_id

pytest_plugins = ["pytester"]

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_PROFILE = "us.anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_ARN = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
NOVA_LITE = "us.amazon.nova-lite-v1:0"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
IN_PROCESS_API = "http://motoapi.amazonaws.com"
CLAUDE_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "Hello"}],
}
WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
    }
}
CLOCK_TOOL = {"toolSpec": {"name": "get_time", "inputSchema": {"json": {"type": "object"}}}}

# One boto3 session for the module: a client from it costs milliseconds, where a new default
# session (which every mock_aws context starts) costs a fifth of a second.
_SESSION = boto3.session.Session(region_name="us-east-1", **CREDENTIALS)
_CLIENTS: dict[tuple[str | None, str], Any] = {}


def client_at(url: str | None, region: str = "us-east-1", **kwargs: Any) -> Any:
    """A bedrock-runtime client in-process (url None) or against a server; cached unless
    `kwargs` ask for something special."""
    if kwargs:
        kwargs.setdefault("config", NO_RETRIES)
        return _SESSION.client("bedrock-runtime", region_name=region, endpoint_url=url, **kwargs)
    key = (url, region)
    if key not in _CLIENTS:
        _CLIENTS[key] = _SESSION.client(
            "bedrock-runtime", region_name=region, endpoint_url=url, config=NO_RETRIES
        )
    return _CLIENTS[key]


# The raw HTTP front door, as a tool in another language uses it


class HttpControls:
    """/moto-api/static/bedrock/... with plain `requests`, checking the HTTP contract as it
    goes: 201 for added rules, JSON bodies, 400 with {"message": ...} for bad input."""

    def __init__(self, base: str, account_id: str | None = None, region: str | None = None):
        self.base = f"{base}/moto-api/static/bedrock"
        self.scope = {
            key: value
            for key, value in (("account_id", account_id), ("region", region))
            if value is not None
        }

    def _send(self, method: str, what: str, body: dict[str, Any] | None = None) -> Any:
        response = requests.request(
            method,
            f"{self.base}/{what}",
            params=self.scope if body is None else None,
            json=None if body is None else {**self.scope, **body},
            timeout=30,
        )
        assert response.headers["Content-Type"] == "application/json"
        if response.status_code == 400:
            payload = response.json()
            assert set(payload) == {"message"} and payload["message"]
            raise RuleError(payload["message"])
        assert response.status_code == (201 if method == "POST" else 200), response.text
        return response.json()

    def add_rules(self, *rules: Any) -> list[dict[str, Any]]:
        return self._send("POST", "rules", {"rules": list(rules)})["rules"]

    def answer(self, respond: Any, *, times: int | None = None, **match: Any) -> dict[str, Any]:
        rule: dict[str, Any] = {
            "respond": {"text": respond} if isinstance(respond, str) else respond
        }
        rule.update({"match": match} if match else {})
        rule.update({"times": times} if times else {})
        return self.add_rules(rule)[0]

    def rules(self) -> list[dict[str, Any]]:
        return self._send("GET", "rules")["rules"]

    def clear_rules(self) -> None:
        assert self._send("DELETE", "rules") == {}

    def invocations(self) -> list[dict[str, Any]]:
        return self._send("GET", "invocations")["invocations"]

    def clear_invocations(self) -> None:
        assert self._send("DELETE", "invocations") == {}

    def set_faults(self, **spec: Any) -> None:
        self._send("PUT", "faults", {"faults": spec})

    def faults(self) -> dict[str, Any] | None:
        return self._send("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        assert self._send("DELETE", "faults") == {}


# The `door` fixture: one front door at one place


@dataclass
class Door:
    kind: str  # python | http | fixture
    where: str  # local (mock_aws in this process) | threaded (ThreadedMotoServer) | cli
    url: str | None  # the server's endpoint; None in-process
    controls: Any  # BedrockControls, HttpControls or the mock_bedrock handle

    def client(self, region: str = "us-east-1", **kwargs: Any) -> Any:
        return client_at(self.url, region, **kwargs)

    def in_region(self, region: str) -> Any:
        """The same door onto another region's controls."""
        if self.kind == "http":
            return HttpControls(self.url or IN_PROCESS_API, region=region)
        endpoint = self.url if self.where == "cli" else None
        return BedrockControls(region=region, endpoint_url=endpoint)

    def reset_server(self) -> None:
        assert self.url is not None
        assert requests.post(f"{self.url}/moto-api/reset", timeout=30).status_code == 200


DOORS = [
    "python-local",
    "python-threaded",  # BedrockControls works on the backend ThreadedMotoServer serves from
    "python-cli",  # BedrockControls(endpoint_url=...) drives the server over HTTP
    "http-local",
    "http-threaded",
    "http-cli",
    "fixture-local",
    "fixture-threaded",
]


def doors(*names: str) -> list[Any]:
    """Door parameters; those that talk HTTP to a server carry the `server` mark."""
    return [
        pytest.param(name, id=name, marks=() if name.endswith("-local") else pytest.mark.server)
        for name in names or DOORS
    ]


SERVER_DOORS = doors(*(door for door in DOORS if not door.endswith("-local")))


@pytest.fixture(params=doors())
def door(request: pytest.FixtureRequest) -> Iterator[Door]:
    kind, where = request.param.split("-")
    url = None
    if where == "threaded":
        url = request.getfixturevalue("threaded_server")
    elif where == "cli":
        url = request.getfixturevalue("cli_server").url
    with fresh(url):
        if kind == "fixture":
            yield Door(kind, where, url, request.getfixturevalue("mock_bedrock"))
            return
        if kind == "http":
            controls: Any = HttpControls(url or IN_PROCESS_API)
        else:
            controls = BedrockControls(endpoint_url=url if where == "cli" else None)
        with mock_aws() if where == "local" else contextlib.nullcontext():
            yield Door(kind, where, url, controls)


@contextlib.contextmanager
def fresh(url: str | None) -> Iterator[None]:
    """A session-wide server reset (moto's reset) before a test, as a fresh server would be,
    and after it, so that no rule or fault leaks into other tests using the server."""
    if url:
        requests.post(f"{url}/moto-api/reset", timeout=30).raise_for_status()
    try:
        yield
    finally:
        if url:
            requests.post(f"{url}/moto-api/reset", timeout=30).raise_for_status()


# Calling Bedrock


def ask(client: Any, text: str = "Hello", model: str = HAIKU, **kwargs: Any) -> dict[str, Any]:
    return client.converse(
        modelId=model, messages=[{"role": "user", "content": [{"text": text}]}], **kwargs
    )


def said(response: dict[str, Any]) -> str:
    return "".join(
        block["text"] for block in response["output"]["message"]["content"] if "text" in block
    )


def ask_stream(
    client: Any, text: str = "Hello", model: str = HAIKU, **kwargs: Any
) -> tuple[list[dict[str, Any]], EventStreamError | None]:
    """ConverseStream's events, and the in-stream error that ended it if one did."""
    response = client.converse_stream(
        modelId=model, messages=[{"role": "user", "content": [{"text": text}]}], **kwargs
    )
    events: list[dict[str, Any]] = []
    try:
        for event in response["stream"]:
            events.append(event)
    except EventStreamError as error:
        return events, error
    return events, None


def deltas(events: list[dict[str, Any]]) -> list[str]:
    return [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]


def error_of(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as info:
        call()
    return info.value


def code_and_status(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def is_canned(response: dict[str, Any]) -> bool:
    """The canned engine's default answer (no rule matched)."""
    return said(response).startswith("You asked:")


# Match


def test_match_operation(door: Door) -> None:
    door.controls.add_rules(
        {"match": {"operation": "ConverseStream"}, "respond": {"text": "streamed"}},
        {"match": {"operation": ["InvokeModel", "Converse"]}, "respond": {"text": "unary"}},
    )
    client = door.client()
    events, error = ask_stream(client)
    assert error is None and "".join(deltas(events)) == "streamed"
    assert said(ask(client)) == "unary"
    answer = json.loads(
        client.invoke_model(modelId=HAIKU, body=json.dumps(CLAUDE_BODY))["body"].read()
    )
    assert answer["content"] == [{"type": "text", "text": "unary"}]


def test_match_model_id_exact_after_resolution(door: Door) -> None:
    door.controls.add_rules({"match": {"model_id": HAIKU}, "respond": {"text": "haiku"}})
    client = door.client()
    assert said(ask(client, model=HAIKU)) == "haiku"
    assert said(ask(client, model=HAIKU_PROFILE)) == "haiku"  # a profile resolves to the model
    assert said(ask(client, model=HAIKU_ARN)) == "haiku"
    assert is_canned(ask(client, model=NOVA_LITE))
    door.controls.clear_rules()
    door.controls.add_rules({"match": {"model_id": HAIKU_PROFILE}, "respond": {"text": "profile"}})
    assert said(ask(client, model=HAIKU_PROFILE)) == "profile"
    assert is_canned(ask(client, model=HAIKU))  # the id as sent was not the profile


def test_match_model_pattern(door: Door) -> None:
    door.controls.add_rules(
        {"match": {"model_pattern": r"^amazon\.nova-"}, "respond": {"text": "nova"}},
        {"match": {"model_pattern": "claude-3-haiku"}, "respond": {"text": "haiku"}},
    )
    client = door.client()
    # Searched in the id as sent and in the resolved one: `us.amazon.nova-lite…` resolves to
    # `amazon.nova-lite-v1:0`, which the anchored pattern matches.
    assert said(ask(client, model=NOVA_LITE)) == "nova"
    assert said(ask(client, model=HAIKU_ARN)) == "haiku"
    assert is_canned(ask(client, model="meta.llama3-8b-instruct-v1:0"))


def test_match_account_and_region(door: Door) -> None:
    door.controls.add_rules(
        {"match": {"account_id": "111122223333"}, "respond": {"text": "other account"}},
        {"match": {"region": "us-west-2"}, "respond": {"text": "other region"}},
        {
            "match": {"account_id": DEFAULT_ACCOUNT_ID, "region": "us-east-1"},
            "respond": {"text": "this account and region"},
        },
    )
    assert said(ask(door.client())) == "this account and region"
    # Each account and region has its own rules: the door addresses them by region.
    door.in_region("us-west-2").add_rules({"respond": {"text": "declared in us-west-2"}})
    assert said(ask(door.client("us-west-2"))) == "declared in us-west-2"
    assert said(ask(door.client())) == "this account and region"
    assert door.in_region("us-west-2").rules()[0]["respond"] == {"text": "declared in us-west-2"}
    assert len(door.controls.rules()) == 3


def test_match_prompt_contains_is_the_last_user_message(door: Door) -> None:
    door.controls.add_rules({"match": {"prompt_contains": "refund"}, "respond": {"text": "R"}})
    client = door.client()
    assert said(ask(client, "I want a refund, please")) == "R"
    assert is_canned(ask(client, "I want a Refund"))  # case-sensitive
    earlier = [
        {"role": "user", "content": [{"text": "I want a refund"}]},
        {"role": "assistant", "content": [{"text": "Why?"}]},
        {"role": "user", "content": [{"text": "It broke"}]},
    ]
    assert is_canned(client.converse(modelId=HAIKU, messages=earlier))


def test_match_prompt_regex(door: Door) -> None:
    door.controls.add_rules(
        {"match": {"prompt_regex": r"order #\d{4}\b"}, "respond": {"text": "order found"}}
    )
    client = door.client()
    assert said(ask(client, "Where is order #1234?")) == "order found"
    assert is_canned(ask(client, "Where is order #12?"))


def test_match_system_prompt(door: Door) -> None:
    door.controls.add_rules({"match": {"system_contains": "pirate"}, "respond": {"text": "Arr"}})
    client = door.client()
    assert said(ask(client, system=[{"text": "You are a pirate."}])) == "Arr"
    assert is_canned(ask(client, system=[{"text": "You are a clerk."}]))
    assert is_canned(ask(client))


def test_match_tool_names_all_offered(door: Door) -> None:
    door.controls.add_rules(
        {"match": {"tool_names": ["get_weather", "get_time"]}, "respond": {"text": "both"}},
        {"match": {"tool_names": ["get_weather"]}, "respond": {"text": "weather"}},
    )
    client = door.client()
    both = {"tools": [CLOCK_TOOL, WEATHER_TOOL]}
    assert said(ask(client, "Weather?", toolConfig=both)) == "both"
    assert said(ask(client, "Weather?", toolConfig={"tools": [WEATHER_TOOL]})) == "weather"
    assert not said(ask(client, "Time?", toolConfig={"tools": [CLOCK_TOOL]})).startswith(
        ("both", "weather")
    )


def test_every_condition_of_a_match_must_hold(door: Door) -> None:
    door.controls.add_rules(
        {
            "match": {
                "operation": "Converse",
                "model_id": HAIKU,
                "prompt_contains": "weather",
                "system_contains": "forecaster",
                "tool_names": ["get_weather"],
            },
            "respond": {"text": "all five"},
        }
    )
    client = door.client()
    full = {"system": [{"text": "You are a forecaster."}], "toolConfig": {"tools": [WEATHER_TOOL]}}
    assert said(ask(client, "The weather?", **full)) == "all five"
    for partial in ({"system": full["system"]}, {"model": NOVA_LITE, **full}):
        assert said(ask(client, "The weather?", **partial)) != "all five"
        assert "rule_id" not in door.controls.invocations()[-1]


# Respond


def test_respond_tool_use(door: Door) -> None:
    door.controls.add_rules(
        {
            "respond": {
                "text": "Checking.",
                "tool_use": [
                    {"name": "get_weather", "input": {"city": "Paris"}, "id": "tooluse_fixed"},
                    {"name": "get_time"},
                ],
            }
        }
    )
    response = ask(
        door.client(), "Weather and time?", toolConfig={"tools": [WEATHER_TOOL, CLOCK_TOOL]}
    )
    content = response["output"]["message"]["content"]
    assert content[0] == {"text": "Checking."}
    assert content[1] == {
        "toolUse": {"toolUseId": "tooluse_fixed", "name": "get_weather", "input": {"city": "Paris"}}
    }
    assert content[2]["toolUse"]["name"] == "get_time" and content[2]["toolUse"]["input"] == {}
    assert re.fullmatch(r"tooluse_[A-Za-z0-9]{22}", content[2]["toolUse"]["toolUseId"])
    assert response["stopReason"] == "tool_use"


def test_respond_reasoning_stop_reason_and_usage(door: Door) -> None:
    door.controls.add_rules(
        {
            "respond": {
                "reasoning": "The user greets me.",
                "text": "Hi",
                "stop_reason": "max_tokens",
                "usage": {"input_tokens": 12, "output_tokens": 34},
            }
        }
    )
    response = ask(door.client())
    thought, text = response["output"]["message"]["content"]
    assert thought["reasoningContent"]["reasoningText"]["text"] == "The user greets me."
    assert thought["reasoningContent"]["reasoningText"]["signature"]
    assert text == {"text": "Hi"}
    assert response["stopReason"] == "max_tokens"
    assert response["usage"] == {"inputTokens": 12, "outputTokens": 34, "totalTokens": 46}


def test_respond_native_body_for_invoke_model(door: Door) -> None:
    native = {"id": "msg_declared", "content": [{"type": "text", "text": "as given"}], "x": [1]}
    [rule] = door.controls.add_rules(
        {"respond": {"body": native, "usage": {"input_tokens": 3, "output_tokens": 4}}}
    )
    assert rule["match"] == {"operation": "InvokeModel"}  # a body answers InvokeModel only
    client = door.client()
    response = client.invoke_model(modelId=HAIKU, body=json.dumps(CLAUDE_BODY))
    assert json.loads(response["body"].read()) == native
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == "3"
    assert headers["x-amzn-bedrock-output-token-count"] == "4"
    assert is_canned(ask(client))


def test_respond_native_chunks_for_invoke_stream(door: Door) -> None:
    chunks = [{"type": "first", "n": 1}, {"type": "second", "n": 2}]
    [rule] = door.controls.add_rules(
        {"respond": {"chunks": chunks, "usage": {"input_tokens": 5, "output_tokens": 6}}}
    )
    assert rule["match"] == {"operation": "InvokeModelWithResponseStream"}
    response = door.client().invoke_model_with_response_stream(
        modelId=HAIKU, body=json.dumps(CLAUDE_BODY)
    )
    got = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    metrics = got[-1].pop("amazon-bedrock-invocationMetrics")
    assert got == chunks
    assert metrics["inputTokenCount"] == 5 and metrics["outputTokenCount"] == 6


def test_respond_embedding_at_the_requested_dimensions(door: Door) -> None:
    door.controls.add_rules(
        {"match": {"model_id": TITAN_EMBED}, "respond": {"embedding": [0.5, -0.25]}, "times": 1},
        {"match": {"model_id": TITAN_EMBED}, "respond": {"embedding": [0.125] * 2000}},
    )
    client = door.client()

    def embed(dimensions: int) -> list[float]:
        body = {"inputText": "hello", "dimensions": dimensions}
        response = client.invoke_model(modelId=TITAN_EMBED, body=json.dumps(body))
        return json.loads(response["body"].read())["embedding"]

    assert embed(256) == [0.5, -0.25] + [0.0] * 254  # zero-padded
    assert embed(512) == [0.125] * 512  # cut


MODELED_ERRORS = [
    ("ThrottlingException", 429, {}),
    ("ModelErrorException", 424, {"originalStatusCode": 500, "resourceName": "claude"}),
    ("ModelNotReadyException", 429, {}),
    ("ModelTimeoutException", 408, {}),
    ("ServiceUnavailableException", 503, {}),
    ("ValidationException", 400, {}),
    ("AccessDeniedException", 403, {}),
    ("ResourceNotFoundException", 404, {}),
    ("InternalServerException", 500, {}),
]


def test_respond_modeled_errors(door: Door) -> None:
    door.controls.add_rules(
        *(
            {"respond": {"error": {"code": code, "message": f"declared {code}", "fields": fields}}}
            | {"times": 1}
            for code, _, fields in MODELED_ERRORS
        ),
        {"respond": {"error": {"code": "ThrottlingException"}}, "times": 1},
    )
    client = door.client()
    for code, status, fields in MODELED_ERRORS:
        error = error_of(lambda: ask(client))
        assert code_and_status(error) == (code, status)
        assert error.response["Error"]["Message"] == f"declared {code}"
        for name, value in fields.items():
            assert error.response[name] == value
        headers = error.response["ResponseMetadata"]["HTTPHeaders"]
        assert headers["x-amzn-errortype"].startswith(f"{code}:")
    error = error_of(lambda: ask(client))
    assert (
        error.response["Error"]["Message"] == "ThrottlingException declared by a moto-bedrock rule."
    )
    assert is_canned(ask(client))  # each was queued once


def test_respond_error_on_every_operation(door: Door) -> None:
    door.controls.add_rules({"respond": {"error": {"code": "ServiceUnavailableException"}}})
    client = door.client()
    calls = [
        lambda: ask(client),
        lambda: client.converse_stream(
            modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "x"}]}]
        ),
        lambda: client.invoke_model(modelId=HAIKU, body=json.dumps(CLAUDE_BODY)),
        lambda: client.invoke_model_with_response_stream(
            modelId=HAIKU, body=json.dumps(CLAUDE_BODY)
        ),
    ]
    for call in calls:  # before any stream starts: an HTTP error, not an in-stream one
        assert code_and_status(error_of(call)) == ("ServiceUnavailableException", 503)


def test_respond_stream_error_after_n_events(door: Door) -> None:
    door.controls.add_rules(
        {
            "respond": {
                "text": "one two three",
                "stream": {"chunks": ["one", " two", " three"]},
                # `after` counts the answer's events: the text block's start, then each delta.
                "stream_error": {
                    "code": "ModelStreamErrorException",
                    "message": "lost",
                    "after": 3,
                },
            }
        }
    )
    client = door.client()
    events, error = ask_stream(client)
    assert deltas(events) == ["one", " two"]
    assert error is not None
    assert error.response["Error"] == {"Code": "modelStreamErrorException", "Message": "lost"}
    assert not any("messageStop" in event for event in events)
    # The same rule through InvokeModelWithResponseStream: the native chunks, then the error.
    response = client.invoke_model_with_response_stream(modelId=HAIKU, body=json.dumps(CLAUDE_BODY))
    seen = []
    with pytest.raises(EventStreamError) as info:
        for event in response["body"]:
            seen.append(json.loads(event["chunk"]["bytes"])["type"])
    assert info.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert seen.count("content_block_delta") == 2 and "message_stop" not in seen
    # A non-streaming call has no stream to break: it gets the whole answer.
    assert said(ask(client)) == "one two three"


def test_respond_stream_shaping(door: Door) -> None:
    first_ms, delay_ms = 150, 60
    door.controls.add_rules(
        {
            "respond": {
                "text": "Hello there, world",
                "stream": {
                    "chunks": ["Hel", "lo there", ", world"],
                    "first_token_ms": first_ms,
                    "delay_ms": delay_ms,
                },
            }
        }
    )
    started = time.perf_counter()
    response = door.client().converse_stream(
        modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
    )
    arrivals, texts = [], []
    for event in response["stream"]:
        if "contentBlockDelta" in event:
            arrivals.append(time.perf_counter() - started)
            texts.append(event["contentBlockDelta"]["delta"]["text"])
    total = time.perf_counter() - started
    assert texts == ["Hel", "lo there", ", world"]
    assert total >= (first_ms + 2 * delay_ms) / 1000
    if door.url:  # over HTTP each frame leaves as it is made, so the pacing is visible
        assert arrivals[0] >= first_ms / 1000
        assert arrivals[-1] - arrivals[0] >= 2 * delay_ms / 1000 * 0.8, arrivals


def test_respond_chunk_tokens(door: Door) -> None:
    door.controls.add_rules(
        {"respond": {"text": "one two three four five six", "stream": {"chunk_tokens": 1}}}
    )
    events, _ = ask_stream(door.client())
    pieces = deltas(events)
    assert "".join(pieces) == "one two three four five six" and len(pieces) >= 6


# Consumption


def test_consumed_once_n_times_or_always(door: Door) -> None:
    door.controls.add_rules(
        {"match": {"prompt_contains": "once"}, "respond": {"text": "1"}, "times": 1},
        {"match": {"prompt_contains": "thrice"}, "respond": {"text": "3"}, "times": 3},
        {"match": {"prompt_contains": "always"}, "respond": {"text": "A"}},
    )
    client = door.client()
    assert said(ask(client, "once")) == "1"
    assert is_canned(ask(client, "once"))
    assert said(ask(client, "thrice")) == "3"
    assert [rule["times"] for rule in door.controls.rules() if "times" in rule] == [2]
    assert [said(ask(client, "thrice")) for _ in range(2)] == ["3", "3"]
    assert is_canned(ask(client, "thrice"))
    assert [said(ask(client, "always")) for _ in range(5)] == ["A"] * 5
    assert door.controls.rules() == [
        {
            "id": door.controls.rules()[0]["id"],
            "match": {"prompt_contains": "always"},
            "respond": {"text": "A"},
        }
    ]


def test_queues_are_fifo_per_match(door: Door) -> None:
    controls = door.controls
    for text in ("h1", "h2", "h3"):
        controls.answer(text, times=1, model_id=HAIKU)
    controls.answer("n1", times=1, model_id=NOVA_LITE)
    client = door.client()
    assert said(ask(client, model=NOVA_LITE)) == "n1"
    assert [said(ask(client)) for _ in range(3)] == ["h1", "h2", "h3"]
    assert is_canned(ask(client)) and is_canned(ask(client, model=NOVA_LITE))


@pytest.mark.parametrize("door", doors(*(d for d in DOORS if d[:4] != "http")), indirect=True)
def test_python_queue_and_fail_helpers(door: Door) -> None:
    door.controls.queue("first", {"text": "second"}, {"error": {"code": "ThrottlingException"}})
    client = door.client()
    assert [said(ask(client)) for _ in range(2)] == ["first", "second"]
    assert code_and_status(error_of(lambda: ask(client)))[0] == "ThrottlingException"
    door.controls.fail("AccessDeniedException", "no", times=1, prompt_contains="secret")
    assert code_and_status(error_of(lambda: ask(client, "the secret"))) == (
        "AccessDeniedException",
        403,
    )
    assert is_canned(ask(client, "the secret"))


def test_precedence_queue_then_rule_then_canned(door: Door) -> None:
    door.controls.add_rules(
        {"id": "older-rule", "respond": {"text": "older rule"}},
        {"id": "newer-rule", "respond": {"text": "newer rule"}},
        {"id": "queued", "respond": {"text": "queued"}, "times": 2},  # declared last, served first
    )
    client = door.client()
    assert [said(ask(client)) for _ in range(3)] == ["queued", "queued", "older rule"]
    history = door.controls.invocations()
    assert [entry["rule_id"] for entry in history] == ["queued", "queued", "older-rule"]
    door.controls.clear_rules()
    assert is_canned(ask(client))
    assert "rule_id" not in door.controls.invocations()[-1]


def test_backend_rules_before_rules_loaded_at_start() -> None:
    """The store `--rules` fills, in-process: consulted after the account's own rules."""
    startup.add_rules([{"id": "from-file", "respond": {"text": "from the file"}}])
    try:
        with mock_aws():
            client, controls = client_at(None), BedrockControls()
            assert said(ask(client)) == "from the file"
            controls.answer("from the test", times=1)
            assert said(ask(client)) == "from the test"
            assert said(ask(client)) == "from the file"
            assert [e["rule_id"] for e in controls.invocations()][-1] == "from-file"
    finally:
        startup.clear_rules()


# Invalid rules


BAD_RULES = [
    (
        {"respond": {"txt": "hi"}},
        "Invalid rule at respond: Additional properties are not allowed ('txt' was unexpected)",
    ),
    (
        {"match": {"prompt_contains": "x"}},
        "Invalid rule at (rule): 'respond' is a required property",
    ),
    ({"respond": {}}, "Invalid rule at respond: {} should be non-empty"),
    (
        {"respond": {"text": "x"}, "times": 0},
        "Invalid rule at times: 0 is less than the minimum of 1",
    ),
    ({"match": {"operation": "Chat"}, "respond": {"text": "x"}}, "Invalid rule at match/operation"),
    (
        {"match": {"account_id": "123"}, "respond": {"text": "x"}},
        "Invalid rule at match/account_id",
    ),
    (
        {"match": {"prompt_regex": "(open"}, "respond": {"text": "x"}},
        "match.prompt_regex is not a valid regular expression",
    ),
    (
        {"match": {"operation": "Converse"}, "respond": {"body": {}}},
        "respond.body answers InvokeModel only",
    ),
    (
        {"respond": {"chunks": [{}]}, "match": {"operation": "InvokeModel"}},
        "respond.chunks answers InvokeModelWithResponseStream only",
    ),
    (
        {"respond": {"text": "abc", "stream": {"chunks": ["a", "b"]}}},
        "stream.chunks join to 'ab', which is not text 'abc'",
    ),
    (
        {"respond": {"error": {"code": "Throttling"}}},
        "Invalid rule at respond/error/code: 'Throttling' does not match",
    ),
    (
        {"respond": {"error": {"code": "ThrottledException"}}},
        "respond.error.code ThrottledException is not an error Bedrock models",
    ),
    (
        {"respond": {"error": {"code": "ModelErrorException", "fields": {"status": 1}}}},
        "respond.error.fields.status is not a member of ModelErrorException",
    ),
    (
        {"respond": {"text": "x", "stream_error": {"code": "AccessDeniedException"}}},
        "respond.stream_error.code AccessDeniedException cannot be sent in a stream",
    ),
    ("just text", "Invalid rule at (rule): 'just text' is not of type 'object'"),
]


def test_invalid_rules_are_rejected_and_change_nothing(door: Door) -> None:
    [kept] = door.controls.add_rules({"respond": {"text": "kept"}})
    for bad, message in BAD_RULES:
        with pytest.raises(RuleError) as info:  # HttpControls checks the 400 {"message": ...}
            door.controls.add_rules({"respond": {"text": "good"}}, bad)
        assert message in str(info.value), (bad, str(info.value))
        assert door.controls.rules() == [kept]  # all or none: the good rule was not added
    assert said(ask(door.client())) == "kept"


@pytest.mark.parametrize("door", doors("http-local", "http-threaded", "http-cli"), indirect=True)
def test_bad_http_requests_get_400_with_a_message(door: Door) -> None:
    api = f"{door.url or IN_PROCESS_API}/moto-api/static/bedrock"
    cases = [
        ("POST", "rules", {"data": "{not json"}, "Expecting property name"),
        ("POST", "rules", {"json": [1]}, "The request body must be a JSON object"),
        ("POST", "rules", {"json": {"rule": []}}, '"rules" must be a list of rules'),
        ("POST", "rules", {"json": {"region": "mars-1", "rules": []}}, "Unknown region 'mars-1'"),
        ("PUT", "faults", {"json": {"faults": []}}, '"faults" must be an object'),
        ("PUT", "faults", {"json": {"faults": {"throttle": 2}}}, "Unknown fault setting: throttle"),
    ]
    for method, what, kwargs, message in cases:
        response = requests.request(method, f"{api}/{what}", timeout=30, **kwargs)
        assert response.status_code == 400
        assert response.headers["Content-Type"] == "application/json"
        assert message in response.json()["message"], response.json()
    assert requests.get(f"{api}/rules", timeout=30).json() == {"rules": []}
    assert requests.get(f"{api}/faults", timeout=30).json() == {"faults": None}


# Faults


FAULT_CASES = [
    ({"throttle_every": 3}, [None, None, "ThrottlingException"] * 2),
    ({"not_ready_first": 2}, ["ModelNotReadyException"] * 2 + [None] * 2),
    ({"timeout_every": 2}, [None, "ModelTimeoutException"] * 2),
]
FAULT_STATUS = {
    "ThrottlingException": (429, THROTTLED),
    "ModelNotReadyException": (429, NOT_READY),
    "ModelTimeoutException": (408, TIMED_OUT),
}


def _outcomes(call: Callable[[], Any], times: int) -> list[str | None]:
    out: list[str | None] = []
    for _ in range(times):
        try:
            call()
            out.append(None)
        except ClientError as error:
            code, status = code_and_status(error)
            assert (status, error.response["Error"]["Message"]) == FAULT_STATUS[code]
            out.append(code)
    return out


def test_faults_every_nth_first_k_and_timeouts(door: Door) -> None:
    client = door.client()
    for spec, expected in FAULT_CASES:
        door.controls.set_faults(**spec)  # setting faults starts their count afresh
        assert _outcomes(lambda: ask(client), len(expected)) == expected, spec
    history = door.controls.invocations()
    assert [entry["status"] for entry in history[-4:]] == [200, 408, 200, 408]
    assert history[-3]["error"] == {"code": "ModelTimeoutException", "message": TIMED_OUT}
    door.controls.clear_faults()
    assert _outcomes(lambda: ask(client), 4) == [None] * 4


def test_faults_seeded_rate_is_deterministic(door: Door) -> None:
    client = door.client()
    runs = []
    for _ in range(2):
        door.controls.set_faults(throttle_rate=0.5, seed=42)
        runs.append(_outcomes(lambda: ask(client), 16))
    assert runs[0] == runs[1]
    assert 2 <= runs[0].count("ThrottlingException") <= 14
    door.controls.set_faults(throttle_rate=0.5, seed=7)
    assert _outcomes(lambda: ask(client), 16) != runs[0]


def test_faults_latency_and_operations_filter(door: Door) -> None:
    client = door.client()
    door.controls.set_faults(throttle_every=1, operations=["InvokeModel"])
    assert is_canned(ask(client))  # Converse is not affected
    error = error_of(lambda: client.invoke_model(modelId=HAIKU, body=json.dumps(CLAUDE_BODY)))
    assert code_and_status(error) == ("ThrottlingException", 429)
    faults = door.controls.faults()
    assert faults["operations"] == ["InvokeModel"] and faults["calls"] == 1
    door.controls.set_faults(latency_ms=200)
    started = time.perf_counter()
    assert said(ask(client))
    assert time.perf_counter() - started >= 0.2
    assert door.controls.invocations()[-1]["latency_ms"] >= 200


def test_faults_fire_before_rules_and_consume_nothing(door: Door) -> None:
    door.controls.add_rules({"respond": {"text": "queued"}, "times": 1})
    door.controls.set_faults(not_ready_first=1)
    client = door.client()
    assert code_and_status(error_of(lambda: ask(client))) == ("ModelNotReadyException", 429)
    assert said(ask(client)) == "queued"


def test_invalid_faults_are_rejected_and_change_nothing(door: Door) -> None:
    door.controls.set_faults(throttle_every=2)
    for spec, message in [
        ({"throttle": 1}, "Unknown fault setting: throttle"),
        ({"throttle_every": -1}, "Fault setting throttle_every must be a non-negative integer"),
        ({"throttle_rate": 2}, "Fault setting throttle_rate must be a number from 0 to 1"),
        ({"operations": "Converse"}, "Fault setting operations must be a list of operation names"),
        (
            {"operations": ["Converse", "Chat"]},
            "Fault setting operations: unknown operation 'Chat'",
        ),
    ]:
        with pytest.raises(RuleError, match=re.escape(message)):
            door.controls.set_faults(**spec)
    assert door.controls.faults()["throttle_every"] == 2


# History


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def test_history_entries(door: Door) -> None:
    door.controls.add_rules(
        {"id": "greeting", "match": {"prompt_contains": "Hi"}, "respond": {"text": "Hello!"}},
        {
            "match": {"prompt_contains": "fail"},
            "respond": {"error": {"code": "ValidationException", "message": "no"}},
        },
    )
    access_key, session_token = "AKIDHISTORYEXAMPLE", "SESSION-TOKEN-NEVER-RECORDED"
    client = door.client(
        aws_access_key_id=access_key, aws_session_token=session_token, aws_secret_access_key="s"
    )
    signatures: list[str] = []

    def keep_signature(request: Any, **_: Any) -> None:
        auth = request.headers["Authorization"]
        signatures.append(
            re.search(
                r"Signature=([0-9a-f]+)", auth.decode() if isinstance(auth, bytes) else auth
            ).group(1)
        )

    client.meta.events.register("before-send.bedrock-runtime", keep_signature)
    system = [{"text": "Be brief."}]
    answer = ask(client, "Hi there", model=HAIKU_PROFILE, system=system)
    error_of(lambda: ask(client, "please fail"))
    stream_events, _ = ask_stream(client, "Hi again")
    native = client.invoke_model_with_response_stream(modelId=HAIKU, body=json.dumps(CLAUDE_BODY))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in native["body"]]

    history = door.controls.invocations()
    assert [e["operation"] for e in history] == [
        "Converse",
        "Converse",
        "ConverseStream",
        "InvokeModelWithResponseStream",
    ]
    first = history[0]
    assert first["model_id"] == HAIKU_PROFILE and first["resolved_model_id"] == HAIKU
    assert first["request"] == {
        "messages": [{"role": "user", "content": [{"text": "Hi there"}]}],
        "system": system,
    }
    neutral = first["neutral_request"]
    assert neutral["messages"] == [{"role": "user", "content": [{"text": "Hi there"}]}]
    assert neutral["system"] == system
    assert first["response"]["output"] == answer["output"]
    assert first["response"]["usage"] == answer["usage"]
    assert first["status"] == 200 and "error" not in first
    assert first["rule_id"] == "greeting"
    assert isinstance(first["latency_ms"], float | int) and first["latency_ms"] > 0
    assert first["request_id"] == answer["ResponseMetadata"]["RequestId"]
    assert (first["account_id"], first["region"]) == (DEFAULT_ACCOUNT_ID, "us-east-1")
    assert datetime.fromisoformat(first["timestamp"]).tzinfo is not None
    assert _header(first["headers"], "Content-Type") == "application/json"
    assert _header(first["headers"], "Authorization").startswith("AWS4-HMAC-SHA256 Credential=***/")
    assert _header(first["headers"], "X-Amz-Security-Token") == "***"

    failed = history[1]
    assert failed["status"] == 400
    assert failed["error"] == {"code": "ValidationException", "message": "no"}
    assert failed["response"] == {"message": "no"}

    streamed = history[2]
    assert streamed["status"] == 200
    assert streamed["response"]["events"][0] == {"messageStart": {"role": "assistant"}}
    assert [next(iter(e)) for e in streamed["response"]["events"]] == [
        next(iter(e)) for e in stream_events
    ]
    assert (
        streamed["response"]["events"][-1]["metadata"]["usage"]
        == stream_events[-1]["metadata"]["usage"]
    )

    invoked = history[3]
    assert invoked["request"] == CLAUDE_BODY
    assert [e["chunk"] for e in invoked["response"]["events"]] == chunks

    recorded = json.dumps(history)
    assert len(signatures) == 4
    for secret in (*signatures, session_token, access_key):
        assert secret not in recorded


def test_history_never_holds_a_bearer_token(door: Door, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "ABSKbearer-token-that-must-never-be-recorded"
    if door.url is None:
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", token)
        client = boto3.session.Session().client(
            "bedrock-runtime", region_name="us-east-1", config=NO_RETRIES
        )
        assert said(ask(client))
    else:  # botocore sends bearer tokens over HTTPS only; any other client may not
        response = requests.post(
            f"{door.url}/model/{HAIKU}/converse",
            json={"messages": [{"role": "user", "content": [{"text": "Hi"}]}]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    [entry] = door.controls.invocations()
    assert _header(entry["headers"], "Authorization") == "Bearer ***"
    assert token not in json.dumps(entry)


def test_history_clearing(door: Door) -> None:
    client = door.client()
    for _ in range(3):
        ask(client)
    assert len(door.controls.invocations()) == 3
    door.controls.clear_invocations()
    assert door.controls.invocations() == []
    ask(client)
    assert len(door.controls.invocations()) == 1


@pytest.fixture
def history_limit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """MOTO_BEDROCK_HISTORY_LIMIT, set before the mock starts (a backend reads it when made)."""
    monkeypatch.setenv("MOTO_BEDROCK_HISTORY_LIMIT", "3")


@pytest.mark.parametrize("door", doors(*(d for d in DOORS if d[-4:] != "-cli")), indirect=True)
def test_history_is_bounded(
    history_limit_3: None, door: Door, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = door.client()
    try:
        for n in range(5):
            ask(client, f"call {n}")
        history = door.controls.invocations()
        assert [e["request"]["messages"][0]["content"][0]["text"] for e in history] == [
            "call 2",
            "call 3",
            "call 4",
        ]
    finally:
        if door.url:  # give the session's server its default bound back
            monkeypatch.delenv("MOTO_BEDROCK_HISTORY_LIMIT")
            door.reset_server()


# Reset semantics


def test_a_new_mock_aws_context_starts_empty() -> None:
    with mock_aws():
        controls = BedrockControls()
        controls.answer("declared")
        controls.set_faults(latency_ms=1)
        assert said(ask(client_at(None))) == "declared"
    with mock_aws():
        controls = BedrockControls()
        assert controls.rules() == [] and controls.invocations() == []
        assert controls.faults() is None
        assert is_canned(ask(client_at(None)))


@pytest.mark.parametrize("door", SERVER_DOORS, indirect=True)
def test_moto_reset_clears_rules_history_and_faults(door: Door) -> None:
    door.controls.add_rules({"respond": {"text": "declared"}})
    door.controls.set_faults(latency_ms=1)
    assert said(ask(door.client())) == "declared"
    door.reset_server()
    assert door.controls.rules() == [] and door.controls.invocations() == []
    assert door.controls.faults() is None
    assert is_canned(ask(door.client()))


def test_mock_bedrock_state_ends_with_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3

        def ask():
            client = boto3.client("bedrock-runtime", region_name="us-east-1")
            reply = client.converse(
                modelId="anthropic.claude-3-haiku-20240307-v1:0",
                messages=[{"role": "user", "content": [{"text": "Hi"}]}],
            )
            return reply["output"]["message"]["content"][0]["text"]

        def test_declares(mock_bedrock):
            mock_bedrock.answer("declared")
            mock_bedrock.set_faults(latency_ms=1)
            assert ask() == "declared"

        def test_next_test_starts_empty(mock_bedrock):
            assert mock_bedrock.rules() == [] and mock_bedrock.invocations() == []
            assert mock_bedrock.faults() is None
            assert ask().startswith("You asked:")
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


# Concurrency


@pytest.mark.parametrize(
    "door", doors("python-local", "fixture-threaded", "http-cli"), indirect=True
)
def test_fifty_threads_share_a_queue_of_fifty(door: Door) -> None:
    """Each of 50 queued answers is served exactly once to 50 concurrent Converse calls.

    botocore retries throttling (429) and server (5xx) errors by default, and a retried call
    is a new request that takes the next queued answer. The client here has retries off
    (NO_RETRIES: total_max_attempts=1) so that one call is one request is one queue entry;
    a test that counts queued answers must do the same."""
    answers = [f"answer {n}" for n in range(50)]
    added = door.controls.add_rules(*({"respond": {"text": a}, "times": 1} for a in answers))
    client = door.client(config=Config(retries={"total_max_attempts": 1}, max_pool_connections=50))
    barrier = threading.Barrier(50)

    def call(n: int) -> str:
        barrier.wait(timeout=30)
        return said(ask(client, f"caller {n}"))

    with ThreadPoolExecutor(max_workers=50) as pool:
        texts = list(pool.map(call, range(50)))
    assert len(set(texts)) == 50 and set(texts) == set(answers)
    history = door.controls.invocations()
    assert len(history) == 50
    assert {entry["rule_id"] for entry in history} == {rule["id"] for rule in added}
    got = {e["request"]["messages"][0]["content"][0]["text"]: said(e["response"]) for e in history}
    assert got == {f"caller {n}": texts[n] for n in range(50)}
    assert door.controls.rules() == []


# One InvokeModel answer, every vendor family


def _family(model_id: str) -> str:
    return models()[_base_id(model_id)].family


def _kind(model_id: str) -> str:
    return codec_for(models()[_base_id(model_id)]).kind


CHAT_MODELS = sorted(m for m in SAMPLES if _kind(m) == "chat")
EMBED_MODELS = sorted(m for m in SAMPLES if _kind(m) == "embed")
DECLARED = {
    "respond": {"text": "Declared answer", "usage": {"input_tokens": 7, "output_tokens": 2}}
}

# Where each family's native body and stream chunks carry the answer's text.
BODY_TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    "anthropic-messages": lambda b: b["content"][0]["text"],
    "anthropic-text": lambda b: b["completion"],
    "titan-text": lambda b: b["results"][0]["outputText"],
    "nova": lambda b: b["output"]["message"]["content"][0]["text"],
    "llama": lambda b: b["generation"],
    "deepseek": lambda b: b["choices"][0]["text"],
    "mistral-text": lambda b: b["outputs"][0]["text"],
    "mistral-chat": lambda b: b["choices"][0]["message"]["content"],
    "cohere-command": lambda b: b["generations"][0]["text"],
    "cohere-command-r": lambda b: b["text"],
    "ai21-jamba": lambda b: b["choices"][0]["message"]["content"],
    "openai-chat": lambda b: b["choices"][0]["message"]["content"],
}
CHUNK_TEXT: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "anthropic-messages": lambda c: c.get("delta", {}).get("text"),
    "anthropic-text": lambda c: c["completion"],
    "titan-text": lambda c: c["outputText"],
    "nova": lambda c: c.get("contentBlockDelta", {}).get("delta", {}).get("text"),
    "llama": lambda c: c["generation"],
    "deepseek": lambda c: c["choices"][0]["text"],
    "mistral-text": lambda c: c["outputs"][0]["text"],
    "mistral-chat": lambda c: c["choices"][0]["delta"].get("content"),
    "cohere-command": lambda c: None if c["is_finished"] else c["text"],
    "cohere-command-r": lambda c: c.get("text") if c["event_type"] == "text-generation" else None,
    "ai21-jamba": lambda c: c["choices"][0]["delta"].get("content"),
    "openai-chat": lambda c: c["choices"][0]["delta"].get("content"),
}
EMBED_VECTORS: dict[str, Callable[[dict[str, Any]], list[list[float]]]] = {
    "titan-embed-text-v1": lambda b: [b["embedding"]],
    "titan-embed-text-v2": lambda b: [b["embedding"], b.get("embeddingsByType", {}).get("float")],
    "titan-embed-image": lambda b: [b["embedding"]],
    "nova-embed": lambda b: [item["embedding"] for item in b["embeddings"]],
    "cohere-embed-v3": lambda b: (
        b["embeddings"] if isinstance(b["embeddings"], list) else b["embeddings"]["float"]
    ),
    "cohere-embed-v4": lambda b: (
        b["embeddings"] if isinstance(b["embeddings"], list) else b["embeddings"]["float"]
    ),
}
REQUESTED_DIMENSIONS: dict[str, Callable[[dict[str, Any]], int]] = {
    "titan-embed-text-v1": lambda body: 1536,
    "titan-embed-text-v2": lambda body: body.get("dimensions", 1024),
    "titan-embed-image": lambda body: body.get("embeddingConfig", {}).get(
        "outputEmbeddingLength", 1024
    ),
    "nova-embed": lambda body: body["singleEmbeddingParams"]["embeddingDimension"],
    "cohere-embed-v3": lambda body: 1024,
    "cohere-embed-v4": lambda body: body.get("output_dimension", 1536),
}


def test_every_family_has_a_text_reader() -> None:
    assert {_family(m) for m in CHAT_MODELS} <= set(BODY_TEXT) == set(CHUNK_TEXT)
    assert {_family(m) for m in EMBED_MODELS} <= set(EMBED_VECTORS) == set(REQUESTED_DIMENSIONS)


def _check_declared_invoke(client: Any, model_id: str) -> None:
    family, body = _family(model_id), json.dumps(SAMPLES[model_id])
    response = client.invoke_model(modelId=model_id, body=body)
    assert BODY_TEXT[family](json.loads(response["body"].read())) == "Declared answer"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == "7"
    assert headers["x-amzn-bedrock-output-token-count"] == "2"
    if not models()[_base_id(model_id)].summary.get("responseStreamingSupported"):
        return
    stream = client.invoke_model_with_response_stream(modelId=model_id, body=body)
    chunks = [json.loads(event["chunk"]["bytes"]) for event in stream["body"]]
    assert "".join(CHUNK_TEXT[family](c) or "" for c in chunks) == "Declared answer"
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (7, 2)


@pytest.mark.parametrize("model_id", CHAT_MODELS)
def test_one_declared_answer_in_every_chat_family(
    mock_bedrock: BedrockControls, model_id: str
) -> None:
    mock_bedrock.add_rules(DECLARED)
    _check_declared_invoke(client_at(None), model_id)


@pytest.mark.server
def test_one_declared_answer_in_every_family_over_http(cli_server: CliServer) -> None:
    controls = BedrockControls(endpoint_url=cli_server.url)
    with fresh(cli_server.url):
        controls.add_rules(DECLARED)
        for model_id in CHAT_MODELS:
            _check_declared_invoke(client_at(cli_server.url), model_id)
        controls.clear_rules()
        for model_id in EMBED_MODELS:
            _check_declared_embedding(controls, client_at(cli_server.url), model_id)


def _check_declared_embedding(controls: Any, client: Any, model_id: str) -> None:
    """A short declared vector comes back zero-padded to the dimensions the body asks for."""
    declared = [0.25, -0.5, 0.75]
    controls.add_rules({"match": {"model_id": model_id}, "respond": {"embedding": declared}})
    family, body = _family(model_id), SAMPLES[model_id]
    response = client.invoke_model(modelId=model_id, body=json.dumps(body))
    vectors = EMBED_VECTORS[family](json.loads(response["body"].read()))
    size = REQUESTED_DIMENSIONS[family](body)
    assert vectors and all(vector == declared + [0.0] * (size - 3) for vector in vectors)


@pytest.mark.parametrize("model_id", EMBED_MODELS)
def test_one_declared_embedding_in_every_embedding_family(
    mock_bedrock: BedrockControls, model_id: str
) -> None:
    _check_declared_embedding(mock_bedrock, client_at(None), model_id)


# --rules FILE


RULES_FILE = {
    "rules": [
        {
            "id": "file-hello",
            "match": {"prompt_contains": "hello"},
            "respond": {"text": "Hello from the file"},
        },
        {"id": "file-eu", "match": {"region": "eu-west-1"}, "respond": {"text": "Bonjour"}},
        {
            "id": "file-busy",
            "match": {"prompt_contains": "busy"},
            "respond": {"error": {"code": "ThrottlingException", "message": "slow down"}},
        },
        {
            "id": "file-body",
            "match": {"model_id": HAIKU},
            "respond": {"body": {"content": [{"type": "text", "text": "native from the file"}]}},
        },
    ]
}


@pytest.fixture(scope="module")
def rules_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliServer]:
    path = tmp_path_factory.mktemp("rules") / "rules.json"
    path.write_text(json.dumps(RULES_FILE))
    server = CliServer("--rules", str(path), env={"MOTO_BEDROCK_HISTORY_LIMIT": "4"})
    yield server
    assert f"Loaded 4 rule(s) from {path}" in server.stop()


@pytest.mark.server
def test_rules_file_answers(rules_server: CliServer) -> None:
    requests.post(f"{rules_server.url}/moto-api/reset", timeout=30).raise_for_status()
    client = client_at(rules_server.url)
    assert said(ask(client, "hello there")) == "Hello from the file"
    assert said(ask(client_at(rules_server.url, "eu-west-1"))) == "Bonjour"
    assert is_canned(ask(client))
    error = error_of(lambda: ask(client, "are you busy?"))
    assert code_and_status(error) == ("ThrottlingException", 429)
    native = client.invoke_model(modelId=HAIKU, body=json.dumps(CLAUDE_BODY))
    assert json.loads(native["body"].read())["content"][0]["text"] == "native from the file"
    history = BedrockControls(endpoint_url=rules_server.url).invocations()
    assert [e["rule_id"] for e in history if "rule_id" in e][-2:] == ["file-busy", "file-body"]


@pytest.mark.server
def test_rules_file_comes_after_declared_rules_and_survives_reset(rules_server: CliServer) -> None:
    controls = BedrockControls(endpoint_url=rules_server.url)
    client = client_at(rules_server.url)
    controls.answer("declared in the test", prompt_contains="hello")
    assert said(ask(client, "hello")) == "declared in the test"
    # The rules endpoint lists the account's own rules, not the file's.
    assert [rule["respond"] for rule in controls.rules()] == [{"text": "declared in the test"}]
    requests.post(f"{rules_server.url}/moto-api/reset", timeout=30).raise_for_status()
    assert controls.rules() == [] and controls.invocations() == []
    assert said(ask(client, "hello")) == "Hello from the file"


@pytest.mark.server
def test_history_bound_on_the_server(rules_server: CliServer) -> None:
    controls = BedrockControls(endpoint_url=rules_server.url)
    requests.post(f"{rules_server.url}/moto-api/reset", timeout=30).raise_for_status()
    client = client_at(rules_server.url)
    for n in range(6):
        ask(client, f"call {n}")
    history = controls.invocations()
    assert [e["request"]["messages"][0]["content"][0]["text"] for e in history] == [
        f"call {n}" for n in range(2, 6)
    ]


BAD_FILES = [
    (None, "No such file or directory"),
    ("{not json", "Expecting property name enclosed in double quotes"),
    ('{"answers": []}', 'the file must hold a list of rules or {"rules": [...]}'),
    (
        '{"rules": {"respond": {"text": "x"}}}',
        'the file must hold a list of rules or {"rules": [...]}',
    ),
    (
        '[{"respond": {"txt": "x"}}]',
        "Invalid rule at respond: Additional properties are not allowed",
    ),
]


@pytest.mark.server
@pytest.mark.parametrize("content, message", BAD_FILES)
def test_a_bad_rules_file_stops_the_server(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "rules.json"
    if content is not None:
        path.write_text(content)
    command = Path(sys.executable).parent / "moto-bedrock"
    result = subprocess.run(
        [str(command), "--port", "0", "--rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"moto-bedrock: cannot load rules from {path}: " in result.stderr
    assert message in result.stderr
    assert "serving on" not in result.stdout


@pytest.mark.server
def test_the_rules_file_can_come_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('{"rules": [{"respond": {"error": {"code": "Throttled"}}}]}')
    result = subprocess.run(
        [str(Path(sys.executable).parent / "moto-bedrock"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MOTO_BEDROCK_RULES": str(path)},
    )
    assert result.returncode != 0
    assert f"cannot load rules from {path}: Invalid rule at respond/error/code" in result.stderr
