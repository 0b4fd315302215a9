"""Guardrails on model calls: Converse's `guardrailConfig` and InvokeModel's guardrail headers.

A call that names a guardrail gets one `Guard`, owned by that call alone (nothing here is
shared, so nothing needs a lock). The guard checks the input before any rule or engine sees the
request: a blocked input is answered with the guardrail's blocked messaging and nothing else
runs; anonymized text is what the model receives. The output is checked after the engine:
blocked, it is replaced by the blocked messaging; anonymized, it is masked. Streams are checked
before their first content (sync) or at their end (async). The guard writes its outcome to the
call's history entry (`record["guardrail"]`) and builds Converse's `trace.guardrail` and
InvokeModel's `amazon-bedrock-guardrailAction` / `amazon-bedrock-trace` body keys.

What is evaluated (docs/guardrails.md, "On runtime calls"):

* Converse: a section (system prompt, messages) with guardContent blocks is evaluated through
  those blocks only; messages without any are evaluated whole (their text blocks), a system
  prompt without any is not evaluated. Blocks qualified `grounding_source` or `query` are the
  context of the contextual grounding check on the output.
* InvokeModel: the text of the neutral request (system and messages). With input tags
  (`amazon-bedrock-guardrailConfig.tagSuffix` and `<amazon-bedrock-guardrails-guardContent_…>`
  in the prompt) only the tagged parts are; the PROMPT_ATTACK filter runs on tagged input only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.model import StructureShape

from ..errors import ValidationException
from ..neutral import (
    BlockStart,
    BlockStop,
    ChatRequest,
    ContentBlock,
    MessageStart,
    MessageStop,
    Reply,
    StreamEvent,
    TextDelta,
    Usage,
)
from ..request_shapes import ShapeError, input_shape, parse_body
from ..vendors.common import METRICS_KEY
from ..vendors.validation import validate_body
from .apply import blocks_from_content
from .evaluate import (
    FULL,
    GROUNDING_SOURCE,
    INTERVENED,
    INTERVENTIONS,
    NO_ACTION,
    QUERY,
    Block,
    Evaluation,
    TextBlock,
    evaluate,
)
from .policy import INPUT, OUTPUT, ResolvedGuardrail
from .resolve import GUARDRAIL_NOT_FOUND, resolve

CONFIG_KEY = "amazon-bedrock-guardrailConfig"
ACTION_KEY = "amazon-bedrock-guardrailAction"
TRACE_KEY = "amazon-bedrock-trace"
STOP_REASON = "guardrail_intervened"
DISABLED, ENABLED_FULL = "disabled", "enabled_full"
NO_GUARDRAILS = "The model {model} doesn't support guardrails."
_TAG = "amazon-bedrock-guardrails-guardContent_{suffix}"
_CONTEXT = (GROUNDING_SOURCE, QUERY)
_HEADER_MEMBERS = ("guardrailIdentifier", "guardrailVersion", "trace")
# The body key InvokeModel's guardrails read (input tagging, stream processing mode), checked
# with the same everit-style messages as the rest of a native body.
_CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        CONFIG_KEY: {
            "type": "object",
            "properties": {
                "tagSuffix": {"type": "string", "pattern": "^[a-zA-Z0-9]{1,20}$"},
                "streamProcessingMode": {"enum": ["SYNCHRONOUS", "ASYNCHRONOUS"]},
            },
            "additionalProperties": False,
        }
    },
}


@dataclass(frozen=True)
class Requested:
    """The guardrail a call names, as sent; `converse` tells which input rules apply."""

    identifier: str
    version: str
    converse: bool
    trace: str = DISABLED
    asynchronous: bool = False
    tag_suffix: str | None = None


def _named(identifier: str | None, version: str | None, **options: Any) -> Requested | None:
    """None when the call names no guardrail; Bedrock's ValidationException when it names
    only half of one (an identifier without a version, or the reverse)."""
    if not identifier and not version:
        return None
    if not identifier or not version:
        raise ValidationException(GUARDRAIL_NOT_FOUND)
    return Requested(identifier, version, **options)


def from_converse(body: Mapping[str, Any]) -> Requested | None:
    """The `guardrailConfig` of a Converse or ConverseStream body botocore's shapes accepted."""
    config = body.get("guardrailConfig") or {}
    return _named(
        config.get("guardrailIdentifier"),
        config.get("guardrailVersion"),
        converse=True,
        trace=config.get("trace", DISABLED),
        asynchronous=config.get("streamProcessingMode") == "async",
    )


@functools.cache
def _headers_shape() -> StructureShape:
    """InvokeModel's guardrail header members as a plain structure, checked as a body is."""
    shape = input_shape("bedrock-runtime", "InvokeModel")
    members = {name: {"shape": shape.members[name].name} for name in _HEADER_MEMBERS}
    model = {"type": "structure", "members": members}
    return StructureShape("InvokeModelGuardrailHeaders", model, shape._shape_resolver)


def from_headers(headers: Mapping[str, str]) -> Requested | None:
    """The guardrail InvokeModel's X-Amzn-Bedrock-Guardrail* and -Trace headers name, with
    botocore's constraints (version pattern, trace ENABLED|DISABLED|ENABLED_FULL)."""
    members = input_shape("bedrock-runtime", "InvokeModel").members
    values = {}
    for name in _HEADER_MEMBERS:
        value = headers.get(members[name].serialization["name"])
        if value is not None:
            values[name] = value
    if not values:
        return None
    try:
        parse_body(_headers_shape(), values)
    except ShapeError as exc:
        raise ValidationException(exc.message) from exc
    return _named(
        values.get("guardrailIdentifier"),
        values.get("guardrailVersion"),
        converse=False,
        trace=values.get("trace", DISABLED).lower(),
    )


def converse_guard(
    account_id: str, region: str, body: Mapping[str, Any], record: dict[str, Any]
) -> Guard | None:
    """The guard of a Converse call, or None when it names no guardrail."""
    requested = from_converse(body)
    return None if requested is None else _guard(account_id, region, requested, record)


def invoke_guard(
    account_id: str,
    region: str,
    requested: Requested,
    body: Any,
    streaming: bool,
    record: dict[str, Any],
) -> Guard:
    """The guard of an InvokeModel call; the body's `amazon-bedrock-guardrailConfig` is taken
    out of it (the model never sees it) and read: input tagging, and for a stream its
    processing mode (SYNCHRONOUS by default)."""
    if isinstance(body, dict) and CONFIG_KEY in body:
        validate_body(_CONFIG_SCHEMA, {CONFIG_KEY: body[CONFIG_KEY]})
        config = body.pop(CONFIG_KEY)
        requested = replace(
            requested,
            tag_suffix=config.get("tagSuffix"),
            asynchronous=streaming and config.get("streamProcessingMode") == "ASYNCHRONOUS",
        )
    return _guard(account_id, region, requested, record)


def _guard(account_id: str, region: str, requested: Requested, record: dict[str, Any]) -> Guard:
    found = resolve(
        account_id, region, requested.identifier, requested.version, error=ValidationException
    )
    record["guardrail"] = {
        "id": found.guardrail_id,
        "version": found.version,
        "trace": requested.trace,
        "input_action": None,
        "output_action": None,
    }
    return Guard(found, requested, record)


# Where evaluated input sits in the request


def _with(block: ContentBlock, path: tuple[str, ...], text: str) -> ContentBlock:
    """A copy of `block` with the string at `path` replaced (the original stays untouched)."""
    if len(path) == 1:
        return {**block, path[0]: text}
    return {**block, path[0]: _with(block[path[0]], path[1:], text)}


def _at(block: ContentBlock, path: tuple[str, ...]) -> str:
    value: Any = block
    for key in path:
        value = value[key]
    return str(value)


@dataclass(frozen=True)
class _Slot:
    """One evaluated piece of the request and where its anonymized text goes back: the block
    `blocks[index]`, the text at `path` in it, or only `span` of that text (a tagged part)."""

    block: Block
    blocks: list[ContentBlock] | None = None
    index: int = 0
    path: tuple[str, ...] = ("text",)
    span: tuple[int, int] | None = None

    def write(self, text: str | None) -> None:
        if self.blocks is None or text is None:
            return
        block = self.blocks[self.index]
        whole = _at(block, self.path)
        if self.span is not None:
            text = whole[: self.span[0]] + text + whole[self.span[1] :]
        if text != whole:
            self.blocks[self.index] = _with(block, self.path, text)


def _guard_content(blocks: list[ContentBlock], index: int) -> _Slot:
    content = blocks[index]["guardContent"]
    (parsed,) = blocks_from_content([content])
    if isinstance(parsed, TextBlock):
        return _Slot(parsed, blocks, index, ("guardContent", "text", "text"))
    return _Slot(parsed)


def _converse_slots(request: ChatRequest) -> list[_Slot]:
    """The system prompt's guardContent blocks; the messages' guardContent blocks when there
    are any, else every text block of every message."""
    slots = [
        _guard_content(request.system, i)
        for i, block in enumerate(request.system)
        if "guardContent" in block
    ]
    places = [(m.content, i) for m in request.messages for i in range(len(m.content))]
    if any("guardContent" in blocks[i] for blocks, i in places):
        slots += [_guard_content(b, i) for b, i in places if "guardContent" in b[i]]
    else:
        slots += [_Slot(TextBlock(b[i]["text"]), b, i) for b, i in places if "text" in b[i]]
    return slots


def _invoke_slots(request: ChatRequest, suffix: str | None) -> tuple[list[_Slot], bool]:
    """(slots, tagged): every text block of the neutral request, or only the tagged parts
    when the prompt carries input tags of the request's suffix."""
    places = [(request.system, i) for i in range(len(request.system))]
    places += [(m.content, i) for m in request.messages for i in range(len(m.content))]
    texts = [(b, i) for b, i in places if "text" in b[i]]
    if suffix:
        tag = _TAG.format(suffix=re.escape(suffix))
        pattern = re.compile(f"<{tag}>(.*?)</{tag}>", re.S)
        tagged = [
            _Slot(TextBlock(found.group(1)), b, i, span=found.span(1))
            for b, i in texts
            for found in pattern.finditer(b[i]["text"])
        ]
        if tagged:
            return tagged, True
    return [_Slot(TextBlock(b[i]["text"]), b, i) for b, i in texts], False


def _without_prompt_attack(guardrail: ResolvedGuardrail) -> ResolvedGuardrail:
    content = tuple(rule for rule in guardrail.policy.content if rule.key != "PROMPT_ATTACK")
    return replace(guardrail, policy=replace(guardrail.policy, content=content))


def _without_grounding(guardrail: ResolvedGuardrail) -> ResolvedGuardrail:
    return replace(guardrail, policy=replace(guardrail.policy, grounding=()))


def _text_events(text: str, usage: Usage, input_tokens: int) -> Iterator[StreamEvent]:
    yield MessageStart(input_tokens)
    yield BlockStart(0, "text")
    yield TextDelta(0, text)
    yield BlockStop(0)
    yield MessageStop(STOP_REASON, usage)


def _stream_texts(events: Iterable[StreamEvent]) -> dict[int, str]:
    """Each text block's whole text, by block index, in order."""
    texts: dict[int, str] = {}
    for event in events:
        if isinstance(event, BlockStart) and event.kind == "text":
            texts.setdefault(event.index, "")
        elif isinstance(event, TextDelta):
            texts[event.index] = texts.get(event.index, "") + event.text
    return texts


@dataclass
class Guard:
    """One call's guardrail version and what it found so far."""

    guardrail: ResolvedGuardrail
    requested: Requested
    record: dict[str, Any]
    input: Evaluation | None = None
    output: Evaluation | None = None
    # The model's text when the guardrail replaced or masked it (the trace's modelOutput).
    model_output: list[str] = field(default_factory=list)
    # Input blocks qualified grounding_source or query: the grounding check's context.
    context: list[TextBlock] = field(default_factory=list)

    @property
    def scope(self) -> str:
        """Trace enabled_full reports every configured filter, as ApplyGuardrail's FULL."""
        return FULL if self.requested.trace == ENABLED_FULL else INTERVENTIONS

    @property
    def intervened(self) -> bool:
        return any(e is not None and e.action == INTERVENED for e in (self.input, self.output))

    def check_input(self, request: ChatRequest) -> Reply | None:
        """Evaluates the input before any rule or engine sees it. Blocked: the answer (the
        blocked input messaging, no tokens used), and nothing else may run. Otherwise None,
        with anonymized text written into `request`."""
        guardrail = self.guardrail
        if self.requested.converse:
            slots = _converse_slots(request)
        else:
            slots, tagged = _invoke_slots(request, self.requested.tag_suffix)
            guardrail = guardrail if tagged else _without_prompt_attack(guardrail)
        self.context = [
            TextBlock(s.block.text, tuple(q for q in s.block.qualifiers if q in _CONTEXT))
            for s in slots
            if isinstance(s.block, TextBlock) and set(s.block.qualifiers) & set(_CONTEXT)
        ]
        result = evaluate(guardrail, INPUT, [slot.block for slot in slots], self.scope)
        self.input = result
        self.record["guardrail"]["input_action"] = result.action
        if result.blocked:
            self.record["engine"] = "guardrail"
            text = self.guardrail.blocked_messaging(INPUT)
            return Reply([{"text": text}], STOP_REASON, Usage(0, 0))
        if result.masked:
            for slot, text in reversed(list(zip(slots, result.texts, strict=True))):
                slot.write(text)
        return None

    def _check_output(self, texts: list[str]) -> tuple[Evaluation, list[str]]:
        """The output evaluation and each text as the guardrail leaves it. Without grounding
        context from the input, the contextual grounding check is not applied."""
        blocks = [*self.context, *(TextBlock(text) for text in texts)]
        guardrail = self.guardrail if self.context else _without_grounding(self.guardrail)
        result = evaluate(guardrail, OUTPUT, blocks, self.scope)
        self.output = result
        self.record["guardrail"]["output_action"] = result.action
        return result, [str(text) for text in result.texts[len(self.context) :]]

    def check_reply(self, reply: Reply) -> Reply:
        """The engine's reply as the caller receives it: replaced by the blocked outputs
        messaging, or its texts masked (stop reason guardrail_intervened either way)."""
        original = [b["text"] for b in reply.content if "text" in b]
        result, texts = self._check_output(original)
        if result.blocked or result.masked:
            self.model_output = original
        if result.blocked:
            text = self.guardrail.blocked_messaging(OUTPUT)
            return Reply([{"text": text}], STOP_REASON, reply.usage)
        if not result.masked:
            return reply
        masked = iter(texts)
        content = [{**b, "text": next(masked)} if "text" in b else b for b in reply.content]
        return Reply(content, STOP_REASON, reply.usage)

    def replay(self, reply: Reply) -> Iterator[StreamEvent]:
        """A blocked input's answer as a stream."""
        return _text_events(reply.content[0]["text"], reply.usage, reply.usage.input_tokens)

    def check_stream(self, events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        """The engine's events as the caller receives them: sync holds them until the output
        is evaluated, async passes them on as they come and reports at the end."""
        return self._async(events) if self.requested.asynchronous else self._sync(events)

    def _sync(self, events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        held = list(events)
        texts = _stream_texts(held)
        result, masked = self._check_output(list(texts.values()))
        stop = next((e for e in reversed(held) if isinstance(e, MessageStop)), None)
        usage = stop.usage if stop is not None else Usage(0, 0)
        if result.blocked or result.masked:
            self.model_output = list(texts.values())
        if result.blocked:
            start = next((e.input_tokens for e in held if isinstance(e, MessageStart)), 0)
            yield from _text_events(self.guardrail.blocked_messaging(OUTPUT), usage, start)
            return
        replacements = dict(zip(texts, masked, strict=True)) if result.masked else {}
        for event in held:
            if isinstance(event, TextDelta) and result.masked:
                if event.index in replacements:
                    yield TextDelta(event.index, replacements.pop(event.index))
            elif isinstance(event, MessageStop) and result.masked:
                yield replace(event, stop_reason=STOP_REASON, stop_sequence=None)
            else:
                yield event

    def _async(self, events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        """What was sent stays sent: an intervention shows in the stop reason and the trace."""
        seen: list[StreamEvent] = []
        for event in events:
            if isinstance(event, MessageStop):
                result, _ = self._check_output(list(_stream_texts(seen).values()))
                if result.action == INTERVENED:
                    event = replace(event, stop_reason=STOP_REASON, stop_sequence=None)
            elif isinstance(event, BlockStart | TextDelta):
                seen.append(event)
            yield event

    def converse_trace(self) -> dict[str, Any] | None:
        """Converse's trace.guardrail (GuardrailTraceAssessment), when the call asked for a
        trace."""
        if self.requested.trace == DISABLED:
            return None
        guardrail_id = self.guardrail.guardrail_id
        trace: dict[str, Any] = {}
        if self.model_output:
            trace["modelOutput"] = self.model_output
        if self.input is not None:
            trace["inputAssessment"] = {guardrail_id: self.input.assessment}
        if self.output is not None:
            trace["outputAssessments"] = {guardrail_id: [self.output.assessment]}
        trace["actionReason"] = self._action_reason()
        return trace

    def _action_reason(self) -> str:
        """Why the guardrail acted: the output's intervention, else the input's."""
        done = [result for result in (self.output, self.input) if result is not None]
        acted = [result for result in done if result.action == INTERVENED]
        return (acted or done)[0].action_reason if done else NO_ACTION

    def native_keys(self) -> dict[str, Any]:
        """What an InvokeModel body (or a stream's last chunk) gains: the guardrail's action
        and, with a trace, `amazon-bedrock-trace.guardrail` {modelOutput?, input, outputs?}."""
        keys: dict[str, Any] = {ACTION_KEY: "INTERVENED" if self.intervened else "NONE"}
        if self.requested.trace == DISABLED:
            return keys
        guardrail_id = self.guardrail.guardrail_id
        trace: dict[str, Any] = {}
        if self.model_output:
            trace["modelOutput"] = self.model_output
        if self.input is not None:
            trace["input"] = {guardrail_id: self.input.assessment}
        if self.output is not None:
            trace["outputs"] = [{guardrail_id: self.output.assessment}]
        keys[TRACE_KEY] = {"guardrail": trace}
        return keys

    def tag_chunks(self, chunks: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Native stream chunks; the last one (it carries the invocation metrics) gains the
        guardrail's keys, as Bedrock sends them."""
        for chunk in chunks:
            yield {**chunk, **self.native_keys()} if METRICS_KEY in chunk else chunk
