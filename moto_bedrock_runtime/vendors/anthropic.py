"""Anthropic Claude on Bedrock: the Messages API (bedrock-2023-05-31) and Text Completions."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from .. import ids
from ..catalog import ResolvedModel
from ..errors import ValidationException
from ..neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ContentBlock,
    Message,
    MessageStart,
    MessageStop,
    Reasoning,
    ReasoningDelta,
    Reply,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    Tool,
    ToolInputDelta,
    Usage,
)
from . import Body, Metrics, register
from .common import METRICS_KEY, check_max, decode_base64, prompt_messages, text_deltas, text_of

FIRST_USER = 'messages: first message must use the "user" role'
ALTERNATE = (
    'messages: roles must alternate between "user" and "assistant", but found multiple "{role}" '
    "roles in a row"
)
EMPTY_CONTENT = (
    "messages.{index}: all messages must have non-empty content except for the optional final "
    "assistant message"
)
BLANK_TEXT = "messages: text content blocks must contain non-whitespace text"
TOOLS_REQUIRED = "Requests which include `tool_use` or `tool_result` blocks must define tools."
BUDGET_TOO_SMALL = "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
BUDGET_OVER_MAX = (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
    "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    "#max-tokens-and-context-window-size"
)
HUMAN_FIRST = 'prompt must start with "\n\nHuman:" turn after an optional system prompt'
ASSISTANT_LAST = 'prompt must end with "\n\nAssistant:" turn'
_STOP_REASONS = {"end_turn", "max_tokens", "stop_sequence", "tool_use"}
_FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


def short_model_name(model: ResolvedModel) -> str:
    """Anthropic's own model name, as Claude's response bodies carry it."""
    name = model.model.model_id.removeprefix("anthropic.")
    return re.sub(r"-v\d+(:\d+)*$", "", name)


def _media(source: dict[str, Any], kind: str) -> ContentBlock:
    if source.get("type") == "text":
        return {
            "document": {"format": "txt", "name": "document", "source": {"text": source["data"]}}
        }
    data = decode_base64(source.get("data", ""), f"a {kind} block's source.data", kind)
    if kind == "image":
        return {
            "image": {
                "format": _FORMATS.get(source.get("media_type"), "png"),
                "source": {"bytes": data},
            }
        }
    return {"document": {"format": "pdf", "name": "document", "source": {"bytes": data}}}


def _block(block: Any) -> ContentBlock:
    if isinstance(block, str):
        return {"text": block}
    kind = block.get("type")
    if kind == "text":
        return {"text": block["text"]}
    if kind in ("image", "document"):
        return _media(block["source"], kind)
    if kind == "tool_use":
        return {
            "toolUse": {"toolUseId": block["id"], "name": block["name"], "input": block["input"]}
        }
    if kind == "tool_result":
        content = block.get("content", [])
        parts = [_block(part) for part in ([content] if isinstance(content, str) else content)]
        result = {"toolUseId": block["tool_use_id"], "content": parts or [{"text": ""}]}
        if block.get("is_error"):
            result["status"] = "error"
        return {"toolResult": result}
    if kind == "thinking":
        text = {"text": block.get("thinking", ""), "signature": block.get("signature", "")}
        return {"reasoningContent": {"reasoningText": text}}
    if kind == "redacted_thinking":
        data = decode_base64(block.get("data", ""), "a redacted_thinking block", "data")
        return {"reasoningContent": {"redactedContent": data}}
    return {"text": ""}


def _content(content: Any) -> list[ContentBlock]:
    items = [content] if isinstance(content, str) else content
    return [_block(item) for item in items]


def _messages(raw: list[dict[str, Any]], has_tools: bool) -> list[Message]:
    """Claude's own conversation checks, in Claude's words."""
    if raw and raw[0]["role"] != "user":
        raise ValidationException(FIRST_USER)
    for previous, current in pairwise(raw):
        if previous["role"] == current["role"]:
            raise ValidationException(ALTERNATE.format(role=current["role"]))
    messages = [Message(role=item["role"], content=_content(item["content"])) for item in raw]
    for index, message in enumerate(messages):
        last_assistant = index == len(messages) - 1 and message.role == "assistant"
        if not message.content and not last_assistant:
            raise ValidationException(EMPTY_CONTENT.format(index=index))
        for block in message.content:
            if "text" in block and not block["text"].strip() and not last_assistant:
                raise ValidationException(BLANK_TEXT)
            if ("toolUse" in block or "toolResult" in block) and not has_tools:
                raise ValidationException(TOOLS_REQUIRED)
    return messages


def _system(system: Any) -> list[ContentBlock]:
    if system is None:
        return []
    blocks: list[ContentBlock] = []
    for item in [system] if isinstance(system, str) else system:
        blocks.append({"text": item if isinstance(item, str) else item["text"]})
        if isinstance(item, dict) and item.get("cache_control"):
            blocks.append({"cachePoint": {"type": "default"}})
    return blocks


def _tools(body: Body) -> tuple[list[Tool], str | None, str | None]:
    tools = [
        Tool(
            name=tool["name"],
            description=tool.get("description", ""),
            input_schema=tool.get("input_schema") or {"type": "object"},
        )
        for tool in body.get("tools", [])
        if "input_schema" in tool or "type" not in tool or tool.get("type") == "custom"
    ]
    choice = body.get("tool_choice") or {}
    kind = choice.get("type")
    if kind == "tool":
        return tools, "tool", choice.get("name")
    return tools, kind or ("auto" if tools else None), None


def thinking_request(thinking: Any, max_tokens: int | None) -> Reasoning | None:
    """Claude's extended thinking, checked as Claude checks it (errors in Claude's words); the
    Converse path reports the same errors behind Bedrock's "model returned" prefix."""
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "adaptive"):
        return None
    budget = thinking.get("budget_tokens")
    if thinking.get("type") == "enabled":
        if not isinstance(budget, int) or budget < 1024:
            raise ValidationException(BUDGET_TOO_SMALL)
        if max_tokens is not None and max_tokens <= budget:
            raise ValidationException(BUDGET_OVER_MAX)
    return Reasoning(budget_tokens=budget if isinstance(budget, int) else None)


def _anthropic_block(block: ContentBlock) -> dict[str, Any]:
    if "text" in block:
        return {"type": "text", "text": block["text"]}
    if "toolUse" in block:
        use = block["toolUse"]
        return {
            "type": "tool_use",
            "id": ids.anthropic_tool_use_id(use["toolUseId"]),
            "name": use["name"],
            "input": use["input"],
        }
    reasoning = block["reasoningContent"]
    if "redactedContent" in reasoning:
        return {
            "type": "redacted_thinking",
            "data": base64.b64encode(reasoning["redactedContent"]).decode(),
        }
    text = reasoning["reasoningText"]
    return {"type": "thinking", "thinking": text["text"], "signature": text["signature"]}


@register("anthropic-messages")
class AnthropicMessages:
    kind = "chat"
    schema = "anthropic-messages"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        check_max(model, "#/max_tokens", body["max_tokens"])
        tools, choice, forced = _tools(body)
        return ChatRequest(
            model=model,
            messages=_messages(body["messages"], bool(tools)),
            system=_system(body.get("system")),
            max_tokens=body["max_tokens"],
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop_sequences=list(body.get("stop_sequences", [])),
            tools=tools,
            tool_choice=choice,
            forced_tool=forced,
            reasoning=(
                thinking_request(body.get("thinking"), body["max_tokens"])
                if model.model.supports("reasoning")
                else None
            ),
        )

    def _message(self, request: ChatRequest, seed: str) -> dict[str, Any]:
        return {
            "id": ids.anthropic_message_id(seed),
            "type": "message",
            "role": "assistant",
            "model": short_model_name(request.model),
        }

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        return {
            **self._message(request, repr(body.get("messages"))),
            "content": [_anthropic_block(block) for block in reply.content],
            "stop_reason": reply.stop_reason if reply.stop_reason in _STOP_REASONS else "end_turn",
            "stop_sequence": reply.stop_sequence,
            "usage": _usage(reply.usage),
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        for event in events:
            if isinstance(event, MessageStart):
                yield {
                    "type": "message_start",
                    "message": {
                        **self._message(request, repr(body.get("messages"))),
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {"input_tokens": event.input_tokens, "output_tokens": 1},
                    },
                }
            else:
                yield from _stream_chunks(event, metrics)


def _stream_chunks(event: StreamEvent, metrics: Metrics) -> Iterator[Body]:
    if isinstance(event, BlockStart):
        if event.kind == "text":
            block: dict[str, Any] = {"type": "text", "text": ""}
        elif event.kind == "toolUse":
            block = {
                "type": "tool_use",
                "id": ids.anthropic_tool_use_id(event.tool_use_id or ""),
                "name": event.name,
                "input": {},
            }
        else:
            block = {"type": "thinking", "thinking": "", "signature": ""}
        yield {"type": "content_block_start", "index": event.index, "content_block": block}
    elif isinstance(event, TextDelta):
        yield _delta(event.index, {"type": "text_delta", "text": event.text})
    elif isinstance(event, ToolInputDelta):
        yield _delta(event.index, {"type": "input_json_delta", "partial_json": event.partial_json})
    elif isinstance(event, ReasoningDelta):
        yield _delta(event.index, {"type": "thinking_delta", "thinking": event.text})
    elif isinstance(event, SignatureDelta):
        yield _delta(event.index, {"type": "signature_delta", "signature": event.signature})
    elif isinstance(event, BlockStop):
        yield {"type": "content_block_stop", "index": event.index}
    elif isinstance(event, MessageStop):
        stop = event.stop_reason if event.stop_reason in _STOP_REASONS else "end_turn"
        yield {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": event.stop_sequence},
            "usage": {"output_tokens": event.usage.output_tokens},
        }
        yield {"type": "message_stop", METRICS_KEY: metrics(event.usage)}


def _usage(usage: Usage) -> dict[str, int]:
    """Claude's usage object; the cache counts appear once prompt caching is in play."""
    out = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    if usage.cache_read_input_tokens or usage.cache_write_input_tokens:
        out["cache_creation_input_tokens"] = usage.cache_write_input_tokens
        out["cache_read_input_tokens"] = usage.cache_read_input_tokens
    return out


def _delta(index: int, delta: dict[str, Any]) -> Body:
    return {"type": "content_block_delta", "index": index, "delta": delta}


# Text Completions (claude-instant-v1, claude-v2, claude-v2:1)

HUMAN_STOP = "\n\nHuman:"


@register("anthropic-text")
class AnthropicText:
    kind = "chat"
    schema = "anthropic-text"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        prompt = body["prompt"]
        if "\n\nHuman:" not in prompt:
            raise ValidationException(HUMAN_FIRST)
        if not prompt.rstrip(" ").endswith("\n\nAssistant:"):
            raise ValidationException(ASSISTANT_LAST)
        system, messages = prompt_messages(prompt)
        return ChatRequest(
            model=model,
            messages=messages,
            system=system,
            max_tokens=body["max_tokens_to_sample"],
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop_sequences=list(body.get("stop_sequences", [])),
        )

    @staticmethod
    def _stop(reason: str, sequence: str | None) -> tuple[str, str | None]:
        if reason == "max_tokens":
            return "max_tokens", None
        return "stop_sequence", sequence or HUMAN_STOP

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        reason, stop = self._stop(reply.stop_reason, reply.stop_sequence)
        return {
            "type": "completion",
            "completion": text_of(reply),
            "stop_reason": reason,
            "stop": stop,
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        for text, stop in text_deltas(events):
            if stop is None:
                yield {"type": "completion", "completion": text, "stop_reason": None, "stop": None}
            else:
                reason, sequence = self._stop(stop.stop_reason, stop.stop_sequence)
                yield {
                    "type": "completion",
                    "completion": "",
                    "stop_reason": reason,
                    "stop": sequence,
                    METRICS_KEY: metrics(stop.usage),
                }
