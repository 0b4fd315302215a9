"""Mistral AI on Bedrock: raw-prompt text completion (7B, Mixtral, Large/Small 2402) and the
messages-based chat completion (Large 2407, Pixtral Large)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import ids
from ..catalog import ResolvedModel
from ..neutral import ChatRequest, Reply, StreamEvent
from . import Body, Metrics, register
from .common import (
    METRICS_KEY,
    assistant_message,
    chat_deltas,
    chat_messages,
    chat_tools,
    check_max,
    finish_reason,
    length_or_stop,
    prompt_request,
    text_deltas,
    text_of,
)
from .openai import response_format_schema


def _stop_reason(stop_reason: str) -> str:
    """Mistral reports only "stop" and "length" (and "tool_calls" in chat)."""
    reason = finish_reason(stop_reason)
    return reason if reason in ("length", "tool_calls") else "stop"


@register("mistral-text")
class MistralText:
    kind = "chat"
    schema = "mistral-text"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        return prompt_request(model, body, body["prompt"])

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        reason = length_or_stop(reply.stop_reason)
        return {"outputs": [{"text": text_of(reply), "stop_reason": reason}]}

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        for text, stop in text_deltas(events):
            if stop is None:
                yield {"outputs": [{"text": text, "stop_reason": None}]}
            else:
                reason = length_or_stop(stop.stop_reason)
                yield {
                    "outputs": [{"text": "", "stop_reason": reason}],
                    METRICS_KEY: metrics(stop.usage),
                }


def mistral_tool_call_id(tool_use_id: str) -> str:
    """Mistral's own form: nine letters and digits, derived from the neutral id."""
    return ids.tool_use_id(tool_use_id).removeprefix("tooluse_")[:9]


def _mistral_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-style tool calls in Mistral-on-Bedrock's shape: `{id, function}`, Mistral ids."""
    out = []
    for call in calls:
        shaped = {key: value for key, value in call.items() if key != "type"}
        if "id" in shaped:
            shaped["id"] = mistral_tool_call_id(shaped["id"])
        out.append(shaped)
    return out


@register("mistral-chat")
class MistralChat:
    kind = "chat"
    schema = "mistral-chat"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        check_max(model, "#/max_tokens", body.get("max_tokens"))
        system, messages = chat_messages(body["messages"])
        tools, choice, forced = chat_tools(body.get("tools"), body.get("tool_choice"))
        return ChatRequest(
            model=model,
            messages=messages,
            system=system,
            max_tokens=body.get("max_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop_sequences=list(body.get("stop", [])),
            tools=tools,
            tool_choice=choice,
            forced_tool=forced,
            output_schema=response_format_schema(body.get("response_format")),
        )

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        message = assistant_message(reply)
        message["content"] = message["content"] or ""
        if "tool_calls" in message:
            message["tool_calls"] = _mistral_calls(message["tool_calls"])
        return {
            "choices": [
                {"index": 0, "message": message, "stop_reason": _stop_reason(reply.stop_reason)}
            ]
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        first = True
        for delta, stop in chat_deltas(events):
            if stop is not None:
                yield {
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": ""},
                            "stop_reason": _stop_reason(stop.stop_reason),
                        }
                    ],
                    METRICS_KEY: metrics(stop.usage),
                }
                continue
            if "reasoning_content" in delta:
                continue
            if "tool_calls" in delta:
                delta = {"tool_calls": _mistral_calls(delta["tool_calls"])}
            if first:
                delta = {"role": "assistant", **delta}
                first = False
            yield {"choices": [{"index": 0, "delta": delta, "stop_reason": None}]}
