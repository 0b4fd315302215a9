"""The OpenAI-compatible engine's translation, settings, model map and embedding projection,
checked as functions (the wire round trips are in test_backend_katan.py)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from moto_bedrock_runtime import backend_settings, catalog, model_map
from moto_bedrock_runtime.backend_settings import BackendSettings, SettingsError
from moto_bedrock_runtime.catalog import ResolvedModel
from moto_bedrock_runtime.embedding_projection import project
from moto_bedrock_runtime.engines.openai import (
    _embedding_vectors,
    _StreamState,
    chat_body,
    reply_from,
)
from moto_bedrock_runtime.errors import (
    ModelErrorException,
    ModelStreamErrorException,
    ResourceNotFoundException,
)
from moto_bedrock_runtime.neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    Message,
    MessageStop,
    Reasoning,
    ReasoningDelta,
    SignatureDelta,
    TextDelta,
    Tool,
    ToolInputDelta,
)
from moto_bedrock_runtime.server import _parser

from .conftest import NO_RETRIES, error_of

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _request(**fields) -> ChatRequest:
    model = ResolvedModel(requested=HAIKU, model=catalog.models()[HAIKU])
    fields.setdefault("messages", [Message("user", [{"text": "hello"}])])
    return ChatRequest(model=model, **fields)


@pytest.fixture(autouse=True)
def _no_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for setting in backend_settings.SETTINGS:
        monkeypatch.delenv(setting.variable, raising=False)
    monkeypatch.delenv(backend_settings.CONFIG_VARIABLE, raising=False)
    backend_settings.set_command_line({})


# Request translation


def test_chat_body_carries_every_neutral_field() -> None:
    weather = Tool("get_weather", "Weather for a city", {"type": "object"})
    request = _request(
        system=[{"text": "Be brief."}, {"cachePoint": {"type": "default"}}, {"text": "Be kind."}],
        messages=[
            Message(
                "user",
                [
                    {"text": "What is in this picture, and the weather?"},
                    {"image": {"format": "png", "source": {"bytes": PNG}}},
                    {
                        "document": {
                            "format": "md",
                            "name": "notes",
                            "source": {"bytes": b"# Notes\nrain"},
                        }
                    },
                    {"document": {"format": "pdf", "name": "scan", "source": {"bytes": b"%PDF"}}},
                ],
            ),
            Message(
                "assistant",
                [
                    {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "s"}}},
                    {"text": "Let me check."},
                    {
                        "toolUse": {
                            "toolUseId": "tooluse_1",
                            "name": "get_weather",
                            "input": {"c": 1},
                        }
                    },
                ],
            ),
            Message(
                "user",
                [
                    {
                        "toolResult": {
                            "toolUseId": "tooluse_1",
                            "content": [{"json": {"sky": "grey"}}, {"text": "windy"}],
                        }
                    },
                    {"text": "Thanks"},
                ],
            ),
        ],
        max_tokens=64,
        temperature=0.2,
        top_p=0.9,
        stop_sequences=["END"],
        tools=[weather],
        tool_choice="tool",
        forced_tool="get_weather",
        reasoning=Reasoning(budget_tokens=4096),
        output_schema={"type": "object", "properties": {"a": {"type": "string"}}},
        additional_fields={"top_k": 40},
    )
    body = chat_body(request, "llama3.2", stream=True)
    assert body["model"] == "llama3.2"
    system, user, assistant, tool, thanks = body["messages"]
    assert system == {"role": "system", "content": "Be brief.\n\nBe kind."}
    text, image, notes, scan = user["content"]
    assert text == {"type": "text", "text": "What is in this picture, and the weather?"}
    assert image["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert notes == {"type": "text", "text": "[document notes]\n# Notes\nrain"}
    assert scan["text"] == "[document scan (pdf, 4 bytes) not converted to text]"
    assert assistant == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {
                "id": "tooluse_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"c": 1}'},
            }
        ],
    }
    assert tool == {
        "role": "tool",
        "tool_call_id": "tooluse_1",
        "content": '{"sky": "grey"}\nwindy',
    }
    assert thanks == {"role": "user", "content": "Thanks"}
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object"},
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (64, 0.2, 0.9)
    assert body["stop"] == ["END"]
    assert body["reasoning_effort"] == "medium"
    assert body["top_k"] == 40
    assert body["response_format"]["json_schema"]["schema"] == request.output_schema
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(
    ("choice", "expected"), [("auto", "auto"), ("any", "required"), ("none", "none")]
)
def test_tool_choice_names(choice: str, expected: str) -> None:
    request = _request(tools=[Tool("t", "", {"type": "object"})], tool_choice=choice)
    assert chat_body(request, "m", stream=False)["tool_choice"] == expected


def test_a_plain_request_sends_only_what_was_asked() -> None:
    body = chat_body(_request(), "m", stream=False)
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hello"}]}


def test_error_tool_results_are_marked() -> None:
    request = _request(
        messages=[
            Message("user", [{"text": "go"}]),
            Message("assistant", [{"toolUse": {"toolUseId": "t1", "name": "x", "input": {}}}]),
            Message(
                "user",
                [
                    {
                        "toolResult": {
                            "toolUseId": "t1",
                            "status": "error",
                            "content": [{"text": "boom"}],
                        }
                    }
                ],
            ),
        ]
    )
    messages = chat_body(request, "m", stream=False)["messages"]
    assert messages[1]["content"] is None
    assert messages[2] == {"role": "tool", "tool_call_id": "t1", "content": "Error: boom"}


# Answer translation


def test_reply_maps_reasoning_text_tool_calls_and_usage() -> None:
    answer = {
        "id": "chatcmpl-1",
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "reasoning_content": "The user wants weather.",
                    "content": "Checking.",
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 30,
            "completion_tokens": 12,
            "prompt_tokens_details": {"cached_tokens": 10},
        },
    }
    reply = reply_from(answer, _request())
    thought, text, use = reply.content
    assert thought["reasoningContent"]["reasoningText"]["text"] == "The user wants weather."
    assert thought["reasoningContent"]["reasoningText"]["signature"]
    assert text == {"text": "Checking."}
    assert use["toolUse"]["name"] == "get_weather"
    assert use["toolUse"]["input"] == {"city": "Oslo"}
    assert use["toolUse"]["toolUseId"].startswith("tooluse_")
    assert reply.stop_reason == "tool_use"
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == (20, 12)
    assert reply.usage.cache_read_input_tokens == 10


@pytest.mark.parametrize(
    ("finish", "stop"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("content_filter", "content_filtered"),
        (None, "end_turn"),
    ],
)
def test_finish_reasons(finish: str | None, stop: str) -> None:
    answer = {"choices": [{"message": {"content": "x"}, "finish_reason": finish}]}
    assert reply_from(answer, _request()).stop_reason == stop


def test_missing_usage_is_counted_by_the_emulator() -> None:
    reply = reply_from({"choices": [{"message": {"content": "four words right here"}}]}, _request())
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"choices": []}, "The model backend's answer has no choices."),
        ({"object": "error"}, "The model backend's answer has no choices."),
        (
            {"choices": [{"message": {"tool_calls": [{"function": {"arguments": "{"}}]}}]},
            "The model returned tool-call arguments that are not JSON: {",
        ),
        (
            {"choices": [{"message": {"tool_calls": [{"function": {"arguments": "[1]"}}]}}]},
            "The model returned tool-call arguments that are not a JSON object.",
        ),
    ],
)
def test_unusable_answers_are_model_errors(answer: dict, message: str) -> None:
    with pytest.raises(ModelErrorException) as caught:
        reply_from(answer, _request())
    assert caught.value.message == message
    assert caught.value.fields["originalStatusCode"] == 200


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"data": []}, "The model backend returned 0 embeddings for 1 inputs."),
        ({}, "The model backend returned no embeddings for 1 inputs."),
        (
            {"data": [{"index": 0, "embedding": ["x"]}]},
            "The model backend returned an embedding that is not a list of numbers.",
        ),
    ],
)
def test_unusable_embeddings_are_model_errors(answer: dict, message: str) -> None:
    with pytest.raises(ModelErrorException) as caught:
        _embedding_vectors(answer, 1)
    assert caught.value.message == message
    assert caught.value.fields["originalStatusCode"] == 200


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        (
            "MOTO_BEDROCK_BACKEND",
            "ftp://x/v1",
            "MOTO_BEDROCK_BACKEND: 'ftp://x/v1' is not an http(s) URL",
        ),
        ("MOTO_BEDROCK_MODEL_MAP", "/nonexistent/models.toml", "cannot read the model map"),
    ],
)
def test_a_misconfigured_backend_answers_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    """The emulator's fault, not the caller's: a modeled 500 saying what to fix."""
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND", "http://127.0.0.1:1/v1")
    monkeypatch.setenv(variable, value)
    with mock_aws():
        runtime = boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)
        code, status, message = error_of(
            runtime.converse,
            modelId=HAIKU,
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
        )
    assert (code, status) == ("InternalServerException", 500)
    assert message.startswith(f"moto-bedrock's backend settings are invalid: {reason}")


def _chunk(delta: dict, finish: str | None = None) -> dict:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def test_stream_chunks_become_ordered_block_events() -> None:
    state = _StreamState(_request())
    chunks = [
        _chunk({"role": "assistant"}),
        _chunk({"reasoning_content": "Think"}),
        _chunk({"reasoning_content": "ing."}),
        _chunk({"content": "Hel"}),
        _chunk({"content": "lo"}),
        _chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "c1", "function": {"name": "lookup", "arguments": '{"q"'}}
                ]
            }
        ),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": ': "x"}'}}]}),
        _chunk({}, "tool_calls"),
        {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 9}},
    ]
    events = [event for chunk in chunks for event in state.feed(chunk)]
    events += list(state.finish_events())
    assert events[:3] == [
        BlockStart(0, "reasoning"),
        ReasoningDelta(0, "Think"),
        ReasoningDelta(0, "ing."),
    ]
    assert isinstance(events[3], SignatureDelta) and events[4] == BlockStop(0)
    assert events[5:8] == [BlockStart(1, "text"), TextDelta(1, "Hel"), TextDelta(1, "lo")]
    assert events[8] == BlockStop(1)
    start = events[9]
    assert (start.index, start.kind, start.name) == (2, "toolUse", "lookup")
    assert events[10:12] == [ToolInputDelta(2, '{"q"'), ToolInputDelta(2, ': "x"}')]
    assert events[12] == BlockStop(2)
    stop = events[13]
    assert isinstance(stop, MessageStop) and stop.stop_reason == "tool_use"
    assert (stop.usage.input_tokens, stop.usage.output_tokens) == (7, 9)


def test_a_stream_without_a_finish_is_broken() -> None:
    state = _StreamState(_request())
    list(state.feed(_chunk({"content": "partial"})))
    with pytest.raises(ModelStreamErrorException):
        list(state.finish_events())


# Settings and their precedence


def test_defaults_mean_no_backend() -> None:
    settings = backend_settings.backend_settings()
    assert settings == BackendSettings()
    assert settings.urls == () and settings.fallback == "error"


def test_precedence_is_flag_then_variable_then_file_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "moto-bedrock.toml"
    config.write_text(
        '[backend]\nurl = ["http://file-a:1/v1", "http://file-b:2/v1"]\nfallback = "canned"\n'
        'read_timeout = 7\nretries = 2\nmodel_map = "maps/models.toml"\n'
    )
    monkeypatch.setenv("MOTO_BEDROCK_CONFIG", str(config))
    settings = backend_settings.backend_settings()
    assert settings.urls == ("http://file-a:1/v1", "http://file-b:2/v1")
    assert (settings.fallback, settings.read_timeout, settings.retries) == ("canned", 7.0, 2)
    assert settings.model_map == str(tmp_path / "maps/models.toml")
    assert settings.connect_timeout == 5.0  # the default
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND", "http://env:3/v1")
    monkeypatch.setenv("MOTO_BEDROCK_FALLBACK", "error")
    assert backend_settings.backend_settings().urls == ("http://env:3/v1",)
    assert backend_settings.backend_settings().fallback == "error"
    backend_settings.set_command_line({"urls": "http://flag:4/v1", "fallback": None})
    settings = backend_settings.backend_settings()
    assert settings.urls == ("http://flag:4/v1",)
    assert settings.fallback == "error"  # the flag was not given: the variable still counts


def test_the_api_key_never_shows_in_a_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("MOTO_BEDROCK_BACKEND_API_KEY", "sk-very-secret")
    settings = backend_settings.backend_settings()
    assert settings.api_key == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MOTO_BEDROCK_BACKEND", "ftp://x/v1", "is not an http(s) URL"),
        ("MOTO_BEDROCK_FALLBACK", "maybe", "is not one of error, canned"),
        ("MOTO_BEDROCK_BACKEND_READ_TIMEOUT", "-1", "is not a positive number of seconds"),
        ("MOTO_BEDROCK_BACKEND_RETRIES", "many", "invalid literal"),
    ],
)
def test_bad_settings_say_where_they_came_from(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        backend_settings.backend_settings()
    assert str(caught.value).startswith(variable) and says in str(caught.value)


def test_unknown_config_keys_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[backend]\nurl = "http://x:1/v1"\napi-key = "oops"\n')
    monkeypatch.setenv("MOTO_BEDROCK_CONFIG", str(config))
    with pytest.raises(SettingsError, match=r"unknown \[backend\] key\(s\) api-key"):
        backend_settings.backend_settings()


def test_safe_url_drops_credentials() -> None:
    assert backend_settings.safe_url("https://u:p@host:8/v1") == "https://host:8/v1"


# Model map


def test_builtin_map_names_open_weight_models() -> None:
    settings = BackendSettings(urls=("http://x/v1",))
    assert (
        model_map.backend_model("meta.llama3-1-8b-instruct-v1:0", "invoke", settings)
        == "llama3.1:8b"
    )
    assert model_map.backend_model("amazon.titan-embed-text-v2:0", "embed", settings) == (
        "nomic-embed-text"
    )


def test_user_map_merges_over_the_builtin_one_with_globs(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text(
        '[invoke]\n"anthropic.*" = "qwen3:4b"\n"anthropic.claude-3-haiku*" = "llama3.2:1b"\n'
        '"meta.llama3-1-8b-instruct-v1:0" = "my-llama"\n[embed]\n"cohere.*" = "all-minilm"\n'
    )
    settings = BackendSettings(urls=("http://x/v1",), model_map=str(path))
    assert model_map.backend_model(HAIKU, "invoke", settings) == "llama3.2:1b"
    sonnet = "anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert model_map.backend_model(sonnet, "invoke", settings) == "qwen3:4b"
    assert (
        model_map.backend_model("meta.llama3-1-8b-instruct-v1:0", "invoke", settings) == "my-llama"
    )
    assert model_map.backend_model("cohere.embed-english-v3", "embed", settings) == "all-minilm"
    assert (
        model_map.backend_model("mistral.mistral-7b-instruct-v0:2", "invoke", settings)
        == "mistral:7b"
    )


def test_unmapped_ids_name_the_map_or_use_the_default(tmp_path: Path) -> None:
    settings = BackendSettings(urls=("http://x/v1",))
    with pytest.raises(ResourceNotFoundException) as caught:
        model_map.backend_model(HAIKU, "invoke", settings)
    assert caught.value.message == (
        f"moto-bedrock's backend has no model for {HAIKU}: add it to the [invoke] table of your "
        "model map (none given, so only the built-in map: --model-map / MOTO_BEDROCK_MODEL_MAP) "
        "or set a default backend model (--default-backend-model / "
        "MOTO_BEDROCK_DEFAULT_BACKEND_MODEL)."
    )
    defaulted = BackendSettings(urls=("http://x/v1",), default_model="llama3.2")
    assert model_map.backend_model(HAIKU, "invoke", defaulted) == "llama3.2"


def test_a_bad_map_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[chat]\n"a" = "b"\n')
    settings = BackendSettings(urls=("http://x/v1",), model_map=str(path))
    with pytest.raises(SettingsError, match=r"unknown table\(s\) chat"):
        model_map.layers(settings)


# Embedding projection


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(
        sum(x * x for x in a) * sum(y * y for y in b)
    )


def _vectors(count: int, size: int) -> list[list[float]]:
    rng = random.Random(7)
    return [[rng.gauss(0, 1) for _ in range(size)] for _ in range(count)]


def test_widening_keeps_cosine_similarity_exactly() -> None:
    vectors = _vectors(6, 384)
    projected = [project(v, 1024) for v in vectors]
    assert all(len(p) == 1024 for p in projected)
    assert all(abs(math.fsum(x * x for x in p) - 1) < 1e-9 for p in projected)
    for i in range(6):
        for j in range(i + 1, 6):
            assert abs(_cosine(projected[i], projected[j]) - _cosine(vectors[i], vectors[j])) < 1e-9
    nonzero = sum(1 for x in projected[0] if abs(x) > 1e-12)
    assert nonzero > 1000  # spread over every entry, not zero-padded


def test_narrowing_keeps_cosine_similarity_approximately() -> None:
    base = _vectors(1, 768)[0]
    rng = random.Random(3)
    near = [x + rng.gauss(0, 0.5) for x in base]
    far = _vectors(2, 768)[1]
    p_base, p_near, p_far = (project(v, 256) for v in (base, near, far))
    assert abs(_cosine(p_base, p_near) - _cosine(base, near)) < 0.1
    assert abs(_cosine(p_base, p_far) - _cosine(base, far)) < 0.15
    assert _cosine(p_base, p_near) > _cosine(p_base, p_far) + 0.5


def test_projection_is_deterministic() -> None:
    vector = _vectors(1, 384)[0]
    assert project(vector, 1024) == project(list(vector), 1024)
    assert json.dumps(project(vector, 256)) == json.dumps(project(vector, 256))


def test_every_setting_is_documented_and_in_help() -> None:
    docs = (Path(__file__).parent.parent / "docs/backends.md").read_text()
    help_text = _parser().format_help()
    for setting in backend_settings.SETTINGS:
        assert setting.flag in docs and setting.variable in docs and f"`{setting.key}`" in docs
        assert setting.flag in help_text and setting.variable in help_text
