"""HTTP for the bedrock control plane: moto's handlers, with AWS's status codes and a modeled
error (never a 500 page) for every operation not implemented yet."""

from __future__ import annotations

import logging
from typing import Any

from moto.bedrock.responses import BedrockResponse

from ..errors import (
    InternalServerException,
    error_response,
    modeled_errors,
    new_request_id,
    status_for,
)
from ..moto_services import camelcase_to_underscores, method_names_from_class
from .custom_models import CustomModelHandlers
from .evaluation_jobs import EvaluationJobHandlers
from .exceptions import BedrockError, UnknownOperationException, ValidationException
from .foundation_models import FoundationModelResponses
from .inference_profiles import InferenceProfileResponses
from .invocation_jobs import ModelInvocationJobHandlers
from .models import BedrockControlBackend, bedrock_backends
from .prompt_routers import PromptRouterHandlers
from .provisioned import ProvisionedThroughputHandlers
from .tagging import TaggingHandlers

log = logging.getLogger("moto_bedrock_runtime.control")
NOT_IMPLEMENTED = "moto-bedrock does not implement the {operation} operation yet."


class BedrockControlResponse(
    TaggingHandlers,
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

    @property
    def bedrock_backend(self) -> BedrockControlBackend:
        return bedrock_backends[self.current_account][self.region]

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None) -> Any:
        request_id = new_request_id()
        try:
            self.setup_class(request, full_url, headers)
            action = self._get_action()
            if not action:
                raise UnknownOperationException(f"No operation matches {self.method} {self.path}.")
            if camelcase_to_underscores(action) not in method_names_from_class(type(self)):
                raise ValidationException(NOT_IMPLEMENTED.format(operation=action))
            status, out_headers, body = self.call_action()
        except BedrockError as error:
            return error_response(error, service="bedrock", request_id=request_id)
        except Exception:
            log.exception("bedrock request failed")
            error = InternalServerException("The server encountered an internal error.")
            return error_response(error, service="bedrock", request_id=request_id)
        error_type = out_headers.get("X-Amzn-ErrorType") or out_headers.get("x-amzn-ErrorType")
        code = error_type.split(":")[0] if error_type else ""
        if status >= 400 and code in modeled_errors("bedrock"):
            # moto's JsonRESTError answers 400 for every code; AWS uses the modeled status.
            status = status_for(code, service="bedrock")
        out_headers.pop("status", None)  # moto's internal carrier of the status code
        out_headers.setdefault("x-amzn-RequestId", request_id)
        return status, out_headers, body
