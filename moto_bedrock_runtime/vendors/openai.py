"""OpenAI Chat Completions bodies on Bedrock: gpt-oss and Qwen3 ("openai-chat"), and Writer
Palmyra, whose body is the same chat shape with Writer's own parameters ("writer")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import ids
from ..catalog import ResolvedModel
from ..errors import ValidationException
from ..neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ReasoningDelta,
    Reply,
    StreamEvent,
    TextDelta,
)
from . import Body, Metrics, register
from .common import (
    METRICS_KEY,
    assistant_message,
    chat_deltas,
    chat_messages,
    chat_reasoning,
    chat_tools,
    check_max,
    finish_reason,
)

MODEL_MISMATCH = (
    "The model '{given}' in the request body does not match the model '{expected}' in the "
    "request path."
)
STREAM_IN_BODY = (
    "stream: true is not supported in the request body. Use InvokeModelWithResponseStream to "
    "stream the response."
)
REASONING_TAG = "reasoning"
# A fixed origin for `created`, so the same request gets the same timestamp on every machine.
_CREATED_BASE = 1_754_000_000
_CREATED_SPAN = 10_000_000


def response_format_schema(response_format: Any) -> dict[str, Any] | None:
    """The JSON Schema an OpenAI-style `response_format` asks the answer to follow."""
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        return response_format.get("json_schema", {}).get("schema") or {"type": "object"}
    if kind == "json_object":
        return {"type": "object"}
    return None


def stop_list(stop: Any) -> list[str]:
    """OpenAI's `stop` is a string or a list of strings."""
    if stop is None:
        return []
    return [stop] if isinstance(stop, str) else list(stop)


def usage_of(input_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def _inline_reasoning(events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
    """Reasoning streamed as content inside <reasoning> tags, as the whole answer carries it."""
    open_block: int | None = None
    for event in events:
        if isinstance(event, BlockStart) and event.kind == "reasoning":
            open_block = event.index
            yield TextDelta(event.index, f"<{REASONING_TAG}>")
        elif isinstance(event, ReasoningDelta):
            yield TextDelta(event.index, event.text)
        elif isinstance(event, BlockStop) and event.index == open_block:
            open_block = None
            yield TextDelta(event.index, f"</{REASONING_TAG}>")
        else:
            yield event


@register("openai-chat")
class OpenAIChat:
    kind = "chat"
    schema = "openai-chat"
    # The output cap a body without one gets (None: the model's own maximum).
    default_max_tokens: int | None = None

    def _check_body(self, body: Body, model: ResolvedModel) -> None:
        given = body.get("model")
        if given is not None and given not in (model.requested, model.model.model_id):
            raise ValidationException(
                MODEL_MISMATCH.format(given=given, expected=model.model.model_id)
            )
        if body.get("stream"):
            raise ValidationException(STREAM_IN_BODY)

    def _messages(self, body: Body) -> list[dict[str, Any]]:
        return body["messages"]

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        self._check_body(body, model)
        pointer = "#/max_completion_tokens" if "max_completion_tokens" in body else "#/max_tokens"
        max_tokens = body.get(
            "max_completion_tokens", body.get("max_tokens", self.default_max_tokens)
        )
        check_max(model, pointer, max_tokens)
        system, messages = chat_messages(self._messages(body))
        tools, choice, forced = chat_tools(body.get("tools"), body.get("tool_choice"))
        reasoning = None
        if model.model.supports("reasoning"):
            reasoning = chat_reasoning(body.get("reasoning_effort", "medium"))
        return ChatRequest(
            model=model,
            messages=messages,
            system=system,
            max_tokens=max_tokens,
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            stop_sequences=stop_list(body.get("stop")),
            tools=tools,
            tool_choice=choice,
            forced_tool=forced,
            reasoning=reasoning,
            output_schema=response_format_schema(body.get("response_format")),
        )

    def _envelope(self, request: ChatRequest, body: Body, kind: str) -> dict[str, Any]:
        """The members every completion and chunk shares, from the request alone, so a stream's
        chunks and the whole answer to the same body agree."""
        digest = ids.digest("chatcmpl", request.model.model.model_id, repr(body.get("messages")))
        created = _CREATED_BASE + int.from_bytes(digest[:4], "big") % _CREATED_SPAN
        return {
            "id": "chatcmpl-" + digest.hex()[:32],
            "object": kind,
            "created": created,
            "model": request.model.model.model_id,
        }

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        return {
            **self._envelope(request, body, "chat.completion"),
            "choices": [
                {
                    "index": 0,
                    "message": assistant_message(reply, reasoning_tag=REASONING_TAG),
                    "finish_reason": finish_reason(reply.stop_reason),
                }
            ],
            "usage": usage_of(reply.usage.input_tokens, reply.usage.output_tokens),
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        envelope = self._envelope(request, body, "chat.completion.chunk")
        first = True
        for delta, stop in chat_deltas(_inline_reasoning(events)):
            if stop is not None:
                yield {
                    **envelope,
                    "choices": [
                        {"index": 0, "delta": {}, "finish_reason": finish_reason(stop.stop_reason)}
                    ],
                    "usage": usage_of(stop.usage.input_tokens, stop.usage.output_tokens),
                    METRICS_KEY: metrics(stop.usage),
                }
                continue
            if first:
                delta = {"role": "assistant", **delta}
                first = False
            yield {**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def _writer_content(content: Any) -> Any:
    """Writer's documented body also spells text content as an object: `{"text": "..."}`."""
    if isinstance(content, dict) and "text" in content:
        return content["text"]
    return content


@register("writer")
class WriterChat(OpenAIChat):
    """Palmyra X4/X5: chat messages plus Writer's sampling parameters; no `model` or `stream`."""

    schema = "writer"
    # Writer's documented default: a body without max_tokens gets at most 16 tokens.
    default_max_tokens = 16

    def _check_body(self, body: Body, model: ResolvedModel) -> None:
        """Writer's schema admits neither `model` nor `stream`, so there is nothing to check."""

    def _messages(self, body: Body) -> list[dict[str, Any]]:
        return [
            {**message, "content": _writer_content(message.get("content"))}
            for message in body["messages"]
        ]
