"""The scripted engine returns exactly what a rule declares, in the canned engine's forms.

Every `respond` used here is first validated against rules.schema.json, so these tests also pin
that the schema admits what the engine implements (and that `check` catches what it cannot)."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest

from moto_bedrock_runtime import catalog, ids, tokens
from moto_bedrock_runtime.engines.canned import CannedEngine
from moto_bedrock_runtime.engines.scripted import ScriptedEngine, check
from moto_bedrock_runtime.errors import BedrockError
from moto_bedrock_runtime.neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ContentBlock,
    EmbedInput,
    EmbedRequest,
    ImageRequest,
    Message,
    MessageStart,
    MessageStop,
    ReasoningDelta,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
)

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
TITAN_IMAGE = "amazon.titan-image-generator-v2:0"
TEXT = "Paris is the capital of France, and it has been for a very long time."
TOOL_ID = re.compile(r"^tooluse_[A-Za-z0-9]{22}$")
_SCHEMA = json.loads(
    resources.files("moto_bedrock_runtime.data").joinpath("rules.schema.json").read_text()
)


def schema_valid(respond: dict[str, Any]) -> dict[str, Any]:
    jsonschema.Draft7Validator(_SCHEMA).validate({"respond": respond})
    return respond


def engine(respond: dict[str, Any]) -> ScriptedEngine:
    return ScriptedEngine(schema_valid(respond))


def chat(prompt: str = "What is the capital of France?", max_tokens: int | None = None) -> Any:
    return ChatRequest(
        model=catalog.resolve(HAIKU, "us-east-1"),
        messages=[Message("user", [{"text": prompt}])],
        max_tokens=max_tokens,
    )


def run(events: Iterator[StreamEvent]) -> tuple[list[StreamEvent], BedrockError | None]:
    """The events a stream yields before it ends or fails, and its error if it failed."""
    seen: list[StreamEvent] = []
    try:
        for event in events:
            seen.append(event)
    except BedrockError as error:
        return seen, error
    return seen, None


def rebuild(events: list[StreamEvent]) -> list[ContentBlock]:
    """Converse content blocks put back together from stream events, as an SDK would."""
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        if isinstance(event, BlockStart):
            blocks[event.index] = {
                "kind": event.kind,
                "id": event.tool_use_id,
                "name": event.name,
                "text": "",
                "signature": "",
            }
        elif isinstance(event, TextDelta | ReasoningDelta):
            blocks[event.index]["text"] += event.text
        elif isinstance(event, ToolInputDelta):
            blocks[event.index]["text"] += event.partial_json
        elif isinstance(event, SignatureDelta):
            blocks[event.index]["signature"] += event.signature
    content: list[ContentBlock] = []
    for _, block in sorted(blocks.items()):
        if block["kind"] == "text":
            content.append({"text": block["text"]})
        elif block["kind"] == "toolUse":
            use = {
                "toolUseId": block["id"],
                "name": block["name"],
                "input": json.loads(block["text"]),
            }
            content.append({"toolUse": use})
        else:
            thought = {"text": block["text"], "signature": block["signature"]}
            content.append({"reasoningContent": {"reasoningText": thought}})
    return content


# Reply


def test_text_is_returned_whole_even_past_max_tokens() -> None:
    reply = engine({"text": TEXT}).reply(chat(max_tokens=2))
    assert reply.content == [{"text": TEXT}]
    assert reply.stop_reason == "end_turn"
    assert reply.usage.output_tokens == tokens.count(TEXT) > 2


def test_usage_defaults_follow_the_shared_token_approximation() -> None:
    request = chat()
    respond = {
        "reasoning": "Think first.",
        "text": TEXT,
        "tool_use": [{"name": "get_weather", "input": {"city": "Paris"}}],
    }
    reply = engine(respond).reply(request)
    expected = (
        tokens.count("Think first.")
        + tokens.count(TEXT)
        + tokens.count("get_weather")
        + tokens.count(json.dumps({"city": "Paris"}))
    )
    assert reply.usage.input_tokens == tokens.request_tokens(request)
    assert reply.usage.output_tokens == expected


def test_usage_overrides_apply_one_at_a_time() -> None:
    request = chat()
    only_in = engine({"text": TEXT, "usage": {"input_tokens": 1234}}).reply(request).usage
    assert (only_in.input_tokens, only_in.output_tokens) == (1234, tokens.count(TEXT))
    only_out = engine({"text": TEXT, "usage": {"output_tokens": 0}}).reply(request).usage
    assert (only_out.input_tokens, only_out.output_tokens) == (tokens.request_tokens(request), 0)


def test_tool_uses_keep_declared_ids_and_get_deterministic_ones_otherwise() -> None:
    respond = {
        "tool_use": [
            {"name": "lookup", "input": {"q": "Paris"}, "id": "tooluse_mine"},
            {"name": "lookup"},
            {"name": "lookup"},
        ]
    }
    reply = engine(respond).reply(chat())
    uses = [block["toolUse"] for block in reply.content]
    assert [list(block) for block in reply.content] == [["toolUse"]] * 3
    assert uses[0] == {"toolUseId": "tooluse_mine", "name": "lookup", "input": {"q": "Paris"}}
    assert uses[1]["input"] == uses[2]["input"] == {}
    assert TOOL_ID.match(uses[1]["toolUseId"]) and TOOL_ID.match(uses[2]["toolUseId"])
    assert uses[1]["toolUseId"] != uses[2]["toolUseId"]
    assert reply.stop_reason == "tool_use"
    again = engine(respond).reply(chat())
    assert again.content == reply.content
    next_turn = engine(respond).reply(chat("And the capital of Italy?"))
    assert next_turn.content[1]["toolUse"]["toolUseId"] != uses[1]["toolUseId"]


def test_reasoning_comes_first_with_its_signature() -> None:
    reply = engine({"text": TEXT, "reasoning": "The user asks about France."}).reply(chat())
    thought = reply.content[0]["reasoningContent"]["reasoningText"]
    assert thought == {
        "text": "The user asks about France.",
        "signature": ids.reasoning_signature("The user asks about France."),
    }
    assert reply.content[1:] == [{"text": TEXT}]


def test_blocks_are_ordered_reasoning_text_tools() -> None:
    respond = {"reasoning": "Hmm.", "text": "Let me check.", "tool_use": [{"name": "a"}]}
    kinds = [next(iter(block)) for block in engine(respond).reply(chat()).content]
    assert kinds == ["reasoningContent", "text", "toolUse"]


def test_empty_text_is_dropped_beside_other_blocks() -> None:
    reply = engine({"text": "", "tool_use": [{"name": "a"}]}).reply(chat())
    assert [next(iter(block)) for block in reply.content] == ["toolUse"]


@pytest.mark.parametrize(
    "respond",
    [
        {"usage": {"output_tokens": 7}},
        {"stream_error": {"code": "ThrottlingException"}},
        {"text": ""},
        {"reasoning": ""},
    ],
)
def test_a_rule_without_content_answers_empty_text(respond: dict[str, Any]) -> None:
    reply = engine(respond).reply(chat())
    assert reply.content == [{"text": ""}]
    assert reply.stop_reason == "end_turn"


@pytest.mark.parametrize("stop_reason", ["max_tokens", "end_turn", "content_filtered"])
def test_declared_stop_reason_wins(stop_reason: str) -> None:
    respond = {"text": TEXT, "tool_use": [{"name": "a"}], "stop_reason": stop_reason}
    assert engine(respond).reply(chat()).stop_reason == stop_reason
    events = list(engine(respond).stream(chat()))
    assert isinstance(events[-1], MessageStop) and events[-1].stop_reason == stop_reason


# Stream


def test_stream_carries_the_same_answer_as_reply() -> None:
    respond = {
        "reasoning": "The user wants the weather in two cities.",
        "text": TEXT,
        "tool_use": [
            {"name": "get_weather", "input": {"city": "Paris", "units": "metric"}},
            {"name": "get_weather", "input": {"city": "Lyon"}, "id": "tooluse_lyon"},
        ],
        "usage": {"input_tokens": 50},
    }
    request = chat()
    reply = engine(respond).reply(request)
    events = list(engine(respond).stream(request))
    assert rebuild(events) == reply.content
    assert events[-1] == MessageStop(reply.stop_reason, reply.usage)
    assert sum(isinstance(e, MessageStop) for e in events) == 1


def test_stream_event_order_per_block() -> None:
    respond = {"reasoning": "Short thought here.", "text": "Hi.", "tool_use": [{"name": "a"}]}
    opening, *events = list(engine(respond).stream(chat()))
    assert isinstance(opening, MessageStart)
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "BlockStart" and events[0] == BlockStart(0, "reasoning")
    reasoning_end = kinds.index("BlockStop")
    assert kinds[reasoning_end - 1] == "SignatureDelta"
    assert set(kinds[1 : reasoning_end - 1]) == {"ReasoningDelta"}
    starts = [e for e in events if isinstance(e, BlockStart)]
    stops = [e for e in events if isinstance(e, BlockStop)]
    assert [s.index for s in starts] == [s.index for s in stops] == [0, 1, 2]
    assert [s.kind for s in starts] == ["reasoning", "text", "toolUse"]
    assert starts[2].name == "a" and TOOL_ID.match(starts[2].tool_use_id or "")


@pytest.mark.parametrize(
    "tool_input",
    [{}, {"city": "Paris"}, {"query": "a long query " * 10, "limit": 5, "nested": {"k": [1, 2]}}],
)
def test_tool_input_streams_as_two_or_three_partial_json_pieces(tool_input: dict) -> None:
    respond = {"tool_use": [{"name": "search", "input": tool_input}]}
    pieces = [e for e in engine(respond).stream(chat()) if isinstance(e, ToolInputDelta)]
    assert 2 <= len(pieces) <= 3
    assert json.loads("".join(p.partial_json for p in pieces)) == tool_input


def test_declared_chunks_are_the_text_deltas() -> None:
    chunks = ["Paris is ", "the capital", " of France, and it has been for a very long time."]
    assert "".join(chunks) == TEXT
    events = list(engine({"text": TEXT, "stream": {"chunks": chunks}}).stream(chat()))
    assert [e.text for e in events if isinstance(e, TextDelta)] == chunks


@pytest.mark.parametrize("size", [None, 1, 3, 5, 1000])
def test_chunk_tokens_sizes_the_text_deltas(size: int | None) -> None:
    respond = {"text": TEXT} if size is None else {"text": TEXT, "stream": {"chunk_tokens": size}}
    deltas = [e.text for e in engine(respond).stream(chat()) if isinstance(e, TextDelta)]
    expected = 3 if size is None else size
    assert "".join(deltas) == TEXT
    assert [tokens.count(d) for d in deltas[:-1]] == [expected] * (len(deltas) - 1)
    assert 1 <= tokens.count(deltas[-1]) <= expected


def test_empty_answer_streams_an_empty_text_block() -> None:
    events = list(engine({"usage": {"output_tokens": 3}}).stream(chat()))
    assert isinstance(events[0], MessageStart)
    assert events[1:3] == [BlockStart(0, "text"), BlockStop(0)]
    assert isinstance(events[3], MessageStop) and events[3].usage.output_tokens == 3
    assert len(events) == 4


def test_first_token_and_delay_pace_every_delta() -> None:
    respond = {
        "text": "abc",
        "tool_use": [{"name": "a", "input": {"x": 1}}],
        "stream": {"chunks": ["a", "b", "c"], "first_token_ms": 200, "delay_ms": 80},
    }
    start = time.perf_counter()
    arrivals = [(event, time.perf_counter() - start) for event in engine(respond).stream(chat())]
    deltas = [at for event, at in arrivals if isinstance(event, TextDelta | ToolInputDelta)]
    assert arrivals[0][1] < 0.1  # BlockStart is not delayed
    assert 0.2 <= deltas[0] < 1.5
    gaps = [b - a for a, b in itertools.pairwise(deltas)]
    assert len(gaps) >= 4 and all(0.08 <= gap < 1.0 for gap in gaps)
    assert arrivals[-1][1] - deltas[-1] < 0.1  # nor are BlockStop and MessageStop


def test_no_timing_means_no_sleep() -> None:
    start = time.perf_counter()
    list(engine({"text": TEXT * 20, "stream": {"chunk_tokens": 1}}).stream(chat()))
    assert time.perf_counter() - start < 0.5


# Stream errors


def test_stream_error_after_zero_events_yields_only_the_opening() -> None:
    """`after` counts the answer's events; the opening MessageStart is not one of them."""
    respond = {"text": TEXT, "stream_error": {"code": "ThrottlingException", "after": 0}}
    events, error = run(engine(respond).stream(chat()))
    assert [type(e) for e in events] == [MessageStart]
    assert error is not None and error.code == "ThrottlingException"


def test_stream_error_defaults_to_after_one_event_with_a_default_message() -> None:
    respond = {"text": TEXT, "stream_error": {"code": "ModelStreamErrorException"}}
    events, error = run(engine(respond).stream(chat()))
    assert events[1:] == [BlockStart(0, "text")]
    assert error is not None and error.code == "ModelStreamErrorException"
    assert "ModelStreamErrorException" in error.message


def test_stream_error_after_n_events_with_its_message() -> None:
    respond = {
        "text": TEXT,
        "stream_error": {"code": "InternalServerException", "message": "boom", "after": 4},
    }
    full = list(engine({"text": TEXT}).stream(chat()))
    events, error = run(engine(respond).stream(chat()))
    assert events == full[:5]
    assert error is not None and (error.code, error.message) == ("InternalServerException", "boom")
    assert error.body() == {"message": "boom"}


@pytest.mark.parametrize("extra", [0, 1, 100])
def test_stream_error_past_the_end_replaces_message_stop(extra: int) -> None:
    full = list(engine({"text": "Hi there."}).stream(chat()))
    after = len(full) - 1 + extra
    respond = {"text": "Hi there.", "stream_error": {"code": "ThrottlingException", "after": after}}
    events, error = run(engine(respond).stream(chat()))
    assert events == full[:-1] and not any(isinstance(e, MessageStop) for e in events)
    assert error is not None and error.code == "ThrottlingException"


def test_stream_error_does_not_touch_reply() -> None:
    respond = {"text": TEXT, "stream_error": {"code": "ThrottlingException", "after": 0}}
    assert engine(respond).reply(chat()).content == [{"text": TEXT}]


# Embeddings and images


def embed_request(dimensions: int, *texts: str | None, image: bytes | None = None) -> Any:
    inputs = [EmbedInput(text=text) for text in texts]
    if image is not None:
        inputs.append(EmbedInput(image=image))
    return EmbedRequest(catalog.resolve(TITAN_EMBED, "us-east-1"), inputs, dimensions)


def test_embedding_is_truncated_to_the_requested_dimensions() -> None:
    reply = engine({"embedding": [3, 4, 5, 6, 7]}).embed(embed_request(3, "a b", "c"))
    assert reply.vectors == [[3.0, 4.0, 5.0], [3.0, 4.0, 5.0]]
    assert reply.input_tokens == tokens.count("a b") + tokens.count("c")


def test_embedding_is_zero_padded_and_not_normalised() -> None:
    reply = engine({"embedding": [3, 4]}).embed(embed_request(5, "hello", image=b"\x89PNG"))
    assert reply.vectors == [[3.0, 4.0, 0.0, 0.0, 0.0]] * 2
    assert reply.input_tokens == tokens.count("hello")  # images cost no text tokens
    reply.vectors[0][0] = 99.0
    assert reply.vectors[1][0] == 3.0


def test_embedding_falls_back_to_the_canned_vectors() -> None:
    request = embed_request(256, "Rivers of Europe")
    assert engine({"text": TEXT}).embed(request) == CannedEngine().embed(request)


def test_images_come_from_the_canned_engine() -> None:
    request = ImageRequest(
        catalog.resolve(TITAN_IMAGE, "us-east-1"), "a red bicycle", 64, 64, count=2, seed=7
    )
    assert engine({"text": TEXT}).generate_image(request) == CannedEngine().generate_image(request)


# check


@pytest.mark.parametrize(
    ("respond", "message"),
    [
        ({"stream": {"chunks": ["Hi"]}}, "stream.chunks splits `text` into deltas, but the rule"),
        ({"text": "", "stream": {"chunks": ["Hi"]}}, "but the rule has no text"),
        ({"text": "Hello", "stream": {"chunks": ["Hel", "p"]}}, "join to 'Help', which is not"),
        ({"text": "Hello", "stream": {"chunks": ["Hel", "", "lo"]}}, "stream.chunks[1] is empty"),
        (
            {"text": "Hello", "stream": {"chunks": ["Hello"], "chunk_tokens": 2}},
            "give stream.chunks or stream.chunk_tokens, not both",
        ),
        ({"tool_use": [{"name": "a"}], "stream": {"chunk_tokens": 2}}, "stream.chunk_tokens"),
        ({"usage": {"output_tokens": 1}, "stream": {"first_token_ms": 5}}, "stream.first_token_"),
        ({"stream_error": {"code": "ThrottlingException"}, "stream": {"delay_ms": 5}}, "delay_ms"),
        (
            {"tool_use": [{"name": "a", "id": "tooluse_x"}, {"name": "b", "id": "tooluse_x"}]},
            "tool_use id 'tooluse_x' repeats",
        ),
    ],
)
def test_check_rejects_inconsistent_rules(respond: dict[str, Any], message: str) -> None:
    schema_valid(respond)
    with pytest.raises(ValueError, match=re.escape(message)):
        check(respond)
    with pytest.raises(ValueError, match=re.escape(message)):
        ScriptedEngine(respond)


@pytest.mark.parametrize(
    "respond",
    [
        {"text": "Hello", "stream": {"chunks": ["Hel", "lo"], "first_token_ms": 1}},
        {"tool_use": [{"name": "a"}], "stream": {"delay_ms": 5}},
        {"reasoning": "Hmm.", "stream": {"first_token_ms": 5}},
        {"tool_use": [{"name": "a", "id": "tooluse_x"}, {"name": "b"}]},
        {"embedding": [0.1]},
        {"error": {"code": "ThrottlingException"}},
    ],
)
def test_check_accepts_consistent_rules(respond: dict[str, Any]) -> None:
    assert check(schema_valid(respond)) is None
