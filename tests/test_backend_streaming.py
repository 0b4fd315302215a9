"""Streams through the emulator are the backend's tokens as they come, proven with timing.

llm-katan waits --ttft-ms before its first token and --itl-ms between tokens. The same prompt
is streamed straight from llm-katan (the baseline) and through the `moto-bedrock` server with
boto3; the emulator's first text event must arrive within a few ms of the backend's first
token, and its events must keep the backend's pace instead of arriving in one burst.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .backend_servers import KATAN_KEY, KATAN_MODEL, Katan
from .conftest import CliServer, client_for

TTFT_MS = 300
ITL_MS = 40
PROMPT = "Tell me about streams"
# The budget for the emulator's added time to first event, on a busy two-core machine; the
# benchmark (python -m bench --only backend) reports the real figure, a few ms.
FIRST_EVENT_SLACK_S = 0.1

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def katan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Katan]:
    server = Katan(
        tmp_path_factory.mktemp("katan"), "--ttft-ms", str(TTFT_MS), "--itl-ms", str(ITL_MS)
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def emulator(katan: Katan) -> Iterator[CliServer]:
    server = CliServer(
        "--backend", katan.url, "--backend-api-key", KATAN_KEY, "--default-backend-model", "m"
    )
    # The first request loads botocore's service model: measure the steady state.
    client_for(server.url).converse(
        modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [{"text": "hi"}]}]
    )
    yield server
    server.stop()


def _direct_token_times(katan: Katan) -> list[float]:
    """Seconds from the request to each content chunk, read straight from llm-katan."""
    started = time.perf_counter()
    response = katan.chat(
        {
            "model": KATAN_MODEL,
            "messages": [{"role": "user", "content": PROMPT}],
            "stream": True,
        }
    )
    times = []
    buffer = b""
    while chunk := response.read1(65536):
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.startswith(b"data: {") and b'"content"' in line:
                times.append(time.perf_counter() - started)
    return times


def _check_pacing(direct: list[float], through: list[float]) -> None:
    added = through[0] - direct[0]
    assert added < FIRST_EVENT_SLACK_S, f"first event {added * 1000:.1f} ms after the backend's"
    # Events keep the backend's pace: they span the whole generation, one token gap apart.
    assert through[-1] - through[0] > 0.8 * (direct[-1] - direct[0])
    gaps = [b - a for a, b in itertools.pairwise(through)]
    assert statistics.median(gaps) > 0.5 * ITL_MS / 1000
    assert through[0] < through[-1] - 10 * ITL_MS / 1000  # the first left long before the last


def test_converse_stream_keeps_the_backend_pace(katan: Katan, emulator: CliServer) -> None:
    direct = _direct_token_times(katan)
    assert direct[0] > TTFT_MS / 1000 and len(direct) > 20
    client = client_for(emulator.url)
    started = time.perf_counter()
    response = client.converse_stream(
        modelId="amazon.nova-lite-v1:0",
        messages=[{"role": "user", "content": [{"text": PROMPT}]}],
    )
    through = [
        time.perf_counter() - started
        for event in response["stream"]
        if "contentBlockDelta" in event
    ]
    assert len(through) == len(direct)
    _check_pacing(direct, through)


def test_invoke_stream_keeps_the_backend_pace(katan: Katan, emulator: CliServer) -> None:
    direct = _direct_token_times(katan)
    client = client_for(emulator.url)
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    started = time.perf_counter()
    response = client.invoke_model_with_response_stream(
        modelId="anthropic.claude-3-haiku-20240307-v1:0", body=json.dumps(body)
    )
    through: list[float] = []
    for event in response["body"]:
        chunk: dict[str, Any] = json.loads(event["chunk"]["bytes"])
        if chunk["type"] == "content_block_delta":
            through.append(time.perf_counter() - started)
    assert len(through) == len(direct)
    _check_pacing(direct, through)
