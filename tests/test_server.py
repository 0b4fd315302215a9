"""Server mode: boto3 and raw HTTP against ThreadedMotoServer and the `moto-bedrock` command."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import quote

import pytest
import requests
from botocore.exceptions import ClientError

from moto_bedrock_runtime import __version__

from .conftest import (
    FAKE_SIGV4,
    HAIKU,
    CliServer,
    check_output,
    check_stream,
    client_for,
)

pytestmark = pytest.mark.server

MESSAGES = [{"role": "user", "content": [{"text": "Name three rivers in Europe."}]}]


def raw_post(url: str, path: str, body: Any, **headers: str) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        url + path,
        data=data,
        headers={"Authorization": FAKE_SIGV4, "Content-Type": "application/json", **headers},
        timeout=30,
    )


@pytest.fixture(params=["threaded", "cli"])
def server_url(request: pytest.FixtureRequest) -> str:
    if request.param == "threaded":
        return request.getfixturevalue("threaded_server")
    return request.getfixturevalue("cli_server").url


def test_boto3_converse_and_stream(server_url: str) -> None:
    client = client_for(server_url)
    whole = client.converse(modelId=HAIKU, messages=MESSAGES)
    assert whole["stopReason"] == "end_turn"
    assert whole == {
        **client.converse(modelId=HAIKU, messages=MESSAGES),
        "metrics": whole["metrics"],
        "ResponseMetadata": whole["ResponseMetadata"],
    }
    events = list(client.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"])
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == whole["output"]["message"]["content"][0]["text"]
    assert events[-1]["metadata"]["usage"] == whole["usage"]


def test_raw_wire_shapes(server_url: str) -> None:
    response = raw_post(server_url, f"/model/{HAIKU}/converse", {"messages": MESSAGES})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]
    check_output("Converse", response.json())
    stream = raw_post(server_url, f"/model/{HAIKU}/converse-stream", {"messages": MESSAGES})
    assert stream.headers["Content-Type"] == "application/vnd.amazon.eventstream"
    events = check_stream("ConverseStream", stream.content)
    assert [name for name, _ in events][:2] == ["messageStart", "contentBlockDelta"]


@pytest.mark.parametrize(
    "model_path",
    [
        HAIKU,
        quote(HAIKU, safe=""),
        quote(f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}", safe=""),
        quote(f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}", safe=""),
    ],
    ids=["raw-colon", "percent-encoded", "fm-arn", "profile-arn"],
)
def test_model_id_forms(server_url: str, model_path: str) -> None:
    response = raw_post(server_url, f"/model/{model_path}/converse", {"messages": MESSAGES})
    assert response.status_code == 200, response.text
    assert response.json()["stopReason"] == "end_turn"


def test_boto3_profile_arn(server_url: str) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}"
    assert (
        client_for(server_url).converse(modelId=arn, messages=MESSAGES)["stopReason"] == "end_turn"
    )


BAD_BODIES = [
    pytest.param(
        b"{not json",
        "The request body is not valid JSON: Expecting property name enclosed in double quotes.",
        id="malformed-json",
    ),
    pytest.param(b"[1, 2]", "The request body must be a JSON object.", id="not-an-object"),
    pytest.param(
        {"messages": MESSAGES, "inferenceConfig": {"maxTokens": 0}},
        "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
        id="range",
    ),
    pytest.param(
        {"messages": MESSAGES, "inferenceConfig": {"temperature": 1.5, "topP": -0.1}},
        "2 validation errors detected: Value '1.5' at 'inferenceConfig.temperature' failed to "
        "satisfy constraint: Member must have value less than or equal to 1; Value '-0.1' at "
        "'inferenceConfig.topP' failed to satisfy constraint: Member must have value greater "
        "than or equal to 0",
        id="ranges",
    ),
    pytest.param({"messages": "hello"}, None, id="wrong-type"),
    pytest.param({"messages": MESSAGES, "temperature": 0.5}, None, id="unknown-key"),
    pytest.param(
        {"messages": [{"role": "robot", "content": [{"text": "x"}]}]}, None, id="bad-role"
    ),
    pytest.param({"messages": [{"role": "user", "content": [{}]}]}, None, id="empty-union"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
@pytest.mark.parametrize("operation", ["converse", "converse-stream"])
def test_bad_bodies_get_validation_errors(
    server_url: str, operation: str, body: Any, message: str | None
) -> None:
    response = raw_post(server_url, f"/model/{HAIKU}/{operation}", body)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"].startswith("ValidationException:")
    assert set(response.json()) == {"message"}
    if message:
        assert response.json()["message"] == message
    else:
        assert response.json()["message"]


def test_concurrent_streams_over_one_server(threaded_server: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def stream(i: int) -> str:
        client = client_for(threaded_server)
        messages = [{"role": "user", "content": [{"text": f"Topic {i % 3}"}]}]
        events = client.converse_stream(modelId=HAIKU, messages=messages)["stream"]
        return "".join(
            e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
        )

    with ThreadPoolExecutor(8) as pool:
        texts = list(pool.map(stream, range(24)))
    assert all(texts[i] == texts[i % 3] and f"Topic {i % 3}" in texts[i] for i in range(24))


def test_oversized_body(threaded_server: str) -> None:
    body = b'{"messages": [{"role": "user", "content": [{"text": "' + b"a" * 25_000_001 + b'"}]}]}'
    response = raw_post(threaded_server, f"/model/{HAIKU}/converse", body)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "The request body is larger than the maximum size of 25000000 bytes."
    )


def test_unknown_and_unimplemented_operations(server_url: str) -> None:
    unknown = raw_post(server_url, f"/model/{HAIKU}/explode", {})
    assert unknown.status_code == 404
    assert unknown.headers["x-amzn-ErrorType"].startswith("UnknownOperationException")
    client = client_for(server_url)
    with pytest.raises(ClientError) as info:
        client.invoke_guardrail_checks(
            messages=[{"role": "user", "content": [{"text": "hello"}]}],
            checks={"promptAttack": {"categories": [{"category": "JAILBREAK"}]}},
        )
    assert info.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "moto-bedrock does not implement the InvokeGuardrailChecks operation yet.",
    }


def test_connections_are_kept_alive(cli_server: CliServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", cli_server.port, timeout=10)
    body = json.dumps({"messages": MESSAGES})
    headers = {"Authorization": FAKE_SIGV4, "Content-Type": "application/json"}
    sockets = set()
    for _ in range(3):
        connection.request("POST", f"/model/{HAIKU}/converse", body=body, headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Connection", "").lower() != "close"
        response.read()
        sockets.add(id(connection.sock))
    assert len(sockets) == 1


def test_stream_is_incremental() -> None:
    """With a 150 ms pause before each delta, the first delta reaches the client long before the
    last one is even produced."""
    delay = 0.15
    server = CliServer(env={"MOTO_BEDROCK_STREAM_DELAY_MS": str(int(delay * 1000))})
    try:
        client = client_for(server.url)
        client.converse(modelId=HAIKU, messages=MESSAGES)  # warm up: first-request imports
        started = time.perf_counter()
        arrivals = []
        for event in client.converse_stream(modelId=HAIKU, messages=MESSAGES)["stream"]:
            if "contentBlockDelta" in event:
                arrivals.append(time.perf_counter() - started)
    finally:
        server.stop()
    deltas = len(arrivals)
    assert deltas >= 5
    # The last delta cannot be produced before deltas * delay; the first must arrive well before.
    assert arrivals[-1] >= deltas * delay * 0.9
    assert arrivals[0] < arrivals[-1] - (deltas - 2) * delay
    assert arrivals[0] < 3 * delay


def test_control_plane_over_http(server_url: str) -> None:
    bedrock = client_for(server_url, "bedrock")
    bedrock.put_model_invocation_logging_configuration(
        loggingConfig={"s3Config": {"bucketName": "logs"}, "textDataDeliveryEnabled": True}
    )
    config = bedrock.get_model_invocation_logging_configuration()["loggingConfig"]
    assert config["s3Config"] == {"bucketName": "logs"}
    with pytest.raises(ClientError) as info:
        bedrock.get_custom_model(modelIdentifier="nope")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as info:
        bedrock.list_enforced_guardrails_configuration()
    assert info.value.response["Error"]["Message"] == (
        "moto-bedrock does not implement the ListEnforcedGuardrailsConfiguration operation yet."
    )


def test_other_moto_services_are_served(cli_server: CliServer) -> None:
    s3 = client_for(cli_server.url, "s3")
    s3.create_bucket(Bucket="invocation-logs")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["invocation-logs"]


def test_cli_help_documents_options_and_environment() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "moto_bedrock_runtime.server", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for word in (
        "--host",
        "--port",
        "--tls",
        "--log-level",
        "MOTO_BEDROCK_HOST",
        "MOTO_BEDROCK_PORT",
        "MOTO_BEDROCK_TLS",
        "MOTO_BEDROCK_LOG_LEVEL",
    ):
        assert word in out


def test_banner_and_default_bind(cli_server: CliServer) -> None:
    assert f"serving on http://127.0.0.1:{cli_server.port}" in cli_server.banner
    assert 'boto3.client("bedrock-runtime", endpoint_url=' in cli_server.banner
    assert "AWS_ENDPOINT_URL=" in cli_server.banner
    assert "engine: canned (no backend set)" in cli_server.banner
    health = requests.get(f"{cli_server.url}/moto-api/static/bedrock/health", timeout=10).json()
    assert health == {"status": "ok", "version": __version__, "engine": "canned", "backends": []}


def test_cors_headers_match_motos_on_both_paths(server_url: str) -> None:
    """The CLI answers bedrock-runtime without moto's Flask layer, and browser requests (with an
    Origin) through it: both carry the CORS headers moto's server sends."""
    path = f"/model/{HAIKU}/converse"
    plain = raw_post(server_url, path, {"messages": MESSAGES})
    assert plain.status_code == 200 and plain.headers["Access-Control-Allow-Origin"] == "*"
    browser = raw_post(server_url, path, {"messages": MESSAGES}, Origin="http://app.local")
    assert browser.headers["Access-Control-Allow-Origin"] == "http://app.local"
    assert browser.headers["Vary"] == "Origin"
    assert browser.json()["output"] == plain.json()["output"]
