"""The bedrock control-plane backend: moto's own, extended in place.

moto's 13 operations (customization jobs, custom models, invocation logging, tags) keep their
code and state. Each feature area we add is a mixin in its own module holding its own state;
this class composes them. A mixin that owns invocable resources answers `owned_model(arn)`
and defers to the next one otherwise, so the runtime resolves every kind of ARN through one
call.
"""

from __future__ import annotations

from moto.bedrock.models import BedrockBackend
from moto.core.base_backend import BackendDict

from ..moto_services import regions
from .custom_models import CustomModels
from .evaluation_jobs import EvaluationJobs
from .foundation_models import FoundationModels
from .guardrails import Guardrails
from .inference_profiles import InferenceProfiles
from .invocation_jobs import ModelInvocationJobs
from .prompt_routers import PromptRouters
from .provisioned import ProvisionedThroughputs
from .tagging import Tagging


class OwnedModels(BedrockBackend):
    """The end of the `owned_model` chain: moto's custom models answer as their base model."""

    def owned_model(self, arn: str) -> str | None:
        """The foundation-model id a runtime call on this account's resource reaches."""
        for model in list(self.custom_models.values()):  # moto adds to it without our locks
            if model.model_arn == arn:
                return model.base_model_arn.rsplit("/", 1)[-1]
        return None


class BedrockControlBackend(
    Tagging,
    Guardrails,
    PromptRouters,
    EvaluationJobs,
    ModelInvocationJobs,
    ProvisionedThroughputs,
    CustomModels,
    FoundationModels,
    InferenceProfiles,
    OwnedModels,
):
    """moto's BedrockBackend plus every feature-area mixin."""


bedrock_backends = BackendDict(
    BedrockControlBackend, "bedrock", use_boto3_regions=False, additional_regions=regions("bedrock")
)
