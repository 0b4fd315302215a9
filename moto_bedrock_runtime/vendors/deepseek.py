"""DeepSeek R1 and V3: a raw chat-template `prompt` in, `choices[{text, stop_reason}]` out.

R1 thinks before it answers and returns its reasoning in the same text, closed by `</think>`
(the prompt's trailing `<think>` opened it), so a reasoning block becomes that prefix."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..catalog import ResolvedModel
from ..neutral import (
    BlockStop,
    ChatRequest,
    MessageStop,
    Reasoning,
    ReasoningDelta,
    Reply,
    StreamEvent,
    TextDelta,
)
from . import Body, Metrics, register
from .common import METRICS_KEY, length_or_stop, prompt_request, reasoning_of, text_of

THINK_END = "\n</think>\n\n"
# The generation slot R1 prompts end with, and the turn terminator prompt_messages keeps.
_PROMPT_NOISE = re.compile(r"<think>\s*$|<｜end▁of▁sentence｜>")


def _choice(text: str, reason: str | None) -> Body:
    return {"choices": [{"text": text, "stop_reason": reason}]}


@register("deepseek")
class DeepSeek:
    kind = "chat"
    schema = "deepseek"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        request = prompt_request(model, body, _PROMPT_NOISE.sub("", body["prompt"]))
        request.reasoning = Reasoning() if model.model.supports("alwaysReasons") else None
        return request

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        thought, answer = reasoning_of(reply), text_of(reply)
        if thought and (answer or reply.stop_reason != "max_tokens"):
            thought += THINK_END
        return _choice(thought + answer, length_or_stop(reply.stop_reason))

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        """Reasoning and answer stream as one text. `</think>` goes out once the answer starts
        (or the model stops on its own after thinking): a model cut off mid-thought never
        closes it."""
        thinking: set[int] = set()
        unclosed = False
        for event in events:
            if isinstance(event, ReasoningDelta) and event.text:
                thinking.add(event.index)
                yield _choice(event.text, None)
            elif isinstance(event, BlockStop) and event.index in thinking:
                unclosed = True
            elif isinstance(event, TextDelta) and event.text:
                if unclosed:
                    unclosed = False
                    yield _choice(THINK_END, None)
                yield _choice(event.text, None)
            elif isinstance(event, MessageStop):
                if unclosed and event.stop_reason != "max_tokens":
                    yield _choice(THINK_END, None)
                yield {
                    **_choice("", length_or_stop(event.stop_reason)),
                    METRICS_KEY: metrics(event.usage),
                }
