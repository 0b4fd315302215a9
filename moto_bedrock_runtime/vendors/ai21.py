"""AI21 Jamba on Bedrock (jamba-1-5-mini/large, jamba-instruct): OpenAI-like chat with
grounding documents, `n` answers, and AI21's `meta` block."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .. import ids
from ..catalog import ResolvedModel
from ..neutral import ChatRequest, ContentBlock, Message, Reply, StreamEvent
from . import Body, Metrics, register
from .common import (
    METRICS_KEY,
    assistant_message,
    chat_deltas,
    chat_messages,
    chat_tools,
    check_max,
    length_or_stop,
)
from .openai import response_format_schema, stop_list, usage_of

# A plausible, deterministic `meta.requestDurationMillis`: the codec never sees the clock.
_BASE_MILLIS = 120
_MILLIS_PER_TOKEN = 8


def jamba_model_name(model: ResolvedModel) -> str:
    """AI21's own name for the model, as its bodies carry it: `jamba-1.5-mini`."""
    name = model.model.model_id.removeprefix("ai21.")
    name = re.sub(r"-v\d+(:\d+)*$", "", name)
    return re.sub(r"(\d)-(\d)", r"\1.\2", name)


def _documents(raw: list[dict[str, Any]] | None) -> list[ContentBlock]:
    return [
        {
            "document": {
                "format": "txt",
                "name": str(document.get("id") or f"document-{number}"),
                "source": {"text": document.get("content", "")},
            }
        }
        for number, document in enumerate(raw or [], start=1)
    ]


def _with_documents(messages: list[Message], documents: list[ContentBlock]) -> list[Message]:
    """Grounding documents join the last user turn, where the model reads them."""
    if not documents:
        return messages
    for message in reversed(messages):
        if message.role == "user":
            message.content = [*documents, *message.content]
            return messages
    return [*messages, Message(role="user", content=documents)]


@register("ai21-jamba")
class Jamba:
    kind = "chat"
    schema = "ai21-jamba"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        check_max(model, "#/max_tokens", body.get("max_tokens"))
        system, messages = chat_messages(body["messages"])
        tools, choice, forced = chat_tools(body.get("tools"), body.get("tool_choice"))
        return ChatRequest(
            model=model,
            messages=_with_documents(messages, _documents(body.get("documents"))),
            system=system,
            max_tokens=body.get("max_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop_sequences=stop_list(body.get("stop")),
            tools=tools,
            tool_choice=choice,
            forced_tool=forced,
            output_schema=response_format_schema(body.get("response_format")),
        )

    @staticmethod
    def _id(body: Body) -> str:
        return "chat-" + ids.digest("jamba", repr(body.get("messages"))).hex()[:32]

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        message = assistant_message(reply)
        message.setdefault("tool_calls", None)
        reason = length_or_stop(reply.stop_reason)
        return {
            "id": self._id(body),
            "choices": [
                {"index": index, "message": message, "finish_reason": reason}
                for index in range(body.get("n", 1))
            ],
            "usage": usage_of(reply.usage.input_tokens, reply.usage.output_tokens),
            "meta": {
                "requestDurationMillis": _BASE_MILLIS
                + _MILLIS_PER_TOKEN * reply.usage.output_tokens
            },
            "model": jamba_model_name(request.model),
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        chunk_id = self._id(body)
        count = body.get("n", 1)
        first = True
        for delta, stop in chat_deltas(events):
            if stop is not None:
                reason = length_or_stop(stop.stop_reason)
                yield {
                    "id": chunk_id,
                    "choices": [
                        {"index": index, "delta": {"content": ""}, "finish_reason": reason}
                        for index in range(count)
                    ],
                    "usage": usage_of(stop.usage.input_tokens, stop.usage.output_tokens),
                    METRICS_KEY: metrics(stop.usage),
                }
                continue
            if "reasoning_content" in delta:
                continue
            if first:
                delta = {"role": "assistant", **delta}
                first = False
            yield {
                "id": chunk_id,
                "choices": [
                    {"index": index, "delta": delta, "finish_reason": None}
                    for index in range(count)
                ],
                "usage": None,
            }
