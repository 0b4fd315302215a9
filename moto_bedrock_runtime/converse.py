"""Converse and ConverseStream: Bedrock's conversation rules, and the Converse wire shapes.

Converse is already the neutral form, so this module only checks what Bedrock checks before a
model sees a request (with Bedrock's own messages), lifts the body into a ChatRequest, and
writes a Reply or a stream of neutral events back as Converse's response and events.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import Any

from .catalog import ResolvedModel
from .errors import ValidationException
from .neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ContentBlock,
    Message,
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

MUST_START_WITH_USER = (
    "A conversation must start with a user message. Try again with a conversation that starts "
    "with a user message."
)
MUST_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation "
    "alternates between user and assistant roles and try again."
)
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
NOT_A_CHAT_MODEL = (
    "This action doesn't support the model that you provided. Try again with a supported text "
    "or chat model."
)
NO_TOOL_USE = "This model doesn't support tool use."
NO_STREAMING_TOOL_USE = "This model doesn't support tool use in streaming mode."
NO_SYSTEM = (
    "This model doesn't support system messages. Try again without a system message or use a "
    "model that supports system messages."
)
UNSUPPORTED_BLOCK = (
    "This model doesn't support the {kind} content block that you provided. Try again with a "
    "supported content block."
)
MAX_TOKENS_LIMIT = (
    "The maximum tokens you requested exceeds the model limit of {limit}. Try again with a "
    "maximum tokens value that is lower than {limit}."
)
NO_STRUCTURED_OUTPUT = "This model doesn't support structured output (outputConfig.textFormat)."
BAD_OUTPUT_SCHEMA = (
    "The JSON schema at outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON."
)
UNKNOWN_FORCED_TOOL = (
    "The tool {name} named in toolConfig.toolChoice is not defined in toolConfig.tools."
)
DUPLICATE_TOOL = "The model returned the following errors: tools: Tool names must be unique."
MODEL_ERROR_PREFIX = "The model returned the following errors: "
THINKING_BUDGET_TOO_SMALL = (
    MODEL_ERROR_PREFIX
    + "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
)
THINKING_BUDGET_OVER_MAX = (
    MODEL_ERROR_PREFIX + "`max_tokens` must be greater than `thinking.budget_tokens`. Please "
    "consult our documentation at https://docs.claude.com/en/docs/build-with-claude/"
    "extended-thinking#max-tokens-and-context-window-size"
)
GUARDRAIL_NOT_FOUND = "The guardrail identifier or version provided in the request does not exist."

# Content-block kinds a model must declare support for, by catalog feature.
_MEDIA_FEATURES = {"image": "images", "document": "documents", "video": "video", "audio": "audio"}


def _tool_blocks(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [block[kind] for block in message.get("content", []) if kind in block]


def check_conversation(messages: list[dict[str, Any]], has_tool_config: bool) -> None:
    """Bedrock's own conversation rules, checked in the order Bedrock reports them."""
    if not messages or messages[0]["role"] != "user":
        raise ValidationException(MUST_START_WITH_USER)
    for previous, current in pairwise(messages):
        if previous["role"] == current["role"]:
            raise ValidationException(MUST_ALTERNATE)
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


def _check_model_support(resolved: ResolvedModel, body: dict[str, Any], streaming: bool) -> None:
    model = resolved.model
    if not model.supports("converse") or (streaming and not model.supports("converseStream")):
        raise ValidationException(NOT_A_CHAT_MODEL)
    if body.get("system") and not model.supports("system"):
        raise ValidationException(NO_SYSTEM)
    if "toolConfig" in body:
        if not model.supports("tools"):
            raise ValidationException(NO_TOOL_USE)
        if streaming and not model.supports("toolsStream"):
            raise ValidationException(NO_STREAMING_TOOL_USE)
    for message in body.get("messages", []):
        for block in message.get("content", []):
            for kind, feature in _MEDIA_FEATURES.items():
                if kind in block and not model.supports(feature):
                    raise ValidationException(UNSUPPORTED_BLOCK.format(kind=kind))
    max_tokens = body.get("inferenceConfig", {}).get("maxTokens")
    if max_tokens is not None and model.max_output_tokens and max_tokens > model.max_output_tokens:
        raise ValidationException(MAX_TOKENS_LIMIT.format(limit=model.max_output_tokens))


def _tools(body: dict[str, Any]) -> tuple[list[Tool], str | None, str | None]:
    config = body.get("toolConfig")
    if not config:
        return [], None, None
    tools = [
        Tool(
            name=spec["name"],
            description=spec.get("description", ""),
            input_schema=spec["inputSchema"].get("json") or {"type": "object"},
        )
        for spec in (entry.get("toolSpec") for entry in config["tools"])
        if spec is not None
    ]
    names = [tool.name for tool in tools]
    if len(set(names)) != len(names):
        raise ValidationException(DUPLICATE_TOOL)
    choice = config.get("toolChoice") or {"auto": {}}
    if "tool" in choice:
        name = choice["tool"]["name"]
        if name not in names:
            raise ValidationException(UNKNOWN_FORCED_TOOL.format(name=name))
        return tools, "tool", name
    return tools, next(iter(choice)), None


def _reasoning(fields: dict[str, Any], resolved: ResolvedModel, max_tokens: int | None) -> Any:
    """Extended thinking as each vendor spells it in additionalModelRequestFields."""
    thinking = fields.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        budget = thinking.get("budget_tokens")
        if resolved.model.family == "anthropic-messages" and thinking.get("type") == "enabled":
            if not isinstance(budget, int) or budget < 1024:
                raise ValidationException(THINKING_BUDGET_TOO_SMALL)
            if max_tokens is not None and max_tokens <= budget:
                raise ValidationException(THINKING_BUDGET_OVER_MAX)
        return Reasoning(budget_tokens=budget if isinstance(budget, int) else None)
    for key in ("reasoning_config", "reasoningConfig"):
        config = fields.get(key)
        if isinstance(config, dict) and config.get("type") == "enabled":
            budget = config.get("budget_tokens")
            return Reasoning(
                budget_tokens=budget if isinstance(budget, int) else None,
                effort=config.get("maxReasoningEffort"),
            )
    if isinstance(fields.get("reasoning_effort"), str):
        return Reasoning(effort=fields["reasoning_effort"])
    return None


def _output_schema(body: dict[str, Any], resolved: ResolvedModel) -> dict[str, Any] | None:
    text_format = body.get("outputConfig", {}).get("textFormat")
    if not text_format:
        return None
    if not resolved.model.supports("structuredOutput"):
        raise ValidationException(NO_STRUCTURED_OUTPUT)
    try:
        schema = json.loads(text_format["structure"]["jsonSchema"]["schema"])
    except ValueError as exc:
        raise ValidationException(BAD_OUTPUT_SCHEMA) from exc
    if not isinstance(schema, dict):
        raise ValidationException(BAD_OUTPUT_SCHEMA)
    return schema


def to_chat_request(resolved: ResolvedModel, body: dict[str, Any], streaming: bool) -> ChatRequest:
    """A shape-valid Converse body as a neutral request, or Bedrock's ValidationException."""
    _check_model_support(resolved, body, streaming)
    messages = body.get("messages", [])
    check_conversation(messages, "toolConfig" in body)
    if body.get("guardrailConfig"):
        raise ValidationException(GUARDRAIL_NOT_FOUND)
    tools, choice, forced = _tools(body)
    config = body.get("inferenceConfig", {})
    fields = body.get("additionalModelRequestFields") or {}
    max_tokens = config.get("maxTokens")
    return ChatRequest(
        model=resolved,
        messages=[Message(role=m["role"], content=list(m["content"])) for m in messages],
        system=list(body.get("system", [])),
        max_tokens=max_tokens,
        temperature=config.get("temperature"),
        top_p=config.get("topP"),
        stop_sequences=list(config.get("stopSequences", [])),
        tools=tools,
        tool_choice=choice,
        forced_tool=forced,
        reasoning=(
            _reasoning(fields, resolved, max_tokens)
            if resolved.model.supports("reasoning")
            else None
        ),
        output_schema=_output_schema(body, resolved),
        additional_fields=fields if isinstance(fields, dict) else {},
    )


# Responses


def _wire_block(block: ContentBlock) -> ContentBlock:
    """A neutral content block with its blobs base64-encoded, as JSON carries them."""
    reasoning = block.get("reasoningContent")
    if reasoning and "redactedContent" in reasoning:
        encoded = base64.b64encode(reasoning["redactedContent"]).decode()
        return {"reasoningContent": {"redactedContent": encoded}}
    return block


def _usage(usage: Usage) -> dict[str, int]:
    wire = {
        "inputTokens": usage.input_tokens,
        "outputTokens": usage.output_tokens,
        "totalTokens": usage.total_tokens,
    }
    if usage.cache_read_input_tokens or usage.cache_write_input_tokens:
        wire["cacheReadInputTokens"] = usage.cache_read_input_tokens
        wire["cacheWriteInputTokens"] = usage.cache_write_input_tokens
    return wire


def _additional_fields(body: dict[str, Any], stop_sequence: str | None) -> dict[str, Any] | None:
    """The model-specific response fields the caller asked for by JSON pointer."""
    paths = body.get("additionalModelResponseFieldPaths") or []
    native = {"stop_sequence": stop_sequence}
    picked = {}
    for path in paths:
        key = path.lstrip("/")
        if path.startswith("/") and key in native:
            picked[key] = native[key]
    return picked or None


def _echoed_settings(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in ("performanceConfig", "serviceTier") if key in body}


def response(body: dict[str, Any], reply: Reply, latency_ms: int) -> dict[str, Any]:
    """The Converse response for a reply."""
    out: dict[str, Any] = {
        "output": {
            "message": {"role": "assistant", "content": [_wire_block(b) for b in reply.content]}
        },
        "stopReason": reply.stop_reason,
        "usage": _usage(reply.usage),
        "metrics": {"latencyMs": latency_ms},
    }
    extra = _additional_fields(body, reply.stop_sequence)
    if extra is not None:
        out["additionalModelResponseFields"] = extra
    out.update(_echoed_settings(body))
    return out


def stream_events(
    body: dict[str, Any], events: Iterable[StreamEvent], clock: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    """ConverseStream's (event type, payload) pairs, one per neutral event as it arrives.

    `clock()` gives the milliseconds since the request arrived, for metadata.latencyMs."""
    yield "messageStart", {"role": "assistant"}
    for event in events:
        if isinstance(event, BlockStart):
            if event.kind == "toolUse":
                start = {"toolUse": {"toolUseId": event.tool_use_id, "name": event.name}}
                yield "contentBlockStart", {"contentBlockIndex": event.index, "start": start}
        elif isinstance(event, TextDelta):
            yield _delta(event.index, {"text": event.text})
        elif isinstance(event, ToolInputDelta):
            yield _delta(event.index, {"toolUse": {"input": event.partial_json}})
        elif isinstance(event, ReasoningDelta):
            yield _delta(event.index, {"reasoningContent": {"text": event.text}})
        elif isinstance(event, SignatureDelta):
            yield _delta(event.index, {"reasoningContent": {"signature": event.signature}})
        elif isinstance(event, BlockStop):
            yield "contentBlockStop", {"contentBlockIndex": event.index}
        elif isinstance(event, MessageStop):
            stop: dict[str, Any] = {"stopReason": event.stop_reason}
            extra = _additional_fields(body, event.stop_sequence)
            if extra is not None:
                stop["additionalModelResponseFields"] = extra
            yield "messageStop", stop
            metadata = {"usage": _usage(event.usage), "metrics": {"latencyMs": clock()}}
            metadata.update(_echoed_settings(body))
            yield "metadata", metadata


def _delta(index: int, delta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return "contentBlockDelta", {"contentBlockIndex": index, "delta": delta}
