"""Shared fixtures: boto3 clients in-process, on ThreadedMotoServer and on the real
`moto-bedrock` command, and strict checks of raw wire bodies against botocore's shapes."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.server import ThreadedMotoServer

from moto_bedrock_runtime.http_server import WSGIServer, make_server
from moto_bedrock_runtime.request_shapes import parse_body

NO_RETRIES = Config(retries={"total_max_attempts": 1}, read_timeout=30)
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
FAKE_SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/bedrock/aws4_request, "
    "SignedHeaders=host, Signature=00"
)


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def runtime() -> Iterator[Any]:
    """bedrock-runtime under @mock_aws (in-process)."""
    with mock_aws():
        yield boto3.client("bedrock-runtime", region_name="us-east-1", config=NO_RETRIES)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def threaded_server() -> Iterator[str]:
    """moto's ThreadedMotoServer in this process (the pytest plugin already activated us)."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class CliServer:
    """A `moto-bedrock` process started as a user starts it, with its printed output."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        command = shutil.which("moto-bedrock", path=str(Path(sys.executable).parent))
        assert command, "the moto-bedrock console script is not installed"
        self.port = _free_port()
        self.process = subprocess.Popen(
            [command, "--port", str(self.port), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.banner = self._read_banner()
        # Drained as it comes: a server logging into a full pipe would block on the write,
        # and every thread after it on the logging lock.
        self._output: list[str] = []
        self._drain = threading.Thread(target=self._output.extend, args=(self.process.stdout,))
        self._drain.daemon = True
        self._drain.start()
        scheme = "https" if "--tls" in args else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        match = re.search(r"TLS certificate \(self-signed\): (\S+)", self.banner)
        self.cert = match.group(1) if match else None

    def _read_banner(self) -> str:
        assert self.process.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError("moto-bedrock exited:\n" + "".join(lines))
            lines.append(line)
            if line.startswith("or the AWS CLI"):
                lines.append(self.process.stdout.readline())
                if "--tls" in self.process.args:
                    lines.append(self.process.stdout.readline())
                return "".join(lines)
        raise AssertionError("moto-bedrock did not start:\n" + "".join(lines))

    def stop(self) -> str:
        """SIGTERM, as a service manager stops it; returns everything it printed."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        self._drain.join(timeout=20)
        return self.banner + "".join(self._output)


@pytest.fixture(scope="session")
def cli_server() -> Iterator[CliServer]:
    server = CliServer(env={"MOTO_BEDROCK_STREAM_DELAY_MS": "0"})
    yield server
    server.stop()


def client_of(
    url: str | None,
    service: str = "bedrock-runtime",
    *,
    region: str = "us-east-1",
    unchecked: bool = False,
) -> Any:
    """A client of the in-process mock (no url) or of a server; `unchecked`: botocore sends
    what its own parameter validation would refuse, to reach the emulator's validation."""
    config = NO_RETRIES.merge(Config(parameter_validation=False)) if unchecked else NO_RETRIES
    if url is None:
        return boto3.client(service, region_name=region, config=config)
    return boto3.client(service, region_name=region, endpoint_url=url, config=config, **CREDENTIALS)


def client_for(url: str, service: str = "bedrock-runtime", **kwargs: Any) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        config=NO_RETRIES,
        **CREDENTIALS,
        **kwargs,
    )


# Our HTTP server in this process, with small applications


@pytest.fixture
def serve() -> Iterator[Callable[..., WSGIServer]]:
    """Start servers on free ports in background threads; stop them all after the test."""
    started: list[tuple[WSGIServer, threading.Thread]] = []

    def start(app: Any, **kwargs: Any) -> WSGIServer:
        server = make_server("127.0.0.1", 0, app, **kwargs)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(5)


def port_of(server: WSGIServer) -> int:
    return server.server_address[1]


# Strict wire checks


def _service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def check_output(operation: str, body: dict[str, Any], service: str = "bedrock-runtime") -> None:
    """The raw JSON answer fits the operation's output shape exactly: required members present,
    no unknown member, every value of the modeled type (ints stay ints)."""
    shape = _service_model(service).operation_model(operation).output_shape
    parse_body(shape, body)


def decode_frames(raw: bytes) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """(headers, payload) of every event-stream message, CRCs checked by botocore's decoder."""
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    return [(message.headers, json.loads(message.payload)) for message in buffer]


def check_stream(operation: str, raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Every frame of a raw stream decodes and its payload fits its event shape exactly."""
    output = _service_model("bedrock-runtime").operation_model(operation).output_shape
    union = output.members[output.serialization["payload"]]
    events = []
    for headers, payload in decode_frames(raw):
        assert headers[":content-type"] == "application/json"
        if headers[":message-type"] == "exception":
            events.append((headers[":exception-type"], payload))
            continue
        assert headers[":message-type"] == "event"
        name = headers[":event-type"]
        assert payload.pop("p")
        parse_body(union.members[name], payload)
        events.append((name, payload))
    return events


def capture_bodies(client: Any) -> list[bytes]:
    """Raw response bodies of a client's non-streaming calls, captured before botocore parses."""
    bodies: list[bytes] = []

    def capture(response_dict: dict[str, Any], **_: Any) -> None:
        if isinstance(response_dict["body"], bytes):
            bodies.append(response_dict["body"])

    client.meta.events.register("before-parse", capture)
    return bodies


# Errors and pages as a client sees them


def error_parts(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a caught ClientError."""
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def error_of(call: Any, **params: Any) -> tuple[str, int, str]:
    """(code, HTTP status, message) of the ClientError `call(**params)` must raise."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return error_parts(caught)


def collect_pages(fetch: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated List operation; `fetch(**params)` returns one raw page."""
    found: list[dict[str, Any]] = []
    token = None
    while True:
        page = fetch(**params, **({"nextToken": token} if token else {}))
        found += page[key]
        token = page.get("nextToken")
        if token is None:
            return found
