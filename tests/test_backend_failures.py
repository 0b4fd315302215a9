"""Every way a backend fails, reproduced for real, and the Bedrock error a client then sees.

llm-katan's failure simulation gives HTTP 500, 429, 504, 503 and 401; a closed port gives a
refused connection; small servers of ours (backend_servers.RawBackend) hang, answer 200 with
something that is not JSON, answer 400, and break or stall a stream half-way — failures no
packaged OpenAI-compatible server here produces on demand.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EventStreamError
from moto import mock_aws

from moto_bedrock_runtime import backend_settings

from .backend_servers import (
    KATAN_KEY,
    KATAN_MODEL,
    Katan,
    RawBackend,
    free_port,
    sse_chunk,
    sse_head,
    text_delta,
)
from .conftest import FAKE_SIGV4, NO_RETRIES, CliServer, error_parts

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello"}]}]
CLAUDE_BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 20,
        "messages": [{"role": "user", "content": "hello"}],
    }
)
THROTTLED = (
    "Too many requests, please wait before trying again. You have sent too many requests.  "
    "Wait before trying again."
)
TIMED_OUT = "Model has timed out in processing the request. Try your request again."


@pytest.fixture
def use_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Points the engine at backend URL(s), with settings, for one test."""
    backend_settings.set_command_line({})

    def point(*urls: str, **settings: str) -> None:
        monkeypatch.setenv("MOTO_BEDROCK_BACKEND", ",".join(urls))
        monkeypatch.setenv("MOTO_BEDROCK_BACKEND_API_KEY", KATAN_KEY)
        monkeypatch.setenv("MOTO_BEDROCK_DEFAULT_BACKEND_MODEL", KATAN_MODEL)
        for name, value in settings.items():
            monkeypatch.setenv(f"MOTO_BEDROCK_{name.upper()}", value)

    yield point


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)


@pytest.fixture(scope="module")
def katans(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Katan]]:
    """llm-katan with each failure it simulates, started once for the module."""
    tmp = tmp_path_factory.mktemp("katans")
    servers = {
        "ok": Katan(tmp),
        "500": Katan(tmp, "--error-rate", "1.0"),
        "429": Katan(tmp, "--rate-limit-after", "1"),
        "504": Katan(tmp, "--timeout-after", "1"),
        "503": Katan(tmp, "--max-inflight", "1", "--latency-ms", "1500"),
    }
    yield servers
    for server in servers.values():
        server.stop()


def _converse(client: Any, **params: Any) -> dict[str, Any]:
    return client.converse(modelId=MODEL, messages=MESSAGES, **params)


def _failure(call: Any, **params: Any) -> tuple[str, int, str, dict[str, Any]]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return (*error_parts(caught), caught.value.response)


def _raw(handler: Any) -> Iterator[RawBackend]:
    server = RawBackend(handler)
    yield server
    server.stop()


def test_backend_500_is_a_model_error(client: Any, use_backend: Any, katans: dict) -> None:
    use_backend(katans["500"].url)
    code, status, message, response = _failure(_converse, client=client)
    assert (code, status) == ("ModelErrorException", 424)
    assert message == (
        f"Received error 500 from the model backend at {katans['500'].url} with message: "
        "internal server error"
    )
    assert response["originalStatusCode"] == 500
    assert response["resourceName"] == MODEL


def test_backend_429_is_throttling(client: Any, use_backend: Any, katans: dict) -> None:
    use_backend(katans["429"].url)
    _converse(client)  # llm-katan allows one request, then rate-limits
    assert _failure(_converse, client=client)[:3] == ("ThrottlingException", 429, THROTTLED)
    code, status, _, _ = _failure(
        client.invoke_model_with_response_stream, modelId=MODEL, body=CLAUDE_BODY
    )
    assert (code, status) == ("ThrottlingException", 429)  # before the stream starts: HTTP


def test_backend_504_is_a_model_timeout(client: Any, use_backend: Any, katans: dict) -> None:
    use_backend(katans["504"].url)
    _converse(client)
    assert _failure(_converse, client=client)[:3] == ("ModelTimeoutException", 408, TIMED_OUT)


def test_backend_overloaded_503_is_service_unavailable(
    client: Any, use_backend: Any, katans: dict
) -> None:
    use_backend(katans["503"].url)
    first: list[Any] = []
    busy = threading.Thread(target=lambda: first.append(_converse(client)))
    busy.start()
    time.sleep(0.5)  # the first request is in flight at llm-katan (it holds it 1.5 s)
    code, status, message, _ = _failure(_converse, client=client)
    busy.join()
    assert (code, status) == ("ServiceUnavailableException", 503)
    assert (
        message == f"The model backend at {katans['503'].url} is unavailable: service overloaded."
    )
    assert first and first[0]["stopReason"] == "end_turn"


def test_a_rejected_api_key_is_a_model_error(
    client: Any, use_backend: Any, katans: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_backend(katans["ok"].url)
    monkeypatch.delenv("MOTO_BEDROCK_BACKEND_API_KEY")
    code, status, message, response = _failure(_converse, client=client)
    assert (code, status, response["originalStatusCode"]) == ("ModelErrorException", 424, 401)
    assert message.endswith("with message: missing Authorization header")


def test_a_closed_port_is_service_unavailable(client: Any, use_backend: Any) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    use_backend(url)
    code, status, message, _ = _failure(_converse, client=client)
    assert (code, status) == ("ServiceUnavailableException", 503)
    assert message == (
        f"The model backend at {url} is unavailable: the connection was refused or the host "
        "is unreachable."
    )


def _hang(conn: socket.socket, request: bytes) -> None:
    time.sleep(3)


def _not_json(conn: socket.socket, request: bytes) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n<html/>\r\n"
    )


def _bad_request(conn: socket.socket, request: bytes) -> None:
    body = b'{"error": {"message": "context length exceeded: 9000 > 8192", "type": "x"}}'
    conn.sendall(
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


def _broken_stream(conn: socket.socket, request: bytes) -> None:
    conn.sendall(sse_head() + sse_chunk(text_delta("Hel")) + sse_chunk(text_delta("lo")))
    # …and the connection closes with no finish_reason and no [DONE]


def _stalled_stream(close: bool) -> Any:
    def stall(conn: socket.socket, request: bytes) -> None:
        conn.sendall(sse_head(close) + sse_chunk(text_delta("Hel")))
        time.sleep(3)

    return stall


def test_a_hanging_backend_times_out(client: Any, use_backend: Any) -> None:
    for server in _raw(_hang):
        use_backend(server.url, backend_first_token_timeout="0.5")
        started = time.monotonic()
        assert _failure(_converse, client=client)[:3] == ("ModelTimeoutException", 408, TIMED_OUT)
        assert 0.4 < time.monotonic() - started < 2.5
        code, _, _, _ = _failure(client.converse_stream, modelId=MODEL, messages=MESSAGES)
        assert code == "ModelTimeoutException"  # before the stream starts: an HTTP error


def test_an_answer_that_is_not_json_is_a_model_error(client: Any, use_backend: Any) -> None:
    for server in _raw(_not_json):
        use_backend(server.url)
        code, status, message, response = _failure(_converse, client=client)
        assert (code, status, response["originalStatusCode"]) == ("ModelErrorException", 424, 200)
        assert (
            message
            == f"The model backend at {server.url} returned a response that is not valid JSON."
        )


def _cut_short(conn: socket.socket, request: bytes) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
        b'{"choices": [{"index": 0'
    )  # …and the connection closes 476 bytes early


def test_an_answer_cut_short_is_a_model_error(client: Any, use_backend: Any) -> None:
    for server in _raw(_cut_short):
        use_backend(server.url)
        code, status, message, response = _failure(_converse, client=client)
        assert (code, status, response["originalStatusCode"]) == ("ModelErrorException", 424, 200)
        assert message == (
            f"The model backend at {server.url} closed the connection before its answer was "
            "complete."
        )


def test_a_backend_400_is_a_validation_error(client: Any, use_backend: Any) -> None:
    for server in _raw(_bad_request):
        use_backend(server.url)
        assert _failure(_converse, client=client)[:3] == (
            "ValidationException",
            400,
            "The model returned the following errors: context length exceeded: 9000 > 8192",
        )


def _stream_error(events: Any) -> tuple[list[Any], EventStreamError]:
    seen = []
    with pytest.raises(EventStreamError) as caught:
        for event in events:
            seen.append(event)
    return seen, caught.value


def test_a_stream_broken_mid_way_ends_with_an_in_stream_error(
    client: Any, use_backend: Any
) -> None:
    for server in _raw(_broken_stream):
        use_backend(server.url)
        stream = client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
        seen, error = _stream_error(stream)
        deltas = [e["contentBlockDelta"]["delta"]["text"] for e in seen if "contentBlockDelta" in e]
        assert deltas == ["Hel", "lo"]  # what arrived before the break was delivered
        assert error.response["Error"]["Code"] == "modelStreamErrorException"
        assert error.response["Error"]["Message"] == (
            "The model backend's stream ended before the answer was complete."
        )
        body = client.invoke_model_with_response_stream(modelId=MODEL, body=CLAUDE_BODY)["body"]
        seen, error = _stream_error(body)
        types = [json.loads(e["chunk"]["bytes"])["type"] for e in seen]
        assert types[0] == "message_start" and "content_block_delta" in types
        assert error.response["Error"]["Code"] == "modelStreamErrorException"


@pytest.mark.parametrize("close", [True, False], ids=["connection-close", "keep-alive"])
def test_a_stalled_stream_ends_with_an_in_stream_error(
    client: Any, use_backend: Any, close: bool
) -> None:
    for server in _raw(_stalled_stream(close)):
        use_backend(server.url, backend_read_timeout="0.5")
        stream = client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
        started = time.monotonic()
        seen, error = _stream_error(stream)
        assert time.monotonic() - started < 2.5
        assert seen[1]["contentBlockDelta"]["delta"]["text"] == "Hel"
        assert error.response["Error"]["Code"] == "modelStreamErrorException"
        assert error.response["Error"]["Message"] == (
            "The model backend's stream stalled for more than 0.5 s."
        )


def test_failover_to_the_next_backend(client: Any, use_backend: Any, katans: dict) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    use_backend(dead, katans["500"].url, katans["ok"].url)
    text = _converse(client)["output"]["message"]["content"][0]["text"]
    assert text.startswith("[echo]")


def test_retries_pass_over_the_list_again(client: Any, use_backend: Any) -> None:
    answers = iter([b"503", b"200"])
    ok = json.dumps({"choices": [{"message": {"content": "second time"}, "finish_reason": "stop"}]})

    def flaky(conn: socket.socket, request: bytes) -> None:
        if next(answers) == b"503":
            conn.sendall(b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy")
            return
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ok)}"
            f"\r\n\r\n{ok}".encode()
        )

    for server in _raw(flaky):
        use_backend(server.url, backend_retries="1")
        assert _converse(client)["output"]["message"]["content"][0]["text"] == "second time"
        assert len(server.requests) == 2


def test_no_retry_by_default(client: Any, use_backend: Any, katans: dict) -> None:
    use_backend(katans["500"].url)
    _failure(_converse, client=client)
    use_backend(katans["500"].url, backend_retries="2")
    started = time.monotonic()
    _failure(_converse, client=client)
    assert time.monotonic() - started >= 0.3  # backoff 0.1 s then 0.2 s between the passes


def test_fallback_to_canned_is_opt_in_and_visible(
    client: Any, use_backend: Any, katans: dict, caplog: pytest.LogCaptureFixture
) -> None:
    use_backend(katans["500"].url, fallback="canned")
    with caplog.at_level(logging.WARNING, "moto_bedrock_runtime"):
        response = _converse(client)
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-moto-bedrock-fallback"] == "canned"
    assert not response["output"]["message"]["content"][0]["text"].startswith("[echo]")
    assert "answering with the canned engine (fallback=canned)" in caplog.text
    stream = client.converse_stream(modelId=MODEL, messages=MESSAGES)
    assert stream["ResponseMetadata"]["HTTPHeaders"]["x-moto-bedrock-fallback"] == "canned"
    assert list(stream["stream"])[-1]["metadata"]["usage"]["outputTokens"] > 0
    invoked = client.invoke_model(modelId=MODEL, body=CLAUDE_BODY)
    assert invoked["ResponseMetadata"]["HTTPHeaders"]["x-moto-bedrock-fallback"] == "canned"
    # A request the backend rejects as invalid still fails: falling back would hide it.
    for server in _raw(_bad_request):
        use_backend(server.url, fallback="canned")
        assert _failure(_converse, client=client)[0] == "ValidationException"


def test_without_fallback_nothing_is_flagged(client: Any, use_backend: Any, katans: dict) -> None:
    use_backend(katans["ok"].url)
    response = _converse(client)
    assert "x-moto-bedrock-fallback" not in response["ResponseMetadata"]["HTTPHeaders"]


@pytest.mark.server
def test_a_client_that_goes_away_closes_the_backend_stream() -> None:
    """The emulator stops reading the backend (and closes its connection) when its own client
    disconnects mid-stream, so a local model stops generating."""

    def endless(conn: socket.socket, request: bytes) -> None:
        conn.sendall(sse_head())
        for n in range(200):
            conn.sendall(sse_chunk(text_delta(f"token{n} ")))
            time.sleep(0.05)

    for backend in _raw(endless):
        server = CliServer("--backend", backend.url, "--default-backend-model", "m")
        try:
            with socket.create_connection(("127.0.0.1", server.port)) as sock:
                body = json.dumps({"messages": MESSAGES}).encode()
                sock.sendall(
                    f"POST /model/{MODEL}/converse-stream HTTP/1.1\r\nHost: x\r\n"
                    f"Authorization: {FAKE_SIGV4}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                assert b"contentBlockDelta" in _read_until(sock, b"contentBlockDelta")
            started = time.monotonic()
            assert backend.closed.wait(5), "the backend connection stayed open"
            assert time.monotonic() - started < 2
        finally:
            server.stop()


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    sock.settimeout(10)
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
