"""Provisioned Throughput: Create/Get/List/Update/DeleteProvisionedModelThroughput, and the
runtime reaching the model behind a `provisioned-model/…` ARN.

A throughput is bought for a foundation model version that lists PROVISIONED (the `…:0:200k`
style ids) or for a custom model, found by name or ARN. It is Creating until a control-plane
read moves it to InService (see owned_resources); an update that changes the model is Updating
the same way, and the runtime keeps serving the previous model until then. A runtime call on a
throughput still Creating is refused with ModelNotReadyException, the runtime's modeled error
for a model that cannot serve yet (the SDKs retry it).
"""

from __future__ import annotations

import calendar
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.bedrock.models import BedrockBackend

from .. import catalog
from ..controls import NOT_READY
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from ..moto_services import BedrockNotFound as MotoNotFound
from .common import Response, iso
from .owned_resources import (
    OwnedHandlers,
    Progress,
    bedrock_arn,
    check_tag_count,
    foundation_arn,
    listed,
    moment,
    resource_id,
)

CREATING, IN_SERVICE, UPDATING = "Creating", "InService", "Updating"
COMMITMENT_MONTHS = {"OneMonth": 1, "SixMonths": 6}
NOT_FOUND = "Provisioned model throughput {identifier} not found"
NAME_TAKEN = "A provisioned model throughput named {name} already exists"
NOT_PROVISIONABLE = (
    "The model {model_id} doesn't support Provisioned Throughput. Choose a model version whose "
    "inferenceTypesSupported includes PROVISIONED, or a custom model."
)
OTHER_BASE_MODEL = (
    "The desired model must be the Provisioned Throughput's base model {base} or a custom model "
    "customized from it."
)
IN_COMMITMENT = (
    "You can't delete a Provisioned Throughput before its commitment term is over "
    "(it expires at {expiry})."
)
_FOUNDATION_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]*)::foundation-model/")


def _add_months(start: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months later (clamped to the month's end)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


@dataclass
class ProvisionedThroughput:
    name: str
    arn: str
    model_arn: str
    desired_model_arn: str
    foundation_model_arn: str
    model_units: int
    commitment_duration: str | None
    commitment_expiration: datetime | None
    created: datetime
    modified: datetime
    progress: Progress

    def to_dict(self) -> dict[str, Any]:
        """GetProvisionedModelThroughput's body; its list summary has the same members."""
        data: dict[str, Any] = {
            "provisionedModelName": self.name,
            "provisionedModelArn": self.arn,
            "modelArn": self.model_arn,
            "desiredModelArn": self.desired_model_arn,
            "foundationModelArn": self.foundation_model_arn,
            "modelUnits": self.model_units,
            # Model units cannot be changed after purchase (UpdateProvisionedModelThroughput
            # takes a name and a model only), so the desired count is always the current one.
            "desiredModelUnits": self.model_units,
            "status": self.progress.status,
            "creationTime": iso(self.created),
            "lastModifiedTime": iso(self.modified),
        }
        if self.commitment_duration and self.commitment_expiration:
            data["commitmentDuration"] = self.commitment_duration
            data["commitmentExpirationTime"] = iso(self.commitment_expiration)
        return data


class ProvisionedThroughputs(BedrockBackend):
    """Backend mixin: this account's Provisioned Throughputs in one region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.provisioned_throughputs: dict[str, ProvisionedThroughput] = {}
        self._provisioned_tokens: dict[str, str] = {}
        self._provisioned_lock = threading.RLock()

    def _list_arns(self) -> list[str]:
        """moto's tag operations accept the ARNs this lists."""
        return [*super()._list_arns(), *self.provisioned_throughputs]

    def owned_model(self, arn: str) -> str | None:
        """Runtime calls look without settling: a throughput nobody has read is still Creating.
        The chain goes on outside this lock (no lock order to keep)."""
        with self._provisioned_lock:
            throughput = self.provisioned_throughputs.get(arn)
            if throughput is not None and throughput.progress.status == CREATING:
                raise BedrockError(NOT_READY, code="ModelNotReadyException")
            serving = throughput.model_arn if throughput else None
        if serving is None:
            return super().owned_model(arn)
        return self._model_behind(serving)

    def _model_behind(self, model_arn: str) -> str | None:
        if _FOUNDATION_ARN.match(model_arn):
            return model_arn.rsplit("/", 1)[-1]
        return self.owned_model(model_arn)  # a custom model: its base model, via the chain

    def _settle_throughputs(self) -> None:
        for throughput in self.provisioned_throughputs.values():
            if throughput.progress.advance():
                throughput.model_arn = throughput.desired_model_arn
                throughput.modified = moment()

    def _provisionable(self, model_id: str) -> tuple[str, str]:
        """(modelArn, foundationModelArn) for a CreateProvisionedModelThroughput modelId: a
        foundation model id or ARN, or a custom model name or ARN."""
        arn = _FOUNDATION_ARN.match(model_id)
        if arn or ("." in model_id and not model_id.startswith("arn:")):
            if arn and arn.group("region") != self.region_name:
                raise ValidationException(catalog.INVALID_MODEL_ID)
            base = model_id.rsplit("/", 1)[-1]
            model = catalog.models().get(base)
            if model is None:
                raise ValidationException(catalog.INVALID_MODEL_ID)
            if "PROVISIONED" not in model.inference_types:
                raise ValidationException(NOT_PROVISIONABLE.format(model_id=base))
            return foundation_arn(self.region_name, base), foundation_arn(self.region_name, base)
        try:
            custom = self.get_custom_model(model_id)
        except MotoNotFound as exc:
            raise ResourceNotFoundException(f"Custom model {model_id} not found") from exc
        return custom.model_arn, custom.base_model_arn

    def _throughput(self, identifier: str) -> ProvisionedThroughput:
        for throughput in self.provisioned_throughputs.values():
            if identifier in (throughput.arn, throughput.name):
                return throughput
        raise ResourceNotFoundException(NOT_FOUND.format(identifier=identifier))

    def create_provisioned_model_throughput(
        self,
        name: str,
        model_id: str,
        model_units: int,
        commitment_duration: str | None,
        tags: list[dict[str, str]] | None,
        client_request_token: str | None,
    ) -> str:
        with self._provisioned_lock:
            known = self._provisioned_tokens.get(client_request_token or "")
            if known in self.provisioned_throughputs:
                return known
            self._settle_throughputs()
            if any(t.name == name for t in self.provisioned_throughputs.values()):
                raise BedrockError(NAME_TAKEN.format(name=name), code="ConflictException")
            check_tag_count(tags)
            model_arn, base_arn = self._provisionable(model_id)
            created = moment()
            months = COMMITMENT_MONTHS.get(commitment_duration or "")
            throughput = ProvisionedThroughput(
                name=name,
                arn=bedrock_arn(
                    self.region_name, self.account_id, f"provisioned-model/{resource_id()}"
                ),
                model_arn=model_arn,
                desired_model_arn=model_arn,
                foundation_model_arn=base_arn,
                model_units=model_units,
                commitment_duration=commitment_duration,
                commitment_expiration=_add_months(created, months) if months else None,
                created=created,
                modified=created,
                progress=Progress(CREATING, IN_SERVICE),
            )
            self.provisioned_throughputs[throughput.arn] = throughput
            if client_request_token:
                self._provisioned_tokens[client_request_token] = throughput.arn
            if tags:
                self.tag_resource(throughput.arn, tags)
            return throughput.arn

    def get_provisioned_model_throughput(self, identifier: str) -> ProvisionedThroughput:
        with self._provisioned_lock:
            self._settle_throughputs()
            return self._throughput(identifier)

    def list_provisioned_model_throughputs(
        self, params: dict[str, Any]
    ) -> tuple[list[ProvisionedThroughput], str | None]:
        with self._provisioned_lock:
            self._settle_throughputs()
            throughputs = self.provisioned_throughputs.values()
            return listed(throughputs, params, "creationTimeAfter", "creationTimeBefore")

    def update_provisioned_model_throughput(
        self, identifier: str, desired_name: str | None, desired_model_id: str | None
    ) -> None:
        with self._provisioned_lock:
            self._settle_throughputs()
            throughput = self._throughput(identifier)
            taken = {t.name for t in self.provisioned_throughputs.values()} - {throughput.name}
            if desired_name in taken:
                raise BedrockError(NAME_TAKEN.format(name=desired_name), code="ConflictException")
            if desired_model_id:
                model_arn, base_arn = self._provisionable(desired_model_id)
                if base_arn != throughput.foundation_model_arn:
                    raise ValidationException(
                        OTHER_BASE_MODEL.format(base=throughput.foundation_model_arn)
                    )
                if model_arn != throughput.model_arn:
                    throughput.desired_model_arn = model_arn
                    throughput.progress.restart(UPDATING, IN_SERVICE)
            if desired_name:
                throughput.name = desired_name
            throughput.modified = moment()

    def delete_provisioned_model_throughput(self, identifier: str) -> None:
        with self._provisioned_lock:
            self._settle_throughputs()
            throughput = self._throughput(identifier)
            expiry = throughput.commitment_expiration
            if expiry and moment() < expiry:
                raise ValidationException(IN_COMMITMENT.format(expiry=iso(expiry)))
            del self.provisioned_throughputs[throughput.arn]
            self.tagger.delete_all_tags_for_resource(throughput.arn)


class ProvisionedThroughputHandlers(OwnedHandlers):
    """Response mixin: the five Provisioned Throughput operations."""

    bedrock_backend: ProvisionedThroughputs

    def create_provisioned_model_throughput(self) -> Response:
        params = self._input()
        arn = self.bedrock_backend.create_provisioned_model_throughput(
            name=params["provisionedModelName"],
            model_id=params["modelId"],
            model_units=params["modelUnits"],
            commitment_duration=params.get("commitmentDuration"),
            tags=params.get("tags"),
            client_request_token=params.get("clientRequestToken"),
        )
        return self._json({"provisionedModelArn": arn}, 201)

    def get_provisioned_model_throughput(self) -> Response:
        identifier = self._input()["provisionedModelId"]
        throughput = self.bedrock_backend.get_provisioned_model_throughput(identifier)
        return self._json(throughput.to_dict())

    def list_provisioned_model_throughputs(self) -> Response:
        throughputs, token = self.bedrock_backend.list_provisioned_model_throughputs(self._input())
        return self._listing("provisionedModelSummaries", [t.to_dict() for t in throughputs], token)

    def update_provisioned_model_throughput(self) -> Response:
        params = self._input()
        self.bedrock_backend.update_provisioned_model_throughput(
            params["provisionedModelId"],
            params.get("desiredProvisionedModelName"),
            params.get("desiredModelId"),
        )
        return self._json({})

    def delete_provisioned_model_throughput(self) -> Response:
        self.bedrock_backend.delete_provisioned_model_throughput(
            self._input()["provisionedModelId"]
        )
        return self._json({})
