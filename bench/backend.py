"""Backend mode: what the emulator adds on top of the backend it forwards to.

llm-katan (echo backend, no simulated delay) is the backend. The same chat request goes
straight to it (POST /v1/chat/completions) and through a `moto-bedrock --backend` server
(POST /model/…/converse and …/converse-stream), both from one pooled raw HTTP client so the
client's own cost is the same on both sides; a boto3 Converse row shows the SDK on top.
Reported per scenario: latency p50/p99, time to the first text event of a stream, and the
emulator server's CPU per request, at concurrency 1 and 8.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import urllib3

from . import common

MODEL = "meta.llama3-1-8b-instruct-v1:0"
PROMPT = "Name three rivers in Europe."
KEY = "bench-key"
SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host, Signature=00"
)


def _katan(port: int, stats: Path) -> subprocess.Popen[bytes]:
    command = [
        common.script("llm-katan"),
        "--model",
        "bench-echo",
        "--backend",
        "echo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--stats-file",
        str(stats),
        "--disable-dashboard",
        "--log-level",
        "WARNING",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pool = urllib3.PoolManager()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if pool.request("GET", f"http://127.0.0.1:{port}/health", retries=False).status == 200:
                return process
        except urllib3.exceptions.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("llm-katan did not start")


class _Target:
    """One way to send the chat request: its URL, body and headers, and what marks the first
    text event of its stream."""

    def __init__(self, url: str, body: dict[str, Any], headers: dict[str, str], mark: bytes):
        self.url = url
        self.body = json.dumps(body).encode()
        self.headers = {"Content-Type": "application/json", **headers}
        self.mark = mark

    def call(self, pool: urllib3.PoolManager) -> None:
        response = pool.request("POST", self.url, body=self.body, headers=self.headers)
        assert response.status == 200, response.data[:200]

    def first_event(self, pool: urllib3.PoolManager, stream_url: str, body: bytes) -> float:
        """Seconds to the first text event; the rest of the stream is read too."""
        started = time.perf_counter()
        response = pool.request(
            "POST", stream_url, body=body, headers=self.headers, preload_content=False
        )
        first = 0.0
        seen = b""
        while chunk := response.read1(65536):
            if not first:
                seen += chunk
                if self.mark in seen:
                    first = time.perf_counter() - started
        response.release_conn()
        return first


def _latencies(call: Callable[[], float | None], n: int, concurrency: int) -> list[float]:
    """Milliseconds per call (or what the call returns, in seconds, when it returns one)."""

    def one(_: int) -> float:
        started = time.perf_counter()
        value = call()
        return (value if value is not None else time.perf_counter() - started) * 1000

    if concurrency == 1:
        return [one(i) for i in range(n)]
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(n)))


def run(n: int, rounds: int) -> dict[str, dict[str, float]]:
    katan_port, our_port = common.free_port(), common.free_port()
    stats = Path(tempfile.mkdtemp(prefix="bench-katan-")) / "stats.json"
    katan = _katan(katan_port, stats)
    backend = f"http://127.0.0.1:{katan_port}/v1"
    ours = common.start(
        [
            common.script("moto-bedrock"),
            "--port",
            str(our_port),
            "--backend",
            backend,
            "--backend-api-key",
            KEY,
            "--default-backend-model",
            "bench-echo",
            "--log-level",
            "WARNING",
        ],
        our_port,
    )
    try:
        return _measure(backend, f"http://127.0.0.1:{our_port}", ours.pid, n, rounds)
    finally:
        for process in (ours, katan):
            process.terminate()
            process.wait(timeout=20)
        shutil.rmtree(stats.parent, ignore_errors=True)


def _measure(backend: str, ours: str, pid: int, n: int, rounds: int) -> dict[str, dict[str, float]]:
    direct = _Target(
        f"{backend}/chat/completions",
        {"model": "bench-echo", "messages": [{"role": "user", "content": PROMPT}]},
        {"Authorization": f"Bearer {KEY}"},
        b'"content"',
    )
    direct_stream = json.dumps(
        {
            "model": "bench-echo",
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ).encode()
    through = _Target(
        f"{ours}/model/{MODEL}/converse",
        {"messages": [{"role": "user", "content": [{"text": PROMPT}]}]},
        {"Authorization": SIGV4},
        b"contentBlockDelta",
    )
    boto = common.client(ours)
    boto_messages = [{"role": "user", "content": [{"text": PROMPT}]}]
    pool = urllib3.PoolManager(maxsize=16)
    scenarios: dict[str, Callable[[int], Callable[[], float | None]]] = {
        "direct chat/completions": lambda c: lambda: direct.call(pool),
        "emulator Converse": lambda c: lambda: through.call(pool),
        "emulator Converse (boto3)": lambda c: (
            lambda: boto.converse(modelId=MODEL, messages=boto_messages) and None
        ),
        "direct stream, first token": lambda c: (
            lambda: direct.first_event(pool, direct.url, direct_stream)
        ),
        "emulator ConverseStream, first event": lambda c: (
            lambda: through.first_event(pool, f"{ours}/model/{MODEL}/converse-stream", through.body)
        ),
    }
    for make in scenarios.values():  # warm up every path (imports, pools, service models)
        for _ in range(5):
            make(1)()
    results: dict[str, dict[str, float]] = {}
    for concurrency in (1, 8):
        runs: dict[str, list[float]] = {name: [] for name in scenarios}
        cpu: dict[str, float] = {name: 0.0 for name in scenarios}
        for _ in range(rounds):
            for name, make in scenarios.items():
                before = common.cpu_seconds(pid)
                runs[name] += _latencies(make(concurrency), n, concurrency)
                cpu[name] += common.cpu_seconds(pid) - before
        for name, values in runs.items():
            row = {k: v for k, v in common.summary(values).items() if k in ("p50_ms", "p99_ms")}
            if name.startswith("emulator"):
                row["server_cpu_ms"] = cpu[name] * 1000 / len(values)
            results[f"{name}, c={concurrency}"] = row
        for ours_name, base in (
            ("emulator Converse", "direct chat/completions"),
            ("emulator ConverseStream, first event", "direct stream, first token"),
        ):
            row, ref = results[f"{ours_name}, c={concurrency}"], results[f"{base}, c={concurrency}"]
            row["added_p50_ms"] = row["p50_ms"] - ref["p50_ms"]
            row["added_p99_ms"] = row["p99_ms"] - ref["p99_ms"]
    return results


if __name__ == "__main__":
    sys.exit("run it with: python -m bench --only backend")
