"""Cohere on Bedrock: legacy Command (prompt → generations), Command R/R+ (chat with history,
documents and single-step tools) and the Embed v3/v4 embedding models."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

from .. import embeddings, ids
from ..catalog import ResolvedModel
from ..errors import ValidationException
from ..neutral import (
    BlockStart,
    ChatRequest,
    ContentBlock,
    EmbedInput,
    EmbedReply,
    EmbedRequest,
    Message,
    MessageStop,
    Reply,
    StreamEvent,
    TextDelta,
    Tool,
    ToolInputDelta,
)
from . import Body, Metrics, register
from .common import METRICS_KEY, check_max, prompt_request, text_deltas, text_of
from .validation import malformed, violation

# Cohere Command's own default when `max_tokens` is left out.
COMMAND_DEFAULT_MAX_TOKENS = 20
EMPTY_INPUT = "invalid input: each inputs entry needs a text or an image_url part"
BAD_DATA_URI = "invalid image: images must be base64 data URIs such as 'data:image/png;base64,...'"
_DATA_URI = re.compile(r"data:image/[A-Za-z0-9.+-]+;base64,(?P<data>.*)", re.S)


def cohere_uuid(*parts: str) -> str:
    """A UUID-shaped id, as Cohere uses for responses and generations, derived from a seed."""
    return str(uuid.UUID(bytes=ids.digest("cohere", *parts)[:16], version=4))


def _finish(stop_reason: str) -> str:
    return "MAX_TOKENS" if stop_reason == "max_tokens" else "COMPLETE"


# Legacy Command (command-text-v14, command-light-text-v14)


@register("cohere-command")
class CohereCommand:
    kind = "chat"
    schema = "cohere-command"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        return prompt_request(
            model,
            body,
            body["prompt"],
            default_max=COMMAND_DEFAULT_MAX_TOKENS,
            top_p_key="p",
            stop_key="stop_sequences",
        )

    @staticmethod
    def _whole(body: Body, text: str, reason: str) -> Body:
        """The full answer: one generation per `num_generations`, the same canned text in each."""
        count = body.get("num_generations", 1)
        return {
            "id": cohere_uuid("command", body["prompt"]),
            "generations": [
                {
                    "id": cohere_uuid("generation", body["prompt"], str(index)),
                    "text": text,
                    "finish_reason": reason,
                    **({"index": index} if count > 1 else {}),
                }
                for index in range(count)
            ],
            "prompt": body["prompt"],
        }

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        return self._whole(body, text_of(reply), _finish(reply.stop_reason))

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        count = body.get("num_generations", 1)
        pieces: list[str] = []
        for text, stop in text_deltas(events):
            if stop is None:
                pieces.append(text)
                for index in range(count):
                    chunk: Body = {"text": text, "is_finished": False}
                    if count > 1:
                        chunk["index"] = index
                    yield chunk
                continue
            reason = _finish(stop.stop_reason)
            yield {
                "is_finished": True,
                "finish_reason": reason,
                "response": self._whole(body, "".join(pieces), reason),
                METRICS_KEY: metrics(stop.usage),
            }


# Command R / R+


_PARAMETER_TYPES = {
    "str": "string",
    "string": "string",
    "int": "integer",
    "integer": "integer",
    "float": "number",
    "number": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "dict": "object",
    "object": "object",
    "list": "array",
    "array": "array",
}
_GENERIC = re.compile(r"(?i)(?:list|array|sequence)\[(?P<item>.+)\]")


def _json_type(cohere_type: str) -> dict[str, Any]:
    """A Cohere parameter type ("str", "int", "List[str]", "Dict[str, int]"…) as JSON Schema."""
    spelled = cohere_type.strip()
    generic = _GENERIC.fullmatch(spelled)
    if generic:
        return {"type": "array", "items": _json_type(generic.group("item"))}
    base = spelled.split("[", 1)[0].strip().lower()
    return {"type": _PARAMETER_TYPES.get(base, "string")}


def tool_schema(definitions: dict[str, Any] | None) -> dict[str, Any]:
    """Cohere's `parameter_definitions` as the JSON Schema the neutral Tool carries."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, spec in (definitions or {}).items():
        prop = _json_type(spec.get("type", "str"))
        if spec.get("description"):
            prop["description"] = spec["description"]
        properties[name] = prop
        if spec.get("required"):
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _call_id(call: dict[str, Any]) -> str:
    """Cohere calls carry no id: one derived from name and parameters pairs each tool result
    with the call it answers, wherever the two appear."""
    seed = json.dumps([call.get("name"), call.get("parameters", {})], sort_keys=True)
    return ids.tool_use_id("cohere-call:" + seed)


def _tool_use(call: dict[str, Any]) -> ContentBlock:
    return {
        "toolUse": {
            "toolUseId": _call_id(call),
            "name": call.get("name", ""),
            "input": call.get("parameters", {}),
        }
    }


def _tool_result(result: dict[str, Any]) -> ContentBlock:
    outputs = result.get("outputs") or []
    return {
        "toolResult": {
            "toolUseId": _call_id(result.get("call", {})),
            "content": [{"json": output} for output in outputs] or [{"text": ""}],
        }
    }


def _append(messages: list[Message], role: str, blocks: list[ContentBlock]) -> None:
    """Add blocks as a turn, merging into the previous turn of the same role."""
    if not blocks:
        return
    if messages and messages[-1].role == role:
        messages[-1].content.extend(blocks)
    else:
        messages.append(Message(role=role, content=list(blocks)))  # type: ignore[arg-type]


def _history(raw: list[dict[str, Any]]) -> tuple[list[ContentBlock], list[Message]]:
    system: list[ContentBlock] = []
    messages: list[Message] = []
    for turn in raw:
        role = turn.get("role", "USER").upper()
        text = turn.get("message") or ""
        if role == "SYSTEM":
            system.append({"text": text})
        elif role == "CHATBOT":
            blocks = [{"text": text}] if text else []
            blocks += [_tool_use(call) for call in turn.get("tool_calls") or []]
            _append(messages, "assistant", blocks)
        elif role == "TOOL":
            _append(messages, "user", [_tool_result(r) for r in turn.get("tool_results") or []])
        else:
            _append(messages, "user", [{"text": text}] if text else [])
    return system, messages


def _documents(raw: list[dict[str, Any]] | None) -> list[ContentBlock]:
    blocks = []
    for number, document in enumerate(raw or [], start=1):
        title = str(document.get("title") or document.get("id") or f"document-{number}")
        fields = {key: value for key, value in document.items() if key != "title"}
        text = str(fields.pop("snippet", "")) or json.dumps(fields, sort_keys=True)
        blocks.append({"document": {"format": "txt", "name": title, "source": {"text": text}}})
    return blocks


def _command_r_messages(body: Body) -> tuple[list[ContentBlock], list[Message]]:
    """History, then the new message with its documents, then (for a tool-results turn) the
    calls being answered and their results, so the last turn is the user's."""
    system = [{"text": body["preamble"]}] if body.get("preamble") else []
    history_system, messages = _history(body.get("chat_history") or [])
    text = body.get("message") or ""
    _append(
        messages, "user", _documents(body.get("documents")) + ([{"text": text}] if text else [])
    )
    results = body.get("tool_results") or []
    if results:
        last = messages[-1].content if messages and messages[-1].role == "assistant" else []
        asked = {block["toolUse"]["toolUseId"] for block in last if "toolUse" in block}
        calls = [_tool_use(r.get("call", {})) for r in results]
        _append(messages, "assistant", [c for c in calls if c["toolUse"]["toolUseId"] not in asked])
        _append(messages, "user", [_tool_result(r) for r in results])
    if not messages:
        messages.append(Message(role="user", content=[{"text": ""}]))
    return system + history_system, messages


def _cohere_calls(reply_content: list[ContentBlock]) -> list[dict[str, Any]]:
    return [
        {"name": block["toolUse"]["name"], "parameters": block["toolUse"]["input"]}
        for block in reply_content
        if "toolUse" in block
    ]


@register("cohere-command-r")
class CohereCommandR:
    kind = "chat"
    schema = "cohere-command-r"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        check_max(model, "#/max_tokens", body.get("max_tokens"))
        system, messages = _command_r_messages(body)
        tools = [
            Tool(
                name=tool["name"],
                description=tool.get("description", ""),
                input_schema=tool_schema(tool.get("parameter_definitions")),
            )
            for tool in body.get("tools") or []
        ]
        return ChatRequest(
            model=model,
            messages=messages,
            system=system,
            max_tokens=body.get("max_tokens"),
            temperature=body.get("temperature"),
            top_p=body.get("p"),
            stop_sequences=list(body.get("stop_sequences", [])),
            tools=tools,
            tool_choice="auto" if tools else None,
        )

    @staticmethod
    def _ids(body: Body) -> tuple[str, str]:
        seed = json.dumps([body.get("message"), body.get("chat_history")], sort_keys=True)
        return cohere_uuid("response", seed), cohere_uuid("generation", seed)

    def _whole(
        self, body: Body, text: str, calls: list[dict[str, Any]], reason: str, usage: Any
    ) -> Body:
        response_id, generation_id = self._ids(body)
        history = list(body.get("chat_history") or [])
        if body.get("message"):
            history.append({"role": "USER", "message": body["message"]})
        if body.get("tool_results"):
            history.append({"role": "TOOL", "tool_results": body["tool_results"]})
        turn: dict[str, Any] = {"role": "CHATBOT", "message": text}
        if calls:
            turn["tool_calls"] = calls
        history.append(turn)
        whole: Body = {
            "response_id": response_id,
            "text": text,
            "generation_id": generation_id,
            "chat_history": history,
            "finish_reason": reason,
        }
        if calls:
            whole["tool_calls"] = calls
        whole["meta"] = {
            "api_version": {"version": "1"},
            "billed_units": {
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
            },
        }
        return whole

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        return self._whole(
            body,
            text_of(reply),
            _cohere_calls(reply.content),
            _finish(reply.stop_reason),
            reply.usage,
        )

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        _, generation_id = self._ids(body)
        yield {"is_finished": False, "event_type": "stream-start", "generation_id": generation_id}
        pieces: list[str] = []
        names: dict[int, str] = {}
        arguments: dict[int, list[str]] = {}
        for event in events:
            if isinstance(event, TextDelta):
                pieces.append(event.text)
                yield {"is_finished": False, "event_type": "text-generation", "text": event.text}
            elif isinstance(event, BlockStart) and event.kind == "toolUse":
                names[event.index] = event.name or ""
                arguments[event.index] = []
                yield _tool_chunk(len(names) - 1, {"name": event.name})
            elif isinstance(event, ToolInputDelta):
                arguments[event.index].append(event.partial_json)
                position = list(names).index(event.index)
                yield _tool_chunk(position, {"parameters": event.partial_json})
            elif isinstance(event, MessageStop):
                calls = [
                    {
                        "name": names[index],
                        "parameters": json.loads("".join(arguments[index]) or "{}"),
                    }
                    for index in names
                ]
                text = "".join(pieces)
                if calls:
                    yield {
                        "is_finished": False,
                        "event_type": "tool-calls-generation",
                        "text": text,
                        "tool_calls": calls,
                    }
                reason = _finish(event.stop_reason)
                yield {
                    "is_finished": True,
                    "event_type": "stream-end",
                    "finish_reason": reason,
                    "response": self._whole(body, text, calls, reason, event.usage),
                    METRICS_KEY: metrics(event.usage),
                }


def _tool_chunk(index: int, delta: dict[str, Any]) -> Body:
    return {
        "is_finished": False,
        "event_type": "tool-calls-chunk",
        "tool_call_delta": {"index": index, **delta},
    }


# Embed v3 / v4


def _image_bytes(uri: str) -> bytes:
    match = _DATA_URI.fullmatch(uri.strip())
    if not match:
        raise ValidationException(BAD_DATA_URI)
    try:
        return base64.b64decode(match.group("data"), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValidationException(BAD_DATA_URI) from error


def _mixed_input(position: int, item: dict[str, Any]) -> EmbedInput:
    """One v4 `inputs` entry: its text parts joined, and its (first) image. A part must carry
    the member its type names (the schema cannot say so)."""
    texts, images = [], []
    for index, part in enumerate(item.get("content", [])):
        member = part["type"]
        if member not in part:
            pointer = f"#/inputs/{position}/content/{index}"
            raise malformed(violation(pointer, f"required key [{member}] not found"))
        if member == "text":
            texts.append(part["text"])
            continue
        url = part["image_url"]
        if isinstance(url, dict):
            if not isinstance(url.get("url"), str):
                pointer = f"#/inputs/{position}/content/{index}/image_url"
                raise malformed(violation(pointer, "required key [url] not found"))
            url = url["url"]
        images.append(url)
    if not texts and not images:
        raise ValidationException(EMPTY_INPUT)
    return EmbedInput(
        text="\n".join(texts) if texts else None,
        image=_image_bytes(images[0]) if images else None,
    )


def _embed_inputs(body: Body) -> list[EmbedInput]:
    if body.get("texts"):
        return [EmbedInput(text=text) for text in body["texts"]]
    if body.get("images"):
        return [EmbedInput(image=_image_bytes(uri)) for uri in body["images"]]
    return [_mixed_input(n, item) for n, item in enumerate(body.get("inputs") or [])]


@register("cohere-embed-v3")
class CohereEmbedV3:
    """Embed v3 (english, multilingual): `texts` or one image, at the model's one size."""

    kind = "embed"
    schema = "cohere-embed-v3"

    def request(self, body: Body, model: ResolvedModel) -> EmbedRequest:
        dimensions = body.get("output_dimension") or model.model.embedding_dimensions[0]
        return EmbedRequest(
            model=model,
            inputs=_embed_inputs(body),
            dimensions=dimensions,
            purpose=body.get("input_type"),
        )

    def response(self, reply: EmbedReply, request: EmbedRequest, body: Body) -> Body:
        kinds = body.get("embedding_types")
        if kinds:
            vectors: Any = {
                kind: [embeddings.quantize(vector, kind) for vector in reply.vectors]
                for kind in dict.fromkeys(kinds)
            }
            response_type = "embeddings_by_type"
        else:
            vectors = [list(vector) for vector in reply.vectors]
            response_type = "embeddings_floats"
        seed = json.dumps(
            [request.model.model.model_id, body.get("texts"), body.get("input_type")],
            sort_keys=True,
        )
        return {
            "id": cohere_uuid("embed", seed, str(len(reply.vectors))),
            "embeddings": vectors,
            "response_type": response_type,
            "texts": list(body.get("texts") or []),
        }


@register("cohere-embed-v4")
class CohereEmbedV4(CohereEmbedV3):
    """Embed v4: the v3 body plus interleaved `inputs` and `output_dimension`, which only its
    own schema admits."""

    schema = "cohere-embed-v4"
