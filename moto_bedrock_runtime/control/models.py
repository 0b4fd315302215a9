"""The bedrock control-plane backend: moto's own, extended in place.

moto's 13 operations (customization jobs, custom models, invocation logging, tags) keep their
code and state; this subclass is where the catalog, profiles and guardrails are added.
"""

from __future__ import annotations

from moto.bedrock.models import BedrockBackend
from moto.core.base_backend import BackendDict


class BedrockControlBackend(BedrockBackend):
    """moto's BedrockBackend, so its stored resources and handlers work unchanged."""

    def foundation_model_behind(self, arn: str) -> str | None:
        """The foundation-model id a runtime call on one of this account's resources reaches
        (custom models answer as their base model)."""
        for model in self.custom_models.values():
            if model.model_arn == arn:
                return model.base_model_arn.rsplit("/", 1)[-1]
        return None


bedrock_backends = BackendDict(BedrockControlBackend, "bedrock")
