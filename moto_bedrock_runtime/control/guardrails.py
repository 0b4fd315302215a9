"""Guardrails in the control plane: Create/Update/Get/List/DeleteGuardrail and
CreateGuardrailVersion, tags on guardrail ARNs, and the versions the runtime applies
(moto_bedrock_runtime.guardrails resolves them through `resolved_guardrail`).

A guardrail is a DRAFT that UpdateGuardrail replaces as a whole, plus numbered versions,
immutable snapshots of the DRAFT that CreateGuardrailVersion takes (numbers are never reused,
even after a version is deleted). Statuses move as owned_resources describes: CREATING, UPDATING
or VERSIONING until a control-plane read at least MOTO_BEDROCK_PROVISIONING_SECONDS later finds
them READY; the runtime applies a version's configuration whatever its status.

Ids are 12 lowercase letters and digits (`arn:aws:bedrock:<region>:<account>:guardrail/<id>`).
Names are unique in an account and region; an account and region holds at most 100 guardrails
and a guardrail at most 20 versions (AWS's default quotas).
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from moto.bedrock.models import BedrockBackend

from ..errors import BedrockError, ResourceNotFoundException
from ..guardrails.policy import Policy, ResolvedGuardrail, compile_policy
from ..guardrails.policy import configuration as policy_configuration
from ..moto_services import get_partition
from .common import Response, iso
from .inference_profiles import geographies
from .owned_resources import (
    ClientTokens,
    OwnedHandlers,
    Progress,
    bedrock_arn,
    check_tag_count,
    moment,
    page,
    resource_id,
)
from .tagging import moto_tags

DRAFT = "DRAFT"
CREATING, UPDATING, VERSIONING, READY = "CREATING", "UPDATING", "VERSIONING", "READY"
MAX_GUARDRAILS, MAX_VERSIONS = 100, 20
PROFILE_SUFFIX = ".guardrail.v1:0"
NOT_FOUND = "The guardrail {identifier} was not found."
VERSION_NOT_FOUND = "The guardrail {identifier} has no version {version}."
NAME_TAKEN = "A guardrail with the name '{name}' already exists."
TOO_MANY_GUARDRAILS = (
    f"This account already has {MAX_GUARDRAILS} guardrails in this Region, the most its quota "
    "allows. Delete a guardrail and try again."
)
TOO_MANY_VERSIONS = (
    f"The guardrail {{identifier}} already has {MAX_VERSIONS} versions, the most its quota "
    "allows. Delete a version and try again."
)
PROFILE_NOT_FOUND = "The guardrail profile {identifier} was not found in this Region."
_GUARDRAIL_ARN = re.compile(
    r"^arn:aws(?:-[^:]+)?:bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):guardrail/(?P<id>.+)$"
)
_PROFILE_ARN = re.compile(
    r"^arn:aws(?:-[^:]+)?:bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"guardrail-profile/(?P<id>.+)$"
)
_KMS_KEY_ID = re.compile(r"^[a-zA-Z0-9-]{36}$")


@dataclass
class GuardrailVersion:
    """The DRAFT or one numbered version: everything GetGuardrail reports for it, and its
    compiled policy."""

    version: str
    name: str
    description: str | None
    policies: dict[str, Any]
    policy: Policy
    blocked_input_messaging: str
    blocked_outputs_messaging: str
    kms_key_arn: str | None
    cross_region: dict[str, str] | None
    created: datetime
    updated: datetime
    progress: Progress

    def summary(self, guardrail: Guardrail) -> dict[str, Any]:
        """A ListGuardrails entry."""
        data: dict[str, Any] = {
            "id": guardrail.guardrail_id,
            "arn": guardrail.arn,
            "status": self.progress.status,
            "name": self.name,
        }
        if self.description is not None:
            data["description"] = self.description
        data.update(version=self.version, createdAt=iso(self.created), updatedAt=iso(self.updated))
        if self.cross_region:
            data["crossRegionDetails"] = self.cross_region
        return data

    def to_dict(self, guardrail: Guardrail) -> dict[str, Any]:
        """GetGuardrail's body."""
        data: dict[str, Any] = {"name": self.name}
        if self.description is not None:
            data["description"] = self.description
        data.update(
            guardrailId=guardrail.guardrail_id,
            guardrailArn=guardrail.arn,
            version=self.version,
            status=self.progress.status,
            **self.policies,
        )
        if self.cross_region:
            data["crossRegionDetails"] = self.cross_region
        data.update(
            createdAt=iso(self.created),
            updatedAt=iso(self.updated),
            blockedInputMessaging=self.blocked_input_messaging,
            blockedOutputsMessaging=self.blocked_outputs_messaging,
        )
        if self.kms_key_arn:
            data["kmsKeyArn"] = self.kms_key_arn
        return data


@dataclass
class Guardrail:
    guardrail_id: str
    arn: str
    draft: GuardrailVersion
    versions: dict[int, GuardrailVersion] = field(default_factory=dict)
    next_version: int = 1

    def all_versions(self) -> list[GuardrailVersion]:
        return [self.draft, *(self.versions[number] for number in sorted(self.versions))]


class Guardrails(BedrockBackend):
    """Backend mixin: this account's guardrails in one region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self._guardrail_lock = threading.RLock()
        self.guardrails: dict[str, Guardrail] = {}
        self._guardrail_tokens = ClientTokens()
        self._guardrail_version_tokens = ClientTokens()

    # lookups (the caller holds the lock)

    def _guardrail(self, identifier: str) -> Guardrail:
        """The guardrail an id or ARN names, in this account and region."""
        arn = _GUARDRAIL_ARN.match(identifier)
        if arn is None:
            found = self.guardrails.get(identifier)
        elif (arn["region"], arn["account"]) == (self.region_name, self.account_id):
            found = self.guardrails.get(arn["id"])
        else:
            found = None
        if found is None or (arn is not None and found.arn != identifier):
            raise ResourceNotFoundException(NOT_FOUND.format(identifier=identifier))
        return found

    @staticmethod
    def _version(guardrail: Guardrail, identifier: str, version: str) -> GuardrailVersion:
        found = guardrail.draft if version == DRAFT else guardrail.versions.get(int(version))
        if found is None:
            message = VERSION_NOT_FOUND.format(identifier=identifier, version=version)
            raise ResourceNotFoundException(message)
        return found

    def _observed(self, guardrail: Guardrail) -> Guardrail:
        """A control-plane read: statuses whose time has come are READY from now on."""
        for version in guardrail.all_versions():
            version.progress.advance()
        return guardrail

    # configuration

    def _kms_key_arn(self, key: str | None) -> str | None:
        """The key ARN GetGuardrail reports: an ARN as given, a key id in this account and
        region; an alias is not looked up in KMS: it reports a key id derived from its name."""
        if key is None:
            return None
        if key.startswith("arn:") and ":key/" in key:
            return key
        if not _KMS_KEY_ID.match(key):
            key = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
        partition = get_partition(self.region_name)
        return f"arn:{partition}:kms:{self.region_name}:{self.account_id}:key/{key}"

    def _cross_region(self, config: dict[str, str] | None) -> dict[str, str] | None:
        """crossRegionDetails for a guardrail profile of a geography this region belongs to
        (`us.guardrail.v1:0` or its ARN)."""
        if config is None:
            return None
        identifier = config["guardrailProfileIdentifier"]
        arn = _PROFILE_ARN.match(identifier)
        profile_id = arn["id"] if arn else identifier
        geo = geographies().get(profile_id[: -len(PROFILE_SUFFIX)])
        mine = arn is None or (arn["region"], arn["account"]) == (self.region_name, self.account_id)
        served = geo is not None and self.region_name in geo.regions
        if not (mine and served and profile_id.endswith(PROFILE_SUFFIX)):
            raise ResourceNotFoundException(PROFILE_NOT_FOUND.format(identifier=identifier))
        resource = f"guardrail-profile/{profile_id}"
        return {
            "guardrailProfileId": profile_id,
            "guardrailProfileArn": bedrock_arn(self.region_name, self.account_id, resource),
        }

    def _draft(
        self, params: dict[str, Any], status: str, created: datetime | None = None
    ) -> GuardrailVersion:
        """A DRAFT from a Create/UpdateGuardrail request, every check done (nothing stored);
        `created` is the guardrail's creation time when it already exists."""
        cross_region = self._cross_region(params.get("crossRegionConfig"))
        policies = policy_configuration(params, cross_region is not None)
        now = moment()
        return GuardrailVersion(
            version=DRAFT,
            name=params["name"],
            description=params.get("description"),
            policies=policies,
            policy=compile_policy(policies),
            blocked_input_messaging=params["blockedInputMessaging"],
            blocked_outputs_messaging=params["blockedOutputsMessaging"],
            kms_key_arn=self._kms_key_arn(params.get("kmsKeyId")),
            cross_region=cross_region,
            created=created or now,
            updated=now,
            progress=Progress(status, READY),
        )

    def _name_free(self, name: str, other_than: str | None = None) -> None:
        taken = (g for g in self.guardrails.values() if g.guardrail_id != other_than)
        if any(guardrail.draft.name == name for guardrail in taken):
            raise BedrockError(NAME_TAKEN.format(name=name), code="ConflictException")

    # operations

    def create_guardrail(self, params: dict[str, Any]) -> Guardrail:
        token = params.get("clientRequestToken")
        request = {key: value for key, value in params.items() if key != "clientRequestToken"}
        tags = params.get("tags") or []
        with self._guardrail_lock:
            known = self._guardrail_tokens.replay(token, request)
            if known is not None:  # a deleted guardrail's tokens are forgotten with it
                return self.guardrails[known.rsplit("/", 1)[-1]]
            self._name_free(params["name"])
            if len(self.guardrails) >= MAX_GUARDRAILS:
                raise BedrockError(TOO_MANY_GUARDRAILS, code="ServiceQuotaExceededException")
            guardrail_id = resource_id()
            arn = bedrock_arn(self.region_name, self.account_id, f"guardrail/{guardrail_id}")
            check_tag_count(tags, arn=arn)
            draft = self._draft(params, CREATING)
            guardrail = Guardrail(guardrail_id, arn, draft)
            self.guardrails[guardrail_id] = guardrail
            self._guardrail_tokens.remember(token, request, arn)
            if tags:
                self.tagger.tag_resource(arn, moto_tags(tags))
        return guardrail

    def update_guardrail(self, identifier: str, params: dict[str, Any]) -> Guardrail:
        with self._guardrail_lock:
            guardrail = self._guardrail(identifier)
            self._name_free(params["name"], other_than=guardrail.guardrail_id)
            guardrail.draft = self._draft(params, UPDATING, guardrail.draft.created)
        return guardrail

    def get_guardrail(self, identifier: str, version: str = DRAFT) -> dict[str, Any]:
        with self._guardrail_lock:
            guardrail = self._observed(self._guardrail(identifier))
            return self._version(guardrail, identifier, version).to_dict(guardrail)

    def list_guardrails(self, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """Every guardrail's DRAFT (newest first), or one guardrail's DRAFT and versions."""
        identifier = params.get("guardrailIdentifier")
        with self._guardrail_lock:
            if identifier is None:
                entries = [(g, g.draft) for g in map(self._observed, self.guardrails.values())]
                order = params
            else:
                guardrail = self._observed(self._guardrail(identifier))
                entries = [(guardrail, version) for version in guardrail.all_versions()]
                order = {**params, "sortOrder": "Ascending"}
            chosen, token = page(entries, lambda entry: entry[1].created, order)
            return [version.summary(guardrail) for guardrail, version in chosen], token

    def delete_guardrail(self, identifier: str, version: str | None = None) -> None:
        with self._guardrail_lock:
            guardrail = self._guardrail(identifier)
            if version is not None:
                self._version(guardrail, identifier, version)
                self._drop_version(guardrail, int(version))
                return
            for number in list(guardrail.versions):
                self._drop_version(guardrail, number)
            del self.guardrails[guardrail.guardrail_id]
            self._guardrail_tokens.forget(guardrail.arn)
            self.tagger.delete_all_tags_for_resource(guardrail.arn)

    def _drop_version(self, guardrail: Guardrail, number: int) -> None:
        """A version gone, with the client token that made it: a retried create makes anew."""
        del guardrail.versions[number]
        self._guardrail_version_tokens.forget(f"{guardrail.arn}:{number}")

    def create_guardrail_version(
        self, identifier: str, description: str | None, token: str | None
    ) -> tuple[Guardrail, str]:
        request = {"guardrail": identifier, "description": description}
        with self._guardrail_lock:
            guardrail = self._guardrail(identifier)
            known = self._guardrail_version_tokens.replay(token, request)
            if known is not None:
                return guardrail, known.rsplit(":", 1)[-1]
            if len(guardrail.versions) >= MAX_VERSIONS:
                message = TOO_MANY_VERSIONS.format(identifier=identifier)
                raise BedrockError(message, code="ServiceQuotaExceededException")
            number = guardrail.next_version
            now = moment()
            guardrail.versions[number] = replace(
                guardrail.draft,
                version=str(number),
                description=description if description is not None else guardrail.draft.description,
                created=now,
                updated=now,
                progress=Progress(VERSIONING, READY),
            )
            guardrail.next_version += 1
            self._guardrail_version_tokens.remember(token, request, f"{guardrail.arn}:{number}")
        return guardrail, str(number)

    # hooks into tagging and the runtime

    def _list_arns(self) -> list[str]:
        with self._guardrail_lock:
            return [*super()._list_arns(), *(g.arn for g in self.guardrails.values())]

    def resolved_guardrail(self, identifier: str, version: str) -> ResolvedGuardrail | None:
        """The version a runtime call applies, or None when it does not exist (no status is
        settled: the runtime only reads)."""
        with self._guardrail_lock:
            try:
                guardrail = self._guardrail(identifier)
                found = self._version(guardrail, identifier, version)
            except (ResourceNotFoundException, ValueError):
                return None
        return ResolvedGuardrail(
            guardrail_id=guardrail.guardrail_id,
            arn=guardrail.arn,
            version=found.version,
            blocked_input_messaging=found.blocked_input_messaging,
            blocked_outputs_messaging=found.blocked_outputs_messaging,
            policy=found.policy,
        )


class GuardrailHandlers(OwnedHandlers):
    """Response mixin: the HTTP side of Guardrails."""

    bedrock_backend: Guardrails

    def create_guardrail(self) -> Response:
        guardrail = self.bedrock_backend.create_guardrail(self._input())
        body = {
            "guardrailId": guardrail.guardrail_id,
            "guardrailArn": guardrail.arn,
            "version": DRAFT,
            "createdAt": iso(guardrail.draft.created),
        }
        return self._json(body, status=202)

    def update_guardrail(self) -> Response:
        params = self._input()
        guardrail = self.bedrock_backend.update_guardrail(params["guardrailIdentifier"], params)
        body = {
            "guardrailId": guardrail.guardrail_id,
            "guardrailArn": guardrail.arn,
            "version": DRAFT,
            "updatedAt": iso(guardrail.draft.updated),
        }
        return self._json(body, status=202)

    def get_guardrail(self) -> Response:
        params = self._input()
        version = params.get("guardrailVersion", DRAFT)
        return self._json(
            self.bedrock_backend.get_guardrail(params["guardrailIdentifier"], version)
        )

    def list_guardrails(self) -> Response:
        entries, token = self.bedrock_backend.list_guardrails(self._input())
        return self._listing("guardrails", entries, token)

    def delete_guardrail(self) -> Response:
        params = self._input()
        self.bedrock_backend.delete_guardrail(
            params["guardrailIdentifier"], params.get("guardrailVersion")
        )
        return self._json({}, status=202)

    def create_guardrail_version(self) -> Response:
        params = self._input()
        guardrail, version = self.bedrock_backend.create_guardrail_version(
            params["guardrailIdentifier"],
            params.get("description"),
            params.get("clientRequestToken"),
        )
        return self._json({"guardrailId": guardrail.guardrail_id, "version": version}, status=202)
