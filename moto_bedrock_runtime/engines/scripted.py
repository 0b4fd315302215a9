"""The engine for declared answers: one rule's `respond` object turned into neutral replies.

A test that declares "answer Y" wants exactly Y, so nothing here second-guesses the rule: no
truncation at maxTokens, no stop sequences, no normalisation of a declared embedding. What the
rule leaves out is filled in the canned engine's way (deterministic ids, the shared token
approximation, the same stream event order), so a scripted answer is indistinguishable in form
from a default one. `error`, `body` and `chunks` are answered by the caller and never reach here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

from .. import ids, tokens
from ..errors import BedrockError
from ..neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ContentBlock,
    EmbedReply,
    EmbedRequest,
    ImageReply,
    ImageRequest,
    MessageStart,
    MessageStop,
    ReasoningDelta,
    Reply,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
    Usage,
)
from .canned import CannedEngine, request_seed

_DEFAULT_CHUNK_TOKENS = 3
_REASONING_DELTA_TOKENS = 3
_DEFAULT_ERROR_AFTER = 1
_CANNED = CannedEngine()


def check(respond: Mapping[str, Any]) -> None:
    """Reject, with a message naming the fields, what the schema allows but cannot mean anything.

    Called when a rule is declared, so a test fails where it wrote the rule, not mid-stream."""
    text = respond.get("text", "")
    stream = respond.get("stream", {})
    chunks = stream.get("chunks")
    if chunks is not None:
        if not text:
            raise ValueError("stream.chunks splits `text` into deltas, but the rule has no text")
        if "chunk_tokens" in stream:
            raise ValueError("give stream.chunks or stream.chunk_tokens, not both")
        for position, chunk in enumerate(chunks):
            if not chunk:
                raise ValueError(f"stream.chunks[{position}] is empty; every delta carries text")
        if "".join(chunks) != text:
            raise ValueError(
                f"stream.chunks join to {''.join(chunks)!r}, which is not text {text!r}"
            )
    if "chunk_tokens" in stream and not text:
        raise ValueError("stream.chunk_tokens sizes the text deltas, but the rule has no text")
    has_content = bool(text or respond.get("reasoning") or respond.get("tool_use"))
    for option in ("first_token_ms", "delay_ms"):
        if option in stream and not has_content:
            raise ValueError(
                f"stream.{option} paces deltas, but the rule has no text, reasoning or tool_use"
            )
    seen: set[str] = set()
    for item in respond.get("tool_use", []):
        if "id" in item:
            if item["id"] in seen:
                raise ValueError(f"tool_use id {item['id']!r} repeats; tool use ids are unique")
            seen.add(item["id"])


class ScriptedEngine:
    """Answers from one rule's `respond` object (already validated against rules.schema.json)."""

    name = "scripted"

    def __init__(self, respond: Mapping[str, Any]) -> None:
        check(respond)
        self._respond = respond
        self._stream = respond.get("stream", {})

    def reply(self, request: ChatRequest) -> Reply:
        """The declared blocks, reasoning first; a rule declaring none answers with empty text.

        `stream_error` does not apply: a non-streaming call has no stream to break."""
        respond = self._respond
        content: list[ContentBlock] = []
        output_tokens = 0
        if respond.get("reasoning"):
            thought = respond["reasoning"]
            signature = ids.reasoning_signature(thought)
            content.append(
                {"reasoningContent": {"reasoningText": {"text": thought, "signature": signature}}}
            )
            output_tokens += tokens.count(thought)
        uses = respond.get("tool_use", [])
        text = respond.get("text", "")
        if text or not (content or uses):
            content.append({"text": text})
            output_tokens += tokens.count(text)
        seed = request_seed(request) if uses else ""
        for position, item in enumerate(uses):
            tool_input = item.get("input", {})
            use_id = item.get("id") or ids.tool_use_id(f"{seed}:{position}:{item['name']}")
            content.append(
                {"toolUse": {"toolUseId": use_id, "name": item["name"], "input": tool_input}}
            )
            output_tokens += tokens.count(item["name"]) + tokens.count(json.dumps(tool_input))
        usage = respond.get("usage", {})
        return Reply(
            content=content,
            stop_reason=respond.get("stop_reason", "tool_use" if uses else "end_turn"),
            usage=Usage(
                input_tokens=usage.get("input_tokens", tokens.request_tokens(request)),
                output_tokens=usage.get("output_tokens", output_tokens),
            ),
        )

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        """The reply as events, paced by `stream` and broken by `stream_error` as declared.

        A declared error comes after `after` events, or in place of MessageStop when the answer
        has fewer: a failed stream never reports a finished message."""
        reply = self.reply(request)
        events = [
            event
            for index, block in enumerate(reply.content)
            for event in self._block_events(index, block)
        ]
        events.append(MessageStop(reply.stop_reason, reply.usage, reply.stop_sequence))
        failure = self._respond.get("stream_error")
        fail_at = (
            min(failure.get("after", _DEFAULT_ERROR_AFTER), len(events) - 1) if failure else None
        )
        first = self._stream.get("first_token_ms", 0) / 1000
        later = self._stream.get("delay_ms", 0) / 1000
        deltas = 0
        yield MessageStart(reply.usage.input_tokens)
        for position, event in enumerate(events):
            if position == fail_at:
                message = failure.get("message") or (
                    f"{failure['code']} declared by a moto-bedrock rule's stream_error"
                )
                raise BedrockError(message, code=failure["code"])
            if not isinstance(event, BlockStart | BlockStop | MessageStop):
                pause = later if deltas else first
                if pause:
                    time.sleep(pause)
                deltas += 1
            yield event

    def embed(self, request: EmbedRequest) -> EmbedReply:
        """The declared vector for every input, cut or zero-padded to the requested dimensions."""
        declared = self._respond.get("embedding")
        if declared is None:
            return _CANNED.embed(request)
        vector = [float(x) for x in declared[: request.dimensions]]
        vector += [0.0] * (request.dimensions - len(vector))
        used = sum(tokens.count(item.text) for item in request.inputs if item.text is not None)
        return EmbedReply(vectors=[list(vector) for _ in request.inputs], input_tokens=used)

    def generate_image(self, request: ImageRequest) -> ImageReply:
        """Rules cannot declare images, so a matched image request gets the canned picture."""
        return _CANNED.generate_image(request)

    def _block_events(self, index: int, block: ContentBlock) -> Iterator[StreamEvent]:
        if "text" in block:
            yield BlockStart(index, "text")
            for piece in self._text_pieces(block["text"]):
                yield TextDelta(index, piece)
        elif "toolUse" in block:
            use = block["toolUse"]
            yield BlockStart(index, "toolUse", tool_use_id=use["toolUseId"], name=use["name"])
            raw = json.dumps(use["input"], ensure_ascii=False)
            step = -(-len(raw) // 3)  # a JSON object has 2+ characters: 2 or 3 pieces
            for start in range(0, len(raw), step):
                yield ToolInputDelta(index, raw[start : start + step])
        else:
            reasoning = block["reasoningContent"]["reasoningText"]
            yield BlockStart(index, "reasoning")
            for piece in _grouped(reasoning["text"], _REASONING_DELTA_TOKENS):
                yield ReasoningDelta(index, piece)
            yield SignatureDelta(index, reasoning["signature"])
        yield BlockStop(index)

    def _text_pieces(self, text: str) -> list[str]:
        chunks = self._stream.get("chunks")
        if chunks is not None:
            return list(chunks)
        return _grouped(text, self._stream.get("chunk_tokens", _DEFAULT_CHUNK_TOKENS))


def _grouped(text: str, size: int) -> list[str]:
    """`text` as deltas of `size` tokens each (the last may be shorter)."""
    pieces = tokens.pieces(text)
    return ["".join(pieces[start : start + size]) for start in range(0, len(pieces), size)]
