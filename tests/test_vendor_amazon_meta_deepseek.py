"""InvokeModel and InvokeModelWithResponseStream for Titan Text, Nova, Llama and DeepSeek,
read the way real clients read them: the native JSON body, the token headers, the chunks."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError

from moto_bedrock_runtime.conversation import MUST_ALTERNATE, MUST_START_WITH_USER
from moto_bedrock_runtime.tokens import IMAGE_TOKENS

METRICS_KEY = "amazon-bedrock-invocationMetrics"
TITAN = "amazon.titan-text-express-v1"
NOVA = "us.amazon.nova-lite-v1:0"
NOVA_2 = "us.amazon.nova-2-lite-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
LLAMA_VISION = "us.meta.llama3-2-11b-instruct-v1:0"
DEEPSEEK_R1 = "us.deepseek.r1-v1:0"
# A 1x1 PNG, as a client would base64 it into the body.
PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"
    "AAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)

SAMPLES: dict[str, dict[str, Any]] = {
    TITAN: {
        "inputText": "User: What is the capital of France?\nBot:",
        "textGenerationConfig": {
            "maxTokenCount": 256,
            "temperature": 0.5,
            "topP": 0.9,
            "stopSequences": [],
        },
    },
    NOVA: {
        "schemaVersion": "messages-v1",
        "system": [{"text": "You are a concise travel guide."}],
        "messages": [{"role": "user", "content": [{"text": "Describe Paris in one sentence."}]}],
        "inferenceConfig": {"max_new_tokens": 300, "temperature": 0.7, "topP": 0.9, "topK": 20},
    },
    LLAMA: {
        "prompt": (
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful."
            "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is a llama?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        ),
        "max_gen_len": 256,
        "temperature": 0.5,
        "top_p": 0.9,
    },
    LLAMA_VISION: {
        "prompt": (
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n<|image|>"
            "Describe this image.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        ),
        "images": [PNG_B64],
        "max_gen_len": 256,
    },
    DEEPSEEK_R1: {
        "prompt": "<｜begin▁of▁sentence｜><｜User｜>Why is the sky blue?<｜Assistant｜><think>\n",
        "max_tokens": 512,
        "temperature": 0.6,
        "top_p": 0.9,
    },
}

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "minLength": 2},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city", "unit"],
                "additionalProperties": False,
            }
        },
    }
}


def invoke(runtime: Any, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    response = runtime.invoke_model(
        modelId=model, body=json.dumps(body), contentType="application/json", accept="*/*"
    )
    assert response["contentType"] == "application/json"
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def stream(runtime: Any, model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = runtime.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def check_token_headers(headers: dict[str, str], input_tokens: int, output_tokens: int) -> None:
    assert int(headers["x-amzn-bedrock-input-token-count"]) == input_tokens
    assert int(headers["x-amzn-bedrock-output-token-count"]) == output_tokens
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 0


def check_metrics(chunk: dict[str, Any], input_tokens: int, output_tokens: int) -> None:
    metrics = chunk[METRICS_KEY]
    keys = ("inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency")
    assert all(type(metrics[key]) is int for key in keys)
    assert (metrics["inputTokenCount"], metrics["outputTokenCount"]) == (
        input_tokens,
        output_tokens,
    )


def only_last_has_metrics(chunks: list[dict[str, Any]]) -> None:
    assert METRICS_KEY in chunks[-1]
    assert not any(METRICS_KEY in chunk for chunk in chunks[:-1])


# Titan Text


def test_titan_invoke(runtime: Any) -> None:
    body, headers = invoke(runtime, TITAN, SAMPLES[TITAN])
    assert set(body) == {"inputTextTokenCount", "results"}
    [result] = body["results"]
    assert set(result) == {"tokenCount", "outputText", "completionReason"}
    assert type(body["inputTextTokenCount"]) is int and type(result["tokenCount"]) is int
    assert result["completionReason"] == "FINISH"
    # The "User: …\nBot:" transcript reached the engine as the user's question.
    assert "What is the capital of France?" in result["outputText"]
    assert "Bot:" not in result["outputText"]
    check_token_headers(headers, body["inputTextTokenCount"], result["tokenCount"])


def test_titan_stream_matches_invoke(runtime: Any) -> None:
    whole, _ = invoke(runtime, TITAN, SAMPLES[TITAN])
    chunks = stream(runtime, TITAN, SAMPLES[TITAN])
    assert len(chunks) > 2
    for chunk in chunks:
        assert {"outputText", "index", "totalOutputTextTokenCount", "completionReason"} <= set(
            chunk
        )
        assert chunk["index"] == 0
    assert chunks[0]["inputTextTokenCount"] == whole["inputTextTokenCount"]
    assert all(chunk["inputTextTokenCount"] is None for chunk in chunks[1:])
    assert all(chunk["completionReason"] is None for chunk in chunks[:-1])
    last = chunks[-1]
    assert last["completionReason"] == "FINISH"
    assert last["totalOutputTextTokenCount"] == whole["results"][0]["tokenCount"]
    only_last_has_metrics(chunks)
    check_metrics(last, whole["inputTextTokenCount"], whole["results"][0]["tokenCount"])
    assert "".join(c["outputText"] for c in chunks) == whole["results"][0]["outputText"]


def test_titan_length_and_plain_prompt(runtime: Any) -> None:
    body = {
        "inputText": "Write a long essay about rivers.",
        "textGenerationConfig": {"maxTokenCount": 4},
    }
    result = invoke(runtime, TITAN, body)[0]["results"][0]
    assert result["completionReason"] == "LENGTH"
    assert result["tokenCount"] == 4
    default = invoke(runtime, TITAN, {"inputText": "Write a haiku about rivers."})[0]
    assert "Write a haiku about rivers." in default["results"][0]["outputText"]


# Meta Llama


def test_llama_invoke(runtime: Any) -> None:
    body, headers = invoke(runtime, LLAMA, SAMPLES[LLAMA])
    assert set(body) == {
        "generation",
        "prompt_token_count",
        "generation_token_count",
        "stop_reason",
    }
    assert type(body["prompt_token_count"]) is int and type(body["generation_token_count"]) is int
    assert body["stop_reason"] == "stop"
    # The Llama 3 template was read back as turns: no header tokens reach the answer.
    assert "What is a llama?" in body["generation"]
    assert "<|" not in body["generation"]
    check_token_headers(headers, body["prompt_token_count"], body["generation_token_count"])


@pytest.mark.parametrize("model", [LLAMA, LLAMA_VISION])
def test_llama_stream_matches_invoke(runtime: Any, model: str) -> None:
    whole, _ = invoke(runtime, model, SAMPLES[model])
    chunks = stream(runtime, model, SAMPLES[model])
    assert len(chunks) > 2
    keys = {"generation", "prompt_token_count", "generation_token_count", "stop_reason"}
    assert all(keys <= set(chunk) for chunk in chunks)
    assert chunks[0]["prompt_token_count"] == whole["prompt_token_count"]
    assert all(chunk["prompt_token_count"] is None for chunk in chunks[1:])
    assert all(chunk["stop_reason"] is None for chunk in chunks[:-1])
    counts = [chunk["generation_token_count"] for chunk in chunks]
    assert all(type(n) is int for n in counts) and counts == sorted(counts)
    assert chunks[-1]["stop_reason"] == whole["stop_reason"] == "stop"
    assert counts[-1] == whole["generation_token_count"]
    only_last_has_metrics(chunks)
    check_metrics(chunks[-1], whole["prompt_token_count"], whole["generation_token_count"])
    assert "".join(c["generation"] for c in chunks) == whole["generation"]


def test_llama_vision_counts_the_image(runtime: Any) -> None:
    with_image = invoke(runtime, LLAMA_VISION, SAMPLES[LLAMA_VISION])[0]
    without = invoke(runtime, LLAMA_VISION, {**SAMPLES[LLAMA_VISION], "images": []})[0]
    assert with_image["prompt_token_count"] - without["prompt_token_count"] == IMAGE_TOKENS
    assert "Describe this image." in with_image["generation"]


def test_llama_length(runtime: Any) -> None:
    body = invoke(runtime, LLAMA, {**SAMPLES[LLAMA], "max_gen_len": 3})[0]
    assert body["stop_reason"] == "length" and body["generation_token_count"] == 3


# DeepSeek


def test_deepseek_r1_invoke_thinks_first(runtime: Any) -> None:
    body, headers = invoke(runtime, DEEPSEEK_R1, SAMPLES[DEEPSEEK_R1])
    assert set(body) == {"choices"}
    [choice] = body["choices"]
    assert set(choice) == {"text", "stop_reason"} and choice["stop_reason"] == "stop"
    reasoning, _, answer = choice["text"].partition("</think>")
    assert reasoning.strip() and answer.strip()
    assert "<think>" not in choice["text"]
    assert "Why is the sky blue?" in answer
    assert int(headers["x-amzn-bedrock-input-token-count"]) > 0
    assert int(headers["x-amzn-bedrock-output-token-count"]) > 0


def test_deepseek_stream_matches_invoke(runtime: Any) -> None:
    whole, headers = invoke(runtime, DEEPSEEK_R1, SAMPLES[DEEPSEEK_R1])
    chunks = stream(runtime, DEEPSEEK_R1, SAMPLES[DEEPSEEK_R1])
    assert len(chunks) > 3
    assert all(len(chunk["choices"]) == 1 for chunk in chunks)
    assert all(chunk["choices"][0]["stop_reason"] is None for chunk in chunks[:-1])
    assert chunks[-1]["choices"][0]["stop_reason"] == "stop"
    only_last_has_metrics(chunks)
    check_metrics(
        chunks[-1],
        int(headers["x-amzn-bedrock-input-token-count"]),
        int(headers["x-amzn-bedrock-output-token-count"]),
    )
    streamed = "".join(chunk["choices"][0]["text"] for chunk in chunks)
    assert streamed == whole["choices"][0]["text"]


def streamed_choice(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    text = "".join(chunk["choices"][0]["text"] for chunk in chunks)
    return {"text": text, "stop_reason": chunks[-1]["choices"][0]["stop_reason"]}


def test_deepseek_cut_off_while_thinking(runtime: Any) -> None:
    body = {**SAMPLES[DEEPSEEK_R1], "max_tokens": 5}
    [choice] = invoke(runtime, DEEPSEEK_R1, body)[0]["choices"]
    assert choice["stop_reason"] == "length"
    assert choice["text"] and "</think>" not in choice["text"]
    assert streamed_choice(stream(runtime, DEEPSEEK_R1, body)) == choice


def test_deepseek_stop_sequence(runtime: Any) -> None:
    body = {**SAMPLES[DEEPSEEK_R1], "stop": ["blue"]}
    [choice] = invoke(runtime, DEEPSEEK_R1, body)[0]["choices"]
    assert choice["stop_reason"] == "stop"
    assert choice["text"].endswith("</think>\n\nYou asked: “Why is the sky ")
    assert streamed_choice(stream(runtime, DEEPSEEK_R1, body)) == choice


# Nova


def nova_text(body: dict[str, Any]) -> str:
    return "".join(block.get("text", "") for block in body["output"]["message"]["content"])


def test_nova_invoke(runtime: Any) -> None:
    body, headers = invoke(runtime, NOVA, SAMPLES[NOVA])
    assert set(body) == {"output", "stopReason", "usage"}
    assert body["output"]["message"]["role"] == "assistant"
    assert body["stopReason"] == "end_turn"
    assert "Describe Paris in one sentence." in nova_text(body)
    usage = body["usage"]
    keys = (
        "inputTokens",
        "outputTokens",
        "totalTokens",
        "cacheReadInputTokenCount",
        "cacheWriteInputTokenCount",
    )
    assert all(type(usage[key]) is int for key in keys)
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    check_token_headers(headers, usage["inputTokens"], usage["outputTokens"])


def rebuild_nova(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """What a client assembles from Nova's chunks: blocks by index, stop reason, usage."""
    blocks: dict[int, dict[str, Any]] = {}
    result: dict[str, Any] = {}
    for chunk in chunks:
        if "contentBlockStart" in chunk:
            start = chunk["contentBlockStart"]
            use = start["start"]["toolUse"]
            blocks[start["contentBlockIndex"]] = {"toolUse": {**use, "input": ""}}
        elif "contentBlockDelta" in chunk:
            delta = chunk["contentBlockDelta"]
            block = blocks.setdefault(delta["contentBlockIndex"], {})
            if "text" in delta["delta"]:
                block["text"] = block.get("text", "") + delta["delta"]["text"]
            elif "toolUse" in delta["delta"]:
                block["toolUse"]["input"] += delta["delta"]["toolUse"]["input"]
            else:
                reasoning = block.setdefault("reasoningContent", {"reasoningText": {"text": ""}})
                reasoning["reasoningText"]["text"] += delta["delta"]["reasoningContent"]["text"]
        elif "messageStop" in chunk:
            result["stopReason"] = chunk["messageStop"]["stopReason"]
        elif "metadata" in chunk:
            result["usage"] = chunk["metadata"]["usage"]
    for block in blocks.values():
        if "toolUse" in block:
            block["toolUse"]["input"] = json.loads(block["toolUse"]["input"])
    result["content"] = [blocks[i] for i in sorted(blocks)]
    return result


def test_nova_stream_matches_invoke(runtime: Any) -> None:
    whole, _ = invoke(runtime, NOVA, SAMPLES[NOVA])
    chunks = stream(runtime, NOVA, SAMPLES[NOVA])
    names = [next(key for key in chunk if key != METRICS_KEY) for chunk in chunks]
    assert names[0] == "messageStart" and chunks[0]["messageStart"] == {"role": "assistant"}
    assert names[-2:] == ["messageStop", "metadata"]
    assert names.count("contentBlockDelta") > 2 and "contentBlockStart" not in names
    only_last_has_metrics(chunks)
    usage = whole["usage"]
    check_metrics(chunks[-1], usage["inputTokens"], usage["outputTokens"])
    rebuilt = rebuild_nova(chunks)
    assert rebuilt["content"] == whole["output"]["message"]["content"]
    assert rebuilt["stopReason"] == whole["stopReason"]
    assert rebuilt["usage"] == usage


def test_nova_tool_round_trip(runtime: Any) -> None:
    question = {"role": "user", "content": [{"text": "What's the weather in Paris?"}]}
    body = {
        "messages": [question],
        "toolConfig": {"tools": [WEATHER_TOOL]},
        "inferenceConfig": {"maxTokens": 500},
    }
    first, _ = invoke(runtime, NOVA, body)
    assert first["stopReason"] == "tool_use"
    use = next(b["toolUse"] for b in first["output"]["message"]["content"] if "toolUse" in b)
    assert use["name"] == "get_weather"
    jsonschema.validate(use["input"], WEATHER_TOOL["toolSpec"]["inputSchema"]["json"])
    assert len(use["toolUseId"]) == 36  # Nova names tool calls with UUIDs

    streamed = rebuild_nova(stream(runtime, NOVA, body))
    assert streamed["content"] == first["output"]["message"]["content"]
    assert streamed["stopReason"] == "tool_use"

    result = {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"json": {"temp_c": 21}}]}}
    follow_up = {
        **body,
        "messages": [question, first["output"]["message"], {"role": "user", "content": [result]}],
    }
    final, _ = invoke(runtime, NOVA, follow_up)
    assert final["stopReason"] == "end_turn"
    assert "get_weather" in nova_text(final) and '"temp_c": 21' in nova_text(final)


def test_nova_image_and_forced_tool(runtime: Any) -> None:
    image = {"image": {"format": "png", "source": {"bytes": PNG_B64}}}
    body = {
        "messages": [{"role": "user", "content": [image, {"text": "What is in this picture?"}]}],
        "toolConfig": {"tools": [WEATHER_TOOL], "toolChoice": {"tool": {"name": "get_weather"}}},
    }
    response, _ = invoke(runtime, NOVA, body)
    assert [list(block) for block in response["output"]["message"]["content"]] == [["toolUse"]]
    assert response["usage"]["inputTokens"] > IMAGE_TOKENS


def test_nova_2_reasoning(runtime: Any) -> None:
    body = {**SAMPLES[NOVA], "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}
    whole, _ = invoke(runtime, NOVA_2, body)
    content = whole["output"]["message"]["content"]
    assert list(content[0]) == ["reasoningContent"]
    assert content[0]["reasoningContent"]["reasoningText"]["text"]
    assert "text" in content[1]
    assert rebuild_nova(stream(runtime, NOVA_2, body))["content"] == content


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([{"role": "assistant", "content": [{"text": "Hi"}]}], MUST_START_WITH_USER),
        (
            [
                {"role": "user", "content": [{"text": "a"}]},
                {"role": "user", "content": [{"text": "b"}]},
            ],
            MUST_ALTERNATE,
        ),
    ],
)
def test_nova_conversation_rules(runtime: Any, messages: list[Any], message: str) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, NOVA, {"messages": messages})
    assert caught.value.response["Error"] == {"Code": "ValidationException", "Message": message}


# Each model's own output cap


@pytest.mark.parametrize(
    ("model", "body", "violation"),
    [
        (
            TITAN,
            {"inputText": "Hi", "textGenerationConfig": {"maxTokenCount": 9000}},
            "#/textGenerationConfig/maxTokenCount: 9000 is not less or equal to 8192",
        ),
        (
            "amazon.titan-text-lite-v1",
            {"inputText": "Hi", "textGenerationConfig": {"maxTokenCount": 5000}},
            "#/textGenerationConfig/maxTokenCount: 5000 is not less or equal to 4096",
        ),
        (
            NOVA,
            {**SAMPLES[NOVA], "inferenceConfig": {"max_new_tokens": 20000}},
            "#/inferenceConfig/max_new_tokens: 20000 is not less or equal to 10000",
        ),
        (
            NOVA,
            {**SAMPLES[NOVA], "inferenceConfig": {"maxTokens": 10001}},
            "#/inferenceConfig/maxTokens: 10001 is not less or equal to 10000",
        ),
        (
            LLAMA,
            {**SAMPLES[LLAMA], "max_gen_len": 8192},
            "#/max_gen_len: 8192 is not less or equal to 2048",
        ),
        (
            DEEPSEEK_R1,
            {**SAMPLES[DEEPSEEK_R1], "max_tokens": 40000},
            "#/max_tokens: 40000 is not less or equal to 32768",
        ),
    ],
)
def test_output_token_caps(runtime: Any, model: str, body: dict[str, Any], violation: str) -> None:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, model, body)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    expected = f"Malformed input request: {violation}, please reformat your input and try again."
    assert error["Message"] == expected
