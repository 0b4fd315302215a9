"""What every bench scenario shares: clients, starting servers, timing, CPU from /proc."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Name three rivers in Europe."}]}]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parent.parent


def client(url: str | None = None, service: str = "bedrock-runtime", pool: int = 4) -> Any:
    config = Config(retries={"total_max_attempts": 1}, max_pool_connections=pool)
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=config,
    )


def converse(runtime: Any) -> None:
    runtime.converse(modelId=HAIKU, messages=MESSAGES)


def converse_stream(runtime: Any) -> None:
    for _ in runtime.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"]:
        pass


def invoke_stub(runtime: Any) -> None:
    """An InvokeModel every server answers, stock moto's `{}` stub included."""
    runtime.invoke_model(modelId=HAIKU, body=b"{}")["body"].read()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def script(name: str, python: str = sys.executable) -> str:
    found = shutil.which(name, path=str(Path(python).parent))
    if not found:
        raise RuntimeError(f"{name} is not installed next to {python}")
    return found


def wait_listening(process: subprocess.Popen[bytes], port: int, timeout: float = 60) -> float:
    """Seconds until the port accepts a connection; the process is killed if it never does."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    process.kill()
    raise RuntimeError(f"{process.args[0]} did not start")


def start(command: list[str], port: int, env: dict[str, str] | None = None) -> Any:
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    wait_listening(process, port)
    return process


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def summary(latencies_ms: list[float]) -> dict[str, float]:
    ordered = sorted(latencies_ms)
    return {
        "p50_ms": statistics.median(ordered),
        "p90_ms": ordered[round(0.9 * (len(ordered) - 1))],
        "p99_ms": ordered[round(0.99 * (len(ordered) - 1))],
        "mean_ms": statistics.fmean(ordered),
    }


def timed(
    call: Callable[[], Any], n: int, pid: int | None = None, concurrency: int = 1
) -> dict[str, float]:
    """Latency of n calls (at the given concurrency) and, for a server, its CPU per call."""

    def one(_: int) -> float:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000

    cpu_before = cpu_seconds(pid) if pid else 0.0
    if concurrency == 1:
        latencies = [one(i) for i in range(n)]
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, range(n)))
    result = summary(latencies)
    if pid:
        result["server_cpu_ms"] = (cpu_seconds(pid) - cpu_before) * 1000 / n
    return result


def merge(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def alternate(
    pairs: dict[str, Callable[[], dict[str, float]]], rounds: int
) -> dict[str, dict[str, float]]:
    """Each scenario once per round, in turn, so machine drift hits all of them alike."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in pairs}
    for _ in range(rounds):
        for name, run in pairs.items():
            runs[name].append(run())
    return {name: merge(results) for name, results in runs.items()}


def ready(url: str) -> None:
    """Waits until a server answers HTTP at all."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} does not answer")
