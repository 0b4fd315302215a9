"""LocalStack service providers `bedrock:moto-bedrock` and `bedrock-runtime:moto-bedrock`.

LocalStack activates a provider when PROVIDER_OVERRIDE_<API> names it (the community loader
sets both when MOTO_BEDROCK_LOCALSTACK=1). Every operation in botocore's model is routed to
moto-bedrock, which answers the ones it implements, serves moto's own bedrock operations
(customization jobs, custom models, logging configuration, tags) from moto's backend, which
ours extends, and answers any other with a modeled Bedrock error rather than LocalStack's 501.
"""

from __future__ import annotations

from localstack.aws.api import RequestContext, ServiceRequest
from localstack.aws.skeleton import DispatchTable
from localstack.aws.spec import load_service
from localstack.http import Response
from localstack.services.plugins import Service, aws_provider

from . import PROVIDER_NAME
from .gateway import configure, serve


class MotoBedrockProvider:
    """One Bedrock API (bedrock or bedrock-runtime) served by moto-bedrock."""

    def __init__(self, service: str) -> None:
        self.service = service

    def dispatch_table(self) -> DispatchTable:
        """Every operation LocalStack can parse for this API, answered by moto-bedrock."""
        return {name: self.handle for name in load_service(self.service).operation_names}

    def handle(self, context: RequestContext, request: ServiceRequest) -> Response:
        """A Response passes LocalStack's skeleton untouched: no re-serialization."""
        return serve(context)


def _service(api: str) -> Service:
    configure()  # here, not in a lifecycle hook: LocalStack would swallow a bad rules file there
    provider = MotoBedrockProvider(api)
    return Service.for_provider(provider, dispatch_table_factory=MotoBedrockProvider.dispatch_table)


@aws_provider(api="bedrock", name=PROVIDER_NAME)
def bedrock() -> Service:
    return _service("bedrock")


@aws_provider(api="bedrock-runtime", name=PROVIDER_NAME)
def bedrock_runtime() -> Service:
    return _service("bedrock-runtime")
