"""The default engine: deterministic answers derived from the request, with no model and no network.

Same request, same answer, on every machine: every choice comes from a SHA-256 of the request.
It behaves like a cooperative model where tests need it to: it calls the offered tools with
inputs valid against their schemas (and answers in text once it has their results, so agent
loops end), emits JSON valid for a requested schema, thinks before answering when asked to,
and honours maxTokens and stopSequences.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from .. import config, embeddings, ids, images, tokens
from ..neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ContentBlock,
    EmbedReply,
    EmbedRequest,
    ImageReply,
    ImageRequest,
    MessageStart,
    MessageStop,
    ReasoningDelta,
    Reply,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    Tool,
    ToolInputDelta,
    Usage,
)
from ..schema_values import value_for_schema

_SENTENCES = (
    "This answer comes from the moto-bedrock canned engine, so the same request always gets "
    "the same words.",
    "Token counts follow a documented approximation, so usage figures stay stable across runs.",
    "No model was called and no network was used to write it.",
    "Send the same messages again and you will read exactly this text.",
    "Point the emulator at an OpenAI-compatible backend when a test needs real model output.",
    "Rules and queues declared by a test take precedence over this default answer.",
)
_WORD = re.compile(r"[A-Za-z0-9]+")
_TEXT_DELTA_TOKENS = 3
_STOP_WORDS = frozenset(
    "the and for with from that this what when where which who how are was you your can "
    "please into about get set".split()
)


def request_seed(request: ChatRequest) -> str:
    """A canonical fingerprint of what the answer depends on."""
    material = {
        "model": request.model.model.model_id,
        "system": request.system,
        "messages": [(m.role, m.content) for m in request.messages],
        "tools": [(t.name, t.input_schema) for t in request.tools],
        "choice": (request.tool_choice, request.forced_tool),
        "schema": request.output_schema,
    }
    text = json.dumps(material, sort_keys=True, default=_bytes_digest)
    return ids.digest(text).hex()


def _bytes_digest(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return ids.digest(bytes(value).hex()).hex()
    return str(value)


def _user_text(request: ChatRequest) -> str:
    message = request.last_user_message()
    if message is None:
        return ""
    return " ".join(block["text"] for block in message.content if "text" in block).strip()


def _tool_results(request: ChatRequest) -> list[dict[str, Any]]:
    message = request.last_user_message()
    if message is None:
        return []
    return [block["toolResult"] for block in message.content if "toolResult" in block]


def _topic(text: str, limit: int = 12) -> str:
    words = text.split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")


def _pick(seed: str, salt: str, count: int) -> int:
    return int.from_bytes(ids.digest(seed, salt)[:4], "big") % count


def _answer_text(request: ChatRequest, seed: str) -> str:
    results = _tool_results(request)
    if results:
        names = _tool_names_by_id(request)
        parts = []
        for result in results:
            name = names.get(result["toolUseId"], "tool")
            parts.append(f"The {name} tool returned {_summarise(result)}.")
        opening = " ".join(parts)
    else:
        topic = _topic(_user_text(request))
        opening = f"You asked: “{topic}”." if topic else "Hello from moto-bedrock."
    first = _pick(seed, "sentence", len(_SENTENCES))
    count = 1 + _pick(seed, "length", 2)
    body = [_SENTENCES[(first + i) % len(_SENTENCES)] for i in range(count)]
    return " ".join([opening, *body])


def _summarise(result: dict[str, Any]) -> str:
    pieces = []
    for part in result.get("content", []):
        if "json" in part:
            pieces.append(json.dumps(part["json"], sort_keys=True))
        elif "text" in part:
            pieces.append(part["text"])
    text = " ".join(pieces) or "no content"
    text = text if len(text) <= 160 else text[:159] + "…"
    return ("an error: " if result.get("status") == "error" else "") + text


def _tool_names_by_id(request: ChatRequest) -> dict[str, str]:
    names = {}
    for message in request.messages:
        for block in message.content:
            if "toolUse" in block:
                names[block["toolUse"]["toolUseId"]] = block["toolUse"]["name"]
    return names


def _words(text: str) -> set[str]:
    """Content words, singular, for matching a request to a tool's name and description."""
    split = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ").replace("-", " ")
    words = {w.lower().removesuffix("s") for w in _WORD.findall(split)}
    return {w for w in words if len(w) > 2 and w not in _STOP_WORDS}


def _tool_to_call(request: ChatRequest) -> Tool | None:
    """The tool a cooperative model would call now, if any."""
    if not request.tools or request.tool_choice == "none":
        return None
    if request.forced_tool:
        return next((t for t in request.tools if t.name == request.forced_tool), None)
    if request.tool_choice != "any" and _tool_results(request):
        return None
    asked = _words(_user_text(request))
    scores = [len(asked & _words(f"{t.name} {t.description}")) for t in request.tools]
    return request.tools[scores.index(max(scores))]


def _reasoning_text(request: ChatRequest, tool: Tool | None) -> str:
    topic = _topic(_user_text(request), 8) or "this request"
    plan = f"call the {tool.name} tool first" if tool else "answer directly and briefly"
    return f"The user wants help with “{topic}”. I should {plan}."


def _cut_at_stop_sequence(text: str, stops: list[str]) -> tuple[str, str | None]:
    hits = [(text.find(s), s) for s in stops if s and s in text]
    if not hits:
        return text, None
    position, stop = min(hits)
    return text[:position], stop


class CannedEngine:
    """Answers computed from the request alone."""

    name = "canned"

    def reply(self, request: ChatRequest) -> Reply:
        seed = request_seed(request)
        budget = request.max_tokens
        if budget is None:
            budget = request.model.model.max_output_tokens or 4096
        content: list[ContentBlock] = []
        output_tokens = 0
        stop_reason, stop_sequence = "end_turn", None
        tool = _tool_to_call(request)

        if request.reasoning is not None:
            limit = min(budget, request.reasoning.budget_tokens or budget)
            thought, _ = tokens.truncate(_reasoning_text(request, tool), limit)
            content.append(
                {
                    "reasoningContent": {
                        "reasoningText": {
                            "text": thought,
                            "signature": ids.reasoning_signature(thought),
                        }
                    }
                }
            )
            output_tokens += tokens.count(thought)

        if tool is not None:
            text = (
                ""
                if request.forced_tool or request.tool_choice == "any"
                else (f"I'll use the {tool.name} tool to help with that.")
            )
        elif request.output_schema is not None:
            text = json.dumps(value_for_schema(request.output_schema, seed), ensure_ascii=False)
        else:
            text = _answer_text(request, seed)

        text, stop_sequence = _cut_at_stop_sequence(text, request.stop_sequences)
        if stop_sequence is not None:
            stop_reason, tool = "stop_sequence", None
        text, cut = tokens.truncate(text, budget - output_tokens)
        if cut or (budget - output_tokens <= 0 and (text or tool)):
            stop_reason, stop_sequence, tool = "max_tokens", None, None
        if text:
            content.append({"text": text})
            output_tokens += tokens.count(text)

        if tool is not None:
            tool_input = value_for_schema(tool.input_schema, f"{seed}:{tool.name}")
            cost = tokens.count(tool.name) + tokens.count(json.dumps(tool_input))
            if output_tokens + cost > budget:
                stop_reason = "max_tokens"
            else:
                content.append(
                    {
                        "toolUse": {
                            "toolUseId": ids.tool_use_id(f"{seed}:{len(request.messages)}"),
                            "name": tool.name,
                            "input": tool_input,
                        }
                    }
                )
                output_tokens += cost
                stop_reason = "tool_use"

        usage = Usage(input_tokens=tokens.request_tokens(request), output_tokens=output_tokens)
        return Reply(
            content=content, stop_reason=stop_reason, usage=usage, stop_sequence=stop_sequence
        )

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        """The reply as deltas; `MOTO_BEDROCK_STREAM_DELAY_MS` paces them like a model would."""
        reply = self.reply(request)
        delay = config.stream_delay_seconds()
        yield MessageStart(reply.usage.input_tokens)
        for index, block in enumerate(reply.content):
            for event in _block_events(index, block):
                if delay and not isinstance(event, BlockStart | BlockStop):
                    time.sleep(delay)
                yield event
        yield MessageStop(reply.stop_reason, reply.usage, reply.stop_sequence)

    def embed(self, request: EmbedRequest) -> EmbedReply:
        """Vectors whose cosine similarity follows shared words (see embeddings.py)."""
        vectors, used = [], 0
        for item in request.inputs:
            parts = []
            if item.text is not None:
                parts.append(embeddings.embed_text(item.text, request.dimensions))
                used += tokens.count(item.text)
            if item.image is not None:
                parts.append(embeddings.embed_image(item.image, request.dimensions))
            vectors.append(parts[0] if len(parts) == 1 else embeddings.combine(parts))
        return EmbedReply(vectors=vectors, input_tokens=used)

    def generate_image(self, request: ImageRequest) -> ImageReply:
        """Real, small, valid images drawn from the prompt and seed (see images.py)."""
        seeds = [request.seed + n for n in range(request.count)]
        pictures = [
            images.render(
                request.prompt, seed, request.width, request.height, request.output_format
            )
            for seed in seeds
        ]
        return ImageReply(images=pictures, seeds=seeds)


def _block_events(index: int, block: ContentBlock) -> Iterator[StreamEvent]:
    if "text" in block:
        yield BlockStart(index, "text")
        chunks = tokens.pieces(block["text"])
        for start in range(0, len(chunks), _TEXT_DELTA_TOKENS):
            yield TextDelta(index, "".join(chunks[start : start + _TEXT_DELTA_TOKENS]))
    elif "toolUse" in block:
        use = block["toolUse"]
        yield BlockStart(index, "toolUse", tool_use_id=use["toolUseId"], name=use["name"])
        raw = json.dumps(use["input"], ensure_ascii=False)
        step = max(1, -(-len(raw) // 3))
        for start in range(0, len(raw), step):
            yield ToolInputDelta(index, raw[start : start + step])
    elif "reasoningContent" in block:
        reasoning = block["reasoningContent"]["reasoningText"]
        yield BlockStart(index, "reasoning")
        chunks = tokens.pieces(reasoning["text"])
        for start in range(0, len(chunks), _TEXT_DELTA_TOKENS):
            yield ReasoningDelta(index, "".join(chunks[start : start + _TEXT_DELTA_TOKENS]))
        yield SignatureDelta(index, reasoning["signature"])
    yield BlockStop(index)
