"""The engine that asks a real model: an OpenAI-compatible backend (Ollama, llama.cpp's server,
vLLM, LM Studio, a hosted API) behind every Bedrock call.

A neutral request becomes one POST to {backend}/chat/completions: the system prompt as a
system message, images as data URLs, documents as text, toolUse/toolResult as tool_calls and
tool messages, tools and tool_choice, max_tokens, temperature, top_p, stop, reasoning effort
and a JSON-schema response format. The answer comes back as neutral content: text, tool calls
with their arguments parsed into toolUse input, reasoning_content as reasoningContent,
finish_reason as stopReason and usage as token counts. Streams use stream=true with
stream_options.include_usage, and each SSE chunk becomes neutral deltas as it arrives.
Embedding requests go to {backend}/embeddings and are projected to the Bedrock model's width
(embedding_projection.py). Image generation has no OpenAI-compatible counterpart here and
stays with the canned engine.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

from .. import ids, tokens
from ..backend_settings import BackendSettings
from ..embedding_projection import project
from ..errors import ModelErrorException, ModelStreamErrorException
from ..model_map import backend_model
from ..neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ContentBlock,
    EmbedReply,
    EmbedRequest,
    ImageReply,
    ImageRequest,
    Message,
    MessageStart,
    MessageStop,
    ReasoningDelta,
    Reply,
    SignatureDelta,
    StopReason,
    StreamEvent,
    TextDelta,
    ToolInputDelta,
    Usage,
)
from .backend_http import BackendClient, Upstream
from .canned import CannedEngine

log = logging.getLogger("moto_bedrock_runtime.backend")

_FINISH_REASONS: dict[str, StopReason] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "content_filtered",
}
# Text formats a document block can be read as; the others are named, not converted.
_TEXT_DOCUMENTS = frozenset({"txt", "md", "csv", "html", "json", "xml"})
# Reasoning budgets (Claude's budget_tokens) as OpenAI's reasoning_effort levels.
_EFFORT_BUDGETS = ((2048, "low"), (8192, "medium"))
_NO_CHOICES = "The model backend's answer has no choices."
_CANNED = CannedEngine()


def _data_url(image: dict[str, Any]) -> str | None:
    data = image.get("source", {}).get("bytes")
    if data is None:
        return None
    return f"data:image/{image.get('format', 'png')};base64,{base64.b64encode(data).decode()}"


def _document_text(document: dict[str, Any]) -> str:
    name = document.get("name", "document")
    source = document.get("source", {})
    if "text" in source:
        return f"[document {name}]\n{source['text']}"
    if "content" in source:
        texts = [part["text"] for part in source["content"] if "text" in part]
        return f"[document {name}]\n" + "\n".join(texts)
    data, form = source.get("bytes"), document.get("format", "")
    if data is not None and form in _TEXT_DOCUMENTS:
        return f"[document {name}]\n{data.decode('utf-8', 'replace')}"
    size = f", {len(data)} bytes" if data is not None else ""
    return f"[document {name} ({form}{size}) not converted to text]"


def _text_of_block(block: ContentBlock) -> str | None:
    """A block as plain text, for the parts of a message OpenAI carries as text only."""
    if "text" in block:
        return block["text"]
    if "json" in block:
        return json.dumps(block["json"], ensure_ascii=False)
    if "document" in block:
        return _document_text(block["document"])
    if "guardContent" in block:
        return block["guardContent"].get("text", {}).get("text")
    for kind in ("image", "video", "audio", "searchResult"):
        if kind in block:
            return f"[{kind}]"
    return None


def _user_parts(blocks: list[ContentBlock]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for block in blocks:
        url = _data_url(block["image"]) if "image" in block else None
        if url is not None:
            parts.append({"type": "image_url", "image_url": {"url": url}})
            continue
        text = _text_of_block(block)
        if text is not None:
            parts.append({"type": "text", "text": text})
    return parts


def _tool_result(result: dict[str, Any]) -> dict[str, Any]:
    texts = [_text_of_block(part) for part in result.get("content", [])]
    content = "\n".join(text for text in texts if text is not None)
    if result.get("status") == "error":
        content = f"Error: {content}"
    return {"role": "tool", "tool_call_id": result["toolUseId"], "content": content}


def _assistant(blocks: list[ContentBlock]) -> dict[str, Any]:
    texts = [block["text"] for block in blocks if "text" in block]
    calls = [
        {
            "id": block["toolUse"]["toolUseId"],
            "type": "function",
            "function": {
                "name": block["toolUse"]["name"],
                "arguments": json.dumps(block["toolUse"]["input"], ensure_ascii=False),
            },
        }
        for block in blocks
        if "toolUse" in block
    ]
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _messages(request: ChatRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    system = [text for text in map(_text_of_block, request.system) if text]
    if system:
        out.append({"role": "system", "content": "\n\n".join(system)})
    for message in request.messages:
        out.extend(_chat_messages(message))
    return out


def _chat_messages(message: Message) -> list[dict[str, Any]]:
    if message.role == "assistant":
        return [_assistant(message.content)]
    results = [_tool_result(b["toolResult"]) for b in message.content if "toolResult" in b]
    parts = _user_parts([b for b in message.content if "toolResult" not in b])
    if not parts:
        return results
    if all(part["type"] == "text" for part in parts):
        content: Any = "\n".join(part["text"] for part in parts)
    else:
        content = parts
    return [*results, {"role": "user", "content": content}]


def _tool_choice(request: ChatRequest) -> Any:
    if request.tool_choice == "tool" and request.forced_tool:
        return {"type": "function", "function": {"name": request.forced_tool}}
    return {"any": "required", "none": "none", "auto": "auto"}.get(request.tool_choice or "")


def _effort(request: ChatRequest) -> str | None:
    reasoning = request.reasoning
    if reasoning is None:
        return None
    if reasoning.effort:
        return reasoning.effort.lower()
    budget = reasoning.budget_tokens or 0
    return next((level for limit, level in _EFFORT_BUDGETS if budget < limit), "high")


def chat_body(request: ChatRequest, model: str, stream: bool) -> dict[str, Any]:
    """The /chat/completions body for a neutral request."""
    body: dict[str, Any] = {"model": model, "messages": _messages(request)}
    optional = {
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stop": request.stop_sequences or None,
        "reasoning_effort": _effort(request),
        "top_k": request.additional_fields.get("top_k"),
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.input_schema,
                },
            }
            for tool in request.tools
        ]
        choice = _tool_choice(request)
        if choice is not None:
            body["tool_choice"] = choice
    if request.output_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": request.output_schema, "strict": True},
        }
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _tool_use_id(backend_id: str | None, seed: str) -> str:
    """Bedrock's id shape for a backend's call id (the backend sees these ids back, so any
    stable mapping works)."""
    return ids.tool_use_id(backend_id or seed)


def _usage(data: dict[str, Any] | None, request: ChatRequest, output_text: str) -> Usage:
    """The backend's counts; ours (tokens.py) for what it does not report."""
    data = data or {}
    prompt = data.get("prompt_tokens")
    completion = data.get("completion_tokens")
    cached = (data.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    input_tokens = int(prompt) if isinstance(prompt, int) else tokens.request_tokens(request)
    return Usage(
        input_tokens=max(0, input_tokens - int(cached)),
        output_tokens=int(completion) if isinstance(completion, int) else tokens.count(output_text),
        cache_read_input_tokens=int(cached),
    )


def _arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments as toolUse input; a model that wrote no JSON object is an error
    Bedrock reports as a model error."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError) as exc:
        raise ModelErrorException(
            f"The model returned tool-call arguments that are not JSON: {str(raw)[:200]}",
            originalStatusCode=200,
        ) from exc
    if not isinstance(value, dict):
        raise ModelErrorException(
            "The model returned tool-call arguments that are not a JSON object.",
            originalStatusCode=200,
        )
    return value


def _reasoning_of(message: dict[str, Any]) -> str:
    """Reasoning text, under the names servers use for it (vLLM, DeepSeek: reasoning_content;
    Ollama, llama.cpp: reasoning)."""
    value = message.get("reasoning_content") or message.get("reasoning") or ""
    return value if isinstance(value, str) else ""


def reply_from(data: dict[str, Any], request: ChatRequest) -> Reply:
    """A /chat/completions answer as a neutral reply."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ModelErrorException(_NO_CHOICES, originalStatusCode=200)
    message = choices[0].get("message") or {}
    content: list[ContentBlock] = []
    thought = _reasoning_of(message)
    if thought:
        signature = ids.reasoning_signature(thought)
        content.append(
            {"reasoningContent": {"reasoningText": {"text": thought, "signature": signature}}}
        )
    text = message.get("content") or ""
    calls = message.get("tool_calls") or []
    if text or not calls:
        content.append({"text": text})
    for position, call in enumerate(calls):
        function = call.get("function") or {}
        use_id = _tool_use_id(call.get("id"), f"{data.get('id')}:{position}")
        content.append(
            {
                "toolUse": {
                    "toolUseId": use_id,
                    "name": function.get("name", ""),
                    "input": _arguments(function.get("arguments")),
                }
            }
        )
    finish = choices[0].get("finish_reason")
    stop = _FINISH_REASONS.get(finish or "stop", "end_turn")
    if calls and stop == "end_turn":
        stop = "tool_use"
    return Reply(content=content, stop_reason=stop, usage=_usage(data.get("usage"), request, text))


class _StreamState:
    """Turns OpenAI chunk deltas into neutral block events: one block open at a time,
    reasoning, then text, then each tool call, as Bedrock orders them."""

    def __init__(self, request: ChatRequest) -> None:
        self.request = request
        self.index = -1
        self.open: str | None = None  # "reasoning", "text" or "tool:<n>"
        self.reasoning = ""
        self.text = ""
        self.finish: str | None = None
        self.usage: dict[str, Any] | None = None
        self.saw_tool = False

    def _close(self) -> Iterator[StreamEvent]:
        if self.open == "reasoning":
            yield SignatureDelta(self.index, ids.reasoning_signature(self.reasoning))
        if self.open is not None:
            yield BlockStop(self.index)
        self.open = None

    def _switch(self, kind: str, **start: Any) -> Iterator[StreamEvent]:
        if self.open == kind:
            return
        yield from self._close()
        self.index += 1
        self.open = kind
        yield BlockStart(self.index, "toolUse" if kind.startswith("tool:") else kind, **start)

    def feed(self, chunk: dict[str, Any]) -> Iterator[StreamEvent]:
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            thought = _reasoning_of(delta)
            if thought:
                yield from self._switch("reasoning")
                self.reasoning += thought
                yield ReasoningDelta(self.index, thought)
            if delta.get("content"):
                yield from self._switch("text")
                self.text += delta["content"]
                yield TextDelta(self.index, delta["content"])
            for call in delta.get("tool_calls") or []:
                yield from self._tool_delta(call)
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]

    def _tool_delta(self, call: dict[str, Any]) -> Iterator[StreamEvent]:
        kind = f"tool:{call.get('index', 0)}"
        function = call.get("function") or {}
        if self.open != kind:
            use_id = _tool_use_id(call.get("id"), f"{kind}:{self.index}")
            yield from self._switch(kind, tool_use_id=use_id, name=function.get("name", ""))
            self.saw_tool = True
        arguments = function.get("arguments")
        if isinstance(arguments, dict):  # a server that sends whole objects
            arguments = json.dumps(arguments, ensure_ascii=False)
        if arguments:
            yield ToolInputDelta(self.index, arguments)

    def finish_events(self) -> Iterator[StreamEvent]:
        if self.finish is None:
            raise ModelStreamErrorException(
                "The model backend's stream ended before the answer was complete.",
                originalStatusCode=200,
                originalMessage="no finish_reason",
            )
        if self.index < 0:  # an empty answer is still one (empty) text block
            yield from self._switch("text")
        yield from self._close()
        stop = _FINISH_REASONS.get(self.finish, "end_turn")
        if self.saw_tool and stop == "end_turn":
            stop = "tool_use"
        yield MessageStop(stop, _usage(self.usage, self.request, self.reasoning + self.text))


def _replayed(reply: Reply) -> Iterator[StreamEvent]:
    """A whole answer as stream events, for a backend that answered a stream request with a
    plain JSON body."""
    for index, block in enumerate(reply.content):
        if "text" in block:
            yield BlockStart(index, "text")
            if block["text"]:
                yield TextDelta(index, block["text"])
        elif "toolUse" in block:
            use = block["toolUse"]
            yield BlockStart(index, "toolUse", tool_use_id=use["toolUseId"], name=use["name"])
            yield ToolInputDelta(index, json.dumps(use["input"], ensure_ascii=False))
        else:
            reasoning = block["reasoningContent"]["reasoningText"]
            yield BlockStart(index, "reasoning")
            yield ReasoningDelta(index, reasoning["text"])
            yield SignatureDelta(index, reasoning["signature"])
        yield BlockStop(index)
    yield MessageStop(reply.stop_reason, reply.usage)


class OpenAIEngine:
    """Answers from an OpenAI-compatible backend; one pooled client per backend URL."""

    name = "openai"

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings
        self.client = BackendClient(settings)

    def _post(self, request: ChatRequest, stream: bool) -> Upstream:
        model = backend_model(request.model.model.model_id, "invoke", self.settings)
        body = chat_body(request, model, stream)
        return self.client.post("/chat/completions", body, request.model.model.model_id)

    def reply(self, request: ChatRequest) -> Reply:
        return reply_from(self._post(request, stream=False).json(), request)

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        """Opens the backend stream now, so a refused or failed request is an HTTP error
        before any event; the events are read as they arrive."""
        upstream = self._post(request, stream=True)
        if not upstream.is_event_stream:
            reply = reply_from(upstream.json(), request)
            return iter([MessageStart(reply.usage.input_tokens), *_replayed(reply)])
        return self._events(upstream, request)

    def _events(self, upstream: Upstream, request: ChatRequest) -> Iterator[StreamEvent]:
        state = _StreamState(request)
        events = upstream.events()
        try:
            yield MessageStart(tokens.request_tokens(request))
            for chunk in events:
                yield from state.feed(chunk)
            yield from state.finish_events()
        finally:
            events.close()

    def embed(self, request: EmbedRequest) -> EmbedReply:
        """Text inputs through {backend}/embeddings; an image-only input has no text to send
        and is embedded by the canned engine."""
        texts = [item.text for item in request.inputs if item.text is not None]
        vectors: list[list[float]] = []
        used = 0
        if texts:
            model = backend_model(request.model.model.model_id, "embed", self.settings)
            data = self.client.post(
                "/embeddings", {"model": model, "input": texts}, request.model.model.model_id
            ).json()
            vectors = _embedding_vectors(data, len(texts))
            used = (data.get("usage") or {}).get("prompt_tokens") or sum(map(tokens.count, texts))
        projected = iter(project(vector, request.dimensions) for vector in vectors)
        out = []
        for item in request.inputs:
            if item.text is not None:
                out.append(next(projected))
            else:
                image_only = EmbedRequest(request.model, [item], request.dimensions)
                out.append(_CANNED.embed(image_only).vectors[0])
        return EmbedReply(vectors=out, input_tokens=int(used))

    def generate_image(self, request: ImageRequest) -> ImageReply:
        return _CANNED.generate_image(request)


def _embedding_vectors(data: dict[str, Any], expected: int) -> list[list[float]]:
    items = data.get("data")
    if not isinstance(items, list) or len(items) != expected:
        raise ModelErrorException(
            f"The model backend returned {len(items) if isinstance(items, list) else 'no'} "
            f"embeddings for {expected} inputs.",
            originalStatusCode=200,
        )
    ordered = sorted(items, key=lambda item: item.get("index", 0))
    vectors = [item.get("embedding") for item in ordered]
    if not all(
        isinstance(v, list) and v and all(isinstance(x, int | float) for x in v) for v in vectors
    ):
        raise ModelErrorException(
            "The model backend returned an embedding that is not a list of numbers.",
            originalStatusCode=200,
        )
    return vectors  # type: ignore[return-value]
