"""moto-bedrock inside a real LocalStack: localstack-core in host mode (no Docker), end to end.

A virtualenv with localstack-core (the version pinned by pyproject's `localstack` extra),
LocalStack's own moto (moto-ext) and the host-mode pins is built once and kept in
.localstack-venv/ (the cold install is reported); this checkout goes into it without
dependencies, as docs/localstack.md tells users to install it. LocalStack is started as
`python -m localstack.runtime.main` on a free port, as a user starts it, and boto3 talks to it:
with MOTO_BEDROCK_LOCALSTACK=1 (the extension), with PROVIDER_OVERRIDE_*=moto-bedrock (the
providers), with neither (the package does nothing), and with a real OpenAI-compatible backend.

Deselect with `-m "not localstack"`; CI runs it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import EventStreamError
from packaging.requirements import Requirement

from moto_bedrock_runtime.testing import BedrockControls

from .backend_servers import KATAN_KEY, KATAN_MODEL, Katan
from .conftest import HAIKU, _free_port, capture_bodies, check_output, check_stream, error_of

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

pytestmark = [pytest.mark.server, pytest.mark.localstack]

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".localstack-venv"
# LocalStack's moto fork, at the version these tests were run against (localstack-core leaves
# it unbounded), and what host mode needs on top of localstack-core 4.13.1 (see
# docs/localstack.md): cbor2 6 dropped the module its parser imports, pyOpenSSL 26 what its
# certificate generation calls, and Twisted's TLS needs service-identity.
MOTO_EXT = "moto-ext==5.1.54"
HOST_MODE_PINS = ("cbor2<6", "pyopenssl<26", "cryptography<47", "service-identity")

ACCOUNT = "000000000000"  # LocalStack's account for the "test" keys
STREAM_DELAY_MS = 100
CONVERSE = {"modelId": HAIKU, "messages": [{"role": "user", "content": [{"text": "hello"}]}]}
RULES = {
    "rules": [
        {"match": {"prompt_contains": "ping"}, "respond": {"text": "pong from the rules file"}},
        {
            "match": {"prompt_contains": "break"},
            "respond": {
                "text": "a stream that breaks",
                "stream_error": {
                    "code": "ModelStreamErrorException",
                    "message": "lost",
                    "after": 2,
                },
            },
        },
    ]
}
_OUR_VARIABLES = ("MOTO_BEDROCK_", "PROVIDER_OVERRIDE_", "AWS_", "LOCALSTACK_")


def _report(config: pytest.Config, line: str) -> None:
    """A line in the test run's output (install and run times), past output capturing."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


def _requirements() -> list[str]:
    """localstack-core at the extra's pin, LocalStack's moto, the host-mode pins, and our own
    dependencies but moto (LocalStack brings moto-ext, which the same import name would clobber)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (core,) = (
        Requirement(text)
        for text in project["optional-dependencies"]["localstack"]
        if Requirement(text).name == "localstack-core"
    )
    ours = [text for text in project["dependencies"] if Requirement(text).name != "moto"]
    return [f"localstack-core[base-runtime]{core.specifier}", MOTO_EXT, *HOST_MODE_PINS, *ours]


def _pip(python: Path, *args: str) -> None:
    result = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stdout}{result.stderr}"


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def localstack_python(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The Python of the cached virtualenv (rebuilt when the requirements change); the lock
    keeps a concurrent test run from building or booting in the same cache at the same time."""
    CACHE.mkdir(exist_ok=True)
    requirements = [*_requirements(), "pytest"]
    python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = CACHE / f"py{python_version}-{_digest(*requirements)}"
    python = venv / "bin" / "python"
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        complete = venv / ".complete"
        if not complete.exists():
            shutil.rmtree(venv, ignore_errors=True)  # a build that did not finish
            started = time.monotonic()
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            _pip(python, "install", *requirements)
            complete.write_text(f"{time.monotonic() - started:.1f}")
            _report(request.config, f"LocalStack venv: cold install {complete.read_text()} s")
        else:
            _report(
                request.config,
                f"LocalStack venv: cached in {venv.relative_to(ROOT)} "
                f"(its cold install took {complete.read_text()} s)",
            )
        # This checkout, reinstalled when its packaging (entry points) changes.
        packaging = _digest(
            (ROOT / "pyproject.toml").read_bytes(), (ROOT / "setup.py").read_bytes()
        )
        installed = venv / ".moto-bedrock"
        if not installed.exists() or installed.read_text() != packaging:
            _pip(python, "install", "--no-deps", "-e", str(ROOT))
            installed.write_text(packaging)
        started = time.monotonic()
        yield python
        _report(request.config, f"LocalStack tests: {time.monotonic() - started:.1f} s")


class LocalStack:
    """`python -m localstack.runtime.main` on a free port, with the given environment."""

    def __init__(self, config: pytest.Config, python: Path, name: str, **env: str) -> None:
        self.config = config
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        venv = python.parent.parent
        self.log = venv / f"{name}.log"
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(_OUR_VARIABLES) and key != "PYTHONPATH"
        }
        environment.update(
            GATEWAY_LISTEN=f"127.0.0.1:{self.port}",
            LOCALSTACK_HOST=f"localhost.localstack.cloud:{self.port}",
            DNS_ADDRESS="0",
            SKIP_SSL_CERT_DOWNLOAD="1",
            DISABLE_EVENTS="1",
            # CI containers have /.dockerenv: keep LocalStack's files here, not in /var/lib.
            OVERRIDE_IN_DOCKER="0",
            FILESYSTEM_ROOT=str(venv / f"fs-{name}"),  # its service catalog is kept between runs
            **env,
        )
        self.started = time.monotonic()
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                env=environment,
                cwd=venv,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()
        self.ready = time.monotonic() - self.started

    def _wait_ready(self) -> None:
        http = urllib3.PoolManager()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"LocalStack exited:\n{self.log.read_text()}")
            try:
                http.request("GET", f"{self.url}/_localstack/health", retries=False)
                return
            except urllib3.exceptions.HTTPError:
                time.sleep(0.2)
        self.process.kill()
        self.process.wait()
        raise AssertionError(f"LocalStack did not start:\n{self.log.read_text()}")

    def health(self) -> dict[str, Any]:
        return json.loads(urllib3.request("GET", f"{self.url}/_localstack/health").data)

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
        )

    def stop(self) -> str:
        """SIGTERM, as LocalStack is stopped; returns its log."""
        serving = time.monotonic() - self.started
        stopping = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        _report(
            self.config,
            f"LocalStack[{self.name}]: ready in {self.ready:.1f} s, up {serving:.1f} s, "
            f"stopped in {time.monotonic() - stopping:.1f} s",
        )
        return self.log.read_text()


@pytest.fixture(scope="session")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "rules.json"
    path.write_text(json.dumps(RULES))
    return path


MODES = {
    # Community: the one public switch; the startup hook loads the extension.
    "extension": {"MOTO_BEDROCK_LOCALSTACK": "1"},
    # LocalStack's own provider selection, no extension.
    "provider": {
        "PROVIDER_OVERRIDE_BEDROCK": "moto-bedrock",
        "PROVIDER_OVERRIDE_BEDROCK_RUNTIME": "moto-bedrock",
    },
}


@pytest.fixture(scope="session", params=sorted(MODES))
def localstack(
    request: pytest.FixtureRequest, localstack_python: Path, rules_file: Path
) -> Iterator[LocalStack]:
    server = LocalStack(
        request.config,
        localstack_python,
        request.param,
        MOTO_BEDROCK_RULES=str(rules_file),
        MOTO_BEDROCK_STREAM_DELAY_MS=str(STREAM_DELAY_MS),
        **MODES[request.param],
    )
    yield server
    log = server.stop()
    assert "Traceback" not in log, log


def _signed(url: str, path: str, data: bytes) -> urllib3.BaseHTTPResponse:
    """A raw SigV4-signed POST, so the bytes on the wire can be read as they arrive."""
    headers = {"Content-Type": "application/json"}
    request = AWSRequest("POST", url + path, data=data, headers=headers)
    SigV4Auth(Credentials("test", "test"), "bedrock", "us-east-1").add_auth(request)
    return urllib3.request(
        "POST", url + path, body=data, headers=dict(request.headers), preload_content=False
    )


def test_health_lists_both_services(localstack: LocalStack) -> None:
    services = localstack.health()["services"]
    assert services["bedrock"] in ("available", "running")
    assert services["bedrock-runtime"] in ("available", "running")


def test_converse(localstack: LocalStack) -> None:
    runtime = localstack.client("bedrock-runtime")
    bodies = capture_bodies(runtime)
    response = runtime.converse(**CONVERSE)
    assert response["output"]["message"]["content"][0]["text"].startswith("You asked")
    assert response["stopReason"] == "end_turn"
    check_output("Converse", json.loads(bodies[0]))  # ints stay ints, nothing extra


def test_converse_stream_is_decoded_as_it_arrives(localstack: LocalStack) -> None:
    runtime = localstack.client("bedrock-runtime")
    stream = runtime.converse_stream(**CONVERSE)["stream"]
    arrivals, texts = [], []
    for event in stream:
        arrivals.append(time.monotonic())
        if "contentBlockDelta" in event:
            texts.append(event["contentBlockDelta"]["delta"]["text"])
    assert len(texts) > 5
    # Deltas leave the engine STREAM_DELAY_MS apart; a buffered body would arrive all at once.
    assert arrivals[-1] - arrivals[0] > (len(texts) - 1) * STREAM_DELAY_MS / 1000 * 0.6
    assert "".join(texts) == runtime.converse(**CONVERSE)["output"]["message"]["content"][0]["text"]


def test_stream_bytes_are_awss(localstack: LocalStack) -> None:
    """What LocalStack's own serializer gets wrong, checked on the raw bytes: the Content-Type,
    no initial-response event, `:content-type` on every event, chunked delivery."""
    body = json.dumps({"messages": CONVERSE["messages"]}).encode()
    response = _signed(localstack.url, f"/model/{HAIKU}/converse-stream", body)
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/vnd.amazon.eventstream"
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in response.headers
    events = check_stream("ConverseStream", response.read())  # checks each `:content-type`
    names = [name for name, _ in events]
    assert names[0] == "messageStart" and names[-1] == "metadata"
    assert "initial-response" not in names


def test_error_mid_stream_is_an_exception_event(localstack: LocalStack) -> None:
    messages = [{"role": "user", "content": [{"text": "break it"}]}]
    body = json.dumps({"messages": messages}).encode()
    response = _signed(localstack.url, f"/model/{HAIKU}/converse-stream", body)
    assert response.status == 200
    name, payload = check_stream("ConverseStream", response.read())[-1]
    assert (name, payload["message"]) == ("modelStreamErrorException", "lost")

    runtime = localstack.client("bedrock-runtime")
    received = []
    with pytest.raises(EventStreamError) as caught:
        for event in runtime.converse_stream(modelId=HAIKU, messages=messages)["stream"]:
            received.append(event)
    assert caught.value.response["Error"]["Code"] == "modelStreamErrorException"
    assert "messageStart" in received[0]
    assert any("contentBlockDelta" in event for event in received)  # the error came after


def test_rules_file_from_localstacks_environment(localstack: LocalStack) -> None:
    runtime = localstack.client("bedrock-runtime")
    messages = [{"role": "user", "content": [{"text": "ping"}]}]
    response = runtime.converse(modelId=HAIKU, messages=messages)
    assert response["output"]["message"]["content"][0]["text"] == "pong from the rules file"


@pytest.mark.parametrize(
    ("model_id", "body", "text_of"),
    [
        (
            HAIKU,
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": "hello"}],
            },
            lambda answer: answer["content"][0]["text"],
        ),
        (
            "amazon.titan-text-express-v1",
            {"inputText": "hello", "textGenerationConfig": {"maxTokenCount": 100}},
            lambda answer: answer["results"][0]["outputText"],
        ),
    ],
    ids=["anthropic", "titan"],
)
def test_invoke_model(localstack: LocalStack, model_id: str, body: Any, text_of: Any) -> None:
    runtime = localstack.client("bedrock-runtime")
    response = runtime.invoke_model(modelId=model_id, body=json.dumps(body))
    assert response["contentType"] == "application/json"
    assert text_of(json.loads(response["body"].read())).startswith("You asked")
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert int(headers["x-amzn-bedrock-output-token-count"]) > 0


def test_invoke_model_with_response_stream(localstack: LocalStack) -> None:
    runtime = localstack.client("bedrock-runtime")
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hello"}],
    }
    response = runtime.invoke_model_with_response_stream(modelId=HAIKU, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert chunks[0]["type"] == "message_start" and chunks[-1]["type"] == "message_stop"
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0


def test_modeled_errors(localstack: LocalStack) -> None:
    runtime = localstack.client("bedrock-runtime")
    assert error_of(runtime.converse, modelId="no.such-model", messages=CONVERSE["messages"]) == (
        "ValidationException",
        400,
        "The provided model identifier is invalid.",
    )


def test_list_foundation_models(localstack: LocalStack) -> None:
    control = localstack.client("bedrock")
    models = control.list_foundation_models(byProvider="Anthropic")["modelSummaries"]
    (haiku,) = (model for model in models if model["modelId"] == HAIKU)
    assert haiku["modelArn"] == f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    assert haiku["providerName"] == "Anthropic"
    assert "ON_DEMAND" in haiku["inferenceTypesSupported"]
    assert {model["providerName"] for model in models} == {"Anthropic"}


def test_motos_own_operations_in_localstacks_account(localstack: LocalStack) -> None:
    """Control-plane operations moto-bedrock leaves to moto run on moto's bedrock backend
    (which ours extends), in the account and region LocalStack resolved."""
    control = localstack.client("bedrock", region="eu-west-1")
    arn = control.create_model_customization_job(
        jobName=f"job-{localstack.name}",
        customModelName=f"model-{localstack.name}",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/bedrock",
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": "s3://bucket/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://bucket/out/"},
        hyperParameters={"epochCount": "1"},
    )["jobArn"]
    assert arn.startswith(f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:model-customization-job/")
    job = control.get_model_customization_job(jobIdentifier=f"job-{localstack.name}")
    assert job["jobArn"] == arn
    logging = {"textDataDeliveryEnabled": True, "s3Config": {"bucketName": "invocation-logs"}}
    control.put_model_invocation_logging_configuration(loggingConfig=logging)
    stored = control.get_model_invocation_logging_configuration()["loggingConfig"]
    assert stored == logging


def test_localstacks_own_moto_services_still_work(localstack: LocalStack) -> None:
    logs = localstack.client("logs")
    logs.create_log_group(logGroupName=f"/moto-bedrock/{localstack.name}")
    groups = logs.describe_log_groups(logGroupNamePrefix="/moto-bedrock/")["logGroups"]
    assert f"/moto-bedrock/{localstack.name}" in {group["logGroupName"] for group in groups}


@pytest.mark.parametrize("localstack", ["extension"], indirect=True)
def test_unparseable_request_gets_bedrocks_error(localstack: LocalStack) -> None:
    """LocalStack's parser refuses a body that is not JSON with a 500 of its own; the
    extension answers it as Bedrock does."""
    response = _signed(localstack.url, f"/model/{HAIKU}/converse", b"{not json")
    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"].startswith("ValidationException:")
    assert json.loads(response.read())["message"].startswith("The request body is not valid JSON")


@pytest.mark.parametrize("localstack", ["extension"], indirect=True)
def test_test_controls_on_localstacks_port(localstack: LocalStack) -> None:
    controls = BedrockControls(endpoint_url=localstack.url, account_id=ACCOUNT)
    controls.answer("declared over HTTP", prompt_contains="controls")
    try:
        runtime = localstack.client("bedrock-runtime")
        messages = [{"role": "user", "content": [{"text": "test controls"}]}]
        response = runtime.converse(modelId=HAIKU, messages=messages)
        assert response["output"]["message"]["content"][0]["text"] == "declared over HTTP"
        history = controls.invocations()
        assert history[-1]["operation"] == "Converse"
        assert history[-1]["account_id"] == ACCOUNT
    finally:
        controls.reset()


def test_inprocess_suite_in_localstacks_venv(localstack_python: Path) -> None:
    """test_localstack_inprocess.py, run where localstack-core is importable (without the
    project's conftest and pytest plugin: they need the moto the project depends on)."""
    result = subprocess.run(
        [
            str(localstack_python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:moto_bedrock",
            "-p",
            "no:cacheprovider",
            "--noconftest",
            "tests/test_localstack_inprocess.py",
        ],
        cwd=ROOT,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        capture_output=True,
        text=True,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.fullmatch(r"\d+ passed in [\d.]+s", summary), summary


def test_without_the_switch_the_package_does_nothing(
    request: pytest.FixtureRequest, localstack_python: Path
) -> None:
    server = LocalStack(request.config, localstack_python, "off")
    try:
        assert "bedrock-runtime" not in server.health()["services"]
        runtime = server.client("bedrock-runtime")
        code, status, _ = error_of(runtime.converse, **CONVERSE)
        assert (code, status) == ("InternalFailure", 501)  # community LocalStack's own answer
    finally:
        log = server.stop()
    assert "moto-bedrock" not in log


@pytest.fixture
def katan(tmp_path: Path) -> Iterator[Katan]:
    server = Katan(tmp_path)
    yield server
    server.stop()


def test_backend_settings_from_localstacks_environment(
    request: pytest.FixtureRequest, localstack_python: Path, katan: Katan, tmp_path: Path
) -> None:
    """Engine, backend URL, key and model map come from LocalStack's environment, as in the
    moto modes: Claude, mapped to llm-katan's echo model, answers from the backend."""
    model_map = tmp_path / "models.toml"
    model_map.write_text(f'[invoke]\n"anthropic.*" = "{KATAN_MODEL}"\n')
    server = LocalStack(
        request.config,
        localstack_python,
        "backend",
        MOTO_BEDROCK_LOCALSTACK="1",
        MOTO_BEDROCK_BACKEND=katan.url,
        MOTO_BEDROCK_BACKEND_API_KEY=KATAN_KEY,
        MOTO_BEDROCK_MODEL_MAP=str(model_map),
    )
    try:
        health = json.loads(
            urllib3.request("GET", f"{server.url}/moto-api/static/bedrock/health").data
        )
        assert (health["engine"], health["backends"]) == ("openai", [katan.url])
        runtime = server.client("bedrock-runtime")
        text = runtime.converse(**CONVERSE)["output"]["message"]["content"][0]["text"]
        assert text.startswith(f"[echo] model={KATAN_MODEL} ")
        assert text.endswith("User: hello")
        streamed = [
            event["contentBlockDelta"]["delta"]["text"]
            for event in runtime.converse_stream(**CONVERSE)["stream"]
            if "contentBlockDelta" in event
        ]
        assert len(streamed) > 5 and "".join(streamed).endswith("User: hello")
    finally:
        log = server.stop()
    assert KATAN_KEY not in log  # the key is never logged


def test_bad_rules_file_stops_localstack(
    request: pytest.FixtureRequest, localstack_python: Path, tmp_path: Path
) -> None:
    """As the moto-bedrock server does: a rules file that cannot be used stops start-up, with
    why, instead of serving without the declared answers."""
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [{"respond": {"txt": "typo"}}]}))
    with pytest.raises(AssertionError, match="LocalStack exited") as caught:
        LocalStack(
            request.config,
            localstack_python,
            "bad-rules",
            MOTO_BEDROCK_LOCALSTACK="1",
            MOTO_BEDROCK_RULES=str(rules),
        )
    assert f"cannot load rules from {rules}" in str(caught.value)
