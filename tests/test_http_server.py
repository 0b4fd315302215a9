"""The keep-alive, streaming WSGI server, exercised over real sockets."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from moto_bedrock_runtime.http_server import WSGIServer, generate_self_signed_cert, make_server

from .conftest import port_of

pytestmark = pytest.mark.server

LOGGER = "moto_bedrock_runtime.server"


def connect(server: WSGIServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port_of(server), timeout=5)


def raw_socket(server: WSGIServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port_of(server)), timeout=5)


def read_response(sock: socket.socket, method: str = "GET") -> http.client.HTTPResponse:
    """Parse one response from a raw socket (send the next request only after reading it)."""
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    return response


def read_until_eof(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate_self_signed_cert(tmp_path_factory.mktemp("tls"))


def server_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answers with the string entries of the environ plus the body, as JSON."""
    body = environ["wsgi.input"].read()
    info = {key: value for key, value in environ.items() if isinstance(value, str)}
    info["body"] = body.decode("latin-1")
    payload = json.dumps(info).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def ignore_body_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def json_of(response: http.client.HTTPResponse) -> dict[str, Any]:
    return json.loads(response.read())


# --- persistent connections ---------------------------------------------------------------


def test_requests_share_one_connection(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    accepted = []
    process_request = server.process_request

    def counting(request: Any, client_address: Any) -> None:
        accepted.append(client_address)
        process_request(request, client_address)

    server.process_request = counting  # type: ignore[method-assign]
    conn = connect(server)
    seen_ports = set()
    for index in range(3):
        conn.request("POST", f"/call/{index}", body=b"x" * index)
        response = conn.getresponse()
        info = json_of(response)
        assert response.status == 200
        assert response.getheader("Connection") is None
        assert info["body"] == "x" * index
        seen_ports.add(info["REMOTE_PORT"])
    assert seen_ports == {str(conn.sock.getsockname()[1])}
    assert len(accepted) == 1
    conn.close()


def test_client_connection_close_is_honoured(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_until_eof(sock)  # times out if the server keeps the connection open
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nConnection: close\r\n" in data
    assert data.count(b"HTTP/1.1 ") == 1


def test_http10_closes_unless_keep_alive_requested(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET /old HTTP/1.0\r\n\r\n")
        data = read_until_eof(sock)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close\r\n" in data
    with raw_socket(server) as sock:
        for path in ("/one", "/two"):
            sock.sendall(f"GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            response = read_response(sock)
            assert response.getheader("Connection") == "keep-alive"
            info = json_of(response)
            assert info["PATH_INFO"] == path
            assert info["SERVER_PROTOCOL"] == "HTTP/1.0"


def test_http10_streaming_body_ends_with_the_connection(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"part1"
        yield b"part2"

    server = serve(app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        data = read_until_eof(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head
    assert b"Connection: close" in head
    assert body == b"part1part2"


def test_idle_keep_alive_connections_time_out(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app, keep_alive_timeout=0.3)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock).status == 200
        started = time.monotonic()
        assert sock.recv(1) == b""  # the server closed the idle connection
        assert time.monotonic() - started < 2


def test_pipelined_requests_are_answered_in_order(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        data = read_until_eof(sock)
    assert data.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert data.index(b'"PATH_INFO": "/first"') < data.index(b'"PATH_INFO": "/second"')


@pytest.mark.parametrize("tls", [False, True])
def test_server_close_ends_idle_connections_promptly(
    tls_files: tuple[Path, Path], tls: bool
) -> None:
    context = server_context(tls_files) if tls else None
    server = make_server("127.0.0.1", 0, echo_app, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    conn_class = http.client.HTTPSConnection if tls else http.client.HTTPConnection
    extra = {"context": ssl.create_default_context(cafile=str(tls_files[0]))} if tls else {}
    conn = conn_class("127.0.0.1", port_of(server), timeout=5, **extra)
    conn.request("GET", "/")
    assert conn.getresponse().read()
    started = time.monotonic()
    server.shutdown()
    server.server_close()
    thread.join(5)
    assert conn.sock.recv(1) == b""  # the server ended the idle keep-alive connection
    assert time.monotonic() - started < 1
    conn.close()


# --- request bodies ----------------------------------------------------------------------


def test_content_length_body_is_read_exactly(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    conn = connect(server)
    body = bytes(range(256)) * 1000
    conn.request("PUT", "/blob", body=body, headers={"Content-Type": "application/octet-stream"})
    info = json_of(conn.getresponse())
    assert info["body"].encode("latin-1") == body
    assert info["CONTENT_LENGTH"] == str(len(body))
    assert info["CONTENT_TYPE"] == "application/octet-stream"
    conn.request("GET", "/after")
    assert json_of(conn.getresponse())["body"] == ""


def test_chunked_request_body_is_dechunked(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    conn = connect(server)
    conn.request("POST", "/stream", body=iter([b"hello ", b"chunked ", b"world"]))
    info = json_of(conn.getresponse())
    assert info["body"] == "hello chunked world"
    assert "CONTENT_LENGTH" not in info
    assert info["HTTP_TRANSFER_ENCODING"] == "chunked"


def test_chunk_extensions_and_trailers_keep_the_connection_in_sync(
    serve: Callable[..., WSGIServer],
) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: yes\r\n\r\n"
        )
        assert json_of(read_response(sock))["body"] == "hello, chunked!"
        sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        assert json_of(read_response(sock))["PATH_INFO"] == "/next"


def test_input_stream_reads_lines_and_sizes_across_chunks(
    serve: Callable[..., WSGIServer],
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ["wsgi.input"]
        first = stream.read(3)
        line = stream.readline()
        rest = list(stream)
        payload = json.dumps([first.decode(), line.decode(), [r.decode() for r in rest]])
        start_response("200 OK", [("Content-Type", "application/json")])
        return [payload.encode(), b""]

    server = serve(app)
    conn = connect(server)
    conn.request("POST", "/", body=iter([b"ab", b"cde\nf", b"g\nh", b"ij"]))
    assert json_of(conn.getresponse()) == ["abc", "de\n", ["fg\n", "hij"]]
    conn.request("POST", "/", body=b"xyz-line\nsecond\n")
    assert json_of(conn.getresponse()) == ["xyz", "-line\n", ["second\n"]]


def test_expect_100_continue_is_answered_before_the_body(
    serve: Callable[..., WSGIServer],
) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += sock.recv(1)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        assert json_of(read_response(sock))["body"] == "hello"
        sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock).status == 200


def test_expect_100_continue_not_sent_when_the_app_rejects_unread(
    serve: Callable[..., WSGIServer],
) -> None:
    def reject(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("403 Forbidden", [("Content-Length", "0")])
        return []

    server = serve(reject)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        data = read_until_eof(sock)  # closed: the body the client still holds is never read
    assert data.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"100 Continue" not in data
    assert b"Connection: close\r\n" in data


def test_unread_bodies_are_drained_before_the_next_request(
    serve: Callable[..., WSGIServer],
) -> None:
    server = serve(ignore_body_app)
    conn = connect(server)
    for body in (b"small", b"z" * 300_000, iter([b"chunk"] * 50), b""):
        conn.request("POST", "/ignore", body=body)
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"ok")
    local_port = conn.sock.getsockname()[1]
    conn.request("GET", "/")
    conn.getresponse().read()
    assert conn.sock.getsockname()[1] == local_port


def test_request_without_length_or_chunking_has_an_empty_body(
    serve: Callable[..., WSGIServer],
) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(b"POST /empty HTTP/1.1\r\nHost: x\r\n\r\n")
        assert json_of(read_response(sock))["body"] == ""
        sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        assert json_of(read_response(sock))["PATH_INFO"] == "/next"


@pytest.mark.parametrize(
    ("head", "status", "message"),
    [
        (
            b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            400,
            "Both Content-Length and Transfer-Encoding were sent",
        ),
        (b"Content-Length: five\r\n", 400, "Invalid Content-Length"),
        (b"Content-Length: 5\r\nContent-Length: 6\r\n", 400, "Invalid Content-Length"),
        (b"Transfer-Encoding: gzip\r\n", 501, "Unsupported Transfer-Encoding"),
    ],
)
def test_bad_body_framing_is_refused_with_json(
    serve: Callable[..., WSGIServer], head: bytes, status: int, message: str
) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n" + head + b"\r\nhello")
        response = read_response(sock)
        assert response.status == status
        assert response.getheader("Content-Type") == "application/json"
        assert response.getheader("x-amzn-ErrorType").startswith("ValidationException:")
        assert json_of(response) == {"message": message}


def test_malformed_chunk_is_a_json_400(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"
        )
        response = read_response(sock)
        assert response.status == 400
        assert json_of(response) == {"message": "Malformed chunk size in request body"}


# --- the WSGI environ --------------------------------------------------------------------


def test_environ_follows_pep_3333(serve: Callable[..., WSGIServer]) -> None:
    captured: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        captured.append(dict(environ, body=environ["wsgi.input"].read()))
        start_response("200 OK", [("Content-Length", "0")])
        return []

    server = serve(app)
    conn = connect(server)
    target = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Afoo%2Fbar/caf%C3%A9/converse?a=1%2F2&b"
    conn.putrequest("POST", target)
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", "2")
    conn.putheader("X-Multi", "one")
    conn.putheader("X-Multi", "two")
    conn.putheader("X_Under", "spoof")
    conn.endheaders(b"{}")
    conn.getresponse().read()

    environ = captured[0]
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["SCRIPT_NAME"] == ""
    assert environ["PATH_INFO"] == "/model/arn:aws:bedrock:us-east-1:1:foo/bar/caf\xc3\xa9/converse"
    assert environ["RAW_URI"] == environ["REQUEST_URI"] == target
    assert environ["QUERY_STRING"] == "a=1%2F2&b"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "2"
    assert environ["body"] == b"{}"
    assert environ["SERVER_NAME"] == "127.0.0.1"
    assert environ["SERVER_PORT"] == str(port_of(server))
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["REMOTE_PORT"] == str(conn.sock.getsockname()[1])
    assert environ["HTTP_HOST"] == f"127.0.0.1:{port_of(server)}"
    assert environ["HTTP_X_MULTI"] == "one,two"
    assert "HTTP_X_UNDER" not in environ  # would alias X-Under in CGI form
    assert "HTTP_CONTENT_TYPE" not in environ
    assert "HTTP_CONTENT_LENGTH" not in environ
    assert environ["wsgi.version"] == (1, 0)
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["wsgi.errors"] is sys.stderr
    assert environ["wsgi.multithread"] is True
    assert environ["wsgi.multiprocess"] is False
    assert environ["wsgi.run_once"] is False
    assert environ["wsgi.input_terminated"] is True


def test_absolute_form_target_sets_path_and_host(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET http://bedrock.local:9/x%2Fy?q=1 HTTP/1.1\r\nHost: other\r\n\r\n")
        info = json_of(read_response(sock))
    assert (info["PATH_INFO"], info["QUERY_STRING"]) == ("/x/y", "q=1")
    assert info["HTTP_HOST"] == "bedrock.local:9"
    assert info["RAW_URI"] == "http://bedrock.local:9/x%2Fy?q=1"


def test_header_values_are_trimmed_and_bare_lf_is_accepted(
    serve: Callable[..., WSGIServer],
) -> None:
    server = serve(echo_app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\nHost: x\nX-Padded:  \t inner  space \t\nX-Empty:\n\n")
        info = json_of(read_response(sock))
    assert info["HTTP_X_PADDED"] == "inner  space"
    assert info["HTTP_X_EMPTY"] == ""


@pytest.mark.parametrize(
    "packets",
    [
        [b"POST /p?q=1 HTTP/1.1\r\nHost: x\r\nX-A:  1 \r\nContent-Length: 2\r\n\r\nhi"],
        [b"POST /p?q=1 HTTP/1.1\r\nHost: x\r\nX-A:  1 \r\n", b"Content-Length: 2\r\n\r\nhi"],
        [b"\r\nPOST /p?q=1 HTTP/1.1\r\nHost: x\r\nX-A:  1 \r\nContent-Length: 2\r\n\r\nhi"],
        [b"POST /p?q=1 HTTP/1.1\r\nHost: x\nX-A:  1 \r\nContent-Length: 2\r\n\r\nhi"],
    ],
    ids=["whole-head-buffered", "head-split", "leading-blank-line", "one-bare-lf"],
)
def test_heads_read_at_once_or_line_by_line_agree(
    serve: Callable[..., WSGIServer], packets: list[bytes]
) -> None:
    """A head already buffered whole is sliced out at once; any other is read line by line.
    Both give the same request."""
    server = serve(echo_app)
    with raw_socket(server) as sock:
        for packet in packets:
            sock.sendall(packet)
            time.sleep(0.05)
        info = json_of(read_response(sock))
    assert (info["REQUEST_METHOD"], info["PATH_INFO"], info["QUERY_STRING"]) == (
        "POST",
        "/p",
        "q=1",
    )
    assert (info["HTTP_HOST"], info["HTTP_X_A"], info["body"]) == ("x", "1", "hi")


def test_environ_hook_sees_parsed_headers_before_the_app(
    serve: Callable[..., WSGIServer],
) -> None:
    def hook(environ: dict[str, Any], fields: list[tuple[str, str]]) -> None:
        environ["test.header_names"] = ",".join(name for name, _ in fields)
        environ["test.multi"] = ",".join(v for name, v in fields if name.lower() == "x-multi")

    server = serve(echo_app, environ_hook=hook)
    conn = connect(server)
    conn.putrequest("GET", "/", skip_accept_encoding=True)
    conn.putheader("X-Amz-Target", "a")
    conn.putheader("x-multi", "1")
    conn.putheader("X-Multi", "2")
    conn.putheader("X_Under", "kept")
    conn.endheaders()
    info = json_of(conn.getresponse())
    assert info["test.header_names"] == "Host,X-Amz-Target,x-multi,X-Multi,X_Under"
    assert info["test.multi"] == "1,2"


def test_environ_hook_failure_is_a_json_500(serve: Callable[..., WSGIServer]) -> None:
    def hook(environ: dict[str, Any], fields: list[tuple[str, str]]) -> None:
        raise RuntimeError("hook bug")

    server = serve(echo_app, environ_hook=hook)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 500
    assert json_of(response) == {"message": "Internal server error"}


# --- responses ---------------------------------------------------------------------------


def test_date_server_and_chunked_framing_are_added(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"a", b"", b"bc"]

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    assert response.getheader("Server") == "moto-bedrock"
    date = response.getheader("Date")
    assert date is not None and date.endswith(" GMT")
    assert response.read() == b"abc"


def test_app_headers_are_kept_and_framing_is_not_duplicated(
    serve: Callable[..., WSGIServer],
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(
            "200 OK",
            [
                ("Content-Length", "5"),
                ("Server", "custom"),
                ("Date", "Thu, 01 Jan 1970 00:00:00 GMT"),
                ("Transfer-Encoding", "chunked"),
                ("X-Repeated", "1"),
                ("X-Repeated", "2"),
            ],
        )
        return [b"hello"]

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.read() == b"hello"
    assert response.msg.get_all("Server") == ["custom"]
    assert response.msg.get_all("Date") == ["Thu, 01 Jan 1970 00:00:00 GMT"]
    assert response.msg.get_all("X-Repeated") == ["1", "2"]
    assert response.getheader("Transfer-Encoding") is None
    assert response.getheader("Content-Length") == "5"


def test_empty_body_gets_content_length_zero(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [])
        return []

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.getheader("Content-Length") == "0"
    assert response.read() == b""


@pytest.mark.parametrize(("method", "status"), [("HEAD", "200 OK"), ("GET", "204 No Content")])
def test_bodyless_responses_send_no_body(
    serve: Callable[..., WSGIServer], method: str, status: str
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response(status, [])
        yield b"never sent"

    server = serve(app)
    with raw_socket(server) as sock:
        sock.sendall(f"{method} / HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        response = read_response(sock, method)
        assert response.status == int(status[:3])
        assert response.getheader("Transfer-Encoding") is None
        assert response.read() == b""
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # the connection is still in sync
        assert read_response(sock).status == int(status[:3])


def test_stream_chunks_are_flushed_as_they_are_yielded(
    serve: Callable[..., WSGIServer],
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/vnd.amazon.eventstream")])
        yield b"first"
        time.sleep(0.3)
        yield b"second"

    server = serve(app)
    conn = connect(server)
    started = time.monotonic()
    conn.request("GET", "/stream")
    response = conn.getresponse()
    assert response.read1(100) == b"first"
    first_at = time.monotonic() - started
    assert response.read() == b"second"
    second_at = time.monotonic() - started
    assert first_at < 0.2
    assert second_at >= 0.3


def test_write_callable_and_iterable_are_concatenated(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        write = start_response("200 OK", [])
        write(b"one,")
        write(b"two,")
        return [b"three"]

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    assert conn.getresponse().read() == b"one,two,three"


def test_exc_info_replaces_headers_not_yet_sent(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("X-First", "1")])
        try:
            raise ValueError("boom")
        except ValueError:
            start_response("503 Service Unavailable", [("X-Second", "2")], sys.exc_info())
        return [b"replaced"]

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert (response.status, response.read()) == (503, b"replaced")
    assert response.getheader("X-First") is None
    assert response.getheader("X-Second") == "2"


def test_exc_info_after_headers_sent_cuts_the_connection(
    serve: Callable[..., WSGIServer], caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"partial"
        try:
            raise ValueError("mid-stream")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"never"

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    assert any(record.exc_info for record in caplog.records if record.name == LOGGER)


def test_client_disconnect_mid_stream_closes_the_iterable_quietly(
    serve: Callable[..., WSGIServer],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = threading.Event()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        try:
            while True:
                yield b"event"
                time.sleep(0.05)
        finally:
            closed.set()

    server = serve(app)
    with raw_socket(server) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"event" in sock.recv(4096)
    assert closed.wait(2)
    time.sleep(0.1)
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]


# --- errors ------------------------------------------------------------------------------


def test_app_exception_before_headers_is_a_json_500(
    serve: Callable[..., WSGIServer], caplog: pytest.LogCaptureFixture
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] == "/fail":
            start_response("200 OK", [])  # not yet sent, so still replaceable by the 500
            raise RuntimeError("secret internals")
        return ignore_body_app(environ, start_response)

    server = serve(app)
    conn = connect(server)
    conn.request("POST", "/fail", body=b"unread")
    response = conn.getresponse()
    body = response.read()
    assert response.status == 500
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("x-amzn-ErrorType") == (
        "InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )
    assert json.loads(body) == {"message": "Internal server error"}
    assert b"secret" not in body
    errors = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.ERROR]
    assert errors and errors[0].exc_info and "secret internals" in str(errors[0].exc_info[1])
    conn.request("GET", "/ok")  # the connection survives a 500
    assert conn.getresponse().read() == b"ok"


def test_app_exception_after_headers_cuts_the_stream(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"partial"
        raise RuntimeError("mid-stream")

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead):
        response.read()


def test_app_raising_its_own_oserror_is_a_500_not_a_disconnect(
    serve: Callable[..., WSGIServer],
) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise ConnectionRefusedError("an upstream the app called is down")

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert (response.status, json_of(response)) == (500, {"message": "Internal server error"})


def test_calling_start_response_twice_is_a_500(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [])
        start_response("201 Created", [])
        return [b""]

    server = serve(app)
    conn = connect(server)
    conn.request("GET", "/")
    assert conn.getresponse().status == 500


LINE, FIELD = "Malformed request line", "Malformed header field"
TOO_LARGE = "Request header fields too large"


@pytest.mark.parametrize(
    ("request_bytes", "status", "message"),
    [
        (b"GARBAGE\r\n\r\n", 400, LINE),
        (b"GET /\r\n\r\n", 400, LINE),
        (b"GET / HTTP/x\r\n\r\n", 400, LINE),
        (b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, FIELD),
        (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, FIELD),
        (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, FIELD),
        (b"GET / HTTP/1.1\r\nX-Cr: a\rb\r\n\r\n", 400, FIELD),
        (b"GET / HTTP/1.1\r\nX-Nul: a\x00b\r\n\r\n", 400, FIELD),
        (b"GET / HTTP/1.1\r\nX-Slow:" + b" " * 60_000 + b"\x00\r\n\r\n", 400, FIELD),  # no ReDoS
        (b"GET / HTTP/2.0\r\n\r\n", 505, "HTTP version not supported"),
        (b"GET / HTTP/1.1\r\n" + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, TOO_LARGE),
        (b"GET / HTTP/1.1\r\n" + b"X-Many: 0123456789\r\n" * 4000 + b"\r\n", 431, TOO_LARGE),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "Request line too long"),
    ],
)
def test_malformed_requests_get_json_errors(
    serve: Callable[..., WSGIServer], request_bytes: bytes, status: int, message: str
) -> None:
    server = serve(echo_app)
    started = time.monotonic()
    with raw_socket(server) as sock:
        sock.sendall(request_bytes)
        data = read_until_eof(sock)
    assert time.monotonic() - started < 1
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert b"Content-Type: application/json" in head
    assert b"Connection: close" in head
    assert b"x-amzn-ErrorType: ValidationException:" in head
    assert json.loads(body) == {"message": message}


# --- TLS ---------------------------------------------------------------------------------


def test_generated_certificate_names_the_hosts(tmp_path: Path) -> None:
    cert_path, key_path = generate_self_signed_cert(tmp_path / "tls", ["127.0.0.1", "bedrock.test"])
    assert (cert_path.name, key_path.name) == ("cert.pem", "key.pem")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["bedrock.test"]
    lifetime = cert.not_valid_after_utc - datetime.now(timezone.utc)
    assert 364 <= lifetime.days <= 365


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("strict", [False, True])
def test_https_verifies_against_the_generated_certificate(
    serve: Callable[..., WSGIServer], tls_files: tuple[Path, Path], host: str, strict: bool
) -> None:
    server = serve(echo_app, ssl_context=server_context(tls_files))
    client_context = ssl.create_default_context(cafile=str(tls_files[0]))
    if strict:  # Python 3.13 turns this on by default
        client_context.verify_flags |= ssl.VERIFY_X509_STRICT
    conn = http.client.HTTPSConnection(host, port_of(server), context=client_context, timeout=5)
    for path in ("/secure", "/again"):
        conn.request("POST", path, body=b"over tls")
        info = json_of(conn.getresponse())
        assert (info["wsgi.url_scheme"], info["PATH_INFO"]) == ("https", path)
        assert info["body"] == "over tls"
    conn.close()


def test_a_stalled_tls_handshake_does_not_block_other_clients(
    serve: Callable[..., WSGIServer], tls_files: tuple[Path, Path]
) -> None:
    server = serve(echo_app, ssl_context=server_context(tls_files))
    client_context = ssl.create_default_context(cafile=str(tls_files[0]))
    with raw_socket(server):  # connects but never starts the handshake
        time.sleep(0.1)
        started = time.monotonic()
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port_of(server), context=client_context, timeout=5
        )
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        assert time.monotonic() - started < 1
        conn.close()


# --- logging, concurrency ----------------------------------------------------------------


def test_each_request_is_logged_at_debug_without_header_values(
    serve: Callable[..., WSGIServer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    server = serve(echo_app)
    conn = connect(server)
    conn.request(
        "POST",
        "/model/m/converse?key=query-secret",
        body=b"{}",
        headers={"Authorization": "Bearer TOKEN-SECRET", "x-api-key": "KEY-SECRET"},
    )
    conn.getresponse().read()
    conn.close()
    time.sleep(0.1)
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    request_lines = [line for line in lines if line.startswith("POST /model/m/converse 200 ")]
    assert len(request_lines) == 1
    assert request_lines[0].endswith(" ms")
    assert [r.levelno for r in caplog.records if r.getMessage() in request_lines] == [logging.DEBUG]
    assert not [line for line in lines if "SECRET" in line or "secret" in line]


def test_accepted_sockets_send_small_frames_at_once(serve: Callable[..., WSGIServer]) -> None:
    server = serve(echo_app)
    conn = connect(server)
    conn.request("GET", "/")
    conn.getresponse().read()
    (handler,) = server._connections  # private, but the only view of the accepted socket
    assert handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    conn.close()


def test_slow_streams_run_in_parallel(serve: Callable[..., WSGIServer]) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [])
        for index in range(3):
            time.sleep(0.2)
            yield b"%d" % index

    server = serve(app)

    def call(_: int) -> bytes:
        conn = connect(server)
        conn.request("GET", "/slow")
        body = conn.getresponse().read()
        conn.close()
        return body

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(call, range(8)))
    elapsed = time.monotonic() - started
    assert bodies == [b"012"] * 8
    assert elapsed < 1.2  # one request takes 0.6 s; serially eight would take 4.8 s
