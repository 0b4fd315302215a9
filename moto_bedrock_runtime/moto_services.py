"""Everything this package takes from moto beyond its service-extension classes.

Subclassing moto's BaseBackend / BaseResponse / BedrockBackend and patching moto at activation
(plugin.py) are the extension points; this module is the rest: other services' stores that
jobs and invocation logging read and write (S3, CloudWatch Logs, STS), their "not found"
exceptions, moto's seedable random source, its partition helper and its request type, and
botocore's service models and region lists as moto holds them. One module, so a moto upgrade
that moves any of them changes one file.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlparse

from botocore.loaders import create_loader
from botocore.model import ServiceModel
from botocore.regions import EndpointResolver
from moto.bedrock.exceptions import ResourceNotFoundException as BedrockNotFound
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.request import Request as MotoRequest
from moto.core.responses import BaseResponse
from moto.core.utils import camelcase_to_underscores, get_service_model, method_names_from_class
from moto.moto_api._internal import mock_random
from moto.s3.exceptions import MissingBucket
from moto.s3.models import S3Backend, s3_backends
from moto.utilities.utils import get_partition

from . import config

__all__ = [
    "SERVER_REQUEST",
    "BedrockNotFound",
    "BedrockSetup",
    "MissingBucket",
    "S3Backend",
    "caller_arn",
    "camelcase_to_underscores",
    "get_partition",
    "logs_backend",
    "logs_not_found",
    "method_names_from_class",
    "mock_random",
    "prime_routing",
    "regions",
    "s3_backend",
    "s3_backends",
    "service_model",
]


class _ServerRequest(MotoRequest):
    """A request a server received: moto 5.2 then returns a stream's frames as a generator
    instead of joining them."""

    from_wsgi_server = True


# Bedrock requests answered without moto's dispatcher are built as this. LocalStack's moto fork
# (moto-ext, on moto 5.1's request handling) has werkzeug's own Request there, which its
# BaseResponse already treats as a server's request.
SERVER_REQUEST = _ServerRequest if hasattr(MotoRequest, "from_wsgi_server") else MotoRequest


def setup_server_request(response: Any, request: Any, full_url: str | None) -> bool:
    """moto's `BaseResponse.setup_class` for a request our server received, less what only S3
    and the query-protocol services need: form and multipart parsing, and a query string read
    from the body or from the headers (a fifth of a Converse's CPU). Sets the same attributes,
    so moto's helpers (account, access key, region) work as after moto's setup.

    False, having done nothing, for any other request (in-process mocks, LocalStack's moto
    fork): those take moto's own setup. The body is decoded as UTF-8 unless `use_raw_body`
    (a UnicodeDecodeError, as with moto).
    """
    if SERVER_REQUEST is MotoRequest or type(request) is not SERVER_REQUEST or full_url is None:
        return False
    response.is_werkzeug_request = True
    response.decompress_request_body(request)
    response.normalized_request = request
    response.parsed_url = parsed = urlparse(full_url)
    response.body = response.raw_body = request.get_data()
    if not response.use_raw_body:
        response.body = response.raw_body.decode("utf-8")
    response.form_data = request.form if request.mimetype == "multipart/form-data" else {}
    response.querystring = response.data = OrderedDict(
        parse_qs(parsed.query, keep_blank_values=True)
    )
    response.uri = full_url
    response.path = parsed.path
    response.raw_path = request.raw_path
    response.method = request.method
    response.headers = request.headers
    if "host" not in request.headers:
        request.environ["HTTP_HOST"] = parsed.netloc
    response.region = response.get_region_from_url(request, full_url)
    response.partition = get_partition(response.region)
    response.uri_match = {}
    response.response_headers = {"server": "amazon.com"}
    response.access_key = response.get_access_key()
    if "moto.iam.models" not in sys.modules:
        # No IAM store yet, so no access key of an account either: moto's lookup would load
        # IAM (and cryptography, 14 MB and 50 ms) only to answer the default account.
        environ_account = os.environ.get("MOTO_ACCOUNT_ID")
        response.current_account = (
            environ_account or request.headers.get("x-moto-account-id") or DEFAULT_ACCOUNT_ID
        )
        return True
    from moto.iam.models import mark_account_as_visited  # as moto's setup does

    response.current_account = response.get_current_account()
    mark_account_as_visited(
        account_id=response.current_account,
        access_key=response.access_key,
        service=response.service_name,
        region=response.region,
    )
    return True


class BedrockSetup(BaseResponse):
    """Mixed in before moto's response class on both Bedrock planes: a request our server
    received gets the lean setup, and a request signed with a bearer token gets its region.

    A bearer token (a Bedrock API key) carries no SigV4 scope, so moto would fall back to
    us-east-1. Unless the host or the user agent names a region, the configured one
    (MOTO_BEDROCK_REGION) applies, to the runtime and the control plane alike, so a resource
    created through one is found through the other.
    """

    def setup_class(self, request: Any, full_url: str | None = None, headers: Any = None) -> None:
        if not setup_server_request(self, request, full_url):
            super().setup_class(request, full_url, headers)

    def get_region_from_url(self, request: Any, full_url: str) -> str:
        if (
            request.headers.get("Authorization", "").startswith("Bearer ")
            and not self.region_regex.search(full_url)
            and not self.region_from_useragent_regex.search(request.headers.get("User-Agent", ""))
        ):
            return config.bearer_region()
        return super().get_region_from_url(request, full_url)


_models_lock = threading.RLock()


def service_model(service: str) -> ServiceModel:
    """botocore's model of a service as moto holds it: one parsed copy per process, and parsed
    once even when many first requests want it at the same moment (each parse costs a tenth of
    a second and megabytes; eight clients starting together used to parse it 22 times)."""
    with _models_lock:
        return get_service_model(service)


def prime_routing(service: str) -> None:
    """Build moto's routing table for a service (moto 5.2) under the same lock, before moto's
    own dispatch would build one per waiting thread."""
    try:
        from moto.core.routing import get_service_router
    except ImportError:  # LocalStack's moto fork routes with its own tables
        return
    with _models_lock:
        get_service_router(service)


@cache
def regions(endpoint_prefix: str) -> list[str]:
    """Every region of every partition where botocore's endpoint data lists a service, read
    from endpoints.json alone: moto's own list loads the whole service model for it (EC2's,
    for the runtime's "every region": 250 ms and 20 MB)."""
    resolver = EndpointResolver(create_loader().load_data("endpoints"))
    return [
        region
        for partition in resolver.get_available_partitions()
        for region in resolver.get_available_endpoints(endpoint_prefix, partition)
    ]


def s3_backend(account_id: str, region: str) -> S3Backend:
    """moto's S3 store of an account (buckets are per partition, not per region)."""
    return s3_backends[account_id][get_partition(region)]


def logs_backend(account_id: str, region: str) -> Any:
    """moto's CloudWatch Logs store of an account and region (imported when first needed)."""
    from moto.logs.models import logs_backends

    return logs_backends[account_id][region]


def logs_not_found() -> type[Exception]:
    """The exception moto's Logs store raises for a missing log group."""
    from moto.logs.exceptions import ResourceNotFoundException

    return ResourceNotFoundException


def caller_arn(account_id: str, region: str, access_key: str) -> str:
    """The identity ARN moto's STS gives an access key, as invocation logs record it."""
    from moto.sts.models import sts_backends

    return sts_backends[account_id][get_partition(region)].get_caller_identity(access_key, region)[
        1
    ]
