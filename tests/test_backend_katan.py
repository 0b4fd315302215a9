"""Backend mode against a real OpenAI-compatible server: llm-katan's echo backend.

Its answer echoes the request ("[echo] model=… max_tokens=77 …\\nUser: <last user message>",
images as "[image:image/png]"), so a test sees what reached the backend through what came back.
Every family of InvokeModel and its stream, Converse and ConverseStream, in-process and through
the `moto-bedrock` server started with the backend flags.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from moto import mock_aws

from moto_bedrock_runtime import backend_settings
from moto_bedrock_runtime.engines import backend_http

from .backend_servers import KATAN_KEY, KATAN_MODEL, Katan, RawBackend
from .conftest import NO_RETRIES, CliServer, check_output, client_for

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
WEATHER = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Current weather for a city",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    }
                },
            }
        }
    ]
}


@pytest.fixture(scope="module")
def katan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Katan]:
    server = Katan(tmp_path_factory.mktemp("katan"))
    yield server
    server.stop()


@pytest.fixture
def runtime(katan: Katan, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """bedrock-runtime under @mock_aws, answered by llm-katan (settings from the environment)."""
    backend_settings.set_command_line({})
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND", katan.url)
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND_API_KEY", KATAN_KEY)
    monkeypatch.setenv("MOTO_BEDROCK_DEFAULT_BACKEND_MODEL", KATAN_MODEL)
    with mock_aws():
        yield boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)


@pytest.fixture(scope="module")
def server(katan: Katan) -> Iterator[CliServer]:
    """The `moto-bedrock` command with the backend given by its flags."""
    process = CliServer(
        "--backend",
        katan.url,
        "--backend-api-key",
        KATAN_KEY,
        "--default-backend-model",
        KATAN_MODEL,
    )
    yield process
    output = process.stop()
    assert KATAN_KEY not in output  # the key is never printed or logged


def _converse_text(response: dict[str, Any]) -> str:
    return "".join(block.get("text", "") for block in response["output"]["message"]["content"])


def test_converse_answers_from_the_backend(runtime: Any) -> None:
    response = runtime.converse(
        modelId="anthropic.claude-3-haiku-20240307-v1:0",
        messages=[{"role": "user", "content": [{"text": "Name a zebra-42 fact"}]}],
        system=[{"text": "Be brief."}],
        inferenceConfig={"maxTokens": 77, "temperature": 0.25},
    )
    text = _converse_text(response)
    assert text.startswith(f"[echo] model={KATAN_MODEL} ")
    assert "messages=2 max_tokens=77 temperature=0.25" in text  # system + user
    assert text.endswith("User: Name a zebra-42 fact")
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["inputTokens"] == 6  # llm-katan counts words: "Be brief." + 4 words
    assert usage["outputTokens"] == len(text.split())
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(response["metrics"]["latencyMs"], int)


def test_converse_stream_delivers_the_backend_tokens(runtime: Any) -> None:
    response = runtime.converse_stream(
        modelId="us.meta.llama3-1-8b-instruct-v1:0",
        messages=[{"role": "user", "content": [{"text": "stream a zebra-42"}]}],
    )
    events = list(response["stream"])
    names = [next(iter(event)) for event in events]
    assert names[0] == "messageStart" and names[-2:] == ["messageStop", "metadata"]
    deltas = [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e]
    assert len(deltas) > 10  # llm-katan streams 4 characters a chunk
    assert "".join(deltas).endswith("User: stream a zebra-42")
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0


def test_images_are_forwarded(runtime: Any) -> None:
    response = runtime.converse(
        modelId="amazon.nova-lite-v1:0",
        messages=[
            {
                "role": "user",
                "content": [
                    {"text": "What is this?"},
                    {"image": {"format": "png", "source": {"bytes": PNG}}},
                ],
            }
        ],
    )
    assert _converse_text(response).endswith("User: What is this? [image:image/png]")


def test_tool_calls_round_trip(runtime: Any) -> None:
    model = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": "Weather in Oslo?"}]}]
    first = runtime.converse(modelId=model, messages=messages, toolConfig=WEATHER)
    assert first["stopReason"] == "tool_use"
    (block,) = first["output"]["message"]["content"]
    use = block["toolUse"]
    assert use["name"] == "get_weather"
    assert use["input"] == {"city": "test_city"}  # llm-katan's arguments, parsed
    assert use["toolUseId"].startswith("tooluse_")
    messages += [
        first["output"]["message"],
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"json": {"c": 4}}]}}
            ],
        },
    ]
    # The backend validates the tool_calls / tool message pair; llm-katan calls the tool again.
    second = runtime.converse(modelId=model, messages=messages, toolConfig=WEATHER)
    assert second["stopReason"] == "tool_use"
    streamed = list(
        runtime.converse_stream(modelId=model, messages=messages, toolConfig=WEATHER)["stream"]
    )
    start = next(e["contentBlockStart"] for e in streamed if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "get_weather"
    arguments = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in streamed
        if "contentBlockDelta" in e
    )
    assert json.loads(arguments) == {"city": "test_city"}
    assert streamed[-2]["messageStop"]["stopReason"] == "tool_use"


# InvokeModel for every family: (model id, body, text of an answer, text of a stream chunk)
Family = tuple[str, dict[str, Any], Callable[[dict], str], Callable[[dict], str]]
PROMPT = "Say zebra-42"
FAMILIES: dict[str, Family] = {
    "anthropic": (
        "anthropic.claude-3-haiku-20240307-v1:0",
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 77,
            "messages": [{"role": "user", "content": PROMPT}],
        },
        lambda body: body["content"][0]["text"],
        lambda chunk: chunk.get("delta", {}).get("text", ""),
    ),
    "titan": (
        "amazon.titan-text-express-v1",
        {"inputText": PROMPT, "textGenerationConfig": {"maxTokenCount": 77}},
        lambda body: body["results"][0]["outputText"],
        lambda chunk: chunk.get("outputText", ""),
    ),
    "llama": (
        "meta.llama3-1-8b-instruct-v1:0",
        {
            "prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
            f"{PROMPT}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            "max_gen_len": 77,
        },
        lambda body: body["generation"],
        lambda chunk: chunk.get("generation", ""),
    ),
    "mistral": (
        "mistral.mistral-7b-instruct-v0:2",
        {"prompt": f"<s>[INST] {PROMPT} [/INST]", "max_tokens": 77},
        lambda body: body["outputs"][0]["text"],
        lambda chunk: chunk["outputs"][0]["text"],
    ),
    "nova": (
        "amazon.nova-lite-v1:0",
        {
            "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
            "inferenceConfig": {"maxTokens": 77},
        },
        lambda body: body["output"]["message"]["content"][0]["text"],
        lambda chunk: chunk.get("contentBlockDelta", {}).get("delta", {}).get("text", ""),
    ),
    "cohere-r": (
        "cohere.command-r-v1:0",
        {"message": PROMPT, "max_tokens": 77},
        lambda body: body["text"],
        lambda chunk: chunk.get("text", "") if chunk.get("event_type") == "text-generation" else "",
    ),
    "gpt-oss": (
        "openai.gpt-oss-20b-1:0",
        {"messages": [{"role": "user", "content": PROMPT}], "max_completion_tokens": 77},
        lambda body: body["choices"][0]["message"]["content"],
        lambda chunk: (chunk["choices"][0].get("delta") or {}).get("content") or "",
    ),
}


def _assert_echo(text: str) -> None:
    assert text.startswith("[echo] model=")
    assert "max_tokens=77" in text  # each family's own max-tokens field reached the backend
    assert "zebra-42" in text.splitlines()[-1]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_invoke_model_for_every_family(runtime: Any, family: str) -> None:
    model, body, text_of, _ = FAMILIES[family]
    response = runtime.invoke_model(modelId=model, body=json.dumps(body))
    _assert_echo(text_of(json.loads(response["body"].read())))
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) > 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_invoke_model_stream_for_every_family(runtime: Any, family: str) -> None:
    model, body, _, chunk_text = FAMILIES[family]
    response = runtime.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert len(chunks) > 10
    _assert_echo("".join(chunk_text(chunk) for chunk in chunks))
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] > 0 and isinstance(metrics["firstByteLatency"], int)


def test_anthropic_invoke_forwards_images_and_tools(runtime: Any) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": base64.b64encode(PNG).decode(),
                        },
                    },
                    {"type": "text", "text": "Describe"},
                ],
            }
        ],
    }
    answer = json.loads(
        runtime.invoke_model(
            modelId="anthropic.claude-3-haiku-20240307-v1:0", body=json.dumps(body)
        )["body"].read()
    )
    assert answer["content"][0]["text"].endswith("User: [image:image/png] Describe")
    body["tools"] = [
        {
            "name": "get_weather",
            "description": "Weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    answer = json.loads(
        runtime.invoke_model(
            modelId="anthropic.claude-3-haiku-20240307-v1:0", body=json.dumps(body)
        )["body"].read()
    )
    assert answer["stop_reason"] == "tool_use"
    (use,) = answer["content"]
    assert use["type"] == "tool_use" and use["input"] == {"city": "test_city"}
    assert use["id"].startswith("toolu_bdrk_")


def test_unmapped_models_are_refused_without_a_default(
    runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOTO_BEDROCK_DEFAULT_BACKEND_MODEL")
    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
        runtime.converse(
            modelId="anthropic.claude-3-haiku-20240307-v1:0",
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
        )
    assert "add it to the [invoke] table of your model map" in str(caught.value)


def test_the_model_map_and_api_key_reach_the_backend(
    runtime: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the backend receives, captured by a small server of ours: llm-katan echoes its own
    model name, not the one asked for."""
    answer = json.dumps(
        {
            "id": "chatcmpl-1",
            "choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }
    ).encode()

    def reply(conn: Any, request: bytes) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(answer)).encode()
            + b"\r\n\r\n"
            + answer
        )

    capture = RawBackend(reply)
    model_map = tmp_path / "models.toml"
    model_map.write_text('[invoke]\n"anthropic.claude-3-haiku*" = "llama3.2:1b"\n')
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND", capture.url)
    monkeypatch.setenv("MOTO_BEDROCK_MODEL_MAP", str(model_map))
    try:
        response = runtime.converse(
            modelId="us.anthropic.claude-3-haiku-20240307-v1:0",  # a profile: its model is mapped
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
        )
    finally:
        capture.stop()
    assert _converse_text(response) == "ok"
    assert response["usage"] == {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4}
    head, _, body = capture.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1")
    assert f"Authorization: Bearer {KATAN_KEY}".encode() in head
    assert json.loads(body)["model"] == "llama3.2:1b"


# The same through the `moto-bedrock` server, configured by its flags


def test_server_with_backend_flags(server: CliServer, katan: Katan) -> None:
    assert f"engine: openai backend {katan.url}" in server.banner
    assert f"default backend model: {KATAN_MODEL}" in server.banner
    health = urllib3.request("GET", f"{server.url}/moto-api/static/bedrock/health").json()
    assert health["engine"] == "openai" and health["backends"] == [katan.url]
    client = client_for(server.url)
    bodies: list[bytes] = []
    client.meta.events.register(
        "before-parse", lambda response_dict, **_: bodies.append(response_dict["body"])
    )
    response = client.converse(
        modelId="openai.gpt-oss-20b-1:0",
        messages=[{"role": "user", "content": [{"text": "over http zebra-42"}]}],
    )
    assert _converse_text(response).endswith("User: over http zebra-42")
    check_output("Converse", json.loads(bodies[0]))
    stream = client.converse_stream(
        modelId="mistral.mistral-7b-instruct-v0:2",
        messages=[{"role": "user", "content": [{"text": "stream over http"}]}],
    )["stream"]
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in stream if "contentBlockDelta" in e
    )
    assert text.endswith("User: stream over http")


def test_connections_to_the_backend_are_reused(runtime: Any, katan: Katan) -> None:
    pool = backend_http._pool(katan.url)
    before = pool.num_connections
    for _ in range(5):
        runtime.converse(modelId="amazon.nova-lite-v1:0", messages=MESSAGES)
        list(runtime.converse_stream(modelId="amazon.nova-lite-v1:0", messages=MESSAGES)["stream"])
    assert pool.num_connections - before <= 1  # one kept-alive connection served all ten
