"""Loads the extension into community localstack-core, which has no extension loader (Pro's
lives in localstack-ext): an `on_infra_start` hook, active only when MOTO_BEDROCK_LOCALSTACK=1
so that under Pro, which loads installed extensions itself, nothing is loaded twice."""

from __future__ import annotations

import logging

from localstack import config
from localstack.runtime import hooks

from . import PROVIDER_NAME, SERVICES, enabled

LOG = logging.getLogger(__name__)


@hooks.on_infra_start(should_load=enabled)
def load_moto_bedrock() -> None:
    """What Pro does for an installed extension, in its order, up to the gateway hooks; plus
    our providers for any Bedrock API the user did not assign, so LocalStack lists bedrock and
    bedrock-runtime as available services."""
    # Imported when the hook runs, not when LocalStack lists hooks: only then is it needed.
    from localstack.aws import handlers
    from localstack.services.edge import ROUTER

    from .extension import MotoBedrockExtension

    extension = MotoBedrockExtension()
    extension.on_extension_load()
    extension.on_platform_start()
    extension.update_gateway_routes(ROUTER)
    extension.update_request_handlers(handlers.serve_custom_service_request_handlers)
    extension.update_response_handlers(handlers.run_custom_response_handlers)
    extension.update_exception_handlers(handlers.serve_custom_exception_handlers)
    extension.update_finalizers(handlers.run_custom_finalizers)
    for service in SERVICES:
        config.SERVICE_PROVIDER_CONFIG.set_provider_if_not_exists(service, PROVIDER_NAME)
    LOG.info("moto-bedrock: serving %s", " and ".join(SERVICES))
