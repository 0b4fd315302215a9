"""HTTP/2 on the server's port: cleartext with prior knowledge and ALPN h2 over TLS, driven by
a real HTTP/2 client (the h2 library's client side over a socket)."""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import random
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    ResponseReceived,
    StreamEnded,
    StreamReset,
)
from h2.settings import SettingCodes, Settings

from moto_bedrock_runtime.http_server import WSGIServer, generate_self_signed_cert

from .conftest import FAKE_SIGV4, HAIKU, CliServer, check_output, check_stream, port_of

pytestmark = pytest.mark.server

LOGGER = "moto_bedrock_runtime.server"
DELAY = 0.1  # seconds the canned engine waits before each streamed delta
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


# A minimal HTTP/2 client


@dataclass
class Reply:
    """One stream's response as it arrived: each DATA frame with its arrival time."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    ended: bool = False
    reset: int | None = None  # RST_STREAM error code

    @property
    def body(self) -> bytes:
        return b"".join(data for _, data in self.chunks)

    def json(self) -> Any:
        return json.loads(self.body)


class H2Client:
    """HTTP/2 over one socket: send requests, pump frames, collect replies per stream."""

    def __init__(
        self,
        port: int,
        *,
        sock: socket.socket | None = None,
        window: int | None = None,
    ) -> None:
        self.sock = sock or socket.create_connection(("127.0.0.1", port), timeout=10)
        self.authority = f"127.0.0.1:{port}"
        self.conn = H2Connection(H2Configuration(client_side=True, header_encoding="utf-8"))
        if window is not None:
            self.conn.local_settings = Settings(
                client=True, initial_values={SettingCodes.INITIAL_WINDOW_SIZE: window}
            )
        self.conn.initiate_connection()
        self.replies: dict[int, Reply] = {}
        self.auto_ack = True
        self.terminated: ConnectionTerminated | None = None
        self.eof = False
        self.flush()

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Iterable[tuple[str, str]] = (),
        *,
        content_length: bool = True,
    ) -> int:
        """Send a request (the body as far as flow control allows at once, then the rest)."""
        stream_id = self.conn.get_next_available_stream_id()
        fields = [
            (":method", method),
            (":scheme", "http"),
            (":authority", self.authority),
            (":path", path),
            *headers,
        ]
        if body and content_length:
            fields.append(("content-length", str(len(body))))
        self.replies[stream_id] = Reply()
        self.conn.send_headers(stream_id, fields, end_stream=not body)
        self.flush()
        view = memoryview(body)
        while view:
            window = self.conn.local_flow_control_window(stream_id)
            if not window:
                self.pump()
                continue
            size = min(window, self.conn.max_outbound_frame_size, len(view))
            self.conn.send_data(stream_id, view[:size].tobytes(), end_stream=size == len(view))
            view = view[size:]
            self.flush()
        return stream_id

    def post_json(self, path: str, body: Any, **kwargs: Any) -> int:
        headers = [("authorization", FAKE_SIGV4), ("content-type", "application/json")]
        return self.request("POST", path, json.dumps(body).encode(), headers, **kwargs)

    def pump(self) -> None:
        """Read once from the socket and record what it brought."""
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            raise EOFError("the server closed the connection")
        now = time.perf_counter()
        for event in self.conn.receive_data(data):
            reply = self.replies.get(getattr(event, "stream_id", 0) or 0)
            if isinstance(event, ResponseReceived) and reply is not None:
                reply.status = int(event.headers[0][1])
                reply.headers = dict(event.headers[1:])
            elif isinstance(event, DataReceived) and reply is not None:
                reply.chunks.append((now, event.data))
                if self.auto_ack:
                    self.conn.acknowledge_received_data(
                        event.flow_controlled_length, event.stream_id
                    )
            elif isinstance(event, StreamEnded) and reply is not None:
                reply.ended = True
            elif isinstance(event, StreamReset) and reply is not None:
                reply.reset = event.error_code
            elif isinstance(event, ConnectionTerminated):
                self.terminated = event
        self.flush()

    def wait(self, stream_id: int) -> Reply:
        reply = self.replies[stream_id]
        while not (reply.ended or reply.reset is not None):
            self.pump()
        return reply

    def wait_for_eof(self) -> None:
        try:
            while True:
                self.pump()
        except (EOFError, ConnectionResetError):
            return

    def close(self) -> None:
        self.sock.close()


def frame(kind: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    """One raw HTTP/2 frame."""
    head = struct.pack("!I", len(payload))[1:] + bytes((kind, flags))
    return head + struct.pack("!I", stream_id) + payload


def events_with_times(reply: Reply) -> list[tuple[float, str]]:
    """(arrival time, event name) of every event-stream message, in order."""
    buffer = EventStreamBuffer()
    found = []
    for arrived, data in reply.chunks:
        buffer.add_data(data)
        found += [(arrived, message.headers[":event-type"]) for message in buffer]
    return found


def delta_text(raw: bytes) -> str:
    return "".join(
        payload["delta"]["text"]
        for name, payload in check_stream("ConverseStream", raw)
        if name == "contentBlockDelta"
    )


# The real `moto-bedrock` command


@pytest.fixture(scope="module")
def paced_server() -> Iterator[CliServer]:
    """`moto-bedrock` with the canned engine pausing before each streamed delta."""
    server = CliServer(env={"MOTO_BEDROCK_STREAM_DELAY_MS": str(int(DELAY * 1000))})
    yield server
    server.stop()


def converse_messages(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": [{"text": text}]}]}


def test_converse_over_cleartext_http2(paced_server: CliServer) -> None:
    client = H2Client(paced_server.port)
    try:
        stream_id = client.post_json(
            f"/model/{HAIKU}/converse", converse_messages("Name three rivers.")
        )
        reply = client.wait(stream_id)
    finally:
        client.close()
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["x-amzn-requestid"]
    assert not {"connection", "transfer-encoding", "keep-alive"} & reply.headers.keys()
    body = reply.json()
    check_output("Converse", body)
    assert "Name three rivers." in body["output"]["message"]["content"][0]["text"]
    assert body["stopReason"] == "end_turn"


def test_converse_stream_arrives_frame_by_frame(paced_server: CliServer) -> None:
    """With a pause before each delta, the first delta reaches the client long before the
    last one is even produced: frames leave as DATA frames as they are made."""
    client = H2Client(paced_server.port)
    try:
        warm = client.post_json(f"/model/{HAIKU}/converse", converse_messages("warm up"))
        client.wait(warm)  # first-request imports stay out of the timing
        started = time.perf_counter()
        stream_id = client.post_json(
            f"/model/{HAIKU}/converse-stream", converse_messages("Name three rivers.")
        )
        reply = client.wait(stream_id)
    finally:
        client.close()
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert "Name three rivers." in delta_text(reply.body)
    arrivals = [
        at - started for at, name in events_with_times(reply) if name == "contentBlockDelta"
    ]
    deltas = len(arrivals)
    assert deltas >= 5
    assert arrivals[-1] >= deltas * DELAY * 0.9
    assert arrivals[0] < arrivals[-1] - (deltas - 2) * DELAY
    assert arrivals[0] < 5 * DELAY
    assert len(reply.chunks) >= deltas  # not one buffered DATA frame


def test_concurrent_streams_share_one_connection(paced_server: CliServer) -> None:
    """Eight paced streams on one connection run side by side, not one after another."""
    client = H2Client(paced_server.port)
    topics = [f"Topic {i}" for i in range(8)]
    try:
        started = time.perf_counter()
        ids = [
            client.post_json(f"/model/{HAIKU}/converse-stream", converse_messages(topic))
            for topic in topics
        ]
        replies = [client.wait(stream_id) for stream_id in ids]
        elapsed = time.perf_counter() - started
    finally:
        client.close()
    texts = [delta_text(reply.body) for reply in replies]
    assert all(topic in text for topic, text in zip(topics, texts, strict=True))
    one_stream = len(events_with_times(replies[0])) * DELAY
    assert elapsed < 8 * one_stream / 2  # serial would take 8 streams' worth
    firsts = [events_with_times(reply)[0][0] for reply in replies]
    lasts = [events_with_times(reply)[-1][0] for reply in replies]
    assert max(firsts) < min(lasts)  # every stream had started before any had finished


def test_errors_are_json_over_http2(paced_server: CliServer) -> None:
    client = H2Client(paced_server.port)
    try:
        invalid = client.wait(client.post_json(f"/model/{HAIKU}/converse", {"messages": []}))
        unknown = client.wait(client.post_json(f"/model/{HAIKU}/explode", {}))
    finally:
        client.close()
    assert invalid.status == 400
    assert invalid.headers["x-amzn-errortype"].startswith("ValidationException")
    assert invalid.json() == {
        "message": "A conversation must start with a user message. Try again with a "
        "conversation that starts with a user message."
    }
    assert unknown.status == 404
    assert unknown.headers["x-amzn-errortype"].startswith("UnknownOperationException")
    assert unknown.headers["content-type"] == "application/json"


def test_http1_still_served_on_the_same_port(paced_server: CliServer) -> None:
    h2 = H2Client(paced_server.port)
    connection = http.client.HTTPConnection("127.0.0.1", paced_server.port, timeout=10)
    try:
        h2_reply = h2.wait(h2.post_json(f"/model/{HAIKU}/converse", converse_messages("Hi")))
        connection.request(
            "POST",
            f"/model/{HAIKU}/converse",
            body=json.dumps(converse_messages("Hi")),
            headers={"Authorization": FAKE_SIGV4, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        http1_body = json.loads(response.read())
    finally:
        h2.close()
        connection.close()
    assert response.status == 200
    assert response.version == 11
    assert http1_body["output"] == h2_reply.json()["output"]  # deterministic: same answer


# The server in this process, with small applications


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Reads the whole body; answers with its size, digest and a few environ entries."""
    body = environ["wsgi.input"].read()
    answer = {
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "raw_uri": environ["RAW_URI"],
        "host": environ.get("HTTP_HOST"),
        "protocol": environ["SERVER_PROTOCOL"],
        "content_length": environ.get("CONTENT_LENGTH"),
        "cookie": environ.get("HTTP_COOKIE"),
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]


def test_environ_and_a_body_larger_than_every_window(serve: Callable[..., WSGIServer]) -> None:
    """A 3 MiB upload passes the 1 MiB stream window: read bytes re-open it."""
    server = serve(echo_app)
    client = H2Client(port_of(server))
    body = random.Random(7).randbytes(3 << 20)
    try:
        with_length = client.wait(
            client.request("PUT", "/a%2Fb/c?x=1&y=2", body, [("cookie", "a=1"), ("cookie", "b=2")])
        )
        without_length = client.wait(client.request("POST", "/", body, content_length=False))
    finally:
        client.close()
    answer = with_length.json()
    assert answer == {
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "method": "PUT",
        "path": "/a/b/c",
        "query": "x=1&y=2",
        "raw_uri": "/a%2Fb/c?x=1&y=2",
        "host": client.authority,
        "protocol": "HTTP/2",
        "content_length": str(len(body)),
        "cookie": "a=1; b=2",
    }
    assert without_length.json()["length"] == len(body)
    assert without_length.json()["content_length"] is None


def test_input_lines_span_data_frames(serve: Callable[..., WSGIServer]) -> None:
    def lines_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = environ["wsgi.input"]
        found = [body.readline(), body.readline(3), body.readline(), *body]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps([line.decode() for line in found]).encode()]

    server = serve(lines_app)
    client = H2Client(port_of(server))
    try:
        stream_id = client.conn.get_next_available_stream_id()
        client.replies[stream_id] = Reply()
        request = [(":method", "POST"), (":scheme", "http"), (":authority", "h"), (":path", "/")]
        client.conn.send_headers(stream_id, request)
        for piece in (b"fir", b"st\nsec", b"ond\nthi", b"rd\nlast"):
            client.conn.send_data(stream_id, piece)
            client.flush()
            time.sleep(0.02)  # separate DATA frames, read as they come
        client.conn.end_stream(stream_id)
        client.flush()
        reply = client.wait(stream_id)
    finally:
        client.close()
    assert reply.json() == ["first\n", "sec", "ond\n", "third\n", "last"]


def test_response_waits_for_the_clients_flow_control_window(
    serve: Callable[..., WSGIServer],
) -> None:
    payload = random.Random(3).randbytes(200_000)

    def big_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Length", str(len(payload)))])
        return [payload]

    server = serve(big_app)
    client = H2Client(port_of(server), window=4096)
    try:
        client.auto_ack = False
        stream_id = client.request("GET", "/")
        reply = client.replies[stream_id]
        while sum(len(data) for _, data in reply.chunks) < 4096:
            client.pump()
        client.sock.settimeout(0.3)
        with pytest.raises(TimeoutError):  # the window is used up: nothing more comes
            client.pump()
        assert sum(len(data) for _, data in reply.chunks) == 4096
        client.sock.settimeout(10)
        client.auto_ack = True
        client.conn.acknowledge_received_data(4096, stream_id)
        client.flush()
        client.wait(stream_id)
    finally:
        client.close()
    assert reply.status == 200
    assert reply.body == payload


def test_reset_stream_closes_the_response_iterator(serve: Callable[..., WSGIServer]) -> None:
    closed = threading.Event()
    produced: list[int] = []

    class Slow:
        def __iter__(self) -> Iterator[bytes]:
            for i in range(100):
                produced.append(i)
                yield b"chunk %d\n" % i
                time.sleep(0.02)

        def close(self) -> None:
            closed.set()

    def slow_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["PATH_INFO"] == "/quick":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"still here"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Slow()

    server = serve(slow_app)
    client = H2Client(port_of(server))
    try:
        stream_id = client.request("GET", "/slow")
        while not client.replies[stream_id].chunks:
            client.pump()
        client.conn.reset_stream(stream_id, ErrorCodes.CANCEL)
        client.flush()
        assert closed.wait(5)
        count = len(produced)
        quick = client.wait(client.request("GET", "/quick"))  # the connection lives on
    finally:
        client.close()
    assert count < 20
    time.sleep(0.1)
    assert len(produced) == count  # nothing more was produced after close()
    assert quick.body == b"still here"


def test_app_failures_become_json_or_a_reset(serve: Callable[..., WSGIServer]) -> None:
    def failing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ["PATH_INFO"] == "/early":
            raise RuntimeError("boom")
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body() -> Iterator[bytes]:
            yield b"partial"
            raise RuntimeError("boom")

        return body()

    server = serve(failing_app)
    client = H2Client(port_of(server))
    try:
        early = client.wait(client.request("GET", "/early"))
        late = client.wait(client.request("GET", "/late"))
    finally:
        client.close()
    assert early.status == 500
    assert early.json() == {"message": "Internal server error"}
    assert early.headers["x-amzn-errortype"] == (
        "InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )
    assert late.status == 200
    assert late.body == b"partial"
    assert late.reset == ErrorCodes.INTERNAL_ERROR


def test_bodyless_and_short_responses(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] == "/short":
            start_response("200 OK", [("Content-Length", "10")])
            return [b"four"]
        if environ["PATH_INFO"] == "/none":
            start_response("204 No Content", [])
            return [b"ignored"]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")])
        return [b"hello"]

    server = serve(app)
    client = H2Client(port_of(server))
    try:
        head = client.wait(client.request("HEAD", "/"))
        get = client.wait(client.request("GET", "/"))
        none = client.wait(client.request("GET", "/none"))
        short = client.wait(client.request("GET", "/short"))
    finally:
        client.close()
    assert (head.status, head.body, head.ended) == (200, b"", True)
    assert (get.body, get.ended) == (b"hello", True)
    assert "connection" not in get.headers  # connection-specific fields are illegal in HTTP/2
    assert {"date", "server"} <= get.headers.keys()
    assert (none.status, none.body, none.ended) == (204, b"", True)
    assert short.reset == ErrorCodes.INTERNAL_ERROR  # less than Content-Length promised


def test_client_goaway_lets_open_streams_finish(serve: Callable[..., WSGIServer]) -> None:
    def paced_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        for i in range(3):
            time.sleep(0.05)
            yield b"%d" % i

    server = serve(paced_app)
    client = H2Client(port_of(server))
    try:
        stream_id = client.request("GET", "/")
        # Raw: the h2 client would refuse the rest of the response after its own GOAWAY.
        client.sock.sendall(frame(7, 0, 0, struct.pack("!II", 0, ErrorCodes.NO_ERROR)))
        reply = client.wait(stream_id)
        client.wait_for_eof()
    finally:
        client.close()
    assert (reply.body, reply.ended) == (b"012", True)
    assert client.eof


def test_idle_connection_gets_a_goaway(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app, keep_alive_timeout=0.3)
    client = H2Client(port_of(server))
    try:
        assert client.wait(client.request("GET", "/")).status == 200
        started = time.monotonic()
        client.wait_for_eof()
    finally:
        client.close()
    assert client.terminated is not None
    assert client.terminated.error_code == ErrorCodes.NO_ERROR
    assert time.monotonic() - started < 5


def test_a_bad_preface_closes_only_that_connection(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=5) as sock:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\0" * 32)
        received = b""
        while chunk := sock.recv(65536):  # the server lingers: its frames are not reset away
            received += chunk
    # The server's SETTINGS, then a GOAWAY (type 7, stream 0) naming PROTOCOL_ERROR, then EOF.
    assert received[3] == 4
    goaway = received.index(b"\x07\x00\x00\x00\x00\x00", 9)
    assert struct.unpack("!I", received[goaway + 10 : goaway + 14])[0] == ErrorCodes.PROTOCOL_ERROR
    client = H2Client(port_of(server))
    try:
        assert client.wait(client.request("GET", "/")).status == 200
    finally:
        client.close()


def test_garbage_frames_never_break_the_server(
    serve: Callable[..., WSGIServer], caplog: pytest.LogCaptureFixture
) -> None:
    """Random frames after a valid preface end at most their own connection."""
    server = serve(echo_app, keep_alive_timeout=2)
    rnd = random.Random(11)

    for _ in range(60):
        frames = [PREFACE, frame(4, 0, 0, b"")]
        for _ in range(rnd.randint(1, 5)):
            payload = rnd.randbytes(rnd.randint(0, 40))
            frames.append(
                frame(rnd.randint(0, 12), rnd.randint(0, 255), rnd.choice((0, 1, 3)), payload)
            )
        with socket.create_connection(("127.0.0.1", port_of(server)), timeout=5) as sock:
            sock.sendall(b"".join(frames))
            sock.settimeout(0.2)
            try:
                while sock.recv(65536):
                    pass
            except (TimeoutError, ConnectionResetError):
                pass
    client = H2Client(port_of(server))
    try:
        assert client.wait(client.request("GET", "/")).status == 200
    finally:
        client.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_tls_negotiates_h2_by_alpn(serve: Callable[..., WSGIServer], tmp_path: Path) -> None:
    cert, key = generate_self_signed_cert(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = serve(echo_app, ssl_context=context)

    def connect(protocols: list[str]) -> ssl.SSLSocket:
        client_context = ssl.create_default_context(cafile=str(cert))
        client_context.set_alpn_protocols(protocols)
        raw = socket.create_connection(("127.0.0.1", port_of(server)), timeout=5)
        return client_context.wrap_socket(raw, server_hostname="127.0.0.1")

    h2_sock = connect(["h2", "http/1.1"])
    assert h2_sock.selected_alpn_protocol() == "h2"
    client = H2Client(port_of(server), sock=h2_sock)
    try:
        replies = [client.request("POST", "/tls", b"x" * 100_000) for _ in range(3)]
        answers = [client.wait(stream_id).json() for stream_id in replies]
    finally:
        client.close()
    assert all(answer["length"] == 100_000 and answer["protocol"] == "HTTP/2" for answer in answers)

    with connect(["http/1.1"]) as http1_sock:
        assert http1_sock.selected_alpn_protocol() == "http/1.1"
        http1_sock.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        response = http.client.HTTPResponse(http1_sock)
        response.begin()
        assert json.loads(response.read())["protocol"] == "HTTP/1.1"


def test_debug_log_has_requests_but_no_header_values(
    serve: Callable[..., WSGIServer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(echo_app)
    client = H2Client(port_of(server))
    try:
        client.wait(client.request("GET", "/logged", headers=[("authorization", "Bearer s3cr3t")]))
    finally:
        client.close()
    assert any("GET /logged 200" in r.getMessage() for r in caplog.records if r.name == LOGGER)
    assert "s3cr3t" not in caplog.text


def test_a_closed_window_held_past_the_timeout_cuts_the_stream(
    serve: Callable[..., WSGIServer],
) -> None:
    closed = threading.Event()

    class Big:
        def __iter__(self) -> Iterator[bytes]:
            yield b"x" * 10_000

        def close(self) -> None:
            closed.set()

    def big_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Big:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Big()

    server = serve(big_app, keep_alive_timeout=0.5)
    client = H2Client(port_of(server), window=1000)
    client.auto_ack = False  # the window stays shut
    try:
        started = time.monotonic()
        reply = client.wait(client.request("GET", "/"))
    finally:
        client.close()
    assert reply.reset == ErrorCodes.INTERNAL_ERROR
    assert len(reply.body) == 1000
    assert 0.4 < time.monotonic() - started < 5
    assert closed.wait(5)


def test_server_close_ends_http2_connections_promptly(serve: Callable[..., WSGIServer]) -> None:
    closed = threading.Event()

    class Endless:
        def __iter__(self) -> Iterator[bytes]:
            while True:
                yield b"tick\n"
                time.sleep(0.05)

        def close(self) -> None:
            closed.set()

    def endless_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Endless:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Endless()

    server = serve(endless_app)
    client = H2Client(port_of(server))
    try:
        stream_id = client.request("GET", "/")
        while not client.replies[stream_id].chunks:
            client.pump()
        started = time.monotonic()
        server.shutdown()
        server.server_close()
        client.wait_for_eof()
    finally:
        client.close()
    assert time.monotonic() - started < 2
    assert closed.wait(5)
