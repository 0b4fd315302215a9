"""Concurrent Converse and ConverseStream clients, run as their own process so that when it
exits every client connection is closed for certain (a test then counts what the server still
holds). Prints "ready" once its clients exist (importing boto3 takes a while on a busy
machine, and a test times its faults from there), then the outcome counts as JSON:

    python -m tests.load_clients URL SECONDS [CLIENTS]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError, ReadTimeoutError

MODEL = "amazon.nova-lite-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hello under load"}]}]


def outcome(call: Callable[[], Any]) -> str:
    """`ok`, or the error code a client sees (HTTP error or in-stream error)."""
    try:
        call()
    except (ClientError, EventStreamError) as exc:
        return exc.response["Error"]["Code"]
    except ReadTimeoutError:
        return "client read timeout"  # the emulator stopped answering: never expected
    return "ok"


def run(url: str, seconds: float, count: int) -> Counter[str]:
    config = Config(retries={"total_max_attempts": 1}, read_timeout=30)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    clients = [
        boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=url,
            config=config,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for _ in range(count)
    ]
    print("ready", flush=True)
    until = time.monotonic() + seconds

    def work(client: Any) -> None:
        step = 0
        while time.monotonic() < until:
            if step % 2:
                result = outcome(lambda: client.converse(modelId=MODEL, messages=MESSAGES))
            else:
                stream = lambda: list(  # noqa: E731
                    client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
                )
                result = outcome(stream)
            step += 1
            with lock:
                outcomes[result] += 1

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


if __name__ == "__main__":
    url, seconds = sys.argv[1], float(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    print(json.dumps(run(url, seconds, count)))
