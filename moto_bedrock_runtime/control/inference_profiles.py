"""Inference profiles: AWS's system-defined cross-Region profiles and the caller's application
profiles.

System profiles are derived, never stored: one per catalog model and geography in the entry's
`profiles`, with the regions each geography routes to from data/geographies.json. A region sees
the profiles the runtime lets it call (`catalog.resolve` decides both), plus global ones.
Application profiles are this account's own resources: created from a foundation-model ARN or a
system profile ARN, tagged with moto's tagger, and invocable at runtime by ARN (`owned_model`).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from moto.bedrock.models import BedrockBackend

from .. import catalog
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from ..moto_services import get_partition
from .common import ControlHandlers, Response, iso, now
from .foundation_models import foundation_model_arn
from .owned_resources import ClientTokens, check_tag_count, resource_id
from .tagging import moto_tags

SYSTEM = "SYSTEM_DEFINED"
APPLICATION = "APPLICATION"
DEFAULT_MAX_RESULTS = 1000
PROFILE_NOT_FOUND = "The inference profile {identifier} was not found."

_PROFILE_ARN = re.compile(
    r"^arn:[a-z-]+:bedrock:(?P<region>[a-z0-9-]*):(?P<account>\d*):"
    r"(?P<kind>application-inference-profile|inference-profile|foundation-model)/(?P<id>.+)$"
)


@dataclass(frozen=True)
class Geography:
    """Where a geography's system profiles route: fixed regions, or (none listed) anywhere."""

    code: str
    label: str
    regions: tuple[str, ...]
    created_at: datetime


@lru_cache(maxsize=1)
def geographies() -> dict[str, Geography]:
    """Every geography by its profile-id prefix, loaded once from the packaged data file."""
    text = resources.files("moto_bedrock_runtime.data").joinpath("geographies.json").read_text()
    return {
        code: Geography(
            code=code,
            label=raw["label"],
            regions=tuple(raw["regions"]),
            created_at=datetime.fromisoformat(raw["createdAt"].replace("Z", "+00:00")),
        )
        for code, raw in json.loads(text)["geographies"].items()
    }


def _spoken_list(items: list[str]) -> str:
    """AWS's wording in descriptions: "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def system_profile(
    model: catalog.FoundationModel, geo: Geography, region: str, account: str
) -> dict[str, Any]:
    """A system profile as GetInferenceProfile answers in `region`. Global profiles list the
    source region's model and the Region-less model ARN AWS routes them through."""
    profile_id = f"{geo.code}.{model.model_id}"
    regions = list(geo.regions) or [region, ""]
    model_name = f"{model.provider} {model.summary.get('modelName', model.model_id)}"
    where = _spoken_list(list(geo.regions)) if geo.regions else "all commercial AWS Regions"
    return {
        "inferenceProfileName": f"{geo.label} {model_name}",
        "description": f"Routes requests to {model_name} in {where}.",
        "createdAt": iso(geo.created_at),
        "updatedAt": iso(geo.created_at),
        "inferenceProfileArn": (
            f"arn:{get_partition(region)}:bedrock:{region}:{account}:inference-profile/{profile_id}"
        ),
        "models": [
            {"modelArn": foundation_model_arn(r, model.model_id, get_partition(region))}
            for r in regions
        ],
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": SYSTEM,
    }


@dataclass
class ApplicationProfile:
    """A caller-created profile: a name and tags over the models of its source."""

    profile_id: str
    arn: str
    name: str
    model_id: str
    model_arns: list[str]
    sequence: int
    description: str | None = None
    created_at: datetime = field(default_factory=now)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"inferenceProfileName": self.name}
        if self.description is not None:
            data["description"] = self.description
        data.update(
            createdAt=iso(self.created_at),
            updatedAt=iso(self.created_at),
            inferenceProfileArn=self.arn,
            models=[{"modelArn": arn} for arn in self.model_arns],
            inferenceProfileId=self.profile_id,
            status="ACTIVE",
            type=APPLICATION,
        )
        return data


def _page(
    items: list[tuple[str, dict[str, Any]]], max_results: int | None, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of (sort key, item) pairs; the token names the last key returned, so pages
    stay correct when items are added or deleted between calls."""
    items = sorted(items, key=lambda pair: pair[0])
    if next_token is not None:
        try:
            after = base64.b64decode(next_token, altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise ValidationException("The provided nextToken is not valid.") from exc
        items = [pair for pair in items if pair[0] > after]
    limit = max_results or DEFAULT_MAX_RESULTS
    page, rest = items[:limit], items[limit:]
    token = base64.urlsafe_b64encode(page[-1][0].encode()).decode() if rest else None
    return [item for _, item in page], token


class InferenceProfiles(BedrockBackend):
    """Backend mixin: system profiles for this region and the account's application profiles."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._profile_lock = threading.RLock()
        self.application_profiles: dict[str, ApplicationProfile] = {}
        self._profile_tokens = ClientTokens()
        self._profile_sequence = itertools.count()

    # system profiles

    def _visible(self, profile_id: str) -> bool:
        """A system profile exists here exactly when the runtime here accepts it."""
        try:
            catalog.resolve(profile_id, self.region_name)
        except BedrockError:
            return False
        return profile_id.partition(".")[0] in geographies()

    def _system_profile(self, profile_id: str) -> dict[str, Any] | None:
        if not self._visible(profile_id):
            return None
        geo, _, model_id = profile_id.partition(".")
        return system_profile(
            catalog.models()[model_id], geographies()[geo], self.region_name, self.account_id
        )

    def system_profiles(self) -> list[dict[str, Any]]:
        found = []
        for model in catalog.models().values():
            for geo in model.profiles:
                profile = self._system_profile(f"{geo}.{model.model_id}")
                if profile is not None:
                    found.append(profile)
        return found

    # lookups

    def _application(self, identifier: str) -> ApplicationProfile | None:
        with self._profile_lock:
            profile = self.application_profiles.get(identifier)
            if profile is None:
                profile = next(
                    (p for p in self.application_profiles.values() if p.profile_id == identifier),
                    None,
                )
        return profile

    def _system_id(self, identifier: str) -> str:
        """The profile id a system-profile identifier names ('' for another region or account)."""
        arn = _PROFILE_ARN.match(identifier)
        if arn is None:
            return identifier
        if (
            arn.group("kind") != "inference-profile"
            or arn.group("region") != self.region_name
            or arn.group("account") not in ("", self.account_id)
        ):
            return ""
        return arn.group("id")

    def get_inference_profile(self, identifier: str) -> dict[str, Any]:
        application = self._application(identifier)
        if application is not None:
            return application.to_dict()
        profile = self._system_profile(self._system_id(identifier))
        if profile is None:
            raise ResourceNotFoundException(PROFILE_NOT_FOUND.format(identifier=identifier))
        return profile

    def list_inference_profiles(
        self, type_equals: str | None, max_results: int | None, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """AWS lists only system profiles when no type is given (aws/aws-cli#9728)."""
        if (type_equals or SYSTEM) == SYSTEM:
            items = [(p["inferenceProfileId"], p) for p in self.system_profiles()]
        else:
            with self._profile_lock:
                profiles = list(self.application_profiles.values())
            items = [(f"{p.sequence:012d}", p.to_dict()) for p in profiles]
        return _page(items, max_results, next_token)

    # application profiles

    def _source(self, copy_from: str) -> tuple[str, list[str]]:
        """(model id, model ARNs) of a copyFrom ARN: this region's foundation model or system
        profile."""
        arn = _PROFILE_ARN.match(copy_from)
        if arn is not None and arn.group("kind") == "foundation-model":
            model = catalog.models().get(arn.group("id"))
            if model is not None and arn.group("region") == self.region_name:
                return model.model_id, [foundation_model_arn(self.region_name, model.model_id)]
        elif arn is not None:
            profile = self._system_profile(self._system_id(copy_from))
            if profile is not None:
                model_id = profile["inferenceProfileId"].partition(".")[2]
                return model_id, [m["modelArn"] for m in profile["models"]]
        raise ResourceNotFoundException(
            f"The model source {copy_from} was not found. Specify the ARN of a foundation model "
            "or a system-defined inference profile in this Region."
        )

    def create_inference_profile(
        self,
        name: str,
        copy_from: str,
        description: str | None = None,
        tags: list[dict[str, str]] | None = None,
        client_token: str | None = None,
    ) -> ApplicationProfile:
        model_id, model_arns = self._source(copy_from)
        tags = tags or []
        request = {"name": name, "from": copy_from, "description": description, "tags": tags}
        with self._profile_lock:
            known = self._profile_tokens.replay(client_token, request)
            if known in self.application_profiles:
                return self.application_profiles[known]
            if any(p.name == name for p in self.application_profiles.values()):
                raise BedrockError(
                    f"An inference profile with the name {name} already exists.",
                    code="ConflictException",
                )
            check_tag_count(tags)
            profile_id = resource_id()
            partition = get_partition(self.region_name)
            arn = (
                f"arn:{partition}:bedrock:{self.region_name}:{self.account_id}:"
                f"application-inference-profile/{profile_id}"
            )
            profile = ApplicationProfile(
                profile_id,
                arn,
                name,
                model_id,
                model_arns,
                sequence=next(self._profile_sequence),
                description=description,
            )
            self.application_profiles[arn] = profile
            self._profile_tokens.remember(client_token, request, arn)
            if tags:
                self.tagger.tag_resource(arn, moto_tags(tags))
        return profile

    def delete_inference_profile(self, identifier: str) -> None:
        with self._profile_lock:
            profile = self._application(identifier)
            if profile is None:
                if self._system_profile(self._system_id(identifier)) is not None:
                    raise ValidationException(
                        "System-defined inference profiles can't be deleted. Specify an "
                        "application inference profile."
                    )
                raise ResourceNotFoundException(PROFILE_NOT_FOUND.format(identifier=identifier))
            del self.application_profiles[profile.arn]
            self._profile_tokens.forget(profile.arn)
            self.tagger.delete_all_tags_for_resource(profile.arn)

    # hooks into moto's tagging and the runtime

    def _list_arns(self) -> list[str]:
        """moto's taggable ARNs plus this account's application profiles."""
        with self._profile_lock:
            return [*super()._list_arns(), *self.application_profiles]

    def owned_model(self, arn: str) -> str | None:
        """An application profile's ARN reaches the model it was created from."""
        with self._profile_lock:
            profile = self.application_profiles.get(arn)
        if profile is not None:
            return profile.model_id
        return super().owned_model(arn)  # type: ignore[misc]  # the next mixin in the chain


class InferenceProfileResponses(ControlHandlers):
    """Response mixin: the HTTP side of InferenceProfiles."""

    bedrock_backend: InferenceProfiles

    def list_inference_profiles(self) -> Response:
        params = self._input()
        summaries, token = self.bedrock_backend.list_inference_profiles(
            params.get("typeEquals"), params.get("maxResults"), params.get("nextToken")
        )
        body: dict[str, Any] = {"inferenceProfileSummaries": summaries}
        if token is not None:
            body["nextToken"] = token
        return self._json(body)

    def get_inference_profile(self) -> Response:
        identifier = self._input()["inferenceProfileIdentifier"]
        return self._json(self.bedrock_backend.get_inference_profile(identifier))

    def create_inference_profile(self) -> Response:
        params = self._input()
        profile = self.bedrock_backend.create_inference_profile(
            name=params["inferenceProfileName"],
            copy_from=params["modelSource"]["copyFrom"],
            description=params.get("description"),
            tags=params.get("tags"),
            client_token=params.get("clientRequestToken"),
        )
        return self._json({"inferenceProfileArn": profile.arn, "status": "ACTIVE"}, 201)

    def delete_inference_profile(self) -> Response:
        self.bedrock_backend.delete_inference_profile(self._input()["inferenceProfileIdentifier"])
        return self._json({})
