"""The AWS SDK for JavaScript v3 (Node) against the `moto-bedrock` command, over the SDK's
default HTTP/2 handler: the quickstart docs/clients.md shows (tests/js/quickstart.mjs) and
deeper checks (tests/js/sdk_checks.mjs), in cleartext and over TLS.

The npm packages are installed by `npm ci` from tests/js/package-lock.json on first use, so a
fresh clone needs only node and npm. Without node the tests are skipped, except in CI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import HAIKU, CliServer

JS_DIR = Path(__file__).parent / "js"
DOCS = Path(__file__).parents[1] / "docs" / "clients.md"
NODE = shutil.which("node")
NPM = shutil.which("npm")
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")
DELAY = 0.1  # seconds the canned engine waits before each streamed delta


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """tests/js/node_modules, (re)installed with `npm ci` when missing or older than the lock.

    Without node the tests that need it are skipped, but never in CI."""
    if NODE is None and not IN_CI:
        pytest.skip("node is not installed")
    assert NODE and NPM, "the JavaScript SDK tests need node and npm"
    installed = JS_DIR / "node_modules" / ".package-lock.json"  # npm writes it last
    lock = JS_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        started = time.monotonic()
        result = subprocess.run(
            [NPM, "ci", "--no-audit", "--no-fund"],
            cwd=JS_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
        print(f"npm ci: {time.monotonic() - started:.1f} s")
    return installed.parent


@pytest.fixture(scope="module")
def paced_server() -> Iterator[CliServer]:
    """`moto-bedrock` with the canned engine pausing before each streamed delta."""
    server = CliServer(env={"MOTO_BEDROCK_STREAM_DELAY_MS": str(int(DELAY * 1000))})
    yield server
    server.stop()


def run_node(script: str, url: str, **env: str) -> str:
    """Run a script of tests/js against ``url``; its stdout (stderr shown if it fails)."""
    assert NODE
    result = subprocess.run(
        [NODE, script],
        cwd=JS_DIR,
        env={**os.environ, "AWS_ENDPOINT_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"node {script} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def quickstart_lines(output: str) -> dict[str, str]:
    """The quickstart's output as {label: text}."""
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def check_quickstart(output: str) -> None:
    lines = quickstart_lines(output)
    prompt = "Name three rivers in Europe."
    assert prompt in lines["converse"]
    assert lines["converse-stream"] == lines["converse"] + " [end_turn]"  # deltas, reassembled
    assert prompt in lines["invoke-model"]
    models = lines["models"].split()
    assert HAIKU in models
    assert all(model.startswith("anthropic.") for model in models)


def test_docs_show_the_tested_quickstart() -> None:
    """The JavaScript code in docs/clients.md is quickstart.mjs's, so it cannot drift."""
    section = DOCS.read_text().split("\n## JavaScript (AWS SDK v3)\n", 1)[1].split("\n## ")[0]
    snippets = re.findall(r"```js\n(.*?)```", section, re.S)
    script = (JS_DIR / "quickstart.mjs").read_text()
    assert len(snippets) == 2
    assert all(snippet in script for snippet in snippets)


@pytest.mark.server
def test_quickstart(node_modules: Path, paced_server: CliServer) -> None:
    check_quickstart(run_node("quickstart.mjs", paced_server.url))


@pytest.mark.server
def test_quickstart_over_tls_negotiates_h2(node_modules: Path) -> None:
    """Node's http2 requires ALPN h2: the quickstart passing over https proves it was chosen."""
    server = CliServer("--tls")
    try:
        assert server.cert
        output = run_node("quickstart.mjs", server.url, NODE_EXTRA_CA_CERTS=server.cert)
    finally:
        server.stop()
    check_quickstart(output)


@pytest.fixture(scope="module")
def sdk_checks(node_modules: Path, paced_server: CliServer) -> dict[str, Any]:
    return json.loads(run_node("sdk_checks.mjs", paced_server.url))


@pytest.mark.server
def test_converse_stream_arrives_incrementally(sdk_checks: dict[str, Any]) -> None:
    """With a pause before each delta, the first delta reaches Node long before the last one
    is even produced."""
    assert sdk_checks["handler"] == "NodeHttp2Handler"
    assert "Stream me" in sdk_checks["converseText"]
    assert sdk_checks["streamText"] == sdk_checks["converseText"]
    types = sdk_checks["eventTypes"]
    assert types[0] == "messageStart"
    assert types[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert sdk_checks["streamUsage"]["outputTokens"] > 0
    arrivals = [ms / 1000 for ms in sdk_checks["deltaTimes"]]
    deltas = len(arrivals)
    assert deltas >= 5
    assert arrivals[-1] >= deltas * DELAY * 0.9
    assert arrivals[0] < arrivals[-1] - (deltas - 2) * DELAY
    assert arrivals[0] < 5 * DELAY


@pytest.mark.server
def test_invoke_model_with_response_stream(sdk_checks: dict[str, Any]) -> None:
    types = sdk_checks["invokeStreamTypes"]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert sdk_checks["invokeStreamText"] == sdk_checks["converseText"]


@pytest.mark.server
def test_modeled_error_over_http2(sdk_checks: dict[str, Any]) -> None:
    assert sdk_checks["error"] == {
        "name": "ValidationException",
        "status": 400,
        "message": "A conversation must start with a user message. Try again with a "
        "conversation that starts with a user message.",
    }


@pytest.mark.server
def test_concurrent_requests_share_one_session(sdk_checks: dict[str, Any]) -> None:
    texts = sdk_checks["sharedTexts"]
    assert len(texts) == 6
    assert all(f"Topic {i}" in text for i, text in enumerate(texts))
    assert sdk_checks["sharedSessions"] == 1
