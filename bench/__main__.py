"""`make bench` (python -m bench): moto-bedrock against stock moto, measured in the same run.

Scenarios alternate between the candidate and its baseline in rounds, so machine drift hits
both alike. Server scenarios report client-side latency percentiles and the server process's
CPU time per request (from /proc), because on two cores the client competes with the server.
Results print as a table and are written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Name three rivers in Europe."}]}]
CONFIG = Config(retries={"total_max_attempts": 1}, max_pool_connections=4)
RESULTS = Path(__file__).parent / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _client(url: str | None = None) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=CONFIG,
    )


def _converse(client: Any) -> None:
    client.converse(modelId=HAIKU, messages=MESSAGES)


def _converse_stream(client: Any) -> None:
    for _ in client.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"]:
        pass


def _invoke_stub(client: Any) -> None:
    client.invoke_model(modelId=HAIKU, body=b"{}")["body"].read()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _timed(call: Callable[[], None], n: int, pid: int | None = None) -> dict[str, float]:
    latencies = []
    cpu_before = _cpu_seconds(pid) if pid else 0.0
    for _ in range(n):
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    result = {
        "p50_ms": statistics.median(latencies),
        "p90_ms": statistics.quantiles(latencies, n=10)[-1],
        "mean_ms": statistics.fmean(latencies),
    }
    if pid:
        result["server_cpu_ms"] = (_cpu_seconds(pid) - cpu_before) * 1000 / n
    return result


def _merge(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _alternate(
    pairs: dict[str, Callable[[], dict[str, float]]], rounds: int
) -> dict[str, dict[str, float]]:
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in pairs}
    for _ in range(rounds):
        for name, run in pairs.items():
            runs[name].append(run())
    return {name: _merge(results) for name, results in runs.items()}


def in_process(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Per-call cost under @mock_aws: our Converse vs stock moto's InvokeModel stub."""
    from moto import mock_aws

    import moto_bedrock_runtime

    def stock() -> dict[str, float]:
        moto_bedrock_runtime.deactivate()
        with mock_aws():
            client = _client()
            _invoke_stub(client)
            result = _timed(lambda: _invoke_stub(client), n)
        moto_bedrock_runtime.activate()
        return result

    def ours(call: Callable[[Any], None]) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            with mock_aws():
                client = _client()
                call(client)
                return _timed(lambda: call(client), n)

        return run

    moto_bedrock_runtime.activate()
    return _alternate(
        {
            "stock moto InvokeModel stub": stock,
            "moto-bedrock Converse": ours(_converse),
            "moto-bedrock ConverseStream": ours(_converse_stream),
        },
        rounds,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(command: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command[0]} did not start")


def _script(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError(f"{name} is not installed next to {sys.executable}")
    return found


def servers(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Client latency and server CPU per request at concurrency 1, each server warmed up."""
    stock_port, our_port = _free_port(), _free_port()
    stock = _start([_script("moto_server"), "-p", str(stock_port)], stock_port)
    ours = _start([_script("moto-bedrock"), "--port", str(our_port)], our_port)
    try:
        stock_client = _client(f"http://127.0.0.1:{stock_port}")
        our_client = _client(f"http://127.0.0.1:{our_port}")
        _invoke_stub(stock_client)
        _converse(our_client)
        _converse_stream(our_client)
        return _alternate(
            {
                "stock moto_server InvokeModel stub": lambda: _timed(
                    lambda: _invoke_stub(stock_client), n, stock.pid
                ),
                "moto-bedrock server Converse": lambda: _timed(
                    lambda: _converse(our_client), n, ours.pid
                ),
                "moto-bedrock server ConverseStream": lambda: _timed(
                    lambda: _converse_stream(our_client), n, ours.pid
                ),
            },
            rounds,
        )
    finally:
        for process in (stock, ours):
            process.terminate()
            process.wait(timeout=20)


def _samples() -> dict[str, dict[str, Any]]:
    """One realistic body per model family: the ones the test suite sends."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.test_invoke_server import SAMPLES

    return SAMPLES


def families(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Per family: the codec's own cost (schema validation + native→neutral + neutral→native,
    the engine excluded) and a whole in-process boto3 InvokeModel, against stock moto's stub."""
    from moto import mock_aws

    import moto_bedrock_runtime
    from moto_bedrock_runtime import catalog, vendors
    from moto_bedrock_runtime.engines import engine_for
    from moto_bedrock_runtime.vendors.validation import validate_body

    moto_bedrock_runtime.activate()
    samples = _samples()

    def codec_cost(model_id: str, body: dict[str, Any]) -> float:
        resolved = catalog.resolve(model_id, "us-east-1")
        codec = vendors.codec_for(resolved.model)
        request = codec.request(body, resolved)
        engine = engine_for(request)
        answer = {"chat": engine.reply, "embed": engine.embed, "image": engine.generate_image}
        reply = answer[codec.kind](request)
        started = time.perf_counter()
        for _ in range(n):
            validate_body(codec.schema, body)
            codec.response(reply, codec.request(body, resolved), body)
        return (time.perf_counter() - started) * 1e6 / n

    def stock() -> dict[str, float]:
        moto_bedrock_runtime.deactivate()
        with mock_aws():
            client = _client()
            _invoke_stub(client)
            result = _timed(lambda: _invoke_stub(client), n)
        moto_bedrock_runtime.activate()
        return result

    def ours(model_id: str, body: bytes) -> Callable[[], dict[str, float]]:
        def run() -> dict[str, float]:
            with mock_aws():
                client = _client()
                call = lambda: client.invoke_model(modelId=model_id, body=body)["body"].read()  # noqa: E731
                call()
                return _timed(call, n)

        return run

    pairs = {"stock moto InvokeModel stub": stock}
    pairs.update(
        {model_id: ours(model_id, json.dumps(body).encode()) for model_id, body in samples.items()}
    )
    results = _alternate(pairs, rounds)
    for model_id, body in samples.items():
        results[model_id]["codec_us"] = codec_cost(model_id, body)
    return results


def backend(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Backend mode against llm-katan (bench/backend.py)."""
    from .backend import run

    return run(n, rounds)


def _table(title: str, results: dict[str, dict[str, float]], baseline: str) -> str:
    base = results[baseline]
    keys = (
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "mean_ms",
        "server_cpu_ms",
        "codec_us",
        "added_p50_ms",
        "added_p99_ms",
    )
    columns = [key for key in keys if any(key in row for row in results.values())]
    header = f"| {title} | " + " | ".join(columns) + " | p50 vs baseline |"
    lines = [header, "|" + "---|" * (len(columns) + 2)]
    for name, row in results.items():
        cells = " | ".join(f"{row[c]:.2f}" if c in row else "" for c in columns)
        lines.append(f"| {name} | {cells} | {row['p50_ms'] / base['p50_ms']:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("-n", type=int, default=300, help="calls per round and scenario (300)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument(
        "--only",
        default="in-process,server,families,backend",
        help="comma-separated scenarios: in-process, server, families, backend (all)",
    )
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "n": args.n,
        "rounds": args.rounds,
    }
    scenarios = (
        ("in-process", "in-process (@mock_aws)", in_process, "stock moto InvokeModel stub"),
        ("server", "server, c=1", servers, "stock moto_server InvokeModel stub"),
        ("families", "InvokeModel per family, in-process", families, "stock moto InvokeModel stub"),
        ("backend", "backend mode (llm-katan)", backend, "direct chat/completions, c=1"),
    )
    for key, title, run, baseline in scenarios:
        if key in chosen:
            report[key] = run(args.n, args.rounds)
            print(_table(title, report[key], baseline), end="\n\n", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
