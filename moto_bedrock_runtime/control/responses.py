"""HTTP for the bedrock control plane: moto's handlers, with AWS's status codes and a modeled
error (never a 500 page) for every operation not implemented yet."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from moto.bedrock.responses import BedrockResponse

from .. import json_input
from ..errors import (
    ClientGone,
    InternalServerException,
    error_response,
    modeled_errors,
    new_request_id,
    status_for,
)
from ..moto_services import (
    BedrockSetup,
    camelcase_to_underscores,
    method_names_from_class,
    prime_routing,
)
from .custom_models import CustomModelHandlers
from .evaluation_jobs import EvaluationJobHandlers
from .exceptions import BedrockError, UnknownOperationException, ValidationException
from .foundation_models import FoundationModelResponses
from .guardrails import GuardrailHandlers
from .inference_profiles import InferenceProfileResponses
from .invocation_jobs import ModelInvocationJobHandlers
from .models import BedrockControlBackend, bedrock_backends
from .prompt_routers import PromptRouterHandlers
from .provisioned import ProvisionedThroughputHandlers
from .tagging import TaggingHandlers

log = logging.getLogger("moto_bedrock_runtime.control")
NOT_IMPLEMENTED = "moto-bedrock does not implement the {operation} operation yet."
NOT_UTF8 = "The request body is not valid JSON: it is not UTF-8 text."


class BedrockControlResponse(
    BedrockSetup,
    TaggingHandlers,
    GuardrailHandlers,
    PromptRouterHandlers,
    EvaluationJobHandlers,
    ModelInvocationJobHandlers,
    ProvisionedThroughputHandlers,
    CustomModelHandlers,
    FoundationModelResponses,
    InferenceProfileResponses,
    BedrockResponse,
):
    """moto's BedrockResponse reading and writing our backend."""

    @staticmethod
    def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        """moto rewrites an XML <RequestId> in every body with a regular expression: a JSON
        service has none (the id goes in x-amzn-RequestId), and on ListFoundationModels' 50 KB
        the search cost more than the answer."""
        if "status" in headers:
            headers["status"] = str(headers["status"])
        return headers, body

    def _get_action(self) -> str:
        """moto asks for the action four times a request, each a match against the routing
        table; the answer cannot change within a request (a new instance serves each)."""
        if "_action" not in self.__dict__:
            self._action = super()._get_action()
        return self._action

    @property
    def bedrock_backend(self) -> BedrockControlBackend:
        return bedrock_backends[self.current_account][self.region]

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
        request_id = new_request_id()
        try:
            try:
                self.setup_class(request, full_url, headers)
            except UnicodeDecodeError as exc:  # moto decodes the body as UTF-8 text
                raise ValidationException(NOT_UTF8) from exc
            prime_routing("bedrock")
            action = self._get_action()
            if not action:
                raise UnknownOperationException(f"No operation matches {self.method} {self.path}.")
            method = camelcase_to_underscores(action)
            if method not in _handler_names(type(self)):
                raise ValidationException(NOT_IMPLEMENTED.format(operation=action))
            if getattr(type(self), method) is getattr(BedrockResponse, method, None):
                self._input()  # moto's own handlers trust their input: check it first
            status, out_headers, body = self.call_action()
        except BedrockError as error:
            return error_response(error, service="bedrock", request_id=request_id)
        except ClientGone:
            raise  # the request body never fully arrived: nobody is left to answer
        except Exception:
            log.exception("bedrock request failed")
            error = InternalServerException("The server encountered an internal error.")
            return error_response(error, service="bedrock", request_id=request_id)
        error_type = out_headers.get("X-Amzn-ErrorType") or out_headers.get("x-amzn-ErrorType")
        code = error_type.split(":")[0] if error_type else ""
        if status >= 400 and code not in modeled_errors("bedrock"):
            # moto's own codes (InvalidToken…) are not Bedrock's: a client cannot model them.
            error = ValidationException(_message(body) or f"The request failed: {code}.")
            return error_response(error, service="bedrock", request_id=request_id)
        if status >= 400:
            # moto's JsonRESTError answers 400 for every code; AWS uses the modeled status.
            status = status_for(code, service="bedrock")
        out_headers.pop("status", None)  # moto's internal carrier of the status code
        out_headers.setdefault("x-amzn-RequestId", request_id)
        if not any(name.lower() == "content-type" for name in out_headers):
            out_headers["Content-Type"] = "application/json"  # moto's own handlers set none
        return status, out_headers, body


def _message(body: Any) -> str:
    """The message of a moto error body, if it has one."""
    try:
        data = json_input.loads(body) if body else {}
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) else ""


@lru_cache(maxsize=4)
def _handler_names(cls: type) -> frozenset[str]:
    """The operations a response class handles (inspect.getmembers is slow: once per class)."""
    return frozenset(method_names_from_class(cls))
