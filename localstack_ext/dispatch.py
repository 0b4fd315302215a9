"""moto-bedrock's own HTTP layer, called the way moto's server calls it.

This half of the adapter knows moto, not LocalStack, so it runs (and is tested) on either moto
line: the one moto-bedrock depends on (5.2) and LocalStack's fork, moto-ext (still on 5.1's
request handling), which LocalStack loads whatever else is installed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder

from moto_bedrock_runtime.control.responses import BedrockControlResponse
from moto_bedrock_runtime.moto_services import SERVER_REQUEST
from moto_bedrock_runtime.runtime.responses import BedrockRuntimeResponse

RESPONSES = {"bedrock-runtime": BedrockRuntimeResponse, "bedrock": BedrockControlResponse}
Answer = tuple[int, Mapping[str, str], str | bytes | Iterator[bytes]]


def answer(service: str, method: str, url: str, headers: Any, body: bytes) -> Answer:
    """moto-bedrock's (status, headers, body) for one bedrock or bedrock-runtime request.

    `url` is the AWS URL with the path as sent (moto reads the region from its host, and a
    model ARN keeps its %2F); `headers` exclude Host and Content-Length, which come from `url`
    and `body`. A streaming operation's body is an iterator of event-stream frames.
    """
    parts = urlsplit(url)
    environ = EnvironBuilder(
        method=method,
        base_url=f"{parts.scheme}://{parts.netloc}",
        path=parts.path,
        query_string=parts.query,
        headers=headers,
        data=body,
    ).get_environ()
    request = SERVER_REQUEST(environ)
    return RESPONSES[service].dispatch(request, url, request.headers)
