"""The server's direct path sets a response up as moto's own `setup_class` would.

`moto_services.setup_server_request` skips moto's form parsing and its query string read from
the body or headers; everything moto's helpers and our handlers read must come out the same.
These compare the two on real WSGI environs, so a moto upgrade that changes its setup shows.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.core.responses import BaseResponse

from moto_bedrock_runtime.control.responses import BedrockControlResponse
from moto_bedrock_runtime.moto_services import SERVER_REQUEST, MotoRequest
from moto_bedrock_runtime.plugin import _raw_url
from moto_bedrock_runtime.runtime.responses import BedrockRuntimeResponse

pytestmark = pytest.mark.skipif(
    SERVER_REQUEST is MotoRequest, reason="moto before 5.2 has no server request type"
)
HOST = "127.0.0.1:5000"
CONVERSE = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
BODY = b'{"messages":[{"role":"user","content":[{"text":"hi"}]}]}'
ATTRIBUTES = (
    "body",
    "raw_body",
    "uri",
    "path",
    "raw_path",
    "method",
    "region",
    "partition",
    "access_key",
    "current_account",
    "is_werkzeug_request",
    "response_headers",
    "uri_match",
)


def _environ(method: str, target: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    path, _, query = target.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": target,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": HOST,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    return environ


def _signed(method: str, target: str, body: bytes, region: str = "eu-west-1") -> dict[str, str]:
    request = AWSRequest(method, f"http://{HOST}{target}", data=body)
    request.headers["Content-Type"] = "application/json"
    SigV4Auth(Credentials("AKIAEXAMPLE123", "secret"), "bedrock", region).add_auth(request)
    return dict(request.headers.items())


def _both(
    method: str,
    target: str,
    body: bytes,
    headers: dict[str, str],
    cls: type = BedrockRuntimeResponse,
) -> tuple[Any, Any]:
    lean, stock = cls(), cls()
    environ = _environ(method, target, body, headers)
    lean.setup_class(SERVER_REQUEST(environ), _raw_url(environ))
    environ = _environ(method, target, body, headers)
    BaseResponse.setup_class(stock, SERVER_REQUEST(environ), _raw_url(environ))
    return lean, stock


@pytest.mark.parametrize(
    ("method", "target", "body", "headers"),
    [
        ("POST", CONVERSE, BODY, _signed("POST", CONVERSE, BODY)),
        ("GET", "/async-invoke?maxResults=2&statusEquals=Completed", b"", {}),
        ("POST", CONVERSE, BODY, {"Authorization": "Bearer bedrock-api-key-abc"}),
        ("POST", CONVERSE, b"\xff\xfe not utf-8", _signed("POST", CONVERSE, b"\xff\xfe")),
    ],
    ids=["sigv4-converse", "query-string", "bearer", "binary-body"],
)
def test_lean_setup_matches_motos(
    method: str, target: str, body: bytes, headers: dict[str, str]
) -> None:
    lean, stock = _both(method, target, body, headers)
    for name in ATTRIBUTES:
        assert getattr(lean, name) == getattr(stock, name), name
    assert dict(lean.headers) == dict(stock.headers)
    if method == "GET":  # moto reads a query string from the URL, as the lean setup does
        assert (
            lean.querystring
            == stock.querystring
            == {
                "maxResults": ["2"],
                "statusEquals": ["Completed"],
            }
        )


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        ("GET", "/foundation-models?byProvider=Anthropic&byOutputModality=TEXT", b""),
        ("POST", "/guardrails", b'{"name":"g","blockedInputMessaging":"no"}'),
    ],
    ids=["get-with-query", "post-json"],
)
def test_lean_setup_matches_motos_on_the_control_plane(
    method: str, target: str, body: bytes
) -> None:
    """The control plane decodes its body as text, as moto does, and routes as moto would."""
    headers = _signed(method, target, body)
    lean, stock = _both(method, target, body, headers, BedrockControlResponse)
    for name in ATTRIBUTES:
        assert getattr(lean, name) == getattr(stock, name), name
    if not body:  # moto also files a JSON body's text under the query string, as a key
        assert lean.querystring == stock.querystring
    assert lean._get_action() == stock._get_action()
    assert lean.uri_match == stock.uri_match


def test_other_requests_take_motos_setup() -> None:
    """An in-process mock's request (moto's own type) gets moto's full setup."""
    environ = _environ("POST", CONVERSE, BODY, _signed("POST", CONVERSE, BODY))
    response = BedrockRuntimeResponse()
    response.setup_class(MotoRequest(environ), _raw_url(environ))
    assert response.body == BODY
    assert response.region == "eu-west-1"


def test_account_without_iam_loaded() -> None:
    """Before anything loads moto's IAM store no access key can belong to an account, so the
    lean setup answers moto's default account (or MOTO_ACCOUNT_ID, or x-moto-account-id)
    without loading IAM; checked in a fresh interpreter, where IAM is not loaded yet."""
    script = """
import sys
from tests.test_direct_path import _environ, _signed, CONVERSE, BODY
from moto_bedrock_runtime.moto_services import SERVER_REQUEST
from moto_bedrock_runtime.plugin import _raw_url
from moto_bedrock_runtime.runtime.responses import BedrockRuntimeResponse
accounts = []
for extra in ({}, {"x-moto-account-id": "222222222222"}):
    environ = _environ("POST", CONVERSE, BODY, {**_signed("POST", CONVERSE, BODY), **extra})
    response = BedrockRuntimeResponse()
    response.setup_class(SERVER_REQUEST(environ), _raw_url(environ))
    accounts.append(response.current_account)
print(accounts, "moto.iam.models" in sys.modules)
"""
    env = {k: v for k, v in os.environ.items() if k != "MOTO_ACCOUNT_ID"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "['123456789012', '222222222222'] False", run.stderr
