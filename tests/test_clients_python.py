"""The Python clients people use, installed from PyPI into .venv-clients
(tests/clients/requirements.txt), against a `moto-bedrock` server: the AWS CLI v1, anthropic's
AnthropicBedrock, langchain-aws, litellm, and boto3 with a bearer token.

Each client runs as its user runs it: a script under tests/clients/ (the code docs/clients.md
shows) in .venv-clients' own Python, once with AWS keys over HTTP and once with a Bedrock API
key (bearer token) over `--tls`. The server declares one answer (a rule loaded with --rules),
so every client must hand back that exact text and its exact token counts; tool arguments must
fit their schema, embeddings must have Titan's width and rank by shared words, and the call
history shows what each client put on the wire (model ids, headers, the credential, the region
of an unsigned request).

Skipped when .venv-clients is missing, except in CI (CI=true), where it must run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from .conftest import HAIKU, CliServer

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "tests" / "clients"
VENV_BIN = ROOT / ".venv-clients" / "bin"
DOCS = ROOT / "docs" / "clients.md"

ANSWER = "The Danube, the Rhine and the Seine."
USAGE = {"input_tokens": 11, "output_tokens": 9}
RULES = [
    {
        "id": "rivers",
        "match": {"prompt_contains": "rivers"},
        "respond": {"text": ANSWER, "usage": USAGE},
    }
]
TOKEN = "ABSKclients-test-bearer-token"
# The TLS server's region for requests that sign none, unlike the clients' us-east-1.
BEARER_REGION = "eu-west-1"
HINTED_REGION = "ap-southeast-2"
TITAN_V2 = "amazon.titan-embed-text-v2:0"


# anthropic >= 2.0 sends this anthropic_version in every Bedrock body, and the Messages schema
# (schemas/anthropic-messages.json) allows only bedrock-2023-05-31 so far.
@pytest.fixture(scope="module")
def venv_bin() -> Path:
    if not (VENV_BIN / "python").exists():
        if os.environ.get("CI"):
            pytest.fail(".venv-clients is missing: `make test` builds it (make clients-venv)")
        pytest.skip(".venv-clients is missing (make clients-venv builds it)")
    return VENV_BIN


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "rules.json"
    path.write_text(json.dumps({"rules": RULES}))
    return path


@pytest.fixture(scope="module")
def plain_server(venv_bin: Path, rules_file: Path) -> Iterator[CliServer]:
    """HTTP, as most users start it, for clients that sign with AWS keys."""
    server = CliServer("--rules", str(rules_file))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tls_server(venv_bin: Path, rules_file: Path) -> Iterator[CliServer]:
    """HTTPS with the generated certificate, for bearer tokens. It logs every request (DEBUG),
    so the check that the token never reaches its output means something."""
    server = CliServer(
        "--tls",
        "--rules",
        str(rules_file),
        "--log-level",
        "DEBUG",
        env={"MOTO_BEDROCK_REGION": BEARER_REGION},
    )
    assert server.cert
    yield server
    output = server.stop()
    assert TOKEN not in output
    assert "POST /model/" in output


@dataclass
class Target:
    """A server and how a client reaches it: AWS keys over HTTP, or a bearer token over TLS."""

    server: CliServer
    venv_bin: Path
    bearer: bool

    @property
    def region(self) -> str:
        """Where the calls land: the signed region, or the server's default for bearer tokens."""
        return BEARER_REGION if self.bearer else "us-east-1"

    @property
    def args(self) -> list[str]:
        """The endpoint, and the certificate to trust, as the scripts take them."""
        return [self.server.url, *([self.server.cert] if self.server.cert else [])]

    def env(self, **extra: str) -> dict[str, str]:
        """A client's environment: no AWS setting of this machine leaks in, and either AWS keys
        or only the bearer token, so a bearer-token call cannot fall back to SigV4."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env.update(
            PATH=f"{self.venv_bin}{os.pathsep}{env.get('PATH', '')}",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_DEFAULT_REGION="us-east-1",
            **extra,
        )
        if self.bearer:
            assert self.server.cert
            env.update(AWS_BEARER_TOKEN_BEDROCK=TOKEN, AWS_CA_BUNDLE=self.server.cert)
        else:
            env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        return env

    def run_script(self, script: str, *args: str) -> Any:
        """A client script's JSON result (its last line: litellm prints notices of its own)."""
        command = [str(self.venv_bin / "python"), str(CLIENTS / script), *args]
        result = run(command, self.env())
        return json.loads(result.stdout.strip().splitlines()[-1])

    def calls(self) -> list[dict[str, Any]]:
        """The server's call history in this target's region, each checked for the credential
        the client used (the history masks it: scheme and SigV4 scope only)."""
        found = history(self.server, self.region)
        for call in found:
            authorization = call["headers"]["Authorization"]
            if self.bearer:
                assert authorization == "Bearer ***"
            else:
                assert authorization.startswith("AWS4-HMAC-SHA256 Credential=***/")
        return found


@pytest.fixture(params=["aws-keys", "bearer-token"])
def target(request: pytest.FixtureRequest, venv_bin: Path) -> Target:
    bearer = request.param == "bearer-token"
    server = request.getfixturevalue("tls_server" if bearer else "plain_server")
    found = Target(server, venv_bin, bearer)
    clear_history(server, found.region)
    return found


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def history(server: CliServer, region: str) -> list[dict[str, Any]]:
    """The server's call history for a region (what each client really sent)."""
    response = requests.get(
        f"{server.url}/moto-api/static/bedrock/invocations",
        params={"region": region},
        verify=server.cert or True,
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["invocations"]


def clear_history(server: CliServer, *regions: str) -> None:
    for region in regions:
        requests.delete(
            f"{server.url}/moto-api/static/bedrock/invocations",
            params={"region": region},
            verify=server.cert or True,
            timeout=30,
        ).raise_for_status()


def check_model_arn(arn: str, region: str) -> None:
    """A foundation model's ARN names the region the call landed in."""
    assert arn == f"arn:aws:bedrock:{region}::foundation-model/{HAIKU}"


# The AWS CLI


@pytest.mark.server
def test_aws_cli(target: Target, tmp_path: Path) -> None:
    run(
        ["sh", str(CLIENTS / "aws_cli.sh"), str(tmp_path)],
        target.env(AWS_ENDPOINT_URL=target.server.url),
    )

    converse = json.loads((tmp_path / "converse.json").read_text())
    assert converse["output"]["message"] == {"role": "assistant", "content": [{"text": ANSWER}]}
    assert converse["stopReason"] == "end_turn"
    assert converse["usage"] == {"inputTokens": 11, "outputTokens": 9, "totalTokens": 20}

    assert json.loads((tmp_path / "invoke-model.json").read_text()) == {
        "contentType": "application/json"
    }
    embedding = json.loads((tmp_path / "embedding.json").read_text())
    assert len(embedding["embedding"]) == 1024
    assert embedding["inputTextTokenCount"] > 0

    converse_call, invoke_call = target.calls()
    assert (converse_call["operation"], converse_call["model_id"]) == ("Converse", HAIKU)
    assert converse_call["rule_id"] == "rivers"
    assert converse_call["headers"]["User-Agent"].startswith("aws-cli/1.")
    assert (invoke_call["operation"], invoke_call["model_id"]) == ("InvokeModel", TITAN_V2)

    summaries = json.loads((tmp_path / "foundation-models.json").read_text())["modelSummaries"]
    assert {summary["providerName"] for summary in summaries} == {"Anthropic"}
    [haiku] = [summary for summary in summaries if summary["modelId"] == HAIKU]
    check_model_arn(haiku["modelArn"], target.region)


# anthropic's AnthropicBedrock


@pytest.mark.server
def test_anthropic_bedrock(target: Target) -> None:
    result = target.run_script("anthropic_bedrock.py", *target.args)

    create, stream = result["create"], result["stream"]
    assert create["id"].startswith("msg_bdrk_")
    assert create["model"] == "claude-3-haiku-20240307"
    assert (create["text"], create["stop_reason"], create["usage"]) == (ANSWER, "end_turn", USAGE)
    assert len(stream["deltas"]) > 1
    assert "".join(stream["deltas"]) == stream["text"] == ANSWER
    assert (stream["stop_reason"], stream["usage"]) == ("end_turn", USAGE)

    calls = target.calls()
    assert [call["operation"] for call in calls] == ["InvokeModel", "InvokeModelWithResponseStream"]
    for call in calls:
        assert call["model_id"] == HAIKU  # sent with a raw ":" in the path
        assert call["headers"]["User-Agent"].startswith("AnthropicBedrock/Python")
        assert call["headers"]["Accept"] == "application/json"


# langchain-aws


@pytest.mark.server
def test_langchain_aws(target: Target) -> None:
    # Endpoint as an argument; the certificate, for TLS, from AWS_CA_BUNDLE (boto3 reads it).
    result = target.run_script("langchain_aws_client.py", target.server.url)

    assert result["invoke"]["text"] == ANSWER
    usage = result["invoke"]["usage"]
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (11, 9, 20)
    chunks = [chunk for chunk in result["stream"]["chunks"] if chunk]
    assert len(chunks) > 1
    assert "".join(chunks) == ANSWER

    tools = result["tools"]
    [call] = tools["tool_calls"]
    assert call["name"] == "GetWeather"
    assert call["id"].startswith("tooluse_")
    jsonschema.validate(call["args"], tools["schema"])
    after = tools["after_tool"]
    assert (after["tool_calls"], after["stop_reason"]) == ([], "end_turn")
    assert after["text"]

    embeddings = result["embeddings"]
    assert embeddings["query_dimensions"] == 1024
    assert embeddings["document_dimensions"] == [1024, 1024]
    similarity = embeddings["similarity"]
    assert (
        similarity["The cat sat on the mat."]
        > similarity["Quarterly revenue grew by eight percent."]
    )

    calls = target.calls()
    converse_calls = [entry for entry in calls if entry["operation"] == "Converse"]
    tool_round = converse_calls[-1]["request"]
    assert tool_round["toolConfig"]["tools"][0]["toolSpec"]["name"] == "GetWeather"
    [result_block] = tool_round["messages"][-1]["content"]
    assert result_block["toolResult"]["toolUseId"] == call["id"]
    assert result_block["toolResult"]["content"] == [{"text": "18 degrees and sunny"}]
    assert [entry["model_id"] for entry in calls if entry["operation"] == "InvokeModel"] == [
        TITAN_V2
    ] * 3


# litellm


@pytest.mark.server
def test_litellm(target: Target) -> None:
    result = target.run_script("litellm_bedrock.py", *target.args)

    for route in ("converse", "invoke"):
        answer = result[route]
        assert (answer["text"], answer["finish_reason"]) == (ANSWER, "stop"), route
        assert answer["usage"] == {"prompt_tokens": 11, "completion_tokens": 9}, route
        assert len(answer["stream_deltas"]) > 1, route
        assert "".join(answer["stream_deltas"]) == ANSWER, route

    calls = target.calls()
    assert [call["operation"] for call in calls] == [
        "Converse",
        "ConverseStream",
        "InvokeModel",
        "InvokeModelWithResponseStream",
    ]
    for call in calls:
        assert call["model_id"] == HAIKU  # sent percent-encoded, "%3A"
        assert call["rule_id"] == "rivers"
        # What litellm sends on every call, InvokeModel included.
        assert call["headers"]["Accept"] == "*/*"
        assert call["headers"]["Content-Type"] == "application/json"


# boto3 with a Bedrock API key: the region of a call that signs none


@pytest.mark.server
def test_boto3_bearer_token_region(venv_bin: Path, tls_server: CliServer) -> None:
    bearer = Target(tls_server, venv_bin, bearer=True)
    clear_history(tls_server, BEARER_REGION, HINTED_REGION)
    result = bearer.run_script("boto3_bearer.py", *bearer.args)
    default, hinted = result["default_region"], result["user_agent_region"]
    assert default["text"] == hinted["text"] == ANSWER

    # The call lands in the region the user agent names, else in MOTO_BEDROCK_REGION.
    [default_call] = bearer.calls()
    assert default_call["request_id"] == default["request_id"]
    [hinted_call] = history(tls_server, HINTED_REGION)
    assert (hinted_call["request_id"], hinted_call["headers"]["Authorization"]) == (
        hinted["request_id"],
        "Bearer ***",
    )
    check_model_arn(hinted["model_arn"], HINTED_REGION)
    check_model_arn(default["model_arn"], BEARER_REGION)


# The documentation shows the scripts above


def is_part_of(snippet: str, script: str) -> bool:
    """The snippet is a run of consecutive lines of the script, up to a common indentation."""
    wanted = textwrap.dedent(snippet).strip("\n").splitlines()
    lines = script.splitlines()
    return any(
        textwrap.dedent("\n".join(lines[start : start + len(wanted)])).splitlines() == wanted
        for start in range(len(lines) - len(wanted) + 1)
    )


def test_docs_show_the_tested_scripts() -> None:
    """Every snippet of docs/clients.md's Python section introduced by a link to a script
    under tests/clients/ is part of that script, so the docs cannot drift from what runs."""
    section = DOCS.read_text().split("\n## Python clients\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    snippets = re.findall(
        r"\[`(tests/clients/[\w.]+)`\]\([^)]*\)\)?:\n\n```\w*\n(.*?)```", section, re.S
    )
    assert {path for path, _ in snippets} == {
        "tests/clients/aws_cli.sh",
        "tests/clients/anthropic_bedrock.py",
        "tests/clients/langchain_aws_client.py",
        "tests/clients/litellm_bedrock.py",
        "tests/clients/boto3_bearer.py",
    }
    for path, snippet in snippets:
        assert is_part_of(snippet, (ROOT / path).read_text()), f"docs/clients.md: {path}"
