"""The LocalStack half of the adapter, shared by the extension and the providers.

LocalStack has already parsed the request and settled its service, region and account; the raw
HTTP request goes to moto-bedrock's own response classes (see dispatch.py) and their answer
comes back untouched. So routing, validation, engines, codecs, errors and event-stream framing
are moto-bedrock's (AWS's Content-Type, no initial-response event, `:content-type` on every
event, in-stream exceptions, frames written as produced), not re-implemented here and not
re-serialized by LocalStack.
"""

from __future__ import annotations

import logging
import os
import threading

from localstack.aws.api import RequestContext
from localstack.http import Response
from localstack.http.request import get_full_raw_path
from werkzeug.datastructures import Headers

from moto_bedrock_runtime.controls import RuleError, load_rules_file
from moto_bedrock_runtime.errors import InternalServerException, error_response
from moto_bedrock_runtime.runtime.responses import INTERNAL_ERROR

from .dispatch import answer

LOG = logging.getLogger(__name__)

# moto reads the account from this header when MOTO_ACCOUNT_ID is unset: LocalStack's account
# (from the access key) then owns every ARN and every backend, as in LocalStack's own services.
ACCOUNT_HEADER = "x-moto-account-id"
_DROPPED_HEADERS = ("Host", "Content-Length", "Transfer-Encoding", ACCOUNT_HEADER)

_configure_lock = threading.Lock()
_configured = False


def configure() -> None:
    """Applies the settings moto-bedrock's server applies at start-up, once per process: the
    rules file named by MOTO_BEDROCK_RULES. Every other setting (engine, backend, model map…)
    is read from LocalStack's environment when used, as in the moto modes."""
    global _configured
    with _configure_lock:
        if _configured:
            return
        path = os.environ.get("MOTO_BEDROCK_RULES")
        if path:
            try:
                count = load_rules_file(path)
            except RuleError as error:
                LOG.error("moto-bedrock: %s", error)
                raise
            LOG.info("moto-bedrock: loaded %d rule(s) from %s", count, path)
        _configured = True


def serve(context: RequestContext) -> Response:
    """moto-bedrock's answer to a bedrock or bedrock-runtime request, as a LocalStack Response
    (streamed when the operation streams)."""
    service = context.service.service_name
    request = context.request
    headers = Headers(request.headers)
    for name in _DROPPED_HEADERS:
        headers.remove(name)
    headers[ACCOUNT_HEADER] = context.account_id
    url = f"https://{service}.{context.region}.amazonaws.com{get_full_raw_path(request)}"
    try:
        status, out_headers, body = answer(
            service, request.method, url, headers, request.get_data()
        )
    except Exception:  # the response classes answer every error themselves: this is our bug
        LOG.exception("moto-bedrock could not serve %s", service)
        status, out_headers, body = error_response(
            InternalServerException(INTERNAL_ERROR), service=service
        )
    return Response(body, status=status, headers=out_headers)
