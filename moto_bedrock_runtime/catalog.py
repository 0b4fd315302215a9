"""The foundation-model catalog (data/models.json) and model-id resolution.

One source of truth: the runtime asks it which models exist and what each supports, and the
control plane lists it. Resolution turns whatever a caller put in `modelId` (bare id, system
inference profile, ARN) into a catalog entry, with Bedrock's own errors when it cannot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import ValidationException

INVALID_MODEL_ID = "The provided model identifier is invalid."
ON_DEMAND_UNSUPPORTED = (
    "Invocation of model ID {model_id} with on-demand throughput isn’t supported. Retry your "
    "request with the ID or ARN of an inference profile that contains this model."
)

_ARN = re.compile(
    r"^arn:aws(?:-[a-z-]+)?:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<kind>[a-z-]+)/(?P<rest>.+)$"
)

# Which regions may call a system inference profile of each geography.
_GEO_REGION_PREFIXES: dict[str, tuple[str, ...]] = {
    "us": ("us-east-", "us-west-"),
    "us-gov": ("us-gov-",),
    "eu": ("eu-",),
    "apac": ("ap-",),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-",),
    "global": ("",),
}


@dataclass(frozen=True)
class FoundationModel:
    """One catalog entry; `summary` is the AWS-shaped FoundationModelSummary data."""

    model_id: str
    provider: str
    family: str
    features: Mapping[str, bool]
    inference_types: tuple[str, ...]
    profiles: tuple[str, ...]
    max_output_tokens: int
    context_window: int
    embedding_dimensions: tuple[int, ...]
    summary: Mapping[str, Any] = field(repr=False)

    def supports(self, feature: str) -> bool:
        return bool(self.features.get(feature, False))

    @property
    def on_demand(self) -> bool:
        return "ON_DEMAND" in self.inference_types


@dataclass(frozen=True)
class Routing:
    """A prompt router behind a runtime `modelId`: its ARN, the model it falls back to, and its
    rule, `pick(prompt) -> (invoked model ARN, model id)`, applied to each request's prompt."""

    arn: str
    fallback_model_id: str
    pick: Callable[[str], tuple[str, str]] = field(repr=False, compare=False)


@dataclass(frozen=True)
class ResolvedModel:
    """A runtime `modelId` after resolution: what was asked for and the model that answers.

    Through a prompt router, `model` is the router's fallback until `routed(prompt)` lets the
    router choose; `invoked_model_arn` then names its choice (Converse's trace reports it)."""

    requested: str
    model: FoundationModel
    profile_id: str | None = None
    router: Routing | None = None
    invoked_model_arn: str | None = None

    def routed(self, prompt: str) -> ResolvedModel:
        """The model a prompt router sends this prompt to; itself when no router is involved
        or its router has already chosen."""
        if self.router is None or self.invoked_model_arn is not None:
            return self
        arn, model_id = self.router.pick(prompt)
        return replace(self, model=models()[model_id], invoked_model_arn=arn)


_SUMMARY_KEYS = (
    "modelId",
    "modelName",
    "providerName",
    "inputModalities",
    "outputModalities",
    "responseStreamingSupported",
    "customizationsSupported",
    "inferenceTypesSupported",
    "modelLifecycle",
)


def _entry(raw: Mapping[str, Any]) -> FoundationModel:
    return FoundationModel(
        model_id=raw["modelId"],
        provider=raw["providerName"],
        family=raw["family"],
        features=dict(raw["features"]),
        inference_types=tuple(raw["inferenceTypesSupported"]),
        profiles=tuple(raw["profiles"]),
        max_output_tokens=int(raw["maxOutputTokens"]),
        context_window=int(raw["contextWindow"]),
        embedding_dimensions=tuple(raw["embeddingDimensions"]),
        summary={k: raw[k] for k in _SUMMARY_KEYS if k in raw},
    )


@lru_cache(maxsize=1)
def models() -> dict[str, FoundationModel]:
    """Every catalog entry by model id, loaded once from the packaged data file."""
    text = resources.files("moto_bedrock_runtime.data").joinpath("models.json").read_text()
    return {raw["modelId"]: _entry(raw) for raw in json.loads(text)["models"]}


def _profile_allowed(geo: str, region: str) -> bool:
    return any(region.startswith(prefix) for prefix in _GEO_REGION_PREFIXES.get(geo, ()))


def _resolve_profile(profile_id: str, region: str) -> ResolvedModel | None:
    geo, _, model_id = profile_id.partition(".")
    model = models().get(model_id)
    if model is None or geo not in model.profiles or not _profile_allowed(geo, region):
        return None
    return ResolvedModel(requested=profile_id, model=model, profile_id=profile_id)


def _resolve_foundation(model_id: str) -> ResolvedModel | None:
    model = models().get(model_id)
    if model is None:
        return None
    if not model.on_demand:
        raise ValidationException(ON_DEMAND_UNSUPPORTED.format(model_id=model_id))
    return ResolvedModel(requested=model_id, model=model)


def _resolve_owned(arn: str, owned: str | Routing | None) -> ResolvedModel | None:
    if isinstance(owned, Routing):
        return ResolvedModel(arn, models()[owned.fallback_model_id], router=owned)
    model = models().get(owned) if owned else None
    return ResolvedModel(requested=arn, model=model) if model else None


def resolve(
    model_id: str, region: str, owned: Callable[[str], str | Routing | None] = lambda arn: None
) -> ResolvedModel:
    """The model a runtime call reaches, or Bedrock's error for an id it would refuse.

    `owned(arn)` answers for the caller's own resources (custom and provisioned models,
    application inference profiles…): the foundation-model id behind the ARN, the Routing of a
    prompt router (default or custom), or None."""
    arn = _ARN.match(model_id)
    if arn:
        kind, rest = arn.group("kind"), arn.group("rest")
        if arn.group("region") not in ("", region):
            raise ValidationException(INVALID_MODEL_ID)
        if kind == "foundation-model":
            resolved = _resolve_foundation(rest)
        elif kind == "inference-profile":
            resolved = _resolve_profile(rest, region)
        else:
            resolved = _resolve_owned(model_id, owned(model_id))
    elif model_id in models():
        resolved = _resolve_foundation(model_id)
    else:
        resolved = _resolve_profile(model_id, region)
    if resolved is None:
        raise ValidationException(INVALID_MODEL_ID)
    return replace(resolved, requested=model_id)
