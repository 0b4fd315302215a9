"""The bedrock-runtime backend: one per account and region, as moto keys its backends.

It turns a raw request body into a neutral request (JSON, botocore's shapes, model resolution,
Bedrock's conversation rules) and asks the engine for the answer; HTTP stays in responses.py.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from moto.core.base_backend import BackendDict, BaseBackend

from .. import catalog, compact_json, converse, json_input, vendors
from ..backend_settings import backend_settings
from ..catalog import ResolvedModel
from ..control.models import bedrock_backends
from ..controls import Call, Controls, Rule
from ..controls import startup as startup_rules
from ..engines import CANNED, Engine, engine_for
from ..engines.scripted import ScriptedEngine
from ..errors import BedrockError, ValidationException
from ..guardrails.runtime import NO_GUARDRAILS, Guard, Requested, converse_guard, invoke_guard
from ..jobs.async_invoke import AsyncInvokes
from ..moto_services import regions
from ..neutral import ChatRequest, EmbedRequest, StreamEvent, Usage
from ..prompt_cache import PromptCache
from ..request_shapes import ShapeError, input_shape, parse_body
from ..tokens import request_tokens
from ..vendors.common import METRICS_KEY
from ..vendors.validation import validate_body

log = logging.getLogger("moto_bedrock_runtime.runtime")
T = TypeVar("T")

# Bedrock's request payload limit (InvokeModel's body blob maximum).
MAX_BODY_BYTES = 25_000_000
BODY_TOO_LARGE = "The request body is larger than the maximum size of 25000000 bytes."
NOT_JSON = "The request body is not valid JSON: {reason}."
NOT_AN_OBJECT = "The request body must be a JSON object."
# InvokeModel's body is the model's own input: Bedrock reports problems in the model's terms.
MALFORMED_BODY = "Malformed input request, please reformat your input and try again."
BODY_BLOB_TOO_LARGE = (
    "1 validation error detected: Value at 'body' failed to satisfy constraint: Member must "
    "have length less than or equal to 25000000"
)
UNSUPPORTED_CONTENT_TYPE = "The provided Content Type is invalid or not supported for this model"
UNSUPPORTED_ACCEPT = "The provided Accept Type is invalid or not supported for this model"
NO_STREAMING = "The model is unsupported for streaming."
INPUT_TOO_LONG = "Input is too long for requested model."
NO_TOKEN_COUNTING = "The provided model doesn't support counting tokens."
JSON_TYPES = ("application/json", "*/*", "")


def json_body(raw: bytes) -> Any:
    """The decoded request body, or a ValidationException that says what is wrong with it."""
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationException(BODY_TOO_LARGE)
    if not raw.strip():
        return {}
    try:
        return json_input.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationException(NOT_JSON.format(reason=_reason(exc))) from exc


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    return str(exc) if isinstance(exc, json_input.TooDeep) else "it is not UTF-8 text"


def shaped_body(operation: str, raw: bytes, skip: tuple[str, ...] = ("modelId",)) -> dict[str, Any]:
    """The body validated against botocore's input shape, blobs decoded."""
    data = json_body(raw)
    if not isinstance(data, dict):
        raise ValidationException(NOT_AN_OBJECT)
    try:
        return parse_body(input_shape("bedrock-runtime", operation), data, skip=skip)
    except ShapeError as exc:
        raise ValidationException(exc.message) from exc


def _stopwatch() -> Callable[[], int]:
    started = time.perf_counter()
    return lambda: max(1, round((time.perf_counter() - started) * 1000))


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


@dataclass
class Invocation:
    """A native InvokeModel answer (encoded, and as the dict it was encoded from, for the
    history and batch jobs: a 40 KB embedding is not parsed back) with what its headers
    report."""

    native: dict[str, Any]
    body: bytes
    input_tokens: int
    output_tokens: int
    latency_ms: int


class BedrockRuntimeBackend(BaseBackend):
    """Converse, ConverseStream, InvokeModel and InvokeModelWithResponseStream for this account
    and region, with the test controls (rules, history, faults) and the asynchronous
    invocations that belong to it."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.controls = Controls()
        self.prompt_cache = PromptCache()
        self.async_invokes = AsyncInvokes(self)

    def resolve(self, model_id: str) -> ResolvedModel:
        """Catalog ids, profiles and ARNs, and this account's own resources by ARN."""
        try:
            owned = bedrock_backends[self.account_id][self.region_name].owned_model
        except KeyError:  # a region the control plane does not serve
            return catalog.resolve(model_id, self.region_name)
        return catalog.resolve(model_id, self.region_name, owned)

    def _engine(
        self, operation: str, request: Any, record: dict[str, Any]
    ) -> tuple[Engine, Rule | None]:
        """The declared rule for this call if one matches (its error raised here, before any
        output), else the configured engine; the neutral request goes to the history."""
        conversation = _conversation(request)
        # A prompt router picks its model now that the prompt is known.
        request.model = request.model.routed(conversation["prompt"])
        record["resolved_model_id"] = request.model.model.model_id
        record["neutral_request"] = request  # made JSON when the history is read (controls.py)
        window = request.model.model.context_window
        if isinstance(request, ChatRequest) and window and request_tokens(request) > window:
            raise ValidationException(INPUT_TOO_LONG)
        call = Call(
            operation=operation,
            model_id=request.model.requested,
            resolved_id=request.model.model.model_id,
            account_id=self.account_id,
            region=self.region_name,
            **conversation,
        )
        rule = self.controls.take(call) or startup_rules.take(call)
        if rule is None:
            engine = engine_for(request)
            record["engine"] = engine.name
            return engine, None
        record["rule_id"] = rule.id
        record["engine"] = "scripted"
        error = rule.respond.get("error")
        if error:
            message = error.get("message") or f"{error['code']} declared by a moto-bedrock rule."
            raise BedrockError(message, code=error["code"], **error.get("fields", {}))
        return ScriptedEngine(rule.respond), rule

    @staticmethod
    def _answer(engine: Engine, answer: Callable[[Engine], T], record: dict[str, Any]) -> T:
        """The engine's answer; with fallback=canned, a failed backend's answer comes from the
        canned engine instead, said in the history, a log line and a response header. A
        request the backend rejected as invalid (ValidationException) fails either way."""
        try:
            return answer(engine)
        except BedrockError as error:
            if engine.name != "openai" or error.code == "ValidationException":
                raise
            if backend_settings().fallback != "canned":
                raise
            log.warning(
                "backend failed (%s: %s); answering with the canned engine (fallback=canned)",
                error.code,
                error.message,
            )
            record["engine"] = CANNED.name
            record["fallback"] = {"code": error.code, "message": error.message}
            return answer(CANNED)

    def _chat_request(
        self, operation: str, model_id: str, raw_body: bytes
    ) -> tuple[dict[str, Any], ChatRequest]:
        self.controls.inject(operation)
        body = shaped_body(operation, raw_body)
        resolved = self.resolve(model_id)
        request = converse.to_chat_request(resolved, body, streaming=operation == "ConverseStream")
        return body, request

    def converse(self, model_id: str, raw_body: bytes, record: dict[str, Any]) -> dict[str, Any]:
        elapsed = _stopwatch()
        body, request = self._chat_request("Converse", model_id, raw_body)
        guard = converse_guard(self.account_id, self.region_name, body, record)
        reply = guard.check_input(request) if guard else None
        if reply is None:  # a blocked input never reaches a rule or an engine
            engine, _ = self._engine("Converse", request, record)
            reply = self._answer(engine, lambda e: e.reply(request), record)
            reply.usage = self.prompt_cache.usage(request, reply.usage)
            reply = guard.check_reply(reply) if guard else reply
        trace = guard.converse_trace() if guard else None
        return converse.response(body, reply, elapsed(), request.model, trace)

    def converse_stream(
        self, model_id: str, raw_body: bytes, record: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Validates now (errors become HTTP errors); the events are produced lazily."""
        elapsed = _stopwatch()
        body, request = self._chat_request("ConverseStream", model_id, raw_body)
        guard = converse_guard(self.account_id, self.region_name, body, record)
        blocked = guard.check_input(request) if guard else None
        events: Iterator[StreamEvent]
        if guard is not None and blocked is not None:  # no rule or engine sees a blocked input
            events = guard.replay(blocked)
        else:
            engine, _ = self._engine("ConverseStream", request, record)
            stream = self._answer(engine, lambda e: e.stream(request), record)
            events = self.prompt_cache.stream(request, stream)
            if guard is not None:  # only a guarded stream is held back (sync mode)
                events = guard.check_stream(events)
        trace = guard.converse_trace if guard else lambda: None
        return converse.stream_events(body, events, elapsed, request.model, trace)

    def count_tokens(self, model_id: str, raw_body: bytes) -> dict[str, int]:
        """What an InvokeModel or Converse request with this input would report as input
        tokens. Only bare ids or foundation-model ARNs of models that count tokens qualify."""
        body = shaped_body("CountTokens", raw_body)
        base = model_id.rsplit("foundation-model/", 1)[-1]
        model = catalog.models().get(base)
        if model is None:
            self.resolve(model_id)  # Bedrock's own error for an id it does not know
            raise ValidationException(NO_TOKEN_COUNTING)
        if not model.supports("countTokens"):
            raise ValidationException(NO_TOKEN_COUNTING)
        resolved = ResolvedModel(requested=model_id, model=model)
        source = body["input"]
        if "invokeModel" in source:
            codec = vendors.codec_for(model)
            try:
                native = json_input.loads(source["invokeModel"]["body"])
            except (ValueError, UnicodeDecodeError) as exc:
                raise ValidationException(MALFORMED_BODY) from exc
            validate_body(codec.schema, native)
            request = codec.request(native, resolved)
        else:  # a union: the shape check saw exactly one form
            request = converse.to_chat_request(resolved, source["converse"], streaming=False)
        return {"inputTokens": request_tokens(request)}

    def _native(
        self,
        operation: str,
        model_id: str,
        raw_body: bytes,
        content_type: str | None,
        accept: str | None,
        record: dict[str, Any],
        guardrail: Requested | None,
    ) -> tuple[ResolvedModel, Any, dict[str, Any], Guard | None]:
        """Model, codec, validated native body and guard of an InvokeModel call."""
        self.controls.inject(operation)
        if len(raw_body) > MAX_BODY_BYTES:
            raise ValidationException(BODY_BLOB_TOO_LARGE)
        resolved = self.resolve(model_id)
        codec = vendors.codec_for(resolved.model)
        if _media_type(content_type) not in JSON_TYPES:
            raise ValidationException(UNSUPPORTED_CONTENT_TYPE)
        if _media_type(accept) not in JSON_TYPES:
            raise ValidationException(UNSUPPORTED_ACCEPT)
        try:
            body = json_input.loads(raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationException(MALFORMED_BODY) from exc
        guard = None
        if guardrail is not None:
            if codec.kind != "chat":
                raise ValidationException(NO_GUARDRAILS.format(model=resolved.model.model_id))
            streaming = operation != "InvokeModel"
            guard = invoke_guard(
                self.account_id, self.region_name, guardrail, body, streaming, record
            )
        validate_body(codec.schema, body)
        return resolved, codec, body, guard

    def invoke_model(
        self,
        model_id: str,
        raw_body: bytes,
        content_type: str | None,
        accept: str | None,
        record: dict[str, Any],
        guardrail: Requested | None = None,
    ) -> Invocation:
        elapsed = _stopwatch()
        resolved, codec, body, guard = self._native(
            "InvokeModel", model_id, raw_body, content_type, accept, record, guardrail
        )
        request = codec.request(body, resolved)
        blocked = guard.check_input(request) if guard else None
        if guard is not None and blocked is not None:  # no rule or engine sees a blocked input
            native = {**codec.response(blocked, request, body), **guard.native_keys()}
            encoded = compact_json.dumps(native).encode()
            return Invocation(native, encoded, 0, 0, elapsed())
        engine, rule = self._engine("InvokeModel", request, record)
        if rule is not None and "body" in rule.respond:
            usage = rule.respond.get("usage", {})
            native = rule.respond["body"]
            counts = (
                usage.get("input_tokens", request_tokens(request)),
                usage.get("output_tokens", 0),
            )
        elif codec.kind == "chat":
            reply = self._answer(engine, lambda e: e.reply(request), record)
            reply.usage = self.prompt_cache.usage(request, reply.usage)
            if guard is not None:
                reply = guard.check_reply(reply)
            native = codec.response(reply, request, body)
            if guard is not None:
                native.update(guard.native_keys())
            counts = (reply.usage.input_tokens, reply.usage.output_tokens)
        elif codec.kind == "embed":
            reply = self._answer(engine, lambda e: e.embed(request), record)
            native = codec.response(reply, request, body)
            counts = (reply.input_tokens, 0)
        else:
            native = codec.response(engine.generate_image(request), request, body)
            counts = (0, 0)
        encoded = compact_json.dumps(native).encode()
        return Invocation(native, encoded, counts[0], counts[1], elapsed())

    def invoke_model_stream(
        self,
        model_id: str,
        raw_body: bytes,
        content_type: str | None,
        accept: str | None,
        record: dict[str, Any],
        guardrail: Requested | None = None,
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Validates now; each native chunk becomes a `chunk` event as the engine produces it."""
        elapsed = _stopwatch()
        operation = "InvokeModelWithResponseStream"
        resolved, codec, body, guard = self._native(
            operation, model_id, raw_body, content_type, accept, record, guardrail
        )
        if codec.kind != "chat" or not resolved.model.summary.get("responseStreamingSupported"):
            raise ValidationException(NO_STREAMING)
        request = codec.request(body, resolved)
        first_byte: list[int] = []

        def metrics(usage: Usage) -> dict[str, int]:
            counts = {
                "inputTokenCount": usage.input_tokens,
                "outputTokenCount": usage.output_tokens,
                "invocationLatency": elapsed(),
                "firstByteLatency": first_byte[0] if first_byte else elapsed(),
            }
            if usage.cache_read_input_tokens or usage.cache_write_input_tokens:
                counts["cacheReadInputTokenCount"] = usage.cache_read_input_tokens
                counts["cacheWriteInputTokenCount"] = usage.cache_write_input_tokens
            return counts

        blocked = guard.check_input(request) if guard else None
        if guard is not None and blocked is not None:  # no rule or engine sees a blocked input
            native = guard.tag_chunks(codec.stream(guard.replay(blocked), request, body, metrics))
        else:
            engine, rule = self._engine(operation, request, record)
            if rule is not None and "chunks" in rule.respond:
                native = _declared_chunks(rule.respond, request, metrics)
            else:
                stream = self._answer(engine, lambda e: e.stream(request), record)
                events = self.prompt_cache.stream(request, stream)
                if guard is not None:  # only a guarded stream is held back (sync mode)
                    events = guard.check_stream(events)
                native = codec.stream(events, request, body, metrics)
                if guard is not None:
                    native = guard.tag_chunks(native)

        def chunks() -> Iterator[tuple[str, dict[str, Any]]]:
            for chunk in native:
                if not first_byte:
                    first_byte.append(elapsed())
                encoded = compact_json.dumps(chunk).encode()
                yield "chunk", ChunkEvent(base64.b64encode(encoded).decode(), chunk)

        return chunks()


class ChunkEvent(dict):  # type: ignore[type-arg]
    """A `chunk` event's payload ({"bytes": base64 of the native JSON}) that also holds the
    native chunk it encodes, so the history reads it without decoding the bytes again."""

    def __init__(self, encoded: str, native: dict[str, Any]) -> None:
        super().__init__(bytes=encoded)
        self.native = native


def _declared_chunks(
    respond: dict[str, Any], request: Any, metrics: Callable[[Usage], dict[str, int]]
) -> Iterator[dict[str, Any]]:
    """A rule's native chunks as given; the last gains the invocation metrics it lacks."""
    chunks = [dict(chunk) for chunk in respond["chunks"]]
    usage = respond.get("usage", {})
    totals = Usage(
        usage.get("input_tokens", request_tokens(request)), usage.get("output_tokens", 0)
    )
    yield from chunks[:-1]
    chunks[-1].setdefault(METRICS_KEY, metrics(totals))
    yield chunks[-1]


def _conversation(request: Any) -> dict[str, Any]:
    """The text rules match on, for each kind of neutral request."""
    if isinstance(request, ChatRequest):
        last = request.last_user_message()
        return {
            "prompt": " ".join(b["text"] for b in last.content if "text" in b) if last else "",
            "system": " ".join(b["text"] for b in request.system if "text" in b),
            "tool_names": frozenset(tool.name for tool in request.tools),
        }
    if isinstance(request, EmbedRequest):
        return {"prompt": " ".join(item.text for item in request.inputs if item.text)}
    return {"prompt": request.prompt}


# botocore has no bedrock-runtime region list, so moto keys this backend on EC2's regions.
# Every region, as moto's stub serves (EC2 lists them all).
bedrockruntime_backends = BackendDict(
    BedrockRuntimeBackend,
    "bedrock-runtime",
    use_boto3_regions=False,
    additional_regions=regions("ec2"),
)
