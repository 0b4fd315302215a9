"""Amazon Titan Text (tg1-large, text-lite, text-express, text-premier): `inputText` in,
`results[]` out, with Titan's own completion reasons and token counts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..catalog import ResolvedModel
from ..neutral import ChatRequest, Message, Reply, StreamEvent
from . import Body, Metrics, register
from .common import METRICS_KEY, check_max, text_deltas, text_of

# Titan's documented default when textGenerationConfig.maxTokenCount is absent.
DEFAULT_MAX_TOKENS = 512
_COMPLETION_REASONS = {
    "end_turn": "FINISH",
    "tool_use": "FINISH",
    "max_tokens": "LENGTH",
    "stop_sequence": "STOP_CRITERIA_MET",
    "content_filtered": "CONTENT_FILTERED",
    "guardrail_intervened": "CONTENT_FILTERED",
}
# Titan's chat convention: "User: …" and "Bot: …" turns, each at the start of a line.
_TURN = re.compile(r"^[ \t]*(User|Bot):", re.MULTILINE)


def completion_reason(stop_reason: str) -> str:
    return _COMPLETION_REASONS.get(stop_reason, "FINISH")


def input_messages(text: str) -> list[Message]:
    """`inputText` as turns, so a "User: …\\nBot:" transcript reaches the engine as a chat.

    Text before the first marker belongs to the user; the empty trailing "Bot:" (the slot the
    model fills) is dropped; text without markers is one user message."""
    turns: list[tuple[str, str]] = []
    role, start = "user", 0
    for match in _TURN.finditer(text):
        turns.append((role, text[start : match.start()]))
        role = "user" if match.group(1) == "User" else "assistant"
        start = match.end()
    turns.append((role, text[start:]))
    messages: list[Message] = []
    for role, chunk in turns:
        chunk = chunk.strip()
        if not chunk:
            continue
        if messages and messages[-1].role == role:
            messages[-1].content.append({"text": chunk})
        else:
            messages.append(Message(role=role, content=[{"text": chunk}]))  # type: ignore[arg-type]
    return messages or [Message(role="user", content=[{"text": text}])]


@register("titan-text")
class TitanText:
    kind = "chat"
    schema = "titan-text"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        config = body.get("textGenerationConfig") or {}
        max_tokens = config.get("maxTokenCount", DEFAULT_MAX_TOKENS)
        check_max(model, "#/textGenerationConfig/maxTokenCount", max_tokens)
        return ChatRequest(
            model=model,
            messages=input_messages(body["inputText"]),
            max_tokens=max_tokens,
            temperature=config.get("temperature"),
            top_p=config.get("topP"),
            stop_sequences=list(config.get("stopSequences", [])),
        )

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        return {
            "inputTextTokenCount": reply.usage.input_tokens,
            "results": [
                {
                    "tokenCount": reply.usage.output_tokens,
                    "outputText": text_of(reply),
                    "completionReason": completion_reason(reply.stop_reason),
                }
            ],
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        """Text chunks (the first carries inputTextTokenCount), then a closing chunk with the
        completion reason, the output total and the invocation metrics, as Titan sends them."""
        first, prompt = True, []
        for text, stop in text_deltas(events, prompt.append):
            if stop is None:
                if not text:
                    continue
                yield {
                    "outputText": text,
                    "index": 0,
                    "totalOutputTextTokenCount": None,
                    "completionReason": None,
                    "inputTextTokenCount": prompt[0] if first else None,
                }
                first = False
            else:
                yield {
                    "outputText": "",
                    "index": 0,
                    "totalOutputTextTokenCount": stop.usage.output_tokens,
                    "completionReason": completion_reason(stop.stop_reason),
                    "inputTextTokenCount": stop.usage.input_tokens if first else None,
                    METRICS_KEY: metrics(stop.usage),
                }
