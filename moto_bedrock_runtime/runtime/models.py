"""The bedrock-runtime backend: one per account and region, as moto keys its backends.

It turns a raw request body into a neutral request (JSON, botocore's shapes, model resolution,
Bedrock's conversation rules) and asks the engine for the answer; HTTP stays in responses.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend

from .. import catalog, converse
from ..engines import engine_for
from ..errors import ValidationException
from ..neutral import ChatRequest
from ..request_shapes import ShapeError, input_shape, parse_body

# Bedrock's request payload limit (InvokeModel's body blob maximum).
MAX_BODY_BYTES = 25_000_000
BODY_TOO_LARGE = "The request body is larger than the maximum size of 25000000 bytes."
NOT_JSON = "The request body is not valid JSON: {reason}."
NOT_AN_OBJECT = "The request body must be a JSON object."


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


class BedrockRuntimeBackend(BaseBackend):
    """Converse and ConverseStream for this account and region."""

    def _chat_request(
        self, operation: str, model_id: str, raw_body: bytes
    ) -> tuple[dict[str, Any], ChatRequest]:
        body = shaped_body(operation, raw_body)
        resolved = catalog.resolve(model_id, self.region_name)
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


# botocore has no bedrock-runtime region list, so moto keys this backend on EC2's regions.
bedrockruntime_backends = BackendDict(BedrockRuntimeBackend, "ec2")
