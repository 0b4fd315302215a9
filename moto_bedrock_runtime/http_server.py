"""A small threaded WSGI server: persistent connections and incremental streaming.

Werkzeug's development server answers every request with ``Connection: close``; reconnecting
costs more CPU than serving an emulated Bedrock call, and event streams must reach the client
frame by frame. This server keeps connections alive, frames responses with Content-Length or
chunked encoding, flushes every chunk the application yields, and never answers with HTML.
HTTP/2 (which the AWS SDK for JavaScript uses for bedrock-runtime) is served on the same port
by :mod:`.http2`. It knows nothing of moto: it serves any PEP 3333 application.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import io
import ipaddress
import logging
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote_to_bytes

from .errors import (
    ClientGone,
    InternalServerException,
    ValidationException,
    error_response,
)

log = logging.getLogger("moto_bedrock_runtime.server")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
StartResponse = Callable[..., Callable[[bytes], None]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
EnvironHook = Callable[[dict[str, Any], list[tuple[str, str]]], None]

MAX_HEAD_BYTES = 64 * 1024
"""Limit for the request line, and separately for the header section (431 beyond it)."""

_BUFFER_SIZE = 64 * 1024
_MAX_CHUNK_LINE = 4096
_LINGER_SECONDS = 2.0
_BLANK_LINES = (b"\r\n", b"\n")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_HTTP2_REQUEST_LINE = b"PRI * HTTP/2.0\r\n"  # how the HTTP/2 connection preface starts
# Connection-specific fields (RFC 9113 §8.2.2): never passed on from a WSGI application.
_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade")
)

_TOKEN_CHARS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TOKEN = re.compile(_TOKEN_CHARS.encode())
_HEADER_NAME = re.compile(_TOKEN_CHARS)
# One header field line: (name, value without surrounding whitespace). Anchored at line starts,
# so a section is well-formed exactly when every one of its lines is a match. Whitespace and
# value characters never overlap, which keeps matching linear (no backtracking blow-up).
_FIELD_LINE = re.compile(
    rf"^({_TOKEN_CHARS}):[ \t]*(?:([^ \t\r\n\0]+(?:[ \t]+[^ \t\r\n\0]+)*)[ \t]*)?\r?\n",
    re.MULTILINE,
)
_STATUS = re.compile(r"[1-5]\d\d [^\r\n]*")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_TARGET = re.compile(rb"[\x21-\x7e\x80-\xff]+")
_ABSOLUTE_FORM = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]*://([^/]*)")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class _HTTPError(Exception):
    """A request refused by the server itself, answered with a JSON body and a closed connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The ``Date`` header value, formatted at most once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True))
    return _date_cache[1]


class LineReader:
    """What ``wsgi.input`` offers beyond read() and readline(), built on the subclass's
    readline(), for both protocols' request bodies."""

    def readlines(self, hint: int = -1) -> list[bytes]:
        lines, total = [], 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class _Body(LineReader):
    """``wsgi.input``: yields exactly the request body (de-chunked), then EOF.

    ``100 Continue`` is sent on the first read rather than up front, so an application that
    rejects a request without reading it never invites the upload.
    """

    def __init__(
        self,
        rfile: io.BufferedReader,
        length: int,
        chunked: bool,
        continue_to: io.BufferedWriter | None,
    ) -> None:
        self._rfile = rfile
        self._left = length  # bytes left in the body, or in the current chunk when chunked
        self._chunked = chunked
        self._in_chunks = False
        self._last_chunk_read = False
        self._continue_to = continue_to

    @property
    def complete(self) -> bool:
        """Whether the whole body has been consumed from the connection."""
        return self._left == 0 and (not self._chunked or self._last_chunk_read)

    def refuse_continue(self) -> bool:
        """Forget a pending ``100 Continue`` as the final response starts.

        Returns True if one was pending: such a client may never send its body, so the
        connection must close instead of being drained (RFC 9110 §10.1.1).
        """
        pending = self._continue_to is not None
        self._continue_to = None
        return pending

    def read(self, size: int | None = -1) -> bytes:
        want = sys.maxsize if size is None or size < 0 else size
        parts = []
        while want and (available := self._available()):
            data = self._take(min(available, want))
            parts.append(data)
            want -= len(data)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        want = sys.maxsize if size is None or size < 0 else size
        parts = []
        while want and (available := self._available()):
            limit = min(available, want)
            try:
                line = self._rfile.readline(limit)
            except OSError as err:
                raise ClientGone("reading the request body failed") from err
            if len(line) < limit and not line.endswith(b"\n"):
                raise ClientGone("the request body ended early")
            self._left -= len(line)
            want -= len(line)
            parts.append(line)
            if line.endswith(b"\n"):
                break
        return b"".join(parts)

    def drain(self) -> None:
        """Discard what the application left unread, keeping the connection in sync."""
        while available := self._available():
            self._take(min(available, _BUFFER_SIZE))

    def _available(self) -> int:
        """Bytes readable before the next framing boundary; 0 once the body is complete."""
        if self._continue_to is not None:
            wfile, self._continue_to = self._continue_to, None
            try:
                wfile.write(_CONTINUE)
                wfile.flush()
            except OSError as err:
                raise ClientGone("sending 100 Continue failed") from err
        if self._left == 0 and self._chunked and not self._last_chunk_read:
            self._next_chunk()
        return self._left

    def _next_chunk(self) -> None:
        if self._in_chunks and self._line() not in _BLANK_LINES:
            raise _HTTPError(400, "Malformed chunked request body")
        self._in_chunks = True
        size = self._line().split(b";", 1)[0].strip(b" \t\r\n")
        if not _CHUNK_SIZE.fullmatch(size):
            raise _HTTPError(400, "Malformed chunk size in request body")
        self._left = int(size, 16)
        if self._left == 0:
            self._last_chunk_read = True
            while self._line() not in _BLANK_LINES:  # trailer fields are discarded
                pass

    def _line(self) -> bytes:
        try:
            line = self._rfile.readline(_MAX_CHUNK_LINE + 1)
        except OSError as err:
            raise ClientGone("reading the request body failed") from err
        if line.endswith(b"\n"):
            return line
        if len(line) > _MAX_CHUNK_LINE:
            raise _HTTPError(400, "Chunk framing line too long")
        raise ClientGone("the request body ended early")

    def _take(self, size: int) -> bytes:
        try:
            data = self._rfile.read(size)
        except OSError as err:
            raise ClientGone("reading the request body failed") from err
        if len(data) < size:
            raise ClientGone("the request body ended early")
        self._left -= size
        return data


class ResponseBase:
    """One response's WSGI side: ``start_response``, ``write`` and the JSON error, whatever
    the protocol. Subclasses frame it (HTTP/1.1 here, HTTP/2 in :mod:`.http2`).

    Headers are held back until the first non-empty body chunk (PEP 3333), so an error raised
    before then can still become a clean 500, and they leave together with that chunk.
    """

    def __init__(self, server_software: str, method: str) -> None:
        self.server_software = server_software
        self.method = method
        self.close = False  # the connection must end after this response (HTTP/1.1)
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.headers_sent = False
        self.sent_code: int | None = None  # status code once the headers went out
        self.bodyless = False  # headers sent for a response that must not carry a body
        self.left: int | None = None  # Content-Length bytes still owed

    def start_response(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = None,
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.headers_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        if exc_info is None and self.status is not None:
            raise AssertionError("start_response() called twice without exc_info")
        if not _STATUS.fullmatch(status):
            raise ValueError(f"invalid WSGI status {status!r}")
        for name, value in headers:
            if not _HEADER_NAME.fullmatch(name) or "\r" in value or "\n" in value:
                raise ValueError(f"invalid response header {name!r}")
        self.status = status
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        """Send one body chunk now (headers first if still pending)."""
        if not data:
            return
        if not self.headers_sent:
            self.send_head(empty=False)
        if self.bodyless:
            return
        if self.left is not None:
            if len(data) > self.left:
                log.warning("response body exceeds its Content-Length; extra bytes dropped")
                data = data[: self.left]
            self.left -= len(data)
        self.send_body(data)

    def fail(self, status: int, message: str, *, close: bool) -> None:
        """Answer with a JSON error if nothing was sent yet, else cut the response short.

        A request refused before it reached the application is still a modeled Bedrock error
        to an SDK, answered as every other: our own failure (500) an InternalServerException,
        anything else (a malformed request, a version or framing we do not speak) the client's,
        a ValidationException, with the HTTP status that says what went wrong.
        """
        self.close = self.close or close or self.headers_sent
        if self.headers_sent:
            self.cut()
            return
        error = (InternalServerException if status == 500 else ValidationException)(message)
        error.status = status
        _, headers, text = error_response(error)
        body = text.encode()
        self.status = f"{status} {HTTPStatus(status).phrase}"
        self.headers = [*headers.items(), ("Content-Length", str(len(body)))]
        self.write(body)
        self.finish()

    def head_fields(self) -> list[tuple[str, str]]:
        """The headers to send: the application's, less the hop-by-hop ones, plus ``Date`` and
        ``Server`` unless it set them. Sets ``sent_code``, ``bodyless`` and ``left``."""
        if self.status is None:
            raise AssertionError("the application sent a body before calling start_response()")
        code = int(self.status[:3])
        fields = []
        has_date = has_server = False
        for name, value in self.headers:
            lower = name.lower()
            if lower == "content-length":
                self.left = int(value)
                if self.left < 0:
                    raise ValueError(f"invalid Content-Length {value!r}")
            elif lower in _HOP_BY_HOP:  # framing and connection state are the server's job
                if lower == "connection" and "close" in value.lower():
                    self.close = True
                continue
            elif lower == "date":
                has_date = True
            elif lower == "server":
                has_server = True
            fields.append((name, value))
        if not has_date:
            fields.append(("Date", _http_date()))
        if not has_server:
            fields.append(("Server", self.server_software))
        self.bodyless = self.method == "HEAD" or code < 200 or code in (204, 304)
        if self.bodyless:
            self.left = None
        self.sent_code = code
        return fields

    def send_head(self, *, empty: bool) -> None:
        """Send the status and headers; ``empty``: the body is known to be empty."""
        raise NotImplementedError

    def send_body(self, data: bytes) -> None:
        """Send one non-empty body chunk at once."""
        raise NotImplementedError

    def finish(self) -> None:
        """End the body (sending the headers first if the body is empty)."""
        raise NotImplementedError

    def cut(self) -> None:
        """Abandon a response whose headers are out, so the client sees it is incomplete."""
        raise NotImplementedError


class _Response(ResponseBase):
    """An HTTP/1.1 response: Content-Length or chunked framing, and the keep-alive decision."""

    def __init__(
        self,
        wfile: io.BufferedWriter,
        server_software: str,
        method: str,
        body: _Body | None,
        keep_alive: bool,
        http10: bool,
    ) -> None:
        super().__init__(server_software, method)
        self._wfile = wfile
        self._body = body
        self._http10 = http10
        self.close = not keep_alive
        self._chunked = False

    def send_body(self, data: bytes) -> None:
        self._send(b"%x\r\n%b\r\n" % (len(data), data) if self._chunked else data)

    def finish(self) -> None:
        if not self.headers_sent:
            self.send_head(empty=True)
        self._send(b"0\r\n\r\n" if self._chunked else b"")
        if self.left:  # the application sent less than its Content-Length promised
            self.close = True

    def cut(self) -> None:
        """The connection closes (``close`` is already set): the client sees a short body."""

    def send_head(self, *, empty: bool) -> None:
        fields = self.head_fields()
        lines = [f"HTTP/1.1 {self.status}\r\n"]
        lines.extend(f"{name}: {value}\r\n" for name, value in fields)
        if self.left is None and not self.bodyless:
            if empty:
                lines.append("Content-Length: 0\r\n")
            elif self._http10:
                self.close = True  # an HTTP/1.0 client knows the body's end only by the close
            else:
                self._chunked = True
                lines.append("Transfer-Encoding: chunked\r\n")
        if self._body is not None and self._body.refuse_continue():
            self.close = True
        if self.close:
            lines.append("Connection: close\r\n")
        elif self._http10:
            lines.append("Connection: keep-alive\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("latin-1")
        self.headers_sent = True
        try:
            self._wfile.write(head)
        except OSError as err:
            raise ClientGone("sending the response failed") from err

    def _send(self, data: bytes) -> None:
        try:
            self._wfile.write(data)
            self._wfile.flush()
        except OSError as err:
            raise ClientGone("sending the response failed") from err


def base_environ(server: WSGIServer, client_address: tuple[str, int]) -> dict[str, Any]:
    """The environ entries every request on one connection shares."""
    return {
        "SERVER_SOFTWARE": server.server_version,
        "SERVER_NAME": server.server_address[0],
        "SERVER_PORT": str(server.server_address[1]),
        "REMOTE_ADDR": client_address[0],
        "REMOTE_PORT": str(client_address[1]),
        "SCRIPT_NAME": "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https" if server.ssl_context is not None else "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }


def request_environ(
    base: dict[str, Any],
    method: str,
    path: bytes | str,
    query: str,
    raw_target: str,
    fields: list[tuple[str, str]],
) -> dict[str, Any]:
    """One request's environ, whatever the protocol, from its connection's shared entries."""
    environ = base.copy()
    environ["REQUEST_METHOD"] = method
    # PEP 3333: the percent-decoded path's bytes as a latin-1 str, like werkzeug.
    environ["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")
    environ["QUERY_STRING"] = query
    environ["RAW_URI"] = environ["REQUEST_URI"] = raw_target  # keeps %2F and %3A intact
    add_fields(environ, fields)
    return environ


def add_fields(environ: dict[str, Any], fields: list[tuple[str, str]]) -> None:
    """Request header fields as CGI variables; repeated fields are joined with commas."""
    for name, value in fields:
        if "_" in name:  # would alias a dashed name in CGI form; werkzeug skips them too
            continue
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key in environ else value


def run_app(
    server: WSGIServer,
    environ: dict[str, Any],
    fields: list[tuple[str, str]],
    response: ResponseBase,
    peer: str,
) -> None:
    """Run the application for one request and stream its body, whatever the protocol.

    Failures become a JSON 500, or cut the response if its headers are already out; a client
    that went away closes the application's iterable quietly.
    """
    started = time.perf_counter()
    try:
        if server.environ_hook is not None:
            server.environ_hook(environ, fields)
        result = server.app(environ, response.start_response)
        try:
            for data in result:
                response.write(data)
                if response.bodyless:
                    break
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        response.finish()
    except ClientGone as exc:
        response.close = True
        log.debug("client %s went away: %s", peer, exc)
    except _HTTPError as err:
        response.fail(err.status, err.message, close=True)
    except Exception:
        log.exception(
            "unhandled error serving %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"]
        )
        response.fail(500, "Internal server error", close=False)
    log.debug(
        "%s %s %s %.1f ms",
        environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        response.sent_code or "-",
        (time.perf_counter() - started) * 1000,
    )


def linger(sock: socket.socket) -> None:
    """Half-close, then discard what the client still sends for a moment.

    Closing with unread input makes the kernel send a reset, which can destroy an error
    response before the client has read it.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + _LINGER_SECONDS
        sock.settimeout(_LINGER_SECONDS)
        while time.monotonic() < deadline and sock.recv(_BUFFER_SIZE):
            pass
    except OSError:
        pass


class _Handler(socketserver.BaseRequestHandler):
    """One connection, served on its own thread for as long as the client keeps it open."""

    server: WSGIServer
    rfile: io.BufferedReader
    wfile: io.BufferedWriter

    def setup(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(self.server.keep_alive_timeout)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small frames leave now
        self.connection = sock
        self.server._track(self)

    def handle(self) -> None:
        """Set up the connection's transport, then run its protocol.

        This is the single place where the protocol is chosen: HTTP/2 when TLS negotiated
        ``h2`` by ALPN or the client opened with the HTTP/2 preface (prior knowledge, as
        cleartext HTTP/2 clients do), HTTP/1.1 otherwise.
        """
        server = self.server
        try:
            if server.ssl_context is not None:  # handshake on this thread, not the accept loop
                self.connection = server.ssl_context.wrap_socket(self.connection, server_side=True)
            self.rfile = self.connection.makefile("rb", _BUFFER_SIZE)
            self.wfile = self.connection.makefile("wb", _BUFFER_SIZE)
            if self._speaks_http2():
                # Imported here: the HTTP/2 module builds on this one.
                from .http2 import serve_http2

                serve_http2(self.connection, self.rfile, server, self.client_address)
            else:
                self._serve_http1()
        except (OSError, ClientGone) as exc:  # includes ssl.SSLError and idle timeouts
            log.debug("connection from %s ended: %s", self.client_address[0], exc)

    def _speaks_http2(self) -> bool:
        """Whether ALPN chose ``h2`` or the first bytes are the HTTP/2 preface.

        Only what the first read brought is looked at: a client that splits the preface's
        first line over several packets is answered as HTTP/1.1 (a 505).
        """
        connection = self.connection
        if isinstance(connection, ssl.SSLSocket) and connection.selected_alpn_protocol() == "h2":
            return True
        return self.rfile.peek(len(_HTTP2_REQUEST_LINE)).startswith(_HTTP2_REQUEST_LINE)

    def finish(self) -> None:
        self.server._untrack(self)
        for stream in (getattr(self, "wfile", None), getattr(self, "rfile", None)):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.connection.close()

    def abort(self) -> None:
        """Wake this connection's thread from any blocking read so it ends (server shutdown)."""
        # The plain socket method: SSLSocket.shutdown() would drop the TLS state under the
        # feet of the thread still reading through it.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)

    def _serve_http1(self) -> None:
        server = self.server
        environ_base = base_environ(server, self.client_address)
        while True:
            try:
                request = self._read_request(environ_base)
            except _HTTPError as err:
                response = _Response(self.wfile, server.server_version, "GET", None, False, False)
                response.fail(err.status, err.message, close=True)
                self._linger()
                return
            if request is None:
                return
            environ, fields, body, response = request
            run_app(server, environ, fields, response, self.client_address[0])
            if response.close:
                if not body.complete:
                    self._linger()
                return
            try:
                body.drain()
            except _HTTPError:
                self._linger()
                return

    def _read_request(
        self, environ_base: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]], _Body, _Response] | None:
        """Parse the next request head; None when the client closed between requests.

        Returns the environ, the header fields as sent, the body and the pending response.
        """
        head = self._read_head()
        if head is None:
            return None
        line, section, count = head
        parts = line.split(b" ")
        if len(parts) != 3:
            raise _HTTPError(400, "Malformed request line")
        method, target, version = parts
        version_match = _VERSION.fullmatch(version)
        if not (version_match and _TOKEN.fullmatch(method) and _TARGET.fullmatch(target)):
            raise _HTTPError(400, "Malformed request line")
        if version_match[1] != b"1":
            raise _HTTPError(505, "HTTP version not supported")
        http10 = version_match[2] == b"0"
        # One regex pass over the whole section is much cheaper than checks per line.
        fields: list[tuple[str, str]] = _FIELD_LINE.findall(section.decode("latin-1"))
        if len(fields) != count:  # also rejects obsolete line folding
            raise _HTTPError(400, "Malformed header field")

        raw_target = target.decode("latin-1")
        path, _, query = target.partition(b"?")
        absolute = _ABSOLUTE_FORM.match(path)  # proxy-style request: the authority is the host
        if absolute:
            path = path[absolute.end() :] or b"/"
        environ = request_environ(
            environ_base,
            method.decode("latin-1"),
            path,
            query.decode("latin-1"),
            raw_target,
            fields,
        )
        environ["SERVER_PROTOCOL"] = version.decode("latin-1")
        if absolute:
            environ["HTTP_HOST"] = absolute[1].decode("latin-1")

        length, chunked = self._body_framing(environ)
        expect = environ.get("HTTP_EXPECT")
        wants_continue = (
            expect is not None
            and expect.lower() == "100-continue"
            and not http10
            and (chunked or length > 0)
        )
        body = _Body(self.rfile, length, chunked, self.wfile if wants_continue else None)
        environ["wsgi.input"] = body

        connection = environ.get("HTTP_CONNECTION")
        tokens = {token.strip().lower() for token in connection.split(",")} if connection else ()
        keep_alive = "keep-alive" in tokens if http10 else "close" not in tokens
        response = _Response(
            self.wfile,
            self.server.server_version,
            environ["REQUEST_METHOD"],
            body,
            keep_alive,
            http10,
        )
        return environ, fields, body, response

    def _read_head(self) -> tuple[bytes, bytes, int] | None:
        """(request line without its line end, header section, its number of lines); None
        when the client closed between requests.

        The usual request, whose whole head is already buffered with CRLF line ends, is
        sliced out at once; anything else is read line by line with the same limits.
        """
        rfile = self.rfile
        buffered = rfile.peek(MAX_HEAD_BYTES)
        end = buffered.find(b"\r\n\r\n", 0, MAX_HEAD_BYTES)
        first = buffered.find(b"\r\n", 0, end + 2)
        if (
            end > 0
            and buffered.count(b"\n", 0, end) == buffered.count(b"\r\n", 0, end)
            and not buffered.startswith(_BLANK_LINES)
        ):
            rfile.read(end + 4)
            section = buffered[first + 2 : end + 2]
            return buffered[:first], section, section.count(b"\n")
        line = rfile.readline(MAX_HEAD_BYTES + 1)
        while line in _BLANK_LINES:  # RFC 9112 §2.2: ignore empty lines before a request
            line = rfile.readline(MAX_HEAD_BYTES + 1)
        if not line:
            return None
        if len(line) > MAX_HEAD_BYTES:
            raise _HTTPError(414, "Request line too long")
        if not line.endswith(b"\n"):
            raise ClientGone("the connection closed inside the request line")
        lines = []
        budget = MAX_HEAD_BYTES
        while True:
            field = rfile.readline(budget + 1)
            budget -= len(field)
            if budget < 0:
                raise _HTTPError(431, "Request header fields too large")
            if not field.endswith(b"\n"):
                raise ClientGone("the connection closed inside the request head")
            if field in _BLANK_LINES:
                break
            lines.append(field)
        return line.rstrip(b"\r\n"), b"".join(lines), len(lines)

    @staticmethod
    def _body_framing(environ: dict[str, Any]) -> tuple[int, bool]:
        """(Content-Length, chunked) of the request body; neither means an empty body."""
        transfer_encoding = environ.get("HTTP_TRANSFER_ENCODING")
        content_length = environ.get("CONTENT_LENGTH")
        if transfer_encoding is not None:
            if content_length is not None:  # a request smuggling vector (RFC 9112 §6.3)
                raise _HTTPError(400, "Both Content-Length and Transfer-Encoding were sent")
            if transfer_encoding.strip().lower() != "chunked":
                raise _HTTPError(501, "Unsupported Transfer-Encoding")
            return 0, True
        if content_length is None:
            return 0, False
        values = {value.strip() for value in content_length.split(",")}
        value = values.pop()
        if values or not (value.isascii() and value.isdigit()):
            raise _HTTPError(400, "Invalid Content-Length")
        environ["CONTENT_LENGTH"] = value
        return int(value), False

    def _linger(self) -> None:
        """Flush what is buffered, then :func:`linger`."""
        with contextlib.suppress(OSError):
            self.wfile.flush()
        linger(self.connection)


class WSGIServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Threaded HTTP/1.1 and HTTP/2 server for a WSGI app: one daemon thread per connection.

    Built on ``TCPServer`` rather than ``http.server.HTTPServer`` to skip its reverse DNS
    lookup at bind time; ``server_close()`` also ends open keep-alive connections.
    """

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128
    server_version = "moto-bedrock"

    def __init__(
        self,
        server_address: tuple[str, int],
        app: WSGIApp,
        *,
        ssl_context: ssl.SSLContext | None = None,
        environ_hook: EnvironHook | None = None,
        keep_alive_timeout: float = 120.0,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in server_address[0] else socket.AF_INET
        if ssl_context is not None:  # HTTP/2 clients (Node's http2, curl) pick h2 by ALPN
            ssl_context.set_alpn_protocols(["h2", "http/1.1"])
        self.app = app
        self.ssl_context = ssl_context
        self.environ_hook = environ_hook
        self.keep_alive_timeout = keep_alive_timeout
        self._connections: set[_Handler] = set()
        self._connections_lock = threading.Lock()
        super().__init__(server_address, _Handler)

    def serve_forever(self, poll_interval: float = 0.05) -> None:
        """As the base method, with a shorter poll so ``shutdown()`` returns promptly."""
        super().serve_forever(poll_interval)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log through our logger instead of printing a traceback to stderr."""
        log.exception("unhandled error on the connection from %s", client_address[0])

    def server_close(self) -> None:
        super().server_close()
        with self._connections_lock:
            handlers = list(self._connections)
        for handler in handlers:
            handler.abort()

    def _track(self, handler: _Handler) -> None:
        with self._connections_lock:
            self._connections.add(handler)

    def _untrack(self, handler: _Handler) -> None:
        with self._connections_lock:
            self._connections.discard(handler)


def make_server(
    host: str,
    port: int,
    app: WSGIApp,
    *,
    ssl_context: ssl.SSLContext | None = None,
    environ_hook: EnvironHook | None = None,
    keep_alive_timeout: float = 120.0,
) -> WSGIServer:
    """Bind (port 0 picks a free port) and return a server; call ``serve_forever()`` to run it.

    ``environ_hook(environ, fields)`` runs before the app on every request, with the request's
    header fields (name, value) as sent, so the caller can add entries (e.g. the original
    header spellings).
    ``keep_alive_timeout`` closes idle connections so their threads do not pile up.
    HTTP/1.1 and HTTP/2 share the port; ``ssl_context`` gets ALPN offering both.
    """
    return WSGIServer(
        (host, port),
        app,
        ssl_context=ssl_context,
        environ_hook=environ_hook,
        keep_alive_timeout=keep_alive_timeout,
    )


def generate_self_signed_cert(
    directory: Path, hosts: Sequence[str] = ("127.0.0.1", "localhost")
) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` (EC P-256, one year) into ``directory``.

    The certificate names every host as a subject alternative name (IP addresses as IP SANs),
    so clients can verify it by trusting the certificate file itself.
    """
    # Imported here: cryptography is slow to import and only TLS setups need it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    public_key = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate small clock skew
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private key: owner only
    with os.fdopen(fd, "wb") as key_file:
        key_file.write(key_pem)
    return cert_path, key_path
