"""Server scenarios: moto-bedrock against three references started by the bench itself.

- stock `moto_server` (it answers InvokeModel with `{}` and closes every connection),
- MiniStack (`ministack==1.5.33`, a Python emulator with canned Bedrock answers, installed on
  first use into bench/.venv-ministack),
- the floor (bench/floor.py: a fixed valid answer per path, nothing else).

Each operation runs at concurrency 1 and 8 against every reference that serves it, in
alternating rounds; the table reports client latency and each server process's CPU per call
(from /proc: on two cores the boto3 client competes with the server). Also measured: start-up
to the first answer, and resident memory when ready and after 10,000 mixed calls.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import common

MINISTACK = "ministack==1.5.33"
MINISTACK_VENV = Path(__file__).parent / ".venv-ministack"
CLAUDE_BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Name three rivers in Europe."}],
    }
)
EMBED_BODY = json.dumps({"inputText": "Name three rivers in Europe."})
MIXED_CALLS = 10_000


def _invoke(runtime: Any) -> None:
    runtime.invoke_model(modelId=common.HAIKU, body=CLAUDE_BODY)["body"].read()


def _invoke_stream(runtime: Any) -> None:
    for _ in runtime.invoke_model_with_response_stream(modelId=common.HAIKU, body=CLAUDE_BODY)[
        "body"
    ]:
        pass


def _embed(runtime: Any) -> None:
    runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=EMBED_BODY)["body"].read()


def _list_models(bedrock: Any) -> None:
    bedrock.list_foundation_models()


# operation → (call, service)
OPERATIONS: dict[str, tuple[Callable[[Any], None], str]] = {
    "converse": (common.converse, "bedrock-runtime"),
    "converse-stream": (common.converse_stream, "bedrock-runtime"),
    "invoke-model": (_invoke, "bedrock-runtime"),
    "invoke-stream": (_invoke_stream, "bedrock-runtime"),
    "embeddings": (_embed, "bedrock-runtime"),
    "list-foundation-models": (_list_models, "bedrock"),
}


def _ministack_command() -> list[str]:
    """MiniStack's console script, installed into its own virtualenv the first time."""
    python = MINISTACK_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MINISTACK_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", MINISTACK], check=True)
    return [common.script("ministack", str(python))]


class Target:
    """A running server and which operations it can be measured on."""

    def __init__(self, name: str, command: list[str], port: int, operations: set[str], env=None):
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.operations = operations
        self.process = common.start(command, port, env)

    def clients(self, service: str, concurrency: int) -> list[Any]:
        return [common.client(self.url, service) for _ in range(concurrency)]


def _targets() -> list[Target]:
    ours, stock, mini, floor = (common.free_port() for _ in range(4))
    everything = set(OPERATIONS)
    local = {"BIND_HOST": "127.0.0.1"}
    return [
        Target("moto-bedrock", [common.script("moto-bedrock"), "--port", str(ours)], ours,
               everything),
        Target("MiniStack", _ministack_command(), mini, everything,
               env={**local, "GATEWAY_PORT": str(mini)}),
        Target("floor", [sys.executable, "-m", "bench.floor", str(floor)], floor, everything),
        Target("stock moto_server", [common.script("moto_server"), "-p", str(stock)], stock,
               {"invoke-model"}),
    ]  # fmt: skip


def _measure(target: Target, operation: str, n: int, concurrency: int) -> dict[str, float]:
    call, service = OPERATIONS[operation]
    if target.name == "stock moto_server":
        call = common.invoke_stub  # the only Bedrock call stock moto answers
    clients = target.clients(service, concurrency)
    for each in clients:
        call(each)  # warm: connections, lazy imports, service models
    pool = iter(range(10**9))

    def one() -> None:
        call(clients[next(pool) % concurrency])

    return common.timed(one, n, target.process.pid, concurrency)


def run(n: int, rounds: int) -> dict[str, dict[str, float]]:
    targets = _targets()
    try:
        results: dict[str, dict[str, float]] = {}
        for concurrency in (1, 8):
            for operation in OPERATIONS:
                pairs = {
                    f"{operation} c={concurrency}: {target.name}": (
                        lambda t=target, op=operation, c=concurrency: _measure(t, op, n, c)
                    )
                    for target in targets
                    if operation in target.operations
                }
                results.update(common.alternate(pairs, rounds))
        return results
    finally:
        common.stop(*(target.process for target in targets))


def startup_and_memory(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Seconds from launch to the first Converse answer, RSS then, and RSS after 2,000 and
    10,000 mixed calls, for moto-bedrock and MiniStack.

    The package is byte-compiled first, as a wheel install leaves it (an editable checkout
    under PYTHONDONTWRITEBYTECODE compiles every module on each start). By call 2,000 the
    history holds its default 1,000 entries (ListFoundationModels is not recorded), so the
    growth from there to 10,000 is what a long test run adds.
    """
    package = Path(__file__).parent.parent / "moto_bedrock_runtime"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)
    results: dict[str, dict[str, float]] = {}
    for name, command, env in (
        ("moto-bedrock", [common.script("moto-bedrock")], {}),
        ("MiniStack", _ministack_command(), {"BIND_HOST": "127.0.0.1"}),
    ):
        port = common.free_port()
        argv = [*command, "--port", str(port)] if name == "moto-bedrock" else command
        starts = []
        for _ in range(rounds):
            started = time.perf_counter()
            process = subprocess.Popen(
                argv,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **env, "GATEWAY_PORT": str(port)},
            )
            common.wait_listening(process, port)
            runtime = common.client(f"http://127.0.0.1:{port}")
            while True:
                try:
                    common.converse(runtime)
                    break
                except Exception:  # still starting: not answering Bedrock yet
                    time.sleep(0.01)
            starts.append(time.perf_counter() - started)
            ready_rss = common.rss_mb(process.pid)
            if len(starts) < rounds:
                common.stop(process)
        row = {"startup_s": min(starts), "rss_ready_mb": ready_rss}
        row.update(_mixed(process.pid, f"http://127.0.0.1:{port}"))
        common.stop(process)
        results[name] = row
    return results


def _mixed(pid: int, url: str) -> dict[str, float]:
    runtime = [common.client(url) for _ in range(8)]
    bedrock = [common.client(url, "bedrock") for _ in range(8)]
    calls = list(OPERATIONS.values())

    def one(i: int) -> None:
        call, service = calls[i % len(calls)]
        call((bedrock if service == "bedrock" else runtime)[i % 8])

    first = MIXED_CALLS // 5
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(first)))
        after_first = common.rss_mb(pid)
        list(pool.map(one, range(first, MIXED_CALLS)))
    return {
        f"rss_after_{first}_mb": after_first,
        f"rss_after_{MIXED_CALLS}_mb": common.rss_mb(pid),
    }
