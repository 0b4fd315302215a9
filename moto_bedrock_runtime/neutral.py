"""The neutral form every layer speaks: a chat request, a reply, and the stream of a reply.

It is Converse's own shape (messages of content-block dicts with blobs as bytes) lifted into a
few dataclasses, so Converse maps to it directly and each vendor codec maps to it once.
Engines see only this; they never see a vendor body or HTTP.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

from .catalog import ResolvedModel

ContentBlock = dict[str, Any]
StopReason = Literal[
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "guardrail_intervened",
    "content_filtered",
    "malformed_model_output",
    "malformed_tool_use",
    "model_context_window_exceeded",
]


@dataclass
class Message:
    role: Literal["user", "assistant"]
    content: list[ContentBlock]


@dataclass
class Tool:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class Reasoning:
    """Extended thinking asked for, however the vendor spells it (thinking, reasoning_config…)."""

    budget_tokens: int | None = None
    effort: str | None = None


@dataclass
class ChatRequest:
    model: ResolvedModel
    messages: list[Message]
    system: list[ContentBlock] = field(default_factory=list)
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: list[str] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    # "auto", "any", "none", or the name of the one tool the model must call.
    tool_choice: str | None = None
    forced_tool: str | None = None
    reasoning: Reasoning | None = None
    output_schema: dict[str, Any] | None = None
    additional_fields: dict[str, Any] = field(default_factory=dict)

    def last_user_message(self) -> Message | None:
        for message in reversed(self.messages):
            if message.role == "user":
                return message
        return None


@dataclass
class Usage:
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Every token the call processed: fresh input, output, and cached input read or
        written (Converse's totalTokens)."""
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_read_input_tokens
            + self.cache_write_input_tokens
        )


@dataclass
class Reply:
    """A whole answer: Converse content blocks (text, toolUse, reasoningContent)."""

    content: list[ContentBlock]
    stop_reason: StopReason
    usage: Usage
    stop_sequence: str | None = None


# Stream events, in the order an engine yields them.


@dataclass(frozen=True)
class MessageStart:
    """First event of every stream: what the prompt cost, so formats that report it up front
    (Claude's message_start, Titan's and Llama's first chunk) report the engine's own count."""

    input_tokens: int


@dataclass(frozen=True)
class BlockStart:
    """A content block opens; text blocks carry no start data, tool uses carry id and name."""

    index: int
    kind: Literal["text", "toolUse", "reasoning"]
    tool_use_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class TextDelta:
    index: int
    text: str


@dataclass(frozen=True)
class ToolInputDelta:
    index: int
    partial_json: str


@dataclass(frozen=True)
class ReasoningDelta:
    index: int
    text: str


@dataclass(frozen=True)
class SignatureDelta:
    index: int
    signature: str


@dataclass(frozen=True)
class BlockStop:
    index: int


@dataclass(frozen=True)
class MessageStop:
    stop_reason: StopReason
    usage: Usage
    stop_sequence: str | None = None


StreamEvent = (
    MessageStart
    | BlockStart
    | TextDelta
    | ToolInputDelta
    | ReasoningDelta
    | SignatureDelta
    | BlockStop
    | MessageStop
)


# Embeddings and images: requests that are not chats.


@dataclass
class EmbedInput:
    """One item to embed: text, an image, or both (Titan multimodal combines them)."""

    text: str | None = None
    image: bytes | None = None


@dataclass
class EmbedRequest:
    model: ResolvedModel
    inputs: list[EmbedInput]
    dimensions: int
    # Retrieval side or task, as vendors name it (search_query, GENERIC_INDEX…); engines may use it.
    purpose: str | None = None


@dataclass
class EmbedReply:
    """Unit-length float vectors, one per input, and the tokens the inputs cost."""

    vectors: list[list[float]]
    input_tokens: int


@dataclass
class ImageRequest:
    model: ResolvedModel
    prompt: str
    width: int
    height: int
    count: int = 1
    seed: int = 0
    negative_prompt: str = ""
    output_format: str = "png"


@dataclass
class ImageReply:
    images: list[bytes]
    seeds: list[int]


def neutral_json(value: Any) -> Any:
    """A neutral request or reply as plain JSON (blobs base64, the model as its ids), for the
    call history a test reads."""
    if isinstance(value, ResolvedModel):
        return {"requested": value.requested, "model_id": value.model.model_id}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: neutral_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: neutral_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [neutral_json(item) for item in value]
    return value
