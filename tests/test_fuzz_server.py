"""Fuzzing the `moto-bedrock` server: whatever a client sends, the answer is a modeled Bedrock
answer — never a 5xx for a client's mistake, never an HTML page or a traceback — and the
server stays up.

Three sources: every bedrock and bedrock-runtime operation with parameters generated from
botocore's input shapes; every vendor's InvokeModel body generated from schemas/; raw garbage
(bytes, wrong content types, truncated and huge bodies, invalid UTF-8, bad percent-encoding).
CI runs a bounded number of examples (FUZZ_EXAMPLES, default 12 per operation and schema);
`FUZZ_EXAMPLES=500 pytest tests/test_fuzz_server.py` is the long run (docs/performance.md).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.eventstream import EventStreamBuffer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moto_bedrock_runtime import vendors
from moto_bedrock_runtime.catalog import models
from moto_bedrock_runtime.errors import modeled_errors

from . import fuzz_strategies as fuzz
from .conftest import FAKE_SIGV4, CliServer

pytestmark = pytest.mark.server

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Errors a server may answer that are not in either service model but are AWS's own.
_GENERIC_ERRORS = {"UnknownOperationException", "SerializationException"}


@pytest.fixture(scope="module")
def server() -> Iterator[CliServer]:
    process = CliServer(env={"MOTO_BEDROCK_STREAM_DELAY_MS": "0"})
    yield process
    output = process.stop()
    assert "Traceback" not in output, output[-3000:]


def send(
    server: CliServer,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP/1.1 request, the path sent exactly as given."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in {"Authorization": FAKE_SIGV4, **(headers or {})}.items():
            # Bytes, so any UTF-8 reaches the server; no client can send a line break in one.
            connection.putheader(name, value.replace("\r", " ").replace("\n", " ").encode())
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def check_answer(status: int, headers: dict[str, str], body: bytes, context: Any) -> None:
    """The properties every answer has, whatever was asked."""
    where = f"{status} for {context!r}: {body[:300]!r}"
    assert status < 500, where
    head = body[:4096].lower()
    assert b"traceback" not in head and b"<html" not in head and b"<!doctype" not in head, where
    content_type = headers.get("content-type", "")
    if status >= 400:
        assert content_type.startswith("application/json"), where
        error = json.loads(body)
        assert isinstance(error.get("message", error.get("Message")), str), where
        code = headers["x-amzn-errortype"].split(":", 1)[0]
        known = modeled_errors("bedrock") | modeled_errors("bedrock-runtime") | _GENERIC_ERRORS
        assert code in known, where
    elif "eventstream" in content_type:
        buffer = EventStreamBuffer()
        buffer.add_data(body)
        for message in buffer:
            exception = message.headers.get(":exception-type")
            assert exception != "internalServerException", f"{where} {message.payload!r}"


def _send_serialized(server: CliServer, request: dict[str, Any]) -> None:
    path = request["url_path"]
    if request["query_string"]:
        path += "?" + urlencode(request["query_string"], doseq=True)
    headers = {k: str(v) for k, v in request["headers"].items()}
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    check_answer(*send(server, request["method"], path, body, headers), request)


@pytest.mark.parametrize("operation", fuzz.operations("bedrock-runtime"))
def test_runtime_operations(server: CliServer, operation: str) -> None:
    @FUZZ
    @given(fuzz.serialized("bedrock-runtime", operation))
    def run(request: dict[str, Any]) -> None:
        _send_serialized(server, request)

    run()


@pytest.mark.parametrize("operation", fuzz.operations("bedrock"))
def test_control_plane_operations(server: CliServer, operation: str) -> None:
    @FUZZ
    @given(fuzz.serialized("bedrock", operation))
    def run(request: dict[str, Any]) -> None:
        _send_serialized(server, request)

    run()


def _model_for_schema(name: str) -> tuple[str, str]:
    """A catalog model whose codec validates with this schema, and its codec kind."""
    for model in models().values():
        try:
            codec = vendors.codec_for(model)
        except Exception:  # a model without an InvokeModel codec (video, speech…)
            continue
        if codec.schema == name:
            return model.model_id, codec.kind
    raise AssertionError(f"no model uses schema {name}")


@pytest.mark.parametrize("schema", fuzz.schema_names())
def test_native_bodies_for_every_schema(server: CliServer, schema: str) -> None:
    model_id, kind = _model_for_schema(schema)
    suffixes = ["invoke", "invoke-with-response-stream"] if kind == "chat" else ["invoke"]

    @FUZZ
    @given(fuzz.native_bodies(schema), st.sampled_from(suffixes))
    def run(body: bytes, suffix: str) -> None:
        answer = send(
            server,
            "POST",
            f"/model/{model_id}/{suffix}",
            body,
            {"Content-Type": "application/json"},
        )
        check_answer(*answer, (schema, suffix, body[:200]))

    run()


@FUZZ
@given(
    st.sampled_from(["POST", "POST", "GET", "PUT", "DELETE"]),
    fuzz.GARBAGE_MODEL_SEGMENTS,
    fuzz.RUNTIME_SUFFIXES,
    fuzz.GARBAGE_BODIES,
    fuzz.GARBAGE_CONTENT_TYPES,
)
def test_raw_garbage(
    server: CliServer, method: str, model: str, suffix: str, body: bytes, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = send(server, method, f"/model/{model}/{suffix}", body, headers)
    check_answer(*answer, (method, model[:60], suffix, body[:80], content_type))


def test_a_huge_body_is_refused_cleanly(server: CliServer) -> None:
    body = b'{"messages": [{"role": "user", "content": [{"text": "' + b"x" * 26_000_000 + b'"}]}]}'
    status, headers, answer = send(server, "POST", "/model/amazon.nova-lite-v1:0/converse", body)
    check_answer(status, headers, answer, "26 MB body")
    assert status in (400, 413)


def test_a_truncated_body_does_not_hang_or_kill_the_server(server: CliServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /model/amazon.nova-lite-v1:0/converse HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: {FAKE_SIGV4}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            + b'{"messages": [{"role"'
        )
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert not reply or reply.startswith(b"HTTP/1.1 4")
    assert b"traceback" not in reply.lower()


def test_the_server_is_still_up(server: CliServer) -> None:
    """Runs after the fuzzers in this module (pytest keeps file order)."""
    assert server.process.poll() is None
    status, _, body = send(
        server,
        "POST",
        "/model/amazon.nova-lite-v1:0/converse",
        json.dumps(
            {"messages": [{"role": "user", "content": [{"text": "still there?"}]}]}
        ).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 200 and json.loads(body)["stopReason"] == "end_turn"


NESTED = b'{"a":' * 5000 + b"1" + b"}" * 5000
TOO_DEEP = "The request body is not valid JSON: it is nested too deeply."
MISSING = "Value null at '{}' failed to satisfy constraint: Member must not be null"
CUSTOMIZATION_REQUIRED = ("customModelName", "roleArn", "baseModelIdentifier")
CUSTOMIZATION_REQUIRED += ("trainingDataConfig", "outputDataConfig")
REGRESSIONS = [
    # (method, path, body, expected status, expected error code, expected message)
    ("POST", "/model/amazon.nova-lite-v1:0/converse", NESTED, 400, "ValidationException", TOO_DEEP),
    (
        "POST",
        "/model/amazon.nova-lite-v1:0/invoke",
        NESTED,
        400,
        "ValidationException",
        "Malformed input request, please reformat your input and try again.",
    ),
    (
        "POST",
        "/model/amazon.nova-lite-v1:0/count-tokens",
        NESTED,
        400,
        "ValidationException",
        TOO_DEEP,
    ),
    ("POST", "/model-customization-jobs", NESTED, 400, "ValidationException", TOO_DEEP),
    (
        "POST",
        "/model-customization-jobs",
        b"\x80\x81",
        400,
        "ValidationException",
        "The request body is not valid JSON: it is not UTF-8 text.",
    ),
    (
        "POST",
        "/model-customization-jobs",
        b'{"jobName": "j"}',
        400,
        "ValidationException",
        "5 validation errors detected: "
        + "; ".join(MISSING.format(name) for name in CUSTOMIZATION_REQUIRED),
    ),
    # moto's own error code (not Bedrock's) becomes a ValidationException with moto's text
    (
        "GET",
        "/model-customization-jobs?nextToken=0",
        b"",
        400,
        "ValidationException",
        "Invalid Token: Invalid token",
    ),
    (
        "POST",
        "/model/cohere.embed-v4:0/invoke",
        b'{"input_type": "search_document", "inputs": [{"content": [{"type": "text"}]}]}',
        400,
        "ValidationException",
        "Malformed input request: #/inputs/0/content/0: required key [text] not found, please "
        "reformat your input and try again.",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "message"), REGRESSIONS)
def test_regressions_found_by_fuzzing(
    server: CliServer, method: str, path: str, body: bytes, status: int, code: str, message: str
) -> None:
    answer = send(server, method, path, body, {"Content-Type": "application/json"})
    check_answer(*answer, (method, path))
    assert answer[0] == status
    assert answer[1]["x-amzn-errortype"].split(":")[0] == code
    assert json.loads(answer[2]) == {"message": message}
