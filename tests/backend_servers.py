"""Backends for the backend-mode tests.

`Katan` runs llm-katan (a real third-party OpenAI-compatible server from PyPI, pinned in the
`test` extra) with its echo backend and failure simulation. `RawBackend` is a small socket
server of ours for the failures llm-katan cannot produce: a server that accepts and never
answers, a 200 that is not JSON, a stream that breaks or stalls mid-way, a stream whose client
goes away. `free_port` finds a port nothing listens on.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urllib3

KATAN_MODEL = "katan-echo"
KATAN_KEY = "katan-test-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Katan:
    """An llm-katan echo server on a free port, with the given failure-simulation flags."""

    def __init__(self, tmp: Path, *flags: str, port: int | None = None) -> None:
        command = shutil.which("llm-katan", path=str(Path(sys.executable).parent))
        assert command, "llm-katan is not installed (it is in the `test` extra)"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = tmp / f"katan-{self.port}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    command,
                    "--model",
                    KATAN_MODEL,
                    "--backend",
                    "echo",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--stats-file",
                    str(tmp / f"katan-{self.port}-stats.json"),
                    "--disable-dashboard",
                    "--log-level",
                    "WARNING",
                    *flags,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        http = urllib3.PoolManager()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("llm-katan exited:\n" + self.log.read_text())
            try:
                health = http.request("GET", f"http://127.0.0.1:{self.port}/health", retries=False)
                if health.status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                time.sleep(0.1)
        raise AssertionError("llm-katan did not start:\n" + self.log.read_text())

    def chat(self, body: dict[str, Any]) -> urllib3.BaseHTTPResponse:
        """A request straight to the backend (the baseline the emulator is compared with)."""
        return urllib3.PoolManager().request(
            "POST",
            f"{self.url}/chat/completions",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {KATAN_KEY}"},
            preload_content=False,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


Handler = Callable[[socket.socket, bytes], None]


class RawBackend:
    """Accepts connections on a free port and lets `handler(conn, request_bytes)` misbehave.

    `closed` is set once a handler saw its client close the connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.requests: list[bytes] = []
        self.closed = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            request = _read_request(conn)
            self.requests.append(request)
            try:
                self.handler(conn, request)
            except OSError:
                self.closed.set()

    def stop(self) -> None:
        self._stop.set()
        self.sock.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


def sse_head(close: bool = True) -> bytes:
    """A stream's head; RawBackend closes every connection after one answer, and by default
    says so (a backend that does not leaves urllib3 holding the socket differently)."""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
        + (b"Connection: close\r\n" if close else b"")
        + b"\r\n"
    )


def sse_chunk(payload: dict[str, Any] | str) -> bytes:
    """One `data:` event as an HTTP/1.1 chunk."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    data = f"data: {text}\n\n".encode()
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def text_delta(text: str) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
