"""Load and soak: 16 concurrent clients mixing every kind of call against one `moto-bedrock`
server, on loopback, bounded in time (LOAD_SECONDS, 20 in CI; the documented soak runs 300).

Each client works in its own region, so its history and its queue of declared answers are
its own: afterwards the history holds the newest calls it made (up to the history limit),
every queued answer came back exactly once and in order, no call failed, latency did not
drift, the server's memory stopped growing once the bounded history was full, its thread
count came back down when the clients left, and it still answers.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from moto_bedrock_runtime.testing import BedrockControls

from .conftest import CREDENTIALS, CliServer

pytestmark = pytest.mark.server

SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
CLIENTS = 16
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-southeast-1", "ap-southeast-2", "ca-central-1", "sa-east-1",
]  # fmt: skip
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
QUEUED = 20
HISTORY_LIMIT = 50
CLAUDE_BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "Name a river"}],
    }
)
EMBED_BODY = json.dumps({"inputText": "rivers of Europe"})
COUNT_BODY = {"converse": {"messages": [{"role": "user", "content": [{"text": "count me"}]}]}}


def _proc(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


@pytest.fixture(scope="module")
def server() -> Iterator[CliServer]:
    process = CliServer(env={"MOTO_BEDROCK_HISTORY_LIMIT": str(HISTORY_LIMIT)})
    yield process
    output = process.stop()
    assert "Traceback" not in output, output[-3000:]


class Client:
    """One simulated user: a region, a mix of calls, what each took and what came back."""

    def __init__(self, url: str, region: str) -> None:
        config = Config(retries={"total_max_attempts": 1}, read_timeout=60)
        self.runtime = boto3.client(
            "bedrock-runtime", region_name=region, endpoint_url=url, config=config, **CREDENTIALS
        )
        self.bedrock = boto3.client(
            "bedrock", region_name=region, endpoint_url=url, config=config, **CREDENTIALS
        )
        self.controls = BedrockControls(region=region, endpoint_url=url)
        self.latencies: list[tuple[float, float]] = []  # (started, seconds)
        self.runtime_calls = 0
        self.queued_seen: list[str] = []
        self.errors: list[str] = []

    def _queued(self) -> None:
        response = self.runtime.converse(
            modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "queued please"}]}]
        )
        self.queued_seen.append(response["output"]["message"]["content"][0]["text"])

    def _converse(self) -> None:
        response = self.runtime.converse(
            modelId=HAIKU, messages=[{"role": "user", "content": [{"text": "Name a river"}]}]
        )
        assert response["stopReason"] == "end_turn"

    def _stream(self) -> None:
        events = self.runtime.converse_stream(
            modelId="amazon.nova-lite-v1:0",
            messages=[{"role": "user", "content": [{"text": "Name a river"}]}],
        )["stream"]
        assert "metadata" in list(events)[-1]

    def _invoke(self) -> None:
        body = self.runtime.invoke_model(modelId=HAIKU, body=CLAUDE_BODY)["body"].read()
        assert json.loads(body)["content"][0]["type"] == "text"

    def _invoke_stream(self) -> None:
        body = self.runtime.invoke_model_with_response_stream(modelId=HAIKU, body=CLAUDE_BODY)
        chunks = [json.loads(event["chunk"]["bytes"]) for event in body["body"]]
        assert chunks[-1]["type"] == "message_stop"

    def _embed(self) -> None:
        body = self.runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=EMBED_BODY)
        assert len(json.loads(body["body"].read())["embedding"]) == 1024

    def _count(self) -> None:
        count = self.runtime.count_tokens(
            modelId="anthropic.claude-3-5-haiku-20241022-v1:0", input=COUNT_BODY
        )
        assert count["inputTokens"] > 0

    def _list(self) -> None:
        assert len(self.bedrock.list_foundation_models()["modelSummaries"]) > 50

    def run(self, until: float) -> None:
        mix: list[tuple[Callable[[], None], bool]] = [
            (self._converse, True),
            (self._stream, True),
            (self._invoke, True),
            (self._invoke_stream, True),
            (self._embed, True),
            (self._count, True),
            (self._list, False),
        ]
        step = 0
        while time.monotonic() < until:
            if len(self.queued_seen) < QUEUED and step % 5 == 0:
                call, counted = self._queued, True
            else:
                call, counted = mix[step % len(mix)]
            step += 1
            started = time.monotonic()
            try:
                call()
            except Exception as exc:  # recorded: the test reports every failure
                self.errors.append(f"{call.__name__}: {exc!r}")
            self.latencies.append((started, time.monotonic() - started))
            self.runtime_calls += counted


def test_sixteen_clients_mixing_every_call(server: CliServer) -> None:
    url = server.url
    clients = [Client(url, region) for region in REGIONS[:CLIENTS]]
    for client in clients:
        client.controls.clear_invocations()
        client.controls.queue(*[f"answer {n}" for n in range(QUEUED)], prompt_contains="queued")
    warm = Client(url, "us-east-1")
    warm._converse()
    warm.controls.clear_invocations()
    threads_before = _proc(server.process.pid, "Threads")

    started = time.monotonic()
    until = started + SECONDS
    workers = [threading.Thread(target=client.run, args=(until,)) for client in clients]
    for worker in workers:
        worker.start()
    time.sleep(SECONDS / 2)  # by now every region's history is full
    rss_half = _proc(server.process.pid, "VmRSS")
    for worker in workers:
        worker.join(timeout=SECONDS + 120)
    assert not any(worker.is_alive() for worker in workers), "a client is stuck (deadlock?)"
    # Before the histories are read: reading parses the answers they keep as JSON text.
    rss_end = _proc(server.process.pid, "VmRSS")

    failures = [error for client in clients for error in client.errors]
    assert not failures, failures[:5]
    for client in clients:
        assert client.queued_seen == [f"answer {n}" for n in range(QUEUED)], client.queued_seen
        history = client.controls.invocations()
        assert len(history) == min(HISTORY_LIMIT, client.runtime_calls)
        assert client.controls.rules() == []  # every queued answer was taken

    samples = sorted(sample for client in clients for sample in client.latencies)
    third = len(samples) // 3
    first = statistics.median(seconds for _, seconds in samples[:third])
    last = statistics.median(seconds for _, seconds in samples[-third:])
    assert last < 2 * first + 0.005, (
        f"latency drifted: p50 {first * 1000:.1f} -> {last * 1000:.1f} ms"
    )

    for client in clients:  # clients gone: their keep-alive connections and threads end
        client.runtime.close()
        client.bedrock.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _proc(server.process.pid, "Threads") > threads_before + 2:
        time.sleep(0.2)
    assert _proc(server.process.pid, "Threads") <= threads_before + 2
    calls = sum(client.runtime_calls for client in clients)
    print(
        f"\n{calls} calls in {SECONDS:.0f} s by {CLIENTS} clients; p50 {first * 1000:.1f} -> "
        f"{last * 1000:.1f} ms; RSS at half time {rss_half // 1024} MB, when the clients ended "
        f"{rss_end // 1024} MB"
    )
    assert rss_end - rss_half < 10 * 1024, (rss_half, rss_end)  # KiB: no growth past the history
    warm._converse()
