"""Prompt routers: AWS's default routers, the account's own (Create/Get/List/DeletePromptRouter),
and the runtime reaching the model a router picks for each prompt.

Default routers are derived, never stored: one per model family where this region's
geography has inference profiles for both of its models ("Anthropic Prompt Router" over Claude
3 Haiku and Claude 3.5 Sonnet, "Meta Prompt Router" over Llama 3.1 8B and 70B, "Nova Prompt
Router" over Nova Lite and Pro), falling back to the larger model. Custom routers route among
foundation models or system inference profiles of one provider that AWS allows routing to.

The routing rule, deterministic so tests can rely on it: the router predicts the fallback
model's quality advantage over the other models as one percentage point per ten words of the
prompt (the request's last user message), capped at 100. When that predicted difference is
within `routingCriteria.responseQualityDifference`, the first listed model that is not the
fallback answers; otherwise the fallback does. Short prompts thus go to the other model, long
ones to the fallback, and a larger quality difference sends more prompts to the other model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from moto.bedrock.models import BedrockBackend

from .. import catalog
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from .common import Response, iso
from .owned_resources import (
    ClientTokens,
    OwnedHandlers,
    bedrock_arn,
    check_tag_count,
    moment,
    page,
    resource_id,
)
from .tagging import moto_tags

DEFAULT, CUSTOM = "default", "custom"
NOT_FOUND = "The prompt router {arn} was not found."
NAME_TAKEN = "A prompt router with the name {name} already exists."
NOT_ROUTABLE = "Prompt routing is not supported for the specified model identifier"
MIXED_FAMILIES = "The models of a prompt router must all come from the same model provider."
NO_MODELS = (
    "1 validation error detected: Value '[]' at 'models' failed to satisfy constraint: "
    "Member must have length greater than or equal to 1"
)
DEFAULT_NOT_DELETABLE = "Default prompt routers can't be deleted."
WORDS_PER_POINT = 10
# When AWS announced intelligent prompt routing with its default routers (re:Invent 2024).
DEFAULTS_CREATED = datetime(2024, 12, 4, tzinfo=timezone.utc)
# The models AWS's user guide lists as supporting intelligent prompt routing.
ROUTABLE = frozenset(
    {
        "amazon.nova-lite-v1:0",
        "amazon.nova-pro-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "anthropic.claude-3-5-sonnet-20241022-v2:0",
        "meta.llama3-1-8b-instruct-v1:0",
        "meta.llama3-1-70b-instruct-v1:0",
    }
)
# (router id, name, models, fallback); routers list in this order.
DEFAULT_ROUTERS = (
    (
        "anthropic.claude:1",
        "Anthropic Prompt Router",
        ("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
    ),
    (
        "meta.llama:1",
        "Meta Prompt Router",
        ("meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-70b-instruct-v1:0"),
        "meta.llama3-1-70b-instruct-v1:0",
    ),
    (
        "amazon.nova:1",
        "Nova Prompt Router",
        ("amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0"),
        "amazon.nova-pro-v1:0",
    ),
)
DEFAULT_QUALITY_DIFFERENCE = 10.0
_TARGET_ARN = re.compile(
    r"^arn:[a-z-]+:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<kind>foundation-model|inference-profile|application-inference-profile)/(?P<id>.+)$"
)


def quality_difference(prompt: str) -> float:
    """The fallback's predicted quality advantage, in percentage points (see module docstring)."""
    return min(100.0, len(prompt.split()) / WORDS_PER_POINT)


@dataclass
class PromptRouter:
    """A router as AWS describes it; `models` and `fallback` are (target ARN, model id)."""

    arn: str
    name: str
    kind: str
    models: list[tuple[str, str]]
    fallback: tuple[str, str]
    quality_difference: float
    created: datetime
    description: str | None = None

    def pick(self, prompt: str) -> tuple[str, str]:
        """(invoked model ARN, model id) for a prompt: the routing rule of the module docstring."""
        others = [target for target in self.models if target[0] != self.fallback[0]]
        if others and quality_difference(prompt) <= self.quality_difference:
            return others[0]
        return self.fallback

    def routing(self) -> catalog.Routing:
        return catalog.Routing(self.arn, self.fallback[1], self.pick)

    def to_dict(self) -> dict[str, Any]:
        """GetPromptRouter's body; ListPromptRouters' summaries have the same members."""
        data: dict[str, Any] = {
            "promptRouterName": self.name,
            "routingCriteria": {"responseQualityDifference": self.quality_difference},
        }
        if self.description is not None:
            data["description"] = self.description
        data.update(
            createdAt=iso(self.created),
            updatedAt=iso(self.created),
            promptRouterArn=self.arn,
            models=[{"modelArn": arn} for arn, _ in self.models],
            fallbackModel={"modelArn": self.fallback[0]},
            status="AVAILABLE",
            type=self.kind,
        )
        return data


class PromptRouters(BedrockBackend):
    """Backend mixin: this region's default routers and the account's custom ones."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._router_lock = threading.RLock()
        self.prompt_routers: dict[str, PromptRouter] = {}
        self._router_tokens = ClientTokens()

    # default routers

    def _profile_arn(self, model_id: str) -> str | None:
        """The ARN of the system inference profile that serves `model_id` in this region."""
        for geo in catalog.models()[model_id].profiles:
            if geo == "global":
                continue
            try:
                catalog.resolve(f"{geo}.{model_id}", self.region_name)
            except BedrockError:
                continue
            return bedrock_arn(
                self.region_name, self.account_id, f"inference-profile/{geo}.{model_id}"
            )
        return None

    def default_routers(self) -> list[PromptRouter]:
        """AWS's routers for each family whose models this region reaches by profile."""
        routers = []
        for router_id, name, model_ids, fallback in DEFAULT_ROUTERS:
            arns = {m: arn for m in model_ids if (arn := self._profile_arn(m)) is not None}
            if len(arns) < len(model_ids):
                continue
            routers.append(
                PromptRouter(
                    arn=bedrock_arn(
                        self.region_name, self.account_id, f"default-prompt-router/{router_id}"
                    ),
                    name=name,
                    kind=DEFAULT,
                    models=[(arns[m], m) for m in model_ids],
                    fallback=(arns[fallback], fallback),
                    quality_difference=DEFAULT_QUALITY_DIFFERENCE,
                    created=DEFAULTS_CREATED,
                )
            )
        return routers

    def _router(self, arn: str) -> PromptRouter | None:
        with self._router_lock:
            router = self.prompt_routers.get(arn)
        if router is not None:
            return router
        return next((r for r in self.default_routers() if r.arn == arn), None)

    # operations

    def get_prompt_router(self, arn: str) -> PromptRouter:
        router = self._router(arn)
        if router is None:
            raise ResourceNotFoundException(NOT_FOUND.format(arn=arn))
        return router

    def list_prompt_routers(self, params: dict[str, Any]) -> tuple[list[PromptRouter], str | None]:
        with self._router_lock:
            custom = list(self.prompt_routers.values())
        routers = [
            router
            for router in [*self.default_routers(), *custom]
            if params.get("type") in (None, router.kind)
        ]
        return page(routers, lambda router: router.created, params)

    def _target(self, model_arn: str) -> tuple[str, str]:
        """(ARN, model id) of a router target: a foundation model or system inference profile in
        this region, of a model AWS routes prompts to."""
        arn = _TARGET_ARN.match(model_arn)
        model_id = None
        if arn is None or arn.group("region") != self.region_name:
            raise ValidationException(catalog.INVALID_MODEL_ID)
        if arn.group("kind") == "foundation-model" and not arn.group("account"):
            model_id = arn.group("id")
        elif arn.group("kind") == "inference-profile" and arn.group("account") == self.account_id:
            try:
                model_id = catalog.resolve(arn.group("id"), self.region_name).model.model_id
            except BedrockError as exc:
                raise ValidationException(catalog.INVALID_MODEL_ID) from exc
        if model_id not in ROUTABLE:
            raise ValidationException(NOT_ROUTABLE)
        return model_arn, model_id

    def create_prompt_router(
        self,
        name: str,
        models: list[dict[str, str]],
        fallback_model: dict[str, str],
        quality_difference: float,
        description: str | None = None,
        tags: list[dict[str, str]] | None = None,
        client_token: str | None = None,
    ) -> PromptRouter:
        if not models:
            raise ValidationException(NO_MODELS)
        targets = [self._target(model["modelArn"]) for model in models]
        fallback = self._target(fallback_model["modelArn"])
        providers = {catalog.models()[model_id].provider for _, model_id in [*targets, fallback]}
        if len(providers) > 1:
            raise ValidationException(MIXED_FAMILIES)
        tags = tags or []
        request = {
            "name": name,
            "models": models,
            "fallback": fallback_model,
            "quality": quality_difference,
            "description": description,
            "tags": tags,
        }
        with self._router_lock:
            known = self._router_tokens.replay(client_token, request)
            if known in self.prompt_routers:
                return self.prompt_routers[known]
            if any(r.name == name for r in self.prompt_routers.values()):
                raise BedrockError(NAME_TAKEN.format(name=name), code="ConflictException")
            arn = bedrock_arn(self.region_name, self.account_id, f"prompt-router/{resource_id()}")
            check_tag_count(tags, arn=arn)
            router = PromptRouter(
                arn=arn,
                name=name,
                kind=CUSTOM,
                models=targets,
                fallback=fallback,
                quality_difference=float(quality_difference),
                created=moment(),
                description=description,
            )
            self.prompt_routers[arn] = router
            self._router_tokens.remember(client_token, request, arn)
            if tags:
                self.tagger.tag_resource(arn, moto_tags(tags))
        return router

    def delete_prompt_router(self, arn: str) -> None:
        with self._router_lock:
            router = self.prompt_routers.pop(arn, None)
            if router is None:
                if self._router(arn) is not None:
                    raise ValidationException(DEFAULT_NOT_DELETABLE)
                raise ResourceNotFoundException(NOT_FOUND.format(arn=arn))
            self._router_tokens.forget(arn)
            self.tagger.delete_all_tags_for_resource(arn)

    # hooks into tagging and the runtime

    def _list_arns(self) -> list[str]:
        """Custom routers are taggable (AWS's default routers are not)."""
        with self._router_lock:
            return [*super()._list_arns(), *self.prompt_routers]

    def owned_model(self, arn: str) -> str | catalog.Routing | None:
        """A router's ARN reaches its Routing: the runtime lets it pick per prompt."""
        router = self._router(arn) if "prompt-router/" in arn else None
        if router is not None:
            return router.routing()
        return super().owned_model(arn)  # type: ignore[misc]  # the next mixin in the chain


class PromptRouterHandlers(OwnedHandlers):
    """Response mixin: the HTTP side of PromptRouters."""

    bedrock_backend: PromptRouters

    def _router_arn(self) -> str:
        """The router ARN of the URI, deliberately unchecked: botocore's PromptRouterArn pattern
        admits only `default-prompt-router/…`, yet AWS names custom routers `prompt-router/…`."""
        return unquote(self.uri_match["promptRouterArn"])

    def create_prompt_router(self) -> Response:
        params = self._input()
        router = self.bedrock_backend.create_prompt_router(
            name=params["promptRouterName"],
            models=params["models"],
            fallback_model=params["fallbackModel"],
            quality_difference=params["routingCriteria"]["responseQualityDifference"],
            description=params.get("description"),
            tags=params.get("tags"),
            client_token=params.get("clientRequestToken"),
        )
        return self._json({"promptRouterArn": router.arn})

    def get_prompt_router(self) -> Response:
        router = self.bedrock_backend.get_prompt_router(self._router_arn())
        return self._json(router.to_dict())

    def list_prompt_routers(self) -> Response:
        params = self._input()
        routers, token = self.bedrock_backend.list_prompt_routers(params)
        return self._listing("promptRouterSummaries", [r.to_dict() for r in routers], token)

    def delete_prompt_router(self) -> Response:
        self.bedrock_backend.delete_prompt_router(self._router_arn())
        return self._json({})
