"""The bedrock-runtime backend: one per account and region, as moto keys its backends.

It turns a raw request body into a neutral request (JSON, botocore's shapes, model resolution,
Bedrock's conversation rules) and asks the engine for the answer; HTTP stays in responses.py.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend

from .. import catalog, converse, vendors
from ..catalog import ResolvedModel
from ..control.models import bedrock_backends
from ..engines import engine_for
from ..errors import ValidationException
from ..neutral import ChatRequest, Usage
from ..request_shapes import ShapeError, input_shape, parse_body
from ..vendors.validation import validate_body

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
UNSUPPORTED_CONTENT_TYPE = "The provided Content-Type is invalid or not supported for this model."
UNSUPPORTED_ACCEPT = "The provided Accept Type is invalid or not supported for this model."
NO_STREAMING = "The model is unsupported for streaming."
JSON_TYPES = ("application/json", "*/*", "")


def json_body(raw: bytes) -> Any:
    """The decoded request body, or a ValidationException that says what is wrong with it."""
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationException(BODY_TOO_LARGE)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationException(NOT_JSON.format(reason=_reason(exc))) from exc


def _reason(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else "it is not UTF-8 text"


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
    """A native InvokeModel answer with what its headers report."""

    body: bytes
    input_tokens: int
    output_tokens: int
    latency_ms: int


class BedrockRuntimeBackend(BaseBackend):
    """Converse, ConverseStream, InvokeModel and InvokeModelWithResponseStream for this account
    and region."""

    def resolve(self, model_id: str) -> ResolvedModel:
        """Catalog ids, profiles and ARNs, and this account's own resources by ARN."""
        try:
            owned = bedrock_backends[self.account_id][self.region_name].foundation_model_behind
        except KeyError:  # a region the control plane does not serve
            return catalog.resolve(model_id, self.region_name)
        return catalog.resolve(model_id, self.region_name, owned)

    def _chat_request(
        self, operation: str, model_id: str, raw_body: bytes
    ) -> tuple[dict[str, Any], ChatRequest]:
        body = shaped_body(operation, raw_body)
        resolved = self.resolve(model_id)
        request = converse.to_chat_request(resolved, body, streaming=operation == "ConverseStream")
        return body, request

    def converse(self, model_id: str, raw_body: bytes) -> dict[str, Any]:
        elapsed = _stopwatch()
        body, request = self._chat_request("Converse", model_id, raw_body)
        reply = engine_for(request).reply(request)
        return converse.response(body, reply, elapsed())

    def converse_stream(
        self, model_id: str, raw_body: bytes
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Validates now (errors become HTTP errors); the events are produced lazily."""
        elapsed = _stopwatch()
        body, request = self._chat_request("ConverseStream", model_id, raw_body)
        return converse.stream_events(body, engine_for(request).stream(request), elapsed)

    def _native(
        self, model_id: str, raw_body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[ResolvedModel, Any, dict[str, Any]]:
        """Model, codec and validated native body of an InvokeModel call."""
        if len(raw_body) > MAX_BODY_BYTES:
            raise ValidationException(BODY_BLOB_TOO_LARGE)
        resolved = self.resolve(model_id)
        codec = vendors.codec_for(resolved.model)
        if _media_type(content_type) not in JSON_TYPES:
            raise ValidationException(UNSUPPORTED_CONTENT_TYPE)
        if _media_type(accept) not in JSON_TYPES:
            raise ValidationException(UNSUPPORTED_ACCEPT)
        try:
            body = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationException(MALFORMED_BODY) from exc
        validate_body(codec.schema, body)
        return resolved, codec, body

    def invoke_model(
        self, model_id: str, raw_body: bytes, content_type: str | None, accept: str | None
    ) -> Invocation:
        elapsed = _stopwatch()
        resolved, codec, body = self._native(model_id, raw_body, content_type, accept)
        request = codec.request(body, resolved)
        engine = engine_for(request)
        if codec.kind == "chat":
            reply = engine.reply(request)
            usage = (reply.usage.input_tokens, reply.usage.output_tokens)
        elif codec.kind == "embed":
            reply = engine.embed(request)
            usage = (reply.input_tokens, 0)
        else:
            reply = engine.generate_image(request)
            usage = (0, 0)
        native = codec.response(reply, request, body)
        encoded = json.dumps(native, ensure_ascii=False, separators=(",", ":")).encode()
        return Invocation(encoded, usage[0], usage[1], elapsed())

    def invoke_model_stream(
        self, model_id: str, raw_body: bytes, content_type: str | None, accept: str | None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Validates now; each native chunk becomes a `chunk` event as the engine produces it."""
        elapsed = _stopwatch()
        resolved, codec, body = self._native(model_id, raw_body, content_type, accept)
        if codec.kind != "chat" or not resolved.model.summary.get("responseStreamingSupported"):
            raise ValidationException(NO_STREAMING)
        request = codec.request(body, resolved)
        first_byte: list[int] = []

        def metrics(usage: Usage) -> dict[str, int]:
            return {
                "inputTokenCount": usage.input_tokens,
                "outputTokenCount": usage.output_tokens,
                "invocationLatency": elapsed(),
                "firstByteLatency": first_byte[0] if first_byte else elapsed(),
            }

        def chunks() -> Iterator[tuple[str, dict[str, Any]]]:
            events = engine_for(request).stream(request)
            for chunk in codec.stream(events, request, body, metrics):
                if not first_byte:
                    first_byte.append(elapsed())
                encoded = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode()
                yield "chunk", {"bytes": base64.b64encode(encoded).decode()}

        return chunks()


# botocore has no bedrock-runtime region list, so moto keys this backend on EC2's regions.
bedrockruntime_backends = BackendDict(BedrockRuntimeBackend, "ec2")
