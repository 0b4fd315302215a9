"""HTTP/2 (RFC 9113) for :mod:`.http_server`, on the same port as HTTP/1.1.

The AWS SDK for JavaScript v3 calls bedrock-runtime over HTTP/2 by default: cleartext with
prior knowledge for an ``http://`` endpoint, ALPN ``h2`` over TLS. Framing, HPACK, stream
states and flow-control accounting are the ``h2`` library's; this module does the I/O and
runs the WSGI application.

Threads: the connection's own thread is the only one that touches the socket (a TLS socket
must not be read and written from two threads at once). It feeds what it receives to the
``h2`` state machine and writes out whatever that has queued. Each request runs the
application on a thread of its own, which reads its body from a buffer and puts its response
into the state machine under the connection's lock, as far as the flow-control windows allow,
then wakes the connection thread: every chunk the application yields leaves at once as DATA
frames, and a slow stream never holds up the others.
"""

from __future__ import annotations

import contextlib
import io
import logging
import selectors
import socket
import ssl
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from h2.config import H2Configuration
from h2.connection import ConnectionState, H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    Event,
    RemoteSettingsChanged,
    RequestReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import ProtocolError, StreamClosedError
from h2.settings import SettingCodes, Settings

from .http_server import (
    MAX_HEAD_BYTES,
    ClientGone,
    LineReader,
    ResponseBase,
    WSGIServer,
    base_environ,
    linger,
    request_environ,
    run_app,
)

if TYPE_CHECKING:
    from hyperframe.frame import Frame, GoAwayFrame

log = logging.getLogger("moto_bedrock_runtime.server")
# hpack logs every header it decodes, values included (Authorization), at DEBUG.
logging.getLogger("hpack").setLevel(logging.INFO)

_MAX_STREAMS = 100
"""SETTINGS_MAX_CONCURRENT_STREAMS: each open stream runs the application on a thread."""
_STREAM_WINDOW = 1 << 20
"""Request body bytes one stream may send ahead of the application's reads."""
_CONNECTION_WINDOW = 16 << 20
"""The same for all streams together."""
_DEFAULT_WINDOW = 65_535  # every flow-control window's size before any SETTINGS or update
_READ_SIZE = 64 * 1024
_SEND_SIZE = 64 * 1024
_MAX_UNSENT = 1 << 20
"""Stop reading while this much waits to be written: a client that sends (pings, settings)
without reading cannot make the server buffer without bound."""
_CLOSE_SECONDS = 2.0
"""How long the last frames (a GOAWAY) may take to leave before the socket is closed."""


def serve_http2(
    sock: socket.socket,
    rfile: io.BufferedReader,
    server: WSGIServer,
    client_address: tuple[str, int],
) -> None:
    """Serve one HTTP/2 connection until either side ends it.

    ``rfile`` holds what the protocol sniff read (the preface): it is taken first, then the
    socket is read directly.
    """
    first = rfile.read1(_READ_SIZE)
    _Connection(sock, server, client_address).serve(first)


class _ServerState(H2Connection):
    """h2's connection state machine, except that a GOAWAY from the client ends nothing yet.

    h2 closes the whole connection when it receives a GOAWAY, dropping the frames it had
    queued; RFC 9113 §6.8 lets the streams the client already opened finish. Node's http2, so
    the AWS SDK for JavaScript, sends GOAWAY as soon as a response's headers arrive, while it
    still reads the body.
    """

    def _receive_goaway_frame(self, frame: GoAwayFrame) -> tuple[list[Frame], list[Event]]:
        event = ConnectionTerminated()
        try:
            event.error_code = ErrorCodes(frame.error_code)
        except ValueError:  # a code this version of h2 does not name
            event.error_code = frame.error_code
        event.last_stream_id = frame.last_stream_id
        event.additional_data = frame.additional_data or None
        return [], [event]


class _Connection:
    """One HTTP/2 connection: the socket loop, the ``h2`` state machine and the open streams.

    ``lock`` guards ``h2``, ``streams`` and the flags; every stream's condition shares it.
    """

    def __init__(
        self, sock: socket.socket, server: WSGIServer, client_address: tuple[str, int]
    ) -> None:
        self._sock = sock
        self._server = server
        self._peer = client_address[0]
        self.timeout = server.keep_alive_timeout
        self._environ = base_environ(server, client_address)
        self._environ["SERVER_PROTOCOL"] = "HTTP/2"
        self.lock = threading.Lock()
        self.h2 = _ServerState(H2Configuration(client_side=False, header_encoding=None))
        # Set before initiate_connection(), so the first SETTINGS frame carries these values.
        self.h2.local_settings = Settings(
            client=False,
            initial_values={
                SettingCodes.MAX_CONCURRENT_STREAMS: _MAX_STREAMS,
                SettingCodes.MAX_HEADER_LIST_SIZE: MAX_HEAD_BYTES,
                SettingCodes.INITIAL_WINDOW_SIZE: _STREAM_WINDOW,
            },
        )
        self.streams: dict[int, _Stream] = {}
        self.gone = False  # no frame can be exchanged any more
        self._draining = False  # a GOAWAY went either way: end once the open streams have
        self._wake_pending = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)

    def serve(self, first: bytes) -> None:
        with self.lock:
            self.h2.initiate_connection()
            self.h2.increment_flow_control_window(_CONNECTION_WINDOW - _DEFAULT_WINDOW)
        try:
            if self._receive(first):
                self._loop()
            else:
                self._close(flush_deadline=time.monotonic() + _CLOSE_SECONDS)
        finally:
            with self.lock:
                self._end_streams()
            self._wake_r.close()
            self._wake_w.close()

    def wake(self) -> None:
        """Have the socket loop send what the state machine queued (call with the lock held)."""
        if not self._wake_pending and not self.gone:
            self._wake_pending = True
            with contextlib.suppress(OSError):
                self._wake_w.send(b"\0")

    def _loop(self) -> None:
        """Read frames and write queued ones until the connection ends.

        Ends at the client's EOF, after an idle ``keep_alive_timeout`` with no open stream
        (with a GOAWAY), when a GOAWAY went either way and the last stream is done, on a
        protocol error (with a GOAWAY naming it), or when the client stops reading for a whole
        ``keep_alive_timeout``. Socket errors propagate to the handler.
        """
        sock = self._sock
        sock.setblocking(False)
        tls = sock if isinstance(sock, ssl.SSLSocket) else None
        timeout = self.timeout
        unsent = bytearray()
        last_io = time.monotonic()
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake_r, selectors.EVENT_READ)
            selector.register(sock, selectors.EVENT_READ)
            interest = selectors.EVENT_READ
            while True:
                with self.lock:
                    unsent += self.h2.data_to_send()
                    self._wake_pending = False
                    idle = not self.streams
                    done = self.gone or (self._draining and idle)
                if done:
                    self._close(unsent, time.monotonic() + _CLOSE_SECONDS)
                    return
                wanted = selectors.EVENT_READ if len(unsent) < _MAX_UNSENT else 0
                if unsent:
                    wanted |= selectors.EVENT_WRITE
                if wanted != interest:
                    selector.modify(sock, wanted)
                    interest = wanted
                # Decrypted bytes that select() cannot see.
                pending = bool(tls and wanted & selectors.EVENT_READ and tls.pending())
                wait = 0.0 if pending else max(0.0, last_io + timeout - time.monotonic())
                ready = {key.fileobj: mask for key, mask in selector.select(wait)}
                if not ready and not pending:
                    if unsent:
                        log.debug("HTTP/2 client %s stopped reading", self._peer)
                        return
                    if idle:  # idle for the whole keep-alive timeout: say goodbye
                        with self.lock:
                            self.h2.close_connection()
                            self._draining = True
                    last_io = time.monotonic()  # open streams: the client waits for them
                    continue
                if self._wake_r in ready:
                    self._wake_r.recv(_READ_SIZE)
                if unsent and ready.get(sock, 0) & selectors.EVENT_WRITE:
                    sent = _send(sock, unsent)
                    if sent:
                        del unsent[:sent]
                        last_io = time.monotonic()
                if pending or ready.get(sock, 0) & selectors.EVENT_READ:
                    data = _recv(sock)
                    if data == b"":
                        log.debug("HTTP/2 client %s closed the connection", self._peer)
                        return
                    if data is not None:
                        last_io = time.monotonic()
                        if not self._receive(data):
                            self._close(unsent, time.monotonic() + _CLOSE_SECONDS)
                            return

    def _close(self, unsent: bytearray | None = None, flush_deadline: float = 0.0) -> None:
        """Send the last queued frames (a GOAWAY) for a moment, then half-close and linger,
        so the client reads them instead of a reset."""
        with self.lock:
            self._end_streams()
            data = bytes(unsent or b"") + self.h2.data_to_send()
        sock = self._sock
        sock.settimeout(max(0.01, flush_deadline - time.monotonic()))
        try:
            sock.sendall(data)
        except OSError:
            return
        linger(sock)

    def _receive(self, data: bytes) -> bool:
        """Feed received bytes to the state machine; False on a protocol error."""
        with self.lock:
            try:
                events = self.h2.receive_data(data)
            except ProtocolError as exc:
                log.debug("HTTP/2 protocol error from %s: %s", self._peer, exc)
                if self.h2.state_machine.state is not ConnectionState.CLOSED:
                    # A bad preface: the only error h2 raises without queueing a GOAWAY.
                    self.h2.close_connection(ErrorCodes.PROTOCOL_ERROR)
                return False
            for event in events:
                self._dispatch(event)
        return True

    def _dispatch(self, event: Event) -> None:
        """Act on one event (lock held)."""
        if isinstance(event, RequestReceived):
            self._start(event)
        elif isinstance(event, DataReceived):
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream.received(event.data, event.flow_controlled_length)
            elif event.flow_controlled_length:  # an answered stream: keep the window open
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, StreamEnded):
            if (stream := self.streams.get(event.stream_id)) is not None:
                stream.body_ended()
        elif isinstance(event, StreamReset):
            if (stream := self.streams.get(event.stream_id)) is not None:
                stream.peer_reset()
        elif isinstance(event, (WindowUpdated, RemoteSettingsChanged)):
            for stream in self.streams.values():  # a window may have opened: senders retry
                stream.wake()
        elif isinstance(event, ConnectionTerminated):
            self._draining = True  # streams already open may finish
            if event.error_code != ErrorCodes.NO_ERROR:  # the client gives up on them too
                log.debug("HTTP/2 client %s sent GOAWAY %s", self._peer, event.error_code)
                self._end_streams()

    def _start(self, event: RequestReceived) -> None:
        """Build the environ of a new request and run the application on its own thread."""
        pseudo: dict[str, str] = {}
        fields: list[tuple[str, str]] = []
        for raw_name, raw_value in event.headers:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            if name.startswith(":"):
                pseudo[name] = value
            else:
                fields.append((name, value))
        target = pseudo.get(":path", "")
        path, _, query = target.partition("?")
        environ = request_environ(self._environ, pseudo[":method"], path, query, target, fields)
        if "HTTP_HOST" not in environ and ":authority" in pseudo:
            environ["HTTP_HOST"] = pseudo[":authority"]
        stream = _Stream(self, event.stream_id)
        self.streams[event.stream_id] = stream
        environ["wsgi.input"] = _RequestBody(stream)
        response = _Response(stream, self._server.server_version, environ["REQUEST_METHOD"])
        threading.Thread(
            target=self._respond,
            args=(stream, environ, fields, response),
            name=f"h2-{self._peer}-{event.stream_id}",
            daemon=True,
        ).start()

    def _respond(
        self,
        stream: _Stream,
        environ: dict[str, Any],
        fields: list[tuple[str, str]],
        response: _Response,
    ) -> None:
        try:
            run_app(self._server, environ, fields, response, self._peer)
        except ClientGone as exc:  # gone while an error answer was being sent
            log.debug("client %s went away: %s", self._peer, exc)
        finally:
            stream.close()

    def _end_streams(self) -> None:
        """Mark the connection gone and wake every stream waiting on it (lock held)."""
        self.gone = True
        for stream in self.streams.values():
            stream.wake()


def _send(sock: socket.socket, unsent: bytearray) -> int:
    """Write what the socket takes now; 0 when it would block.

    Sends at most ``_SEND_SIZE`` at a time: a TLS write that must be retried is retried
    with at least as many bytes, as OpenSSL requires (``unsent`` only grows meanwhile).
    """
    try:
        return sock.send(unsent[:_SEND_SIZE])
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return 0


def _recv(sock: socket.socket) -> bytes | None:
    """Read what has arrived: b"" at EOF, None when nothing is readable yet."""
    try:
        return sock.recv(_READ_SIZE)
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return None


class _Stream:
    """One request/response exchange: the request body as it arrives and the response's way
    out through the state machine. Application threads call the public methods; the
    connection thread calls ``received``, ``body_ended``, ``peer_reset`` and ``wake``."""

    def __init__(self, connection: _Connection, stream_id: int) -> None:
        self._connection = connection
        self._h2 = connection.h2
        self.id = stream_id
        self._changed = threading.Condition(connection.lock)
        self._body = bytearray()
        self._body_ended = False
        self._reset = False  # the client reset the stream
        self.ended = False  # our END_STREAM or RST_STREAM is queued

    # Connection thread (lock held)

    def received(self, data: bytes, flow_controlled_length: int) -> None:
        if padding := flow_controlled_length - len(data):
            self._h2.acknowledge_received_data(padding, self.id)
        self._body += data
        self._changed.notify_all()

    def body_ended(self) -> None:
        self._body_ended = True
        self._changed.notify_all()

    def peer_reset(self) -> None:
        self._reset = True
        self._changed.notify_all()

    def wake(self) -> None:
        self._changed.notify_all()

    # Application thread

    def take(self, limit: int, *, line: bool = False) -> bytes:
        """Up to ``limit`` body bytes (up to a newline if ``line``), waiting for at least one;
        b"" at the body's end. Taken bytes re-open the client's window."""
        with self._changed:
            while not self._body:
                if self._body_ended:
                    return b""
                self._check()
                self._wait()
            size = min(limit, len(self._body))
            if line and (newline := self._body.find(b"\n", 0, size)) >= 0:
                size = newline + 1
            data = bytes(self._body[:size])
            del self._body[:size]
            if not self._connection.gone:
                self._h2.acknowledge_received_data(size, self.id)
                self._connection.wake()
            return data

    def send_headers(self, headers: list[tuple[bytes, bytes]], *, end_stream: bool) -> None:
        with self._changed:
            self._check()
            try:
                self._h2.send_headers(self.id, headers, end_stream=end_stream)
            except StreamClosedError as err:
                raise ClientGone("the HTTP/2 stream is closed") from err
            self.ended = end_stream
            self._connection.wake()

    def send_data(self, data: bytes) -> None:
        """Queue ``data`` as DATA frames as fast as the flow-control windows open."""
        view = memoryview(data)
        with self._changed:
            while view:
                self._check()
                try:
                    window = self._h2.local_flow_control_window(self.id)
                    if window <= 0:
                        self._wait()
                        continue
                    size = min(window, self._h2.max_outbound_frame_size, len(view))
                    self._h2.send_data(self.id, view[:size].tobytes())
                except StreamClosedError as err:
                    raise ClientGone("the HTTP/2 stream is closed") from err
                view = view[size:]
                self._connection.wake()

    def end(self) -> None:
        with self._changed:
            self._check()
            try:
                self._h2.end_stream(self.id)
            except StreamClosedError as err:
                raise ClientGone("the HTTP/2 stream is closed") from err
            self.ended = True
            self._connection.wake()

    def cut(self) -> None:
        """Reset the stream, so the client sees the response is incomplete."""
        with self._changed:
            self._reset_locked(ErrorCodes.INTERNAL_ERROR)

    def close(self) -> None:
        """The application is done: forget the stream; if the client is still sending a body
        nobody will read, ask it to stop (RFC 9113 §8.1) and hand its window back."""
        with self._changed:
            self._connection.streams.pop(self.id, None)
            if self._connection.gone or self._reset:
                return
            if self._body:
                self._h2.acknowledge_received_data(len(self._body), self.id)
                self._body.clear()
            if not self.ended:  # the response never finished
                self._reset_locked(ErrorCodes.INTERNAL_ERROR)
            elif not self._body_ended:
                self._reset_locked(ErrorCodes.NO_ERROR)
            self._connection.wake()

    def _reset_locked(self, code: ErrorCodes) -> None:
        if self._connection.gone or self._reset:
            return
        with contextlib.suppress(StreamClosedError):  # both sides had already ended it
            self._h2.reset_stream(self.id, code)
        self.ended = True
        self._connection.wake()

    def _wait(self) -> None:
        """Wait for news from the connection thread (lock held). A client that neither sends
        nor opens its window for a whole keep-alive timeout is given up, as HTTP/1.1 does."""
        if not self._changed.wait(self._connection.timeout):
            raise ClientGone("the HTTP/2 client stalled")

    def _check(self) -> None:
        if self._connection.gone:
            raise ClientGone("the HTTP/2 connection ended")
        if self._reset:
            raise ClientGone("the client reset the HTTP/2 stream")


class _RequestBody(LineReader):
    """``wsgi.input`` of one stream: DATA frames as they arrive, then EOF at END_STREAM.

    Bytes are acknowledged to the client only once read, so a client never sends further
    ahead of the application than one stream window.
    """

    def __init__(self, stream: _Stream) -> None:
        self._stream = stream

    def read(self, size: int | None = -1) -> bytes:
        want = sys.maxsize if size is None or size < 0 else size
        parts = []
        while want and (data := self._stream.take(want)):
            parts.append(data)
            want -= len(data)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        want = sys.maxsize if size is None or size < 0 else size
        parts = []
        while want and (data := self._stream.take(want, line=True)):
            parts.append(data)
            want -= len(data)
            if data.endswith(b"\n"):
                break
        return b"".join(parts)


class _Response(ResponseBase):
    """An HTTP/2 response: HEADERS, then DATA frames, then END_STREAM (or RST_STREAM)."""

    def __init__(self, stream: _Stream, server_software: str, method: str) -> None:
        super().__init__(server_software, method)
        self._stream = stream

    def send_head(self, *, empty: bool) -> None:
        fields = self.head_fields()
        code = self.sent_code or 0
        if code < 200:
            raise ValueError(f"interim status {self.status!r} as a final HTTP/2 response")
        headers = [(b":status", str(code).encode())]
        headers += [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in fields]
        # An empty body that Content-Length says is not empty is cut by finish() instead.
        self._stream.send_headers(headers, end_stream=self.bodyless or (empty and not self.left))
        self.headers_sent = True

    def send_body(self, data: bytes) -> None:
        self._stream.send_data(data)

    def finish(self) -> None:
        if not self.headers_sent:
            self.send_head(empty=True)
        if self._stream.ended:
            return
        if self.left:  # the application sent less than its Content-Length promised
            self._stream.cut()
        else:
            self._stream.end()

    def cut(self) -> None:
        self._stream.cut()
