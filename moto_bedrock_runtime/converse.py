"""Converse and ConverseStream: Bedrock's conversation rules, and the Converse wire shapes.

Converse is already the neutral form, so this module only checks what Bedrock checks before a
model sees a request (with Bedrock's own messages), lifts the body into a ChatRequest, and
writes a Reply or a stream of neutral events back as Converse's response and events.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import json_input
from .catalog import ResolvedModel
from .conversation import block_event, check_conversation, tool_config
from .errors import ValidationException
from .neutral import (
    ChatRequest,
    ContentBlock,
    Message,
    MessageStop,
    Reasoning,
    Reply,
    StreamEvent,
    Usage,
)
from .vendors.anthropic import thinking_request

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
MODEL_ERROR_PREFIX = "The model returned the following errors: "
FIELDS_NOT_OBJECT = "The additionalModelRequestFields field must be a JSON object."

# Content-block kinds a model must declare support for, by catalog feature.
_MEDIA_FEATURES = {"image": "images", "document": "documents", "video": "video", "audio": "audio"}


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


def _reasoning(
    fields: dict[str, Any], resolved: ResolvedModel, max_tokens: int | None
) -> Reasoning | None:
    """Extended thinking as each vendor spells it in additionalModelRequestFields; models that
    always think (DeepSeek R1, gpt-oss) do so unasked."""
    if not resolved.model.supports("reasoning"):
        return None
    if resolved.model.family == "anthropic-messages":
        try:
            return thinking_request(fields.get("thinking"), max_tokens)
        except ValidationException as exc:
            raise ValidationException(MODEL_ERROR_PREFIX + exc.message) from exc
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
    return Reasoning() if resolved.model.supports("alwaysReasons") else None


def _output_schema(body: dict[str, Any], resolved: ResolvedModel) -> dict[str, Any] | None:
    text_format = body.get("outputConfig", {}).get("textFormat")
    if not text_format:
        return None
    if not resolved.model.supports("structuredOutput"):
        raise ValidationException(NO_STRUCTURED_OUTPUT)
    try:
        schema = json_input.loads(text_format["structure"]["jsonSchema"]["schema"])
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
    fields = body.get("additionalModelRequestFields", {})
    if not isinstance(fields, dict):
        raise ValidationException(FIELDS_NOT_OBJECT)
    tools, choice, forced = tool_config(body.get("toolConfig"))
    config = body.get("inferenceConfig", {})
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
        reasoning=_reasoning(fields, resolved, max_tokens),
        output_schema=_output_schema(body, resolved),
        additional_fields=fields,
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


def _trace(
    resolved: ResolvedModel | None, guardrail: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The guardrail's trace when the call asked for one, and what Bedrock traces unasked: the
    model a prompt router chose."""
    trace: dict[str, Any] = {}
    if guardrail is not None:
        trace["guardrail"] = guardrail
    if resolved is not None and resolved.invoked_model_arn is not None:
        trace["promptRouter"] = {"invokedModelId": resolved.invoked_model_arn}
    return trace or None


def response(
    body: dict[str, Any],
    reply: Reply,
    latency_ms: int,
    resolved: ResolvedModel | None = None,
    guardrail_trace: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Converse response for a reply; `resolved` is the request's model and
    `guardrail_trace` its guardrail's GuardrailTraceAssessment, for the trace."""
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
    trace = _trace(resolved, guardrail_trace)
    if trace is not None:
        out["trace"] = trace
    out.update(_echoed_settings(body))
    return out


def stream_events(
    body: dict[str, Any],
    events: Iterable[StreamEvent],
    clock: Any,
    resolved: ResolvedModel | None = None,
    guardrail_trace: Callable[[], dict[str, Any] | None] = lambda: None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """ConverseStream's (event type, payload) pairs, one per neutral event as it arrives.

    `clock()` gives the milliseconds since the request arrived, for metadata.latencyMs;
    `resolved` is the request's model and `guardrail_trace()` its guardrail's trace (asked for
    once the output has been evaluated), for metadata.trace."""
    yield "messageStart", {"role": "assistant"}
    for event in events:
        item = block_event(event)
        if item is not None:
            yield item
        elif isinstance(event, MessageStop):
            stop: dict[str, Any] = {"stopReason": event.stop_reason}
            extra = _additional_fields(body, event.stop_sequence)
            if extra is not None:
                stop["additionalModelResponseFields"] = extra
            yield "messageStop", stop
            metadata = {"usage": _usage(event.usage), "metrics": {"latencyMs": clock()}}
            trace = _trace(resolved, guardrail_trace())
            if trace is not None:
                metadata["trace"] = trace
            metadata.update(_echoed_settings(body))
            yield "metadata", metadata
