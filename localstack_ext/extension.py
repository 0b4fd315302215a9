"""The LocalStack Extension: serves bedrock and bedrock-runtime before LocalStack looks for a
provider, so it answers in place of community's 501 and of Pro's own Bedrock alike, and mounts
the test controls (/moto-api/static/bedrock/...) on LocalStack's port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localstack.constants import DEFAULT_AWS_ACCOUNT_ID
from localstack.extensions.api import Extension, aws, http

from moto_bedrock_runtime.testing_http import HANDLERS

from . import PROVIDER_NAME, SERVICES
from .gateway import configure, serve


def _is_bedrock(context: aws.RequestContext) -> bool:
    return context.service is not None and context.service.service_name in SERVICES


def serve_bedrock(
    chain: aws.HandlerChain, context: aws.RequestContext, response: http.Response
) -> None:
    """A custom request handler: it runs once LocalStack has parsed the request (so service,
    region and account are known) and before it loads the service's provider."""
    if _is_bedrock(context):
        response.update_from(serve(context))
        chain.stop()


def answer_unparsed_bedrock(
    chain: aws.HandlerChain, context: aws.RequestContext, response: http.Response
) -> None:
    """A custom response handler for the Bedrock requests LocalStack's parser rejected (it
    answers them with its own 500 InternalError): moto-bedrock answers them as Bedrock does,
    e.g. a ValidationException for a body that is not JSON."""
    if _is_bedrock(context) and context.operation is None:
        response.headers.clear()  # LocalStack's error headers, Content-Length included
        response.update_from(serve(context))


def control_endpoint(handler: Callable[..., Any]) -> Callable[..., http.Response]:
    """A test-control handler (testing_http.py) as a LocalStack route. A request naming no
    account means LocalStack's default one (its clients' "test" keys), not moto's."""

    def endpoint(request: http.Request, **_: Any) -> http.Response:
        url = request.url
        if "account_id" not in request.args:
            url += f"{'&' if request.query_string else '?'}account_id={DEFAULT_AWS_ACCOUNT_ID}"
        status, headers, body = handler(request, url, request.headers)
        return http.Response(body, status=status, headers=headers)

    return endpoint


class MotoBedrockExtension(Extension):
    name = PROVIDER_NAME

    def on_extension_load(self) -> None:
        configure()

    def update_gateway_routes(self, router: http.Router[http.RouteHandler]) -> None:
        for pattern, handler in HANDLERS.items():
            # moto's patterns may end with a regex anchor ($); LocalStack's router takes paths.
            router.add(pattern.format("").rstrip("$"), control_endpoint(handler))

    # Pro and the community loader could both load us if both are asked to: serve once.
    def update_request_handlers(self, handlers: aws.CompositeHandler) -> None:
        if serve_bedrock not in handlers.handlers:
            handlers.append(serve_bedrock)

    def update_response_handlers(self, handlers: aws.CompositeResponseHandler) -> None:
        if answer_unparsed_bedrock not in handlers.handlers:
            handlers.append(answer_unparsed_bedrock)
