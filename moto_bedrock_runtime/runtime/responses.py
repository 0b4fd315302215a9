"""HTTP for bedrock-runtime: routes a request to its operation and writes AWS's wire form.

It replaces moto's serializer for this service: Converse bodies are already wire-shaped JSON,
streams must leave frame by frame, and errors must carry Bedrock's own header and body. Every
failure, expected or not, leaves as a modeled Bedrock error; never HTML, never a traceback.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from moto.core.responses import BaseResponse

from .. import compact_json, invocation_logging, json_input
from ..controls import EncodedJson, recorded_headers
from ..errors import BedrockError, ClientGone, error_response, new_request_id
from ..eventstream import CONTENT_TYPE as EVENTSTREAM
from ..eventstream import encode_events, exception_frame
from ..guardrails import apply_guardrail
from ..guardrails.runtime import from_headers
from ..jobs.async_invoke import request_params
from ..moto_services import BedrockSetup, service_model
from .exceptions import InternalServerException, UnknownOperationException, ValidationException
from .models import BedrockRuntimeBackend, ChunkEvent, bedrockruntime_backends, shaped_body

log = logging.getLogger("moto_bedrock_runtime.runtime")

_MODEL_OPERATIONS = {
    "converse": "Converse",
    "converse-stream": "ConverseStream",
    "invoke": "InvokeModel",
    "invoke-with-response-stream": "InvokeModelWithResponseStream",
    "invoke-with-bidirectional-stream": "InvokeModelWithBidirectionalStream",
    "count-tokens": "CountTokens",
}
_MODEL_PATH = re.compile(r"^/model/(?P<model>[^/]+)/(?P<op>[a-z-]+)$")
_MODEL_PATH_DECODED = re.compile(r"^/model/(?P<model>.+)/(?P<op>[a-z-]+)$")
_OTHER_ROUTES = (
    ("POST", re.compile(r"^/async-invoke$"), "StartAsyncInvoke"),
    ("GET", re.compile(r"^/async-invoke$"), "ListAsyncInvokes"),
    ("GET", re.compile(r"^/async-invoke/.+$"), "GetAsyncInvoke"),
    ("POST", re.compile(r"^/guardrail/[^/]+/version/[^/]+/apply$"), "ApplyGuardrail"),
    ("POST", re.compile(r"^/guardrail-checks/invoke$"), "InvokeGuardrailChecks"),
)
# Set when the backend failed and the canned engine answered instead (fallback=canned).
FALLBACK_HEADER = "X-Moto-Bedrock-Fallback"
NOT_IMPLEMENTED = "moto-bedrock does not implement the {operation} operation yet."
INTERNAL_ERROR = "The server encountered an internal error while processing the request."


def route(method: str, raw_path: str, path: str) -> tuple[str, str | None]:
    """(operation, model id) for a request; the model id is decoded from its one path segment,
    so `%3A` and `%2F` arrive intact and a raw `:` works too."""
    match = _MODEL_PATH.match(raw_path) or _MODEL_PATH_DECODED.match(path)
    if match and match.group("op") in _MODEL_OPERATIONS and method == "POST":
        return _MODEL_OPERATIONS[match.group("op")], unquote(match.group("model"))
    for route_method, pattern, operation in _OTHER_ROUTES:
        if method == route_method and pattern.match(path):
            return operation, None
    raise UnknownOperationException(f"No operation matches {method} {path}.")


@lru_cache(maxsize=4)
def stream_exception_members(operation: str) -> frozenset[str]:
    """The in-stream error members botocore's model allows for an operation's stream."""
    model = service_model("bedrock-runtime")
    output = model.operation_model(operation).output_shape
    stream = output.members[output.serialization["payload"]]
    return frozenset(
        name for name, shape in stream.members.items() if shape.metadata.get("exception")
    )


def _in_stream_error(operation: str, error: BedrockError) -> bytes:
    member = error.code[0].lower() + error.code[1:]
    if member not in stream_exception_members(operation):
        member, error = "internalServerException", InternalServerException(INTERNAL_ERROR)
    return exception_frame(member, error.body())


def guarded_frames(operation: str, events: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[bytes]:
    """Event frames as they are produced; an error mid-stream becomes an exception frame, as
    Bedrock sends it once the 200 headers are gone."""
    try:
        yield from encode_events(events)
    except BedrockError as error:
        yield _in_stream_error(operation, error)
    except Exception:
        log.exception("%s stream failed", operation)
        yield _in_stream_error(operation, InternalServerException(INTERNAL_ERROR))


def _readable(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A stream event as a test wants to read it: an InvokeModel chunk as its native JSON."""
    return payload.native if isinstance(payload, ChunkEvent) else payload


class BedrockRuntimeResponse(BedrockSetup, BaseResponse):
    """moto's response class for bedrock-runtime, answering from our backend."""

    use_raw_body = True

    def __init__(self) -> None:
        super().__init__(service_name="bedrock-runtime")

    @property
    def backend(self) -> BedrockRuntimeBackend:
        return bedrockruntime_backends[self.current_account][self.region]

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
        request_id = new_request_id()
        record: dict[str, Any] | None = None
        try:
            self.setup_class(request, full_url, headers)
            operation, model_id = route(self.method, self.raw_path, self.path)
            handler = getattr(self, f"_op_{operation}", None)
            if handler is None:
                raise ValidationException(NOT_IMPLEMENTED.format(operation=operation))
            record = self._new_record(request_id, operation, model_id or "")
            status, out_headers, body = handler(model_id, record)
        except BedrockError as error:
            return self._failed(record, error, request_id)
        except ClientGone:
            raise  # the request body never fully arrived: nobody is left to answer
        except Exception:
            log.exception("bedrock-runtime request failed")
            return self._failed(record, InternalServerException(INTERNAL_ERROR), request_id)
        out_headers["x-amzn-RequestId"] = request_id
        if record.get("fallback"):
            out_headers[FALLBACK_HEADER] = "canned"
        if not isinstance(body, Iterator):  # a stream records itself when it ends
            self._finish(record, status)
        return status, out_headers, body

    def _new_record(self, request_id: str, operation: str, model_id: str) -> dict[str, Any]:
        """The history entry of this call, completed as the call goes (see controls.py)."""
        raw = self._raw_body()
        try:
            sent: Any = json_input.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            sent = raw.decode("utf-8", "replace")
        return {
            "request_id": request_id,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "account_id": self.current_account,
            "region": self.region,
            "operation": operation,
            "model_id": model_id,
            "headers": recorded_headers(self.headers),
            "request": sent,
            "started": time.perf_counter(),
        }

    def _finish(
        self, record: dict[str, Any], status: int, error: BedrockError | None = None
    ) -> None:
        started = record.pop("started", None)
        if started is None:  # a stream already wrote its entry
            return
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        record["status"] = status
        if error is not None:
            record["error"] = {"code": error.code, "message": error.message}
        tokens = record.pop(invocation_logging.TOKEN_COUNTS, None)
        self.backend.controls.record(record)
        invocation_logging.deliver(record, tokens, self.get_access_key())

    def _failed(
        self, record: dict[str, Any] | None, error: BedrockError, request_id: str
    ) -> tuple[int, dict[str, str], str]:
        response = error_response(error, request_id=request_id)
        if record is not None:
            record["response"] = json.loads(response[2])
            self._finish(record, response[0], error)
        return response

    def _raw_body(self) -> bytes:
        body = self.body
        return body.encode() if isinstance(body, str) else (body or b"")

    def _op_Converse(
        self, model_id: str, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], str]:
        return self._answer(record, self.backend.converse(model_id, self._raw_body(), record))

    def _op_CountTokens(
        self, model_id: str, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], str]:
        return self._answer(record, self.backend.count_tokens(model_id, self._raw_body()))

    def _op_InvokeModel(
        self, model_id: str, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes]:
        guardrail = from_headers(self.headers)
        result = self.backend.invoke_model(
            model_id,
            self._raw_body(),
            self.headers.get("Content-Type"),
            self.headers.get("Accept"),
            record,
            guardrail,
        )
        record["response"] = EncodedJson(result.body)
        record[invocation_logging.TOKEN_COUNTS] = (result.input_tokens, result.output_tokens)
        headers = {
            "Content-Type": "application/json",
            "X-Amzn-Bedrock-Input-Token-Count": str(result.input_tokens),
            "X-Amzn-Bedrock-Output-Token-Count": str(result.output_tokens),
            "X-Amzn-Bedrock-Invocation-Latency": str(result.latency_ms),
            **self._echoed_headers(),
        }
        return 200, headers, result.body

    def _op_InvokeModelWithResponseStream(
        self, model_id: str, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        guardrail = from_headers(self.headers)
        accept = self.headers.get("X-Amzn-Bedrock-Accept")
        chunks = self.backend.invoke_model_stream(
            model_id, self._raw_body(), self.headers.get("Content-Type"), accept, record, guardrail
        )
        headers = {
            "Content-Type": EVENTSTREAM,
            "X-Amzn-Bedrock-Content-Type": "application/json",
            **self._echoed_headers(),
        }
        return 200, headers, self._stream_body("InvokeModelWithResponseStream", chunks, record)

    def _op_ApplyGuardrail(
        self, model_id: str | None, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], str]:
        body = shaped_body(
            "ApplyGuardrail", self._raw_body(), skip=("guardrailIdentifier", "guardrailVersion")
        )
        result = apply_guardrail(self.current_account, self.region, self.raw_path, body)
        return self._answer(record, result)

    def _op_StartAsyncInvoke(
        self, model_id: str | None, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], str]:
        body = shaped_body("StartAsyncInvoke", self._raw_body(), skip=())
        record["model_id"] = body["modelId"]
        return self._answer(record, {"invocationArn": self.backend.async_invokes.start(body)})

    def _op_GetAsyncInvoke(
        self, model_id: str | None, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], str]:
        arn = unquote(self.path.partition("/async-invoke/")[2])
        params = request_params("GetAsyncInvoke", {"invocationArn": arn}, {})
        invocation = self.backend.async_invokes.get(params["invocationArn"])
        return self._answer(record, invocation.to_dict())

    def _op_ListAsyncInvokes(
        self, model_id: str | None, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], str]:
        params = request_params("ListAsyncInvokes", {}, self.querystring)
        invocations, token = self.backend.async_invokes.list(params)
        result: dict[str, Any] = {"asyncInvokeSummaries": [i.to_dict() for i in invocations]}
        if token:
            result["nextToken"] = token
        return self._answer(record, result)

    @staticmethod
    def _answer(record: dict[str, Any], result: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        record["response"] = result
        return 200, {"Content-Type": "application/json"}, compact_json.dumps(result)

    def _echoed_headers(self) -> dict[str, str]:
        """Settings Bedrock reports back in response headers when the request set them."""
        names = ("X-Amzn-Bedrock-PerformanceConfig-Latency", "X-Amzn-Bedrock-Service-Tier")
        return {name: self.headers[name] for name in names if self.headers.get(name)}

    def _op_ConverseStream(
        self, model_id: str, record: dict[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        events = self.backend.converse_stream(model_id, self._raw_body(), record)
        body = self._stream_body("ConverseStream", events, record)
        return 200, {"Content-Type": EVENTSTREAM}, body

    def _stream_body(
        self,
        operation: str,
        events: Iterable[tuple[str, dict[str, Any]]],
        record: dict[str, Any],
    ) -> Iterator[bytes] | bytes:
        """A real server writes each frame as it is made; moto's in-process stubber needs the
        whole body as bytes (the bytes are the same)."""
        frames = guarded_frames(operation, self._recorded(events, record))
        return frames if self.is_werkzeug_request else b"".join(frames)

    def _recorded(
        self, events: Iterable[tuple[str, dict[str, Any]]], record: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """Passes each event on as it comes and keeps a readable copy for the history; the
        entry is written when the stream ends, however it ends, with its events as one JSON
        text (some twenty small dicts each would stay in memory for every stream kept)."""
        seen: list[dict[str, Any]] = []
        error: BedrockError | None = None
        try:
            for name, payload in events:
                seen.append({name: _readable(name, payload)})
                yield name, payload
        except BedrockError as exc:
            error = exc
            raise
        except Exception:
            error = InternalServerException(INTERNAL_ERROR)
            raise
        finally:
            record["response"] = EncodedJson(compact_json.dumps({"events": seen}).encode())
            self._finish(record, 200, error)
