"""CountTokens: the same count InvokeModel and Converse report for the same input, and
Bedrock's refusal for models and ids that do not count tokens."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import check_output, client_for

HAIKU_35 = "anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "How many tokens does this sentence cost?"}]}]
NATIVE = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 100,
    "system": "Be brief.",
    "messages": [{"role": "user", "content": "How many tokens does this sentence cost?"}],
}


def test_converse_input_matches_what_converse_reports(runtime: Any) -> None:
    counted = runtime.count_tokens(modelId=HAIKU_35, input={"converse": {"messages": MESSAGES}})
    used = runtime.converse(modelId=f"us.{HAIKU_35}", messages=MESSAGES)["usage"]
    assert counted["inputTokens"] == used["inputTokens"]
    assert isinstance(counted["inputTokens"], int)


def test_invoke_model_input_matches_what_invoke_model_reports(runtime: Any) -> None:
    counted = runtime.count_tokens(
        modelId=f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU_35}",
        input={"invokeModel": {"body": json.dumps(NATIVE)}},
    )
    answer = runtime.invoke_model(modelId=f"us.{HAIKU_35}", body=json.dumps(NATIVE))
    assert counted["inputTokens"] == json.loads(answer["body"].read())["usage"]["input_tokens"]


@pytest.mark.parametrize(
    ("model_id", "source", "message"),
    [
        (
            "amazon.nova-lite-v1:0",
            {"converse": {"messages": MESSAGES}},
            "The provided model doesn't support counting tokens.",
        ),
        (
            f"us.{HAIKU_35}",
            {"converse": {"messages": MESSAGES}},
            "The provided model doesn't support counting tokens.",
        ),
        (
            "anthropic.claude-9",
            {"converse": {"messages": MESSAGES}},
            "The provided model identifier is invalid.",
        ),
        (
            HAIKU_35,
            {"invokeModel": {"body": json.dumps({**NATIVE, "max_tokens": None})}},
            "Malformed input request: #/max_tokens: expected type: Integer, found: Null, please "
            "reformat your input and try again.",
        ),
        (
            HAIKU_35,
            {"invokeModel": {"body": b"{oops"}},
            "Malformed input request, please reformat your input and try again.",
        ),
        (
            HAIKU_35,
            {"converse": {"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}},
            "A conversation must start with a user message. Try again with a conversation that "
            "starts with a user message.",
        ),
    ],
    ids=["nova", "profile", "unknown", "native-schema", "native-not-json", "conversation"],
)
def test_refusals(runtime: Any, model_id: str, source: dict[str, Any], message: str) -> None:
    with pytest.raises(ClientError) as info:
        runtime.count_tokens(modelId=model_id, input=source)
    assert info.value.response["Error"] == {"Code": "ValidationException", "Message": message}


@pytest.mark.server
def test_over_http(threaded_server: str) -> None:
    client = client_for(threaded_server)
    bodies: list[bytes] = []
    client.meta.events.register(
        "before-parse", lambda response_dict, **_: bodies.append(response_dict["body"])
    )
    counted = client.count_tokens(modelId=HAIKU_35, input={"converse": {"messages": MESSAGES}})
    check_output("CountTokens", json.loads(bodies[0]))
    assert counted["inputTokens"] > 0


@pytest.mark.server
def test_input_with_neither_form_is_refused(threaded_server: str) -> None:
    import requests

    from .conftest import FAKE_SIGV4

    response = requests.post(
        f"{threaded_server}/model/{HAIKU_35}/count-tokens",
        json={"input": {}},
        headers={"Authorization": FAKE_SIGV4},
        timeout=30,
    )
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"].startswith("ValidationException:")
    assert response.json() == {
        "message": "1 validation error detected: Value at 'input' failed to satisfy constraint: "
        "Member must have exactly one member set"
    }
