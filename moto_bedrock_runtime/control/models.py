"""The bedrock control-plane backend: moto's own, extended in place.

moto's 13 operations (customization jobs, custom models, invocation logging, tags) keep their
code and state; this subclass is where the catalog, profiles and guardrails are added.
"""

from moto.bedrock.models import BedrockBackend
from moto.core.base_backend import BackendDict


class BedrockControlBackend(BedrockBackend):
    """moto's BedrockBackend, so its stored resources and handlers work unchanged."""


bedrock_backends = BackendDict(BedrockControlBackend, "bedrock")
