"""InvokeModel and InvokeModelWithResponseStream through the Mistral, Cohere, AI21 Jamba and
OpenAI-style codecs, read the way boto3 callers, langchain-aws and the vendors' SDKs read them."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError

from moto_bedrock_runtime import catalog
from moto_bedrock_runtime.vendors.openai import WriterChat

MISTRAL_7B = "mistral.mistral-7b-instruct-v0:2"
MIXTRAL = "mistral.mixtral-8x7b-instruct-v0:1"
MISTRAL_LARGE = "mistral.mistral-large-2407-v1:0"
COMMAND = "cohere.command-text-v14"
COMMAND_R_PLUS = "cohere.command-r-plus-v1:0"
EMBED_V3 = "cohere.embed-english-v3"
EMBED_V4 = "cohere.embed-v4:0"
JAMBA_MINI = "ai21.jamba-1-5-mini-v1:0"
GPT_OSS = "openai.gpt-oss-20b-1:0"
QWEN_32B = "qwen.qwen3-32b-v1:0"

QUESTION = "Which river flows through Paris?"
SAMPLES: dict[str, dict[str, Any]] = {
    MISTRAL_7B: {"prompt": f"<s>[INST] {QUESTION} [/INST]", "max_tokens": 200},
    MISTRAL_LARGE: {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": QUESTION},
        ],
        "max_tokens": 200,
    },
    COMMAND: {"prompt": QUESTION, "max_tokens": 200},
    COMMAND_R_PLUS: {
        "message": QUESTION,
        "chat_history": [
            {"role": "USER", "message": "Hello"},
            {"role": "CHATBOT", "message": "Hi, how can I help?"},
        ],
        "preamble": "You are terse.",
        "max_tokens": 200,
    },
    EMBED_V3: {"texts": ["The Seine flows through Paris."], "input_type": "search_document"},
    EMBED_V4: {"texts": ["The Seine flows through Paris."], "input_type": "search_document"},
    JAMBA_MINI: {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": QUESTION},
        ],
        "max_tokens": 200,
    },
    GPT_OSS: {
        "messages": [
            {"role": "developer", "content": "You are terse."},
            {"role": "user", "content": QUESTION},
        ],
        "max_completion_tokens": 300,
    },
}

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name"},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "days"],
}
OPENAI_WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather forecast for a city",
        "parameters": WEATHER_SCHEMA,
    },
}
COHERE_WEATHER = {
    "name": "get_weather",
    "description": "Weather forecast for a city",
    "parameter_definitions": {
        "city": {"type": "str", "description": "City name", "required": True},
        "days": {"type": "int", "description": "How many days", "required": True},
        "hourly": {"type": "bool", "description": "Hourly detail"},
    },
}
# What a Cohere client expects the parameters to be, written as a JSON Schema by hand.
COHERE_WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "days": {"type": "integer"},
        "hourly": {"type": "boolean"},
    },
    "required": ["city", "days"],
}
WEATHER_QUESTION = "What is the weather forecast in Lyon?"
METRICS = "amazon-bedrock-invocationMetrics"


def invoke(client: Any, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    return json.loads(response["body"].read()), response


def chunks(client: Any, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def headers_of(response: Any) -> tuple[int, int]:
    """Token counts from the headers, after checking all three headers are present."""
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 0
    return (
        int(headers["x-amzn-bedrock-input-token-count"]),
        int(headers["x-amzn-bedrock-output-token-count"]),
    )


def check_metrics(parts: list[dict[str, Any]], input_tokens: int, output_tokens: int) -> None:
    """Only the last chunk carries the invocation metrics, all ints, matching the headers."""
    assert all(METRICS not in part for part in parts[:-1])
    metrics = parts[-1][METRICS]
    assert set(metrics) == {
        "inputTokenCount",
        "outputTokenCount",
        "invocationLatency",
        "firstByteLatency",
    }
    assert all(type(value) is int for value in metrics.values())
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (
        input_tokens,
        output_tokens,
    )


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


def cap_message(value: int, limit: int, pointer: str = "max_tokens") -> str:
    return (
        f"Malformed input request: #/{pointer}: {value} is not less or equal to {limit}, "
        "please reformat your input and try again."
    )


# Mistral text completion


def test_mistral_text_round_trip_and_stream(runtime: Any) -> None:
    body = SAMPLES[MISTRAL_7B]
    answer, response = invoke(runtime, MISTRAL_7B, body)
    (output,) = answer["outputs"]
    assert isinstance(output["text"], str) and "Paris" in output["text"]
    assert output["stop_reason"] == "stop"
    input_tokens, output_tokens = headers_of(response)
    assert input_tokens > 0 and output_tokens > 0

    parts = chunks(runtime, MISTRAL_7B, body)
    assert all(set(part["outputs"][0]) == {"text", "stop_reason"} for part in parts)
    assert [part["outputs"][0]["stop_reason"] for part in parts[:-1]] == [None] * (len(parts) - 1)
    assert parts[-1]["outputs"][0]["stop_reason"] == "stop"
    assert "".join(part["outputs"][0]["text"] for part in parts) == output["text"]
    check_metrics(parts, input_tokens, output_tokens)


def test_mistral_text_length_stop_and_stop_sequences(runtime: Any) -> None:
    cut, response = invoke(runtime, MISTRAL_7B, {**SAMPLES[MISTRAL_7B], "max_tokens": 3})
    assert cut["outputs"][0]["stop_reason"] == "length"
    assert headers_of(response)[1] == 3
    whole = invoke(runtime, MISTRAL_7B, SAMPLES[MISTRAL_7B])[0]["outputs"][0]["text"]
    stopped, _ = invoke(runtime, MISTRAL_7B, {**SAMPLES[MISTRAL_7B], "stop": ["Paris"]})
    assert stopped["outputs"][0]["text"] == whole[: whole.index("Paris")]
    assert stopped["outputs"][0]["stop_reason"] == "stop"


@pytest.mark.parametrize(("model", "limit"), [(MISTRAL_7B, 8192), (MIXTRAL, 4096)])
def test_mistral_text_model_cap(runtime: Any, model: str, limit: int) -> None:
    body = {**SAMPLES[MISTRAL_7B], "max_tokens": limit + 1}
    error = error_of(lambda: invoke(runtime, model, body))
    assert error["Code"] == "ValidationException"
    assert error["Message"] == cap_message(limit + 1, limit)
    invoke(runtime, model, {**body, "max_tokens": limit})


# Mistral chat completion


def test_mistral_chat_round_trip_and_stream(runtime: Any) -> None:
    body = SAMPLES[MISTRAL_LARGE]
    answer, response = invoke(runtime, MISTRAL_LARGE, body)
    (choice,) = answer["choices"]
    assert choice["index"] == 0 and choice["stop_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert "Paris" in choice["message"]["content"]
    input_tokens, output_tokens = headers_of(response)

    parts = chunks(runtime, MISTRAL_LARGE, body)
    deltas = [part["choices"][0]["delta"] for part in parts]
    assert deltas[0]["role"] == "assistant"
    assert [part["choices"][0]["stop_reason"] for part in parts[:-1]] == [None] * (len(parts) - 1)
    assert parts[-1]["choices"][0]["stop_reason"] == "stop"
    assert "".join(delta.get("content", "") for delta in deltas) == choice["message"]["content"]
    check_metrics(parts, input_tokens, output_tokens)


def test_mistral_chat_tool_round_trip(runtime: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": WEATHER_QUESTION}],
        "tools": [OPENAI_WEATHER],
        "tool_choice": "any",
    }
    answer, _ = invoke(runtime, MISTRAL_LARGE, body)
    choice = answer["choices"][0]
    assert choice["stop_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert len(call["id"]) == 9 and call["id"].isalnum()
    assert call["function"]["name"] == "get_weather"
    arguments = json.loads(call["function"]["arguments"])
    jsonschema.validate(arguments, WEATHER_SCHEMA)

    parts = chunks(runtime, MISTRAL_LARGE, body)
    streamed = [
        fragment for part in parts for fragment in part["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert streamed[0]["id"] == call["id"]
    assert json.loads("".join(f["function"]["arguments"] for f in streamed)) == arguments
    assert parts[-1]["choices"][0]["stop_reason"] == "tool_calls"

    follow_up = {
        "messages": [
            *body["messages"],
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 24 degrees"},
        ],
        "tools": [OPENAI_WEATHER],
    }
    final, _ = invoke(runtime, MISTRAL_LARGE, follow_up)
    message = final["choices"][0]["message"]
    assert final["choices"][0]["stop_reason"] == "stop" and "tool_calls" not in message
    assert "Sunny, 24 degrees" in message["content"]


def test_mistral_chat_model_cap(runtime: Any) -> None:
    body = {**SAMPLES[MISTRAL_LARGE], "max_tokens": 8193}
    error = error_of(lambda: invoke(runtime, MISTRAL_LARGE, body))
    assert error["Message"] == cap_message(8193, 8192)


# Cohere Command (legacy)


def test_cohere_command_round_trip_and_stream(runtime: Any) -> None:
    body = SAMPLES[COMMAND]
    answer, response = invoke(runtime, COMMAND, body)
    assert answer["prompt"] == QUESTION and isinstance(answer["id"], str)
    (generation,) = answer["generations"]
    assert generation["finish_reason"] == "COMPLETE"
    assert "Paris" in generation["text"] and isinstance(generation["id"], str)
    input_tokens, output_tokens = headers_of(response)

    parts = chunks(runtime, COMMAND, body)
    assert all(part["is_finished"] is False for part in parts[:-1])
    last = parts[-1]
    assert last["is_finished"] is True and last["finish_reason"] == "COMPLETE"
    assert last["response"]["generations"][0]["text"] == generation["text"]
    assert "".join(part["text"] for part in parts[:-1]) == generation["text"]
    check_metrics(parts, input_tokens, output_tokens)


def test_cohere_command_defaults_to_twenty_tokens_and_several_generations(runtime: Any) -> None:
    answer, response = invoke(runtime, COMMAND, {"prompt": QUESTION, "num_generations": 3})
    assert headers_of(response)[1] == 20
    generations = answer["generations"]
    assert len(generations) == 3 and len({g["id"] for g in generations}) == 3
    assert {g["finish_reason"] for g in generations} == {"MAX_TOKENS"}


def test_cohere_command_schema_cap(runtime: Any) -> None:
    error = error_of(lambda: invoke(runtime, COMMAND, {"prompt": "hi", "max_tokens": 4097}))
    assert error["Message"] == cap_message(4097, 4096)


# Cohere Command R / R+


def test_cohere_command_r_round_trip_and_stream(runtime: Any) -> None:
    body = SAMPLES[COMMAND_R_PLUS]
    answer, response = invoke(runtime, COMMAND_R_PLUS, body)
    assert "Paris" in answer["text"] and answer["finish_reason"] == "COMPLETE"
    assert answer["response_id"] != answer["generation_id"]
    assert "tool_calls" not in answer
    history = answer["chat_history"]
    assert history[:2] == body["chat_history"]
    assert history[2:] == [
        {"role": "USER", "message": QUESTION},
        {"role": "CHATBOT", "message": answer["text"]},
    ]
    assert answer["meta"]["api_version"] == {"version": "1"}
    billed = answer["meta"]["billed_units"]
    assert (billed["input_tokens"], billed["output_tokens"]) == headers_of(response)

    parts = chunks(runtime, COMMAND_R_PLUS, body)
    kinds = [part["event_type"] for part in parts]
    assert kinds[0] == "stream-start" and kinds[-1] == "stream-end"
    assert set(kinds[1:-1]) == {"text-generation"}
    assert parts[0]["generation_id"] == answer["generation_id"]
    assert [part["is_finished"] for part in parts] == [False] * (len(parts) - 1) + [True]
    text = "".join(part["text"] for part in parts if part["event_type"] == "text-generation")
    assert text == answer["text"]
    assert parts[-1]["finish_reason"] == "COMPLETE"
    assert parts[-1]["response"] == answer
    check_metrics(parts, billed["input_tokens"], billed["output_tokens"])


def test_cohere_command_r_tool_round_trip(runtime: Any) -> None:
    body = {"message": WEATHER_QUESTION, "tools": [COHERE_WEATHER]}
    answer, _ = invoke(runtime, COMMAND_R_PLUS, body)
    (call,) = answer["tool_calls"]
    assert call["name"] == "get_weather"
    jsonschema.validate(call["parameters"], COHERE_WEATHER_SCHEMA)
    assert answer["chat_history"][-1]["tool_calls"] == [call]

    parts = chunks(runtime, COMMAND_R_PLUS, body)
    generated = [part for part in parts if part["event_type"] == "tool-calls-generation"]
    assert [part["tool_calls"] for part in generated] == [[call]]
    pieces = [part["tool_call_delta"] for part in parts if part["event_type"] == "tool-calls-chunk"]
    assert pieces[0] == {"index": 0, "name": "get_weather"}
    assert json.loads("".join(p["parameters"] for p in pieces[1:])) == call["parameters"]

    follow_up = {
        **body,
        "chat_history": answer["chat_history"],
        "message": "",
        "tool_results": [{"call": call, "outputs": [{"forecast": "Sunny, 24 degrees"}]}],
    }
    final, _ = invoke(runtime, COMMAND_R_PLUS, follow_up)
    assert "tool_calls" not in final and final["finish_reason"] == "COMPLETE"
    assert "Sunny, 24 degrees" in final["text"]
    assert final["chat_history"][-2] == {"role": "TOOL", "tool_results": follow_up["tool_results"]}


def test_cohere_command_r_documents_reach_the_model(runtime: Any) -> None:
    body = {
        "message": QUESTION,
        "documents": [{"title": "Rivers", "snippet": "The Seine flows through Paris."}],
    }
    with_documents, with_response = invoke(runtime, COMMAND_R_PLUS, body)
    without, without_response = invoke(runtime, COMMAND_R_PLUS, {"message": QUESTION})
    assert headers_of(with_response)[0] > headers_of(without_response)[0]
    assert with_documents["finish_reason"] == without["finish_reason"] == "COMPLETE"


def test_cohere_command_r_model_cap(runtime: Any) -> None:
    body = {**SAMPLES[COMMAND_R_PLUS], "max_tokens": 4097}
    error = error_of(lambda: invoke(runtime, COMMAND_R_PLUS, body))
    assert error["Message"] == cap_message(4097, 4096)


# Cohere Embed v3 / v4


def cosine(a: list[float], b: list[float]) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    return dot / math.sqrt(math.fsum(x * x for x in a) * math.fsum(y * y for y in b))


@pytest.mark.parametrize(("model", "dimensions"), [(EMBED_V3, 1024), (EMBED_V4, 1536)])
def test_cohere_embed_floats_batch(runtime: Any, model: str, dimensions: int) -> None:
    texts = [
        "The Seine river flows through Paris",
        "Paris sits on the river Seine",
        "Quarterly revenue grew by eight percent",
    ]
    answer, response = invoke(runtime, model, {"texts": texts, "input_type": "search_document"})
    assert answer["response_type"] == "embeddings_floats"
    assert answer["texts"] == texts and isinstance(answer["id"], str)
    vectors = answer["embeddings"]
    assert len(vectors) == 3
    assert all(len(v) == dimensions and all(type(x) is float for x in v) for v in vectors)
    # Entries come rounded to 9 decimals, as Bedrock writes float32 ones: unit length to ~1e-8.
    norms = [math.sqrt(math.fsum(x * x for x in v)) for v in vectors]
    assert all(math.isclose(norm, 1.0, abs_tol=1e-7) for norm in norms)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[1], vectors[2])
    input_tokens, output_tokens = headers_of(response)
    assert input_tokens > 0 and output_tokens == 0
    assert invoke(runtime, model, {"texts": texts, "input_type": "search_document"})[0] == answer


def test_cohere_embed_types_and_ranges(runtime: Any) -> None:
    body = {
        "texts": ["first text", "second text"],
        "input_type": "search_query",
        "embedding_types": ["float", "int8", "uint8", "binary", "ubinary"],
    }
    answer, _ = invoke(runtime, EMBED_V3, body)
    assert answer["response_type"] == "embeddings_by_type"
    by_type = answer["embeddings"]
    assert list(by_type) == body["embedding_types"]
    ranges = {"int8": (-128, 127), "uint8": (0, 255), "binary": (-128, 127), "ubinary": (0, 255)}
    lengths = {"float": 1024, "int8": 1024, "uint8": 1024, "binary": 128, "ubinary": 128}
    for kind, vectors in by_type.items():
        assert len(vectors) == 2
        for vector in vectors:
            assert len(vector) == lengths[kind]
            if kind == "float":
                assert all(type(x) is float for x in vector)
                continue
            low, high = ranges[kind]
            assert all(type(x) is int and low <= x <= high for x in vector)
    floats, int8, uint8 = by_type["float"][0], by_type["int8"][0], by_type["uint8"][0]
    assert [u - 128 for u in uint8] == int8
    signs = [1 if x > 0 else 0 for x in floats[:8]]
    assert by_type["ubinary"][0][0] == int("".join(map(str, signs)), 2)
    assert by_type["binary"][0][0] == by_type["ubinary"][0][0] - 128


@pytest.mark.parametrize("dimensions", [256, 512, 1024, 1536])
def test_cohere_embed_v4_output_dimension(runtime: Any, dimensions: int) -> None:
    body = {
        "texts": ["a short text"],
        "input_type": "clustering",
        "output_dimension": dimensions,
        "embedding_types": ["float", "ubinary"],
    }
    answer, _ = invoke(runtime, EMBED_V4, body)
    assert len(answer["embeddings"]["float"][0]) == dimensions
    assert len(answer["embeddings"]["ubinary"][0]) == dimensions // 8


def test_cohere_embed_images_and_mixed_inputs(runtime: Any) -> None:
    image = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    v3, _ = invoke(runtime, EMBED_V3, {"images": [image], "input_type": "image"})
    assert len(v3["embeddings"]) == 1 and len(v3["embeddings"][0]) == 1024
    assert v3["texts"] == []
    mixed = {
        "inputs": [
            {
                "content": [
                    {"type": "text", "text": "a chart"},
                    {"type": "image_url", "image_url": image},
                ]
            },
            {"content": [{"type": "text", "text": "a chart"}]},
        ],
        "input_type": "search_document",
    }
    v4, _ = invoke(runtime, EMBED_V4, mixed)
    assert [len(v) for v in v4["embeddings"]] == [1536, 1536]
    assert v4["embeddings"][0] != v4["embeddings"][1]
    bad = {"images": ["not a data uri"], "input_type": "image"}
    error = error_of(lambda: invoke(runtime, EMBED_V3, bad))
    assert error["Code"] == "ValidationException" and "data URI" in error["Message"]


def test_cohere_embed_v3_rejects_v4_fields(runtime: Any) -> None:
    body = {"texts": ["x"], "input_type": "search_query", "output_dimension": 256}
    error = error_of(lambda: invoke(runtime, EMBED_V3, body))
    assert error["Message"].startswith("Malformed input request: ")
    assert "output_dimension" in error["Message"]


# AI21 Jamba


def test_jamba_round_trip_and_stream(runtime: Any) -> None:
    body = SAMPLES[JAMBA_MINI]
    answer, response = invoke(runtime, JAMBA_MINI, body)
    assert answer["id"].startswith("chat-") and answer["model"] == "jamba-1.5-mini"
    (choice,) = answer["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant" and "Paris" in choice["message"]["content"]
    usage = answer["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == headers_of(response)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert type(answer["meta"]["requestDurationMillis"]) is int

    parts = chunks(runtime, JAMBA_MINI, body)
    assert {part["id"] for part in parts} == {answer["id"]}
    assert parts[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(part["usage"] is None for part in parts[:-1])
    assert parts[-1]["usage"] == usage and parts[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(part["choices"][0]["delta"].get("content", "") for part in parts)
    assert text == choice["message"]["content"]
    check_metrics(parts, usage["prompt_tokens"], usage["completion_tokens"])


def test_jamba_several_answers_and_length(runtime: Any) -> None:
    answer, _ = invoke(runtime, JAMBA_MINI, {**SAMPLES[JAMBA_MINI], "n": 3, "max_tokens": 4})
    assert [choice["index"] for choice in answer["choices"]] == [0, 1, 2]
    assert {choice["finish_reason"] for choice in answer["choices"]} == {"length"}
    assert answer["usage"]["completion_tokens"] == 4


def test_jamba_tool_round_trip(runtime: Any) -> None:
    body = {"messages": [{"role": "user", "content": WEATHER_QUESTION}], "tools": [OPENAI_WEATHER]}
    answer, _ = invoke(runtime, JAMBA_MINI, body)
    (call,) = answer["choices"][0]["message"]["tool_calls"]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    jsonschema.validate(json.loads(call["function"]["arguments"]), WEATHER_SCHEMA)
    follow_up = {
        **body,
        "messages": [
            *body["messages"],
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 24 degrees"},
        ],
    }
    final, _ = invoke(runtime, JAMBA_MINI, follow_up)
    message = final["choices"][0]["message"]
    assert message["tool_calls"] is None and "Sunny, 24 degrees" in message["content"]


def test_jamba_schema_cap(runtime: Any) -> None:
    body = {**SAMPLES[JAMBA_MINI], "max_tokens": 4097}
    error = error_of(lambda: invoke(runtime, JAMBA_MINI, body))
    assert error["Message"] == cap_message(4097, 4096)


# OpenAI Chat Completions (gpt-oss, Qwen)


def test_gpt_oss_round_trip_and_stream(runtime: Any) -> None:
    body = SAMPLES[GPT_OSS]
    answer, response = invoke(runtime, GPT_OSS, body)
    assert answer["id"].startswith("chatcmpl-") and answer["object"] == "chat.completion"
    assert type(answer["created"]) is int and answer["model"] == GPT_OSS
    (choice,) = answer["choices"]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    content = choice["message"]["content"]
    assert content.startswith("<reasoning>") and "</reasoning>" in content
    assert "Paris" in content.split("</reasoning>", 1)[1]
    usage = answer["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == headers_of(response)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    parts = chunks(runtime, GPT_OSS, body)
    assert {part["object"] for part in parts} == {"chat.completion.chunk"}
    assert {part["id"] for part in parts} == {answer["id"]}
    assert parts[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all("usage" not in part for part in parts[:-1]) and parts[-1]["usage"] == usage
    assert parts[-1]["choices"][0]["finish_reason"] == "stop"
    text = "".join(part["choices"][0]["delta"].get("content", "") for part in parts)
    assert text == content
    check_metrics(parts, usage["prompt_tokens"], usage["completion_tokens"])


def test_gpt_oss_tool_round_trip(runtime: Any) -> None:
    body = {
        "messages": [{"role": "user", "content": WEATHER_QUESTION}],
        "tools": [OPENAI_WEATHER],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }
    answer, _ = invoke(runtime, GPT_OSS, body)
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    arguments = json.loads(call["function"]["arguments"])
    jsonschema.validate(arguments, WEATHER_SCHEMA)

    parts = chunks(runtime, GPT_OSS, body)
    fragments = [
        fragment for part in parts for fragment in part["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert fragments[0]["id"] == call["id"] and fragments[0]["function"]["name"] == "get_weather"
    assert json.loads("".join(f["function"]["arguments"] for f in fragments)) == arguments

    follow_up = {
        "messages": [
            *body["messages"],
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "Sunny, 24 degrees"},
        ],
        "tools": [OPENAI_WEATHER],
    }
    final, _ = invoke(runtime, GPT_OSS, follow_up)
    assert final["choices"][0]["finish_reason"] == "stop"
    assert "Sunny, 24 degrees" in final["choices"][0]["message"]["content"]


def test_gpt_oss_structured_output(runtime: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"river": {"type": "string"}, "length_km": {"type": "integer"}},
        "required": ["river", "length_km"],
        "additionalProperties": False,
    }
    body = {
        **SAMPLES[GPT_OSS],
        "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": schema}},
    }
    answer, _ = invoke(runtime, GPT_OSS, body)
    content = answer["choices"][0]["message"]["content"]
    jsonschema.validate(json.loads(content.split("</reasoning>", 1)[1]), schema)


def test_gpt_oss_model_and_stream_fields(runtime: Any) -> None:
    same = {**SAMPLES[GPT_OSS], "model": GPT_OSS, "stream": False}
    assert invoke(runtime, GPT_OSS, same)[0]["choices"][0]["finish_reason"] == "stop"
    other = {**SAMPLES[GPT_OSS], "model": "openai.gpt-oss-120b-1:0"}
    error = error_of(lambda: invoke(runtime, GPT_OSS, other))
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "The model 'openai.gpt-oss-120b-1:0' in the request body does not match the model "
        f"'{GPT_OSS}' in the request path."
    )
    streaming = {**SAMPLES[GPT_OSS], "stream": True}
    error = error_of(lambda: invoke(runtime, GPT_OSS, streaming))
    assert error["Message"].startswith("stream: true is not supported in the request body.")


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (GPT_OSS, "max_completion_tokens", 128000),
        (GPT_OSS, "max_tokens", 128000),
        (QWEN_32B, "max_tokens", 32768),
    ],
)
def test_openai_chat_model_cap(runtime: Any, model: str, field: str, limit: int) -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], field: limit + 1}
    error = error_of(lambda: invoke(runtime, model, body))
    assert error["Message"] == cap_message(limit + 1, limit, field)


def test_qwen_without_reasoning_has_plain_content(runtime: Any) -> None:
    body = {"messages": [{"role": "user", "content": QUESTION}]}
    answer, _ = invoke(runtime, "qwen.qwen3-coder-30b-a3b-v1:0", body)
    content = answer["choices"][0]["message"]["content"]
    assert "<reasoning>" not in content and "Paris" in content


def test_pixtral_reads_data_url_images(runtime: Any) -> None:
    image = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()
    text = {"type": "text", "text": "What is in this picture?"}
    with_image = {
        "messages": [
            {"role": "user", "content": [text, {"type": "image_url", "image_url": {"url": image}}]}
        ]
    }
    without = {"messages": [{"role": "user", "content": [text]}]}
    pixtral = "us.mistral.pixtral-large-2502-v1:0"
    assert (
        headers_of(invoke(runtime, pixtral, with_image)[1])[0]
        > headers_of(invoke(runtime, pixtral, without)[1])[0]
    )


# Writer Palmyra

WRITER = "us.writer.palmyra-x5-v1:0"
WRITER_SCHEMA = Path(__file__).parent.parent / "schemas" / "writer.json"


def test_writer_codec_reads_documented_content_objects() -> None:
    model = catalog.resolve(WRITER, "us-east-1")
    body = {"messages": [{"role": "user", "content": {"text": QUESTION}}]}
    request = WriterChat().request(body, model)
    assert request.messages[0].content == [{"text": QUESTION}]
    assert request.max_tokens == 16
    assert WriterChat().request({**body, "max_tokens": 500}, model).max_tokens == 500


@pytest.mark.skipif(not WRITER_SCHEMA.exists(), reason="schemas/writer.json is not written yet")
def test_writer_round_trip_and_stream(runtime: Any) -> None:
    body = {"messages": [{"role": "user", "content": {"text": QUESTION}}], "max_tokens": 300}
    answer, response = invoke(runtime, WRITER, body)
    assert answer["object"] == "chat.completion" and answer["id"].startswith("chatcmpl-")
    (choice,) = answer["choices"]
    assert choice["finish_reason"] == "stop" and "Paris" in choice["message"]["content"]
    usage = answer["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == headers_of(response)
    parts = chunks(runtime, WRITER, body)
    text = "".join(part["choices"][0]["delta"].get("content", "") for part in parts)
    assert text == choice["message"]["content"]
    check_metrics(parts, usage["prompt_tokens"], usage["completion_tokens"])
    short, _ = invoke(runtime, WRITER, {"messages": body["messages"]})
    assert short["choices"][0]["finish_reason"] == "length"
    assert short["usage"]["completion_tokens"] == 16
