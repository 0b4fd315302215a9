"""Pieces several codecs share: OpenAI-style chat bodies (Mistral chat, Jamba, gpt-oss, Qwen,
Writer), raw chat-template prompts (Llama, Mistral text, DeepSeek, Claude text), stop-reason
names, model-specific limits, and the text a stream has produced so far."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..catalog import ResolvedModel
from ..errors import ValidationException
from ..neutral import (
    BlockStart,
    ChatRequest,
    ContentBlock,
    Message,
    MessageStart,
    MessageStop,
    Reasoning,
    ReasoningDelta,
    Reply,
    StreamEvent,
    TextDelta,
    Tool,
    ToolInputDelta,
)
from .validation import malformed, violation

METRICS_KEY = "amazon-bedrock-invocationMetrics"
INVALID_BASE64 = "Unable to decode the {what} in {pointer}: provide it as a base64-encoded string."

# Neutral stop reasons in the names OpenAI-style bodies use.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def finish_reason(stop_reason: str) -> str:
    return FINISH_REASONS.get(stop_reason, "stop")


def length_or_stop(stop_reason: str) -> str:
    """Text formats that only tell a cut-off answer ("length") from a finished one ("stop")."""
    return "length" if stop_reason == "max_tokens" else "stop"


def decode_base64(data: Any, pointer: str, what: str = "image") -> bytes:
    """Inline media as bytes, or a ValidationException for a string that is not base64 (never
    a 500). Line breaks, which MIME-style encoders add, are tolerated."""
    try:
        return base64.b64decode("".join(str(data).split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationException(INVALID_BASE64.format(what=what, pointer=pointer)) from error


def check_max(model: ResolvedModel, pointer: str, value: int | None) -> None:
    """The model's own output cap, as the family's schema cannot know it."""
    limit = model.model.max_output_tokens
    if value is not None and limit and value > limit:
        raise malformed(violation(pointer, f"{value} is not less or equal to {limit}"))


def text_of(reply: Reply) -> str:
    return "".join(block["text"] for block in reply.content if "text" in block)


def reasoning_of(reply: Reply) -> str:
    return "".join(
        block["reasoningContent"]["reasoningText"]["text"]
        for block in reply.content
        if "reasoningContent" in block and "reasoningText" in block["reasoningContent"]
    )


def text_deltas(
    events: Iterator[StreamEvent], on_start: Callable[[int], None] = lambda tokens: None
) -> Iterator[tuple[str, MessageStop | None]]:
    """(text piece, None) for each text delta, then ("", stop) once: for text-only formats.
    `on_start` hears the prompt's token count when the stream opens."""
    for event in events:
        if isinstance(event, MessageStart):
            on_start(event.input_tokens)
        elif isinstance(event, TextDelta):
            yield event.text, None
        elif isinstance(event, MessageStop):
            yield "", event


# Raw prompts


_TEMPLATE_MARKERS = re.compile(
    r"<\|begin_of_text\|>|<\|eot_id\|>|<\|end_of_text\|>|<s>|</s>|<｜begin▁of▁sentence｜>"
)
_TURN = re.compile(
    r"<\|start_header_id\|>(?P<llama3>system|user|assistant|ipython)<\|end_header_id\|>"
    r"|\[INST\]|\[/INST\]|<<SYS>>|<</SYS>>"
    r"|<｜User｜>|<｜Assistant｜>"
    r"|\n\nHuman:|\n\nAssistant:"
)
_ROLE_OF = {
    "[INST]": "user",
    "[/INST]": "assistant",
    "<｜User｜>": "user",
    "<｜Assistant｜>": "assistant",
    "\n\nHuman:": "user",
    "\n\nAssistant:": "assistant",
}


def prompt_messages(prompt: str) -> tuple[list[ContentBlock], list[Message]]:
    """A raw chat-template prompt read back as (system, messages), so the engine sees turns.

    Understands Llama 3 headers, Llama 2 / Mistral [INST] and <<SYS>>, DeepSeek's markers and
    Claude's Human/Assistant turns; a prompt without markers is one user message. An empty
    trailing assistant turn (the generation slot) is dropped."""
    text = _TEMPLATE_MARKERS.sub("", prompt)
    system: list[ContentBlock] = []
    turns: list[tuple[str, str]] = []
    role, start = "user", 0
    for match in _TURN.finditer(text):
        turns.append((role, text[start : match.start()]))
        token = match.group(0)
        if match.group("llama3"):
            role = {"ipython": "user"}.get(match.group("llama3"), match.group("llama3"))
        elif token == "<<SYS>>":
            role = "system"
        elif token == "<</SYS>>":
            role = "user"
        else:
            role = _ROLE_OF[token]
        start = match.end()
    turns.append((role, text[start:]))
    messages: list[Message] = []
    for role, chunk in turns:
        chunk = chunk.strip()
        if not chunk:
            continue
        if role == "system":
            system.append({"text": chunk})
        elif messages and messages[-1].role == role:
            messages[-1].content.append({"text": chunk})
        else:
            messages.append(Message(role=role, content=[{"text": chunk}]))  # type: ignore[arg-type]
    if not messages:
        messages.append(Message(role="user", content=[{"text": text.strip() or prompt}]))
    return system, messages


def prompt_request(
    model: ResolvedModel,
    body: dict[str, Any],
    prompt: str,
    *,
    max_key: str = "max_tokens",
    default_max: int | None = None,
    top_p_key: str = "top_p",
    stop_key: str = "stop",
) -> ChatRequest:
    """The neutral request of a raw-prompt body; the families differ only in key names."""
    max_tokens = body.get(max_key, default_max)
    check_max(model, f"#/{max_key}", max_tokens)
    system, messages = prompt_messages(prompt)
    return ChatRequest(
        model=model,
        messages=messages,
        system=system,
        max_tokens=max_tokens,
        temperature=body.get("temperature"),
        top_p=body.get(top_p_key),
        stop_sequences=list(body.get(stop_key) or []),
    )


# OpenAI-style chat bodies


def _image_block(url: str) -> ContentBlock:
    """An `image_url` data URL as a Converse image block (other URLs cannot be fetched offline)."""
    match = re.match(r"data:image/(?P<fmt>[a-z]+);base64,(?P<data>.*)", url, re.S)
    if not match:
        return {"text": f"[image: {url}]"}
    fmt = {"jpg": "jpeg"}.get(match.group("fmt"), match.group("fmt"))
    data = decode_base64(match.group("data"), "an image_url data URL")
    return {"image": {"format": fmt, "source": {"bytes": data}}}


def _parts(content: Any) -> list[ContentBlock]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"text": content}] if content else []
    blocks: list[ContentBlock] = []
    for part in content:
        if part.get("type") == "text":
            blocks.append({"text": part.get("text", "")})
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            blocks.append(_image_block(image["url"] if isinstance(image, dict) else image))
    return blocks


def chat_messages(raw: list[dict[str, Any]]) -> tuple[list[ContentBlock], list[Message]]:
    """OpenAI-style messages as (system, neutral messages): tool calls become toolUse blocks,
    consecutive `tool` messages one user turn of toolResult blocks."""
    system: list[ContentBlock] = []
    messages: list[Message] = []
    for item in raw:
        role = item.get("role")
        if role in ("system", "developer"):
            system.extend(_parts(item.get("content")))
            continue
        if role == "tool":
            block = {
                "toolResult": {
                    "toolUseId": item.get("tool_call_id") or "tool",
                    "content": _parts(item.get("content")) or [{"text": ""}],
                }
            }
            if messages and messages[-1].role == "user":
                messages[-1].content.append(block)
            else:
                messages.append(Message(role="user", content=[block]))
            continue
        blocks = _parts(item.get("content"))
        for call in item.get("tool_calls") or []:
            function = call.get("function", {})
            arguments = function.get("arguments") or "{}"
            try:
                parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
            except ValueError:
                parsed = {"arguments": arguments}
            blocks.append(
                {
                    "toolUse": {
                        "toolUseId": call.get("id") or "call",
                        "name": function.get("name", ""),
                        "input": parsed,
                    }
                }
            )
        neutral_role = "assistant" if role == "assistant" else "user"
        if messages and messages[-1].role == neutral_role:
            messages[-1].content.extend(blocks)
        else:
            messages.append(Message(role=neutral_role, content=blocks))  # type: ignore[arg-type]
    return system, messages


def chat_tools(
    tools: list[dict[str, Any]] | None, choice: Any
) -> tuple[list[Tool], str | None, str | None]:
    """(tools, tool_choice, forced tool name) from OpenAI-style `tools` and `tool_choice`."""
    neutral = [
        Tool(
            name=tool["function"]["name"],
            description=tool["function"].get("description", ""),
            input_schema=tool["function"].get("parameters") or {"type": "object"},
        )
        for tool in tools or []
        if tool.get("type", "function") == "function" and "function" in tool
    ]
    if isinstance(choice, dict):
        return neutral, "tool", choice.get("function", {}).get("name")
    if choice in ("required", "any"):
        return neutral, "any", None
    if choice == "none":
        return neutral, "none", None
    return neutral, ("auto" if neutral else None), None


def chat_reasoning(effort: Any) -> Reasoning | None:
    return Reasoning(effort=effort) if isinstance(effort, str) else None


def assistant_message(reply: Reply, *, reasoning_tag: str | None = None) -> dict[str, Any]:
    """The neutral reply as an OpenAI-style assistant message (tool calls with JSON strings)."""
    text = text_of(reply)
    thought = reasoning_of(reply)
    if thought and reasoning_tag:
        text = f"<{reasoning_tag}>{thought}</{reasoning_tag}>{text}"
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    calls = [
        {
            "id": block["toolUse"]["toolUseId"],
            "type": "function",
            "function": {
                "name": block["toolUse"]["name"],
                "arguments": json.dumps(block["toolUse"]["input"]),
            },
        }
        for block in reply.content
        if "toolUse" in block
    ]
    if calls:
        message["tool_calls"] = calls
    return message


def chat_deltas(
    events: Iterator[StreamEvent],
) -> Iterator[tuple[dict[str, Any], MessageStop | None]]:
    """OpenAI-style `delta` objects for each neutral event, then ({}, stop) once."""
    calls: dict[int, int] = {}
    for event in events:
        if isinstance(event, TextDelta):
            yield {"content": event.text}, None
        elif isinstance(event, ReasoningDelta):
            yield {"reasoning_content": event.text}, None
        elif isinstance(event, BlockStart) and event.kind == "toolUse":
            calls[event.index] = len(calls)
            yield (
                {
                    "tool_calls": [
                        {
                            "index": calls[event.index],
                            "id": event.tool_use_id,
                            "type": "function",
                            "function": {"name": event.name, "arguments": ""},
                        }
                    ]
                },
                None,
            )
        elif isinstance(event, ToolInputDelta):
            yield (
                {
                    "tool_calls": [
                        {"index": calls[event.index], "function": {"arguments": event.partial_json}}
                    ]
                },
                None,
            )
        elif isinstance(event, MessageStop):
            yield {}, event
