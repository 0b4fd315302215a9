"""Bedrock's modeled errors as plain Python exceptions, usable by every layer.

Codecs, engines and the catalog raise these without knowing HTTP or moto; the service layer
turns them into AWS's wire form (status from botocore's model, `x-amzn-ErrorType`, JSON body).
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from typing import Any

# Bedrock's own texts for throttling and model timeouts (reference §4).
THROTTLED = (
    "Too many requests, please wait before trying again. You have sent too many requests.  "
    "Wait before trying again."
)
TIMED_OUT = "Model has timed out in processing the request. Try your request again."

# AWS appends the Coral namespace to the error type header; botocore keeps the part before ':'.
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


class BedrockError(Exception):
    """An error Bedrock models: `code` is the exception shape name, `fields` its extra members."""

    code = "InternalServerException"
    # Set only for errors the service model does not list (its status comes from the model).
    status: int | None = None

    def __init__(self, message: str, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields

    def body(self) -> dict[str, Any]:
        return {"message": self.message, **self.fields}


class ValidationException(BedrockError):
    code = "ValidationException"


class ResourceNotFoundException(BedrockError):
    code = "ResourceNotFoundException"


class AccessDeniedException(BedrockError):
    code = "AccessDeniedException"


class ThrottlingException(BedrockError):
    code = "ThrottlingException"


class InternalServerException(BedrockError):
    code = "InternalServerException"


class ModelStreamErrorException(BedrockError):
    code = "ModelStreamErrorException"


class ModelErrorException(BedrockError):
    code = "ModelErrorException"


class ModelTimeoutException(BedrockError):
    code = "ModelTimeoutException"


class ServiceUnavailableException(BedrockError):
    code = "ServiceUnavailableException"


class ClientGone(Exception):
    """The peer closed, reset or stalled the connection: nothing more can be exchanged.

    The servers re-raise socket errors as this, so they stay distinguishable from OSErrors the
    application raises itself (those are its bugs and become a 500), and the response classes
    let it through instead of answering an internal error nobody can receive.
    """


class UnknownOperationException(BedrockError):
    """What AWS answers for a method and path that name no operation."""

    code = "UnknownOperationException"
    status = 404


@lru_cache(maxsize=4)
def _status_codes(service: str) -> dict[str, int]:
    from .moto_services import service_model  # moto's cache; this module loads before moto

    model = service_model(service)
    return {
        shape.name: shape.metadata.get("error", {}).get("httpStatusCode", 400)
        for shape in model.error_shapes
    }


def modeled_errors(service: str) -> frozenset[str]:
    """The error codes botocore's model lists for a service."""
    return frozenset(_status_codes(service))


def status_for(code: str, service: str = "bedrock-runtime") -> int:
    """HTTP status botocore's model gives the error (500 for codes the model lacks)."""
    return _status_codes(service).get(code, 500)


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_response(
    error: BedrockError, service: str = "bedrock-runtime", request_id: str | None = None
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) exactly as Bedrock answers an error."""
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": error.code + _ERROR_TYPE_SUFFIX,
        "x-amzn-RequestId": request_id or new_request_id(),
    }
    status = error.status or status_for(error.code, service)
    return status, headers, json.dumps(error.body())
