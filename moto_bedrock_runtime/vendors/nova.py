"""Amazon Nova understanding models (micro, lite, pro, premier, Nova 2): the messages-v1 body.

It is Converse's own shape written as JSON (blobs as base64 strings), so lifting it into the
neutral form only decodes blobs, and Nova applies Converse's conversation rules. Answers come
back as Converse-like objects, streamed one object per chunk."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator

from .. import ids
from ..catalog import ResolvedModel
from ..conversation import block_event, check_conversation, tool_config
from ..neutral import (
    ChatRequest,
    ContentBlock,
    Message,
    MessageStart,
    MessageStop,
    Reasoning,
    Reply,
    SignatureDelta,
    StreamEvent,
    Usage,
)
from . import Body, Metrics, register
from .common import METRICS_KEY, check_max, decode_base64

_MEDIA = ("image", "video", "audio", "document")


def _decoded(block: ContentBlock) -> ContentBlock:
    """A native content block with its base64 blobs as bytes, as the neutral form holds them."""
    for kind in _MEDIA:
        if kind in block:
            media = block[kind]
            source = media.get("source") or {}
            if isinstance(source.get("bytes"), str):
                data = decode_base64(source["bytes"], f"a {kind} block's source.bytes", kind)
                return {kind: {**media, "source": {**source, "bytes": data}}}
            return block
    if "toolResult" in block:
        result = block["toolResult"]
        parts = [_decoded(part) for part in result.get("content", [])]
        return {"toolResult": {**result, "content": parts}}
    reasoning = block.get("reasoningContent") or {}
    if isinstance(reasoning.get("redactedContent"), str):
        data = decode_base64(reasoning["redactedContent"], "a reasoningContent block", "data")
        return {"reasoningContent": {"redactedContent": data}}
    return block


def tool_use_id(neutral_id: str) -> str:
    """Nova names its tool calls with UUIDs; derived from the engine's id to stay deterministic."""
    return str(uuid.UUID(bytes=ids.digest("nova-tooluse", neutral_id)[:16], version=4))


def _encoded(block: ContentBlock) -> ContentBlock:
    """A neutral reply block as Nova writes it (no reasoning signatures, blobs as base64)."""
    if "toolUse" in block:
        use = block["toolUse"]
        return {
            "toolUse": {
                "toolUseId": tool_use_id(use["toolUseId"]),
                "name": use["name"],
                "input": use["input"],
            }
        }
    reasoning = block.get("reasoningContent")
    if reasoning is None:
        return block
    if "redactedContent" in reasoning:
        encoded = base64.b64encode(reasoning["redactedContent"]).decode()
        return {"reasoningContent": {"redactedContent": encoded}}
    return {"reasoningContent": {"reasoningText": {"text": reasoning["reasoningText"]["text"]}}}


def _reasoning(body: Body) -> Reasoning | None:
    """Nova 2's reasoningConfig, read at the top level or inside inferenceConfig."""
    config = body.get("reasoningConfig") or (body.get("inferenceConfig") or {}).get(
        "reasoningConfig"
    )
    if not isinstance(config, dict) or config.get("type") != "enabled":
        return None
    return Reasoning(effort=config.get("maxReasoningEffort"))


def _usage(usage: Usage) -> dict[str, int]:
    return {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.total_tokens,
        "cacheReadInputTokenCount": usage.cache_read_input_tokens,
        "cacheWriteInputTokenCount": usage.cache_write_input_tokens,
    }


@register("nova")
class Nova:
    kind = "chat"
    schema = "nova"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        raw = body["messages"]
        check_conversation(raw, "toolConfig" in body)
        config = body.get("inferenceConfig") or {}
        key = "maxTokens" if "maxTokens" in config else "max_new_tokens"
        check_max(model, f"#/inferenceConfig/{key}", config.get(key))
        tools, choice, forced = tool_config(body.get("toolConfig"))
        return ChatRequest(
            model=model,
            messages=[
                Message(role=item["role"], content=[_decoded(block) for block in item["content"]])
                for item in raw
            ],
            system=[_decoded(block) for block in body.get("system", [])],
            max_tokens=config.get(key),
            temperature=config.get("temperature"),
            top_p=config.get("topP", config.get("top_p")),
            stop_sequences=list(config.get("stopSequences", [])),
            tools=tools,
            tool_choice=choice,
            forced_tool=forced,
            reasoning=_reasoning(body) if model.model.supports("reasoning") else None,
        )

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        return {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [_encoded(block) for block in reply.content],
                }
            },
            "stopReason": reply.stop_reason,
            "usage": _usage(reply.usage),
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        for event in events:
            if isinstance(event, MessageStart):
                yield {"messageStart": {"role": "assistant"}}
            else:
                yield from _stream_chunks(event, metrics)


def _stream_chunks(event: StreamEvent, metrics: Metrics) -> Iterator[Body]:
    """Nova's chunks for one neutral event: Converse's event objects, keyed by their name
    (Nova streams no reasoning signature)."""
    item = None if isinstance(event, SignatureDelta) else block_event(event, tool_use_id)
    if item is not None:
        yield {item[0]: item[1]}
    elif isinstance(event, MessageStop):
        yield {"messageStop": {"stopReason": event.stop_reason}}
        yield {"metadata": {"usage": _usage(event.usage)}, METRICS_KEY: metrics(event.usage)}
