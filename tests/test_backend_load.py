"""Backend faults under load: 8 concurrent clients (Converse and ConverseStream) against a
`moto-bedrock --backend` server while the backend is restarted, slow, failing half its
requests, or dropping streams half-way. Every affected call ends with the Bedrock error that
failure maps to, the others succeed, and afterwards the server holds no more threads or open
sockets than before (nothing leaks).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from moto_bedrock_runtime.engines.backend_http import POOL_SIZE

from .backend_servers import (
    KATAN_KEY,
    Katan,
    RawBackend,
    sse_chunk,
    sse_head,
    text_delta,
)
from .conftest import CliServer

pytestmark = pytest.mark.server

CLIENTS = 8


def _proc_count(pid: int, what: str) -> int:
    if what == "fds":
        return len(os.listdir(f"/proc/{pid}/fd"))
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


def _load(url: str, seconds: float, during: Callable[[], None] | None = None) -> Counter[str]:
    """Outcomes of CLIENTS concurrent clients run for `seconds` in their own process (see
    load_clients.py); `during` runs alongside them."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.load_clients", url, str(seconds), str(CLIENTS)],
        cwd=Path(__file__).parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    if during:
        during()
    out, _ = process.communicate(timeout=seconds + 120)
    assert process.returncode == 0
    return Counter(json.loads(out))


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    return tmp_path


def _server(*urls: str, **env: str) -> CliServer:
    return CliServer(
        "--backend",
        ",".join(urls),
        "--backend-api-key",
        KATAN_KEY,
        "--default-backend-model",
        "m",
        env=env,
    )


def _no_leaks(server: CliServer, before: tuple[int, int]) -> None:
    """Threads back to where they were; sockets at most one pool per backend more."""
    pid = server.process.pid
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _proc_count(pid, "threads") > before[0] + 2:
        time.sleep(0.2)
    ss = ["ss", "-tn", "state", "established", f"( sport = :{server.port} )"]
    open_connections = (
        subprocess.run(ss, capture_output=True, text=True).stdout if shutil.which("ss") else ""
    )
    assert _proc_count(pid, "threads") <= before[0] + 2, open_connections
    assert _proc_count(pid, "fds") <= before[1] + POOL_SIZE


def _loaded_without_leaks(backend: Katan | RawBackend, counts: Any) -> Counter[str]:
    """Outcomes of 3 s of load on a server in front of `backend`, which then holds nothing
    more than before; both are stopped."""
    server = _server(backend.url)
    try:
        before = counts(server)
        outcomes = _load(server.url, 3)
        _no_leaks(server, before)
    finally:
        server.stop()
        backend.stop()
    return outcomes


@pytest.fixture
def counts() -> Iterator[Callable[[CliServer], tuple[int, int]]]:
    yield lambda server: (
        _proc_count(server.process.pid, "threads"),
        _proc_count(server.process.pid, "fds"),
    )


def test_backend_restarted_under_load(tmp: Path, counts: Any) -> None:
    katan = Katan(tmp)
    # A backend going down can accept a connection it never answers: the first-token timeout
    # bounds those calls.
    server = _server(
        katan.url,
        MOTO_BEDROCK_BACKEND_CONNECT_TIMEOUT="1",
        MOTO_BEDROCK_BACKEND_FIRST_TOKEN_TIMEOUT="2",
    )
    restarted: list[Katan] = []
    try:
        before = counts(server)

        def restart() -> None:
            time.sleep(1.5)
            katan.stop()
            time.sleep(1.5)
            restarted.append(Katan(tmp, port=katan.port))

        outcomes = _load(server.url, 3, during=lambda: threading.Thread(target=restart).start())
        time.sleep(0.5)
        after = _load(server.url, 1.5)
        _no_leaks(server, before)
    finally:
        server.stop()
        for process in [katan, *restarted]:
            process.stop()
    assert restarted, "llm-katan did not come back"
    # Down: refused connections; streams cut by the stop: in-stream errors; a connection the
    # dying backend accepted but never answered: a model timeout.
    expected = {
        "ok",
        "ServiceUnavailableException",
        "modelStreamErrorException",
        "ModelTimeoutException",
    }
    assert set(outcomes) <= expected, outcomes
    assert outcomes["ok"] > 0 and sum(outcomes.values()) > outcomes["ok"], outcomes
    assert set(after) == {"ok"}, after  # back up: everything succeeds again


def test_slow_backend_times_out_and_the_rest_succeed(tmp: Path, counts: Any) -> None:
    slow = Katan(tmp, "--latency-ms", "400", "--max-concurrent", "16")
    fast = Katan(tmp, "--max-concurrent", "16")
    timeouts = _server(slow.url, MOTO_BEDROCK_BACKEND_FIRST_TOKEN_TIMEOUT="0.2")
    patient = _server(slow.url, fast.url)
    try:
        before = counts(timeouts)
        timed_out = _load(timeouts.url, 2)
        _no_leaks(timeouts, before)
        served = _load(patient.url, 2)
    finally:
        for process in (timeouts, patient, slow, fast):
            process.stop()
    assert set(timed_out) == {"ModelTimeoutException"}, timed_out
    assert set(served) == {"ok"}, served


def test_failing_half_the_time_under_load(tmp: Path, counts: Any) -> None:
    flaky = Katan(tmp, "--error-rate", "0.5", "--max-concurrent", "16")
    outcomes = _loaded_without_leaks(flaky, counts)
    assert set(outcomes) == {"ok", "ModelErrorException"}, outcomes
    assert min(outcomes.values()) > 5


def test_streams_dropped_half_way_under_load(counts: Any) -> None:
    served = Counter[str]()
    lock = threading.Lock()

    def sometimes_drop(conn: socket.socket, request: bytes) -> None:
        with lock:
            served["n"] += 1
            drop = served["n"] % 2 == 0
        conn.sendall(sse_head() + sse_chunk(text_delta("Hel")))
        if drop:
            return  # the connection closes mid-stream
        final = {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]}
        conn.sendall(sse_chunk(final) + sse_chunk("[DONE]") + b"0\r\n\r\n")

    outcomes = _loaded_without_leaks(RawBackend(sometimes_drop), counts)
    # RawBackend answers every request as a stream: Converse sees a stream where it expects
    # JSON, a model error; ConverseStream gets the text or an in-stream error when cut.
    assert set(outcomes) <= {"ok", "modelStreamErrorException", "ModelErrorException"}, outcomes
    assert outcomes["ok"] > 0 and outcomes["modelStreamErrorException"] > 0
