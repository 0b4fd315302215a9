"""Bedrock's rules for a Converse-shaped conversation, and its toolConfig as neutral tools.

Converse and the Nova codec (whose native body is Converse-shaped JSON) both check messages
here, so the two report the same problems in the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from .errors import ValidationException
from .neutral import (
    BlockStart,
    BlockStop,
    ReasoningDelta,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    Tool,
    ToolInputDelta,
)

MUST_START_WITH_USER = (
    "A conversation must start with a user message. Try again with a conversation that starts "
    "with a user message."
)
MUST_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation "
    "alternates between user and assistant roles and try again."
)
EMPTY_CONTENT = (
    "The content field in the Message object at messages.{index} is empty. Add a ContentBlock "
    "object to the content field and try again."
)
BLANK_TEXT = (
    "The text field in the ContentBlock object at messages.{index}.content.{block} is blank. Add "
    "text to the text field, and try again."
)
DOCUMENT_WITHOUT_TEXT = "A text block must be included when using documents."
TOOL_CONFIG_REQUIRED = (
    "The toolConfig field must be defined when using toolUse and toolResult content blocks."
)
TOO_MANY_TOOL_RESULTS = (
    "The number of toolResult blocks at messages.{index}.content exceeds the number of toolUse "
    "blocks of previous turn."
)
MISSING_TOOL_RESULTS = (
    "Expected toolResult blocks at messages.{index}.content for the following Ids: {ids}"
)
EMPTY_ERROR_RESULT = (
    "The content field at messages.{index}.content.{block}.toolResult cannot be empty when status "
    "value is error."
)
TOOL_SCHEMA_NOT_OBJECT = (
    "The value at toolConfig.tools.{index}.toolSpec.inputSchema.json.type must be one of the "
    "following: object."
)
DUPLICATE_TOOL = "The model returned the following errors: tools: Tool names must be unique."
UNKNOWN_FORCED_TOOL = (
    "The tool {name} named in toolConfig.toolChoice is not defined in toolConfig.tools."
)


def _tool_blocks(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [block[kind] for block in message.get("content", []) if kind in block]


def _check_blocks(index: int, message: dict[str, Any]) -> None:
    content = message.get("content") or []
    if not content:
        raise ValidationException(EMPTY_CONTENT.format(index=index))
    for block_index, block in enumerate(content):
        if "text" in block and not block["text"].strip():
            raise ValidationException(BLANK_TEXT.format(index=index, block=block_index))
    if any("document" in block for block in content) and not any(
        "text" in block for block in content
    ):
        raise ValidationException(DOCUMENT_WITHOUT_TEXT)


def check_conversation(messages: list[dict[str, Any]], has_tool_config: bool) -> None:
    """Bedrock's own conversation rules, checked in the order Bedrock reports them."""
    if not messages or messages[0]["role"] != "user":
        raise ValidationException(MUST_START_WITH_USER)
    for previous, current in pairwise(messages):
        if previous["role"] == current["role"]:
            raise ValidationException(MUST_ALTERNATE)
    for index, message in enumerate(messages):
        _check_blocks(index, message)
    uses_tools = any(
        "toolUse" in block or "toolResult" in block
        for message in messages
        for block in message.get("content", [])
    )
    if uses_tools and not has_tool_config:
        raise ValidationException(TOOL_CONFIG_REQUIRED)
    pending: list[str] = []
    for index, message in enumerate(messages):
        results = _tool_blocks(message, "toolResult")
        if message["role"] == "user":
            if len(results) > len(pending):
                raise ValidationException(TOO_MANY_TOOL_RESULTS.format(index=index))
            answered = {result["toolUseId"] for result in results}
            missing = [tool_id for tool_id in pending if tool_id not in answered]
            if missing:
                raise ValidationException(
                    MISSING_TOOL_RESULTS.format(index=index, ids=", ".join(missing))
                )
            for block_index, block in enumerate(message.get("content", [])):
                result = block.get("toolResult")
                if result and result.get("status") == "error" and not result["content"]:
                    raise ValidationException(
                        EMPTY_ERROR_RESULT.format(index=index, block=block_index)
                    )
            pending = []
        else:
            if results:
                raise ValidationException(TOO_MANY_TOOL_RESULTS.format(index=index))
            pending = [use["toolUseId"] for use in _tool_blocks(message, "toolUse")]


def tool_config(config: dict[str, Any] | None) -> tuple[list[Tool], str | None, str | None]:
    """(tools, tool choice, forced tool name) from a Converse toolConfig, checked as Bedrock
    checks it: object input schemas, unique names, a forced tool that exists."""
    if not config:
        return [], None, None
    tools = []
    for index, entry in enumerate(config.get("tools", [])):
        spec = entry.get("toolSpec")
        if spec is None:
            continue
        schema = (spec.get("inputSchema") or {}).get("json")
        schema = {"type": "object"} if schema is None else schema
        if not isinstance(schema, dict) or schema.get("type", "object") != "object":
            raise ValidationException(TOOL_SCHEMA_NOT_OBJECT.format(index=index))
        tools.append(Tool(spec["name"], spec.get("description", ""), schema))
    names = [tool.name for tool in tools]
    if len(set(names)) != len(names):
        raise ValidationException(DUPLICATE_TOOL)
    choice = config.get("toolChoice") or {"auto": {}}
    if "tool" in choice:
        name = choice["tool"]["name"]
        if name not in names:
            raise ValidationException(UNKNOWN_FORCED_TOOL.format(name=name))
        return tools, "tool", name
    return tools, next(iter(choice), "auto"), None


def block_event(
    event: StreamEvent, tool_use_id: Callable[[str], str] = lambda given: given
) -> tuple[str, dict[str, Any]] | None:
    """The Converse-shaped stream event (name, payload) for a neutral block event, which
    ConverseStream and Nova's native chunks share; None for events outside a block. Text
    blocks open with their first delta: only tool uses get a contentBlockStart."""
    if isinstance(event, BlockStart):
        if event.kind != "toolUse":
            return None
        start = {"toolUse": {"toolUseId": tool_use_id(event.tool_use_id or ""), "name": event.name}}
        return "contentBlockStart", {"contentBlockIndex": event.index, "start": start}
    if isinstance(event, BlockStop):
        return "contentBlockStop", {"contentBlockIndex": event.index}
    if isinstance(event, TextDelta):
        delta: dict[str, Any] = {"text": event.text}
    elif isinstance(event, ToolInputDelta):
        delta = {"toolUse": {"input": event.partial_json}}
    elif isinstance(event, ReasoningDelta):
        delta = {"reasoningContent": {"text": event.text}}
    elif isinstance(event, SignatureDelta):
        delta = {"reasoningContent": {"signature": event.signature}}
    else:
        return None
    return "contentBlockDelta", {"contentBlockIndex": event.index, "delta": delta}
