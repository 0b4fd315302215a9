"""Custom models beyond moto's customization jobs: CreateCustomModel, model import jobs and the
imported models they make, model copy jobs, and custom model deployments; with the runtime
reaching the foundation model behind each of their ARNs.

* CreateCustomModel imports a SageMaker-trained Amazon Nova model (AWS's only use of it). The
  model lands in moto's own `custom_models` store, so GetCustomModel (moto's handler) answers
  for it; its ARN is `custom-model/imported/<id>` and its customizationType IMPORTED. Its base
  model is the Nova size the S3 URI (or model package ARN) names, `nova-lite` or `nova-pro`,
  else Nova Micro: the customizable `…:0:128k`/`…:0:300k` versions.
* An import job reads `config.json` under its S3 prefix in moto's S3 when it is there: its
  `model_type` picks the architecture, and the imported model answers at runtime as the catalog
  model whose native body AWS documents for that architecture (imported models take "the same
  inference parameters" as the matching Bedrock model): Llama (and Flan-T5 / GPTBigCode, whose
  BedrockCompletion format is Llama's prompt/generation one) → Llama 3.1 8B Instruct, Mllama →
  Llama 3.2 11B Vision, Mistral / Mixtral → Mistral 7B / Mixtral 8x7B, Qwen2/2.5/3 and their VL
  variants → Qwen3 32B, GPT-OSS → gpt-oss-20b. Without a config.json the model is a Llama; an
  unknown model_type or a config.json that is not JSON fails the job, as AWS fails it.
* A copy job is sent to the target region and copies a custom model of any region of the
  account there; the copy is a new custom model in this region's store.
* Jobs go InProgress → Completed, custom models Creating → Active, deployments Creating →
  Active (and an update Updating → UpdateCompleted), as owned_resources describes; the imported
  model or copied model exists once its job has completed.
* ListCustomModels and DeleteCustomModel are answered here for moto's models and these alike:
  moto's handlers emit members botocore's shape lacks, filter nameContains on the job name and
  delete by name only; these take every filter AWS has and ARNs as well as names.
* The runtime takes imported-model and deployment ARNs (and, as for moto's custom models, the
  custom models themselves); one not ready yet answers ModelNotReadyException.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.bedrock.models import BedrockBackend, CustomModel

from ..controls import NOT_READY
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from ..moto_services import BedrockNotFound as MotoNotFound
from ..moto_services import MissingBucket, get_partition, s3_backends
from .common import Response, iso
from .owned_resources import (
    OwnedHandlers,
    Progress,
    bedrock_arn,
    check_tag_count,
    created_between,
    foundation_arn,
    listed,
    moment,
    page,
    resource_id,
)

CREATING, ACTIVE = "Creating", "Active"
IN_PROGRESS, COMPLETED, FAILED = "InProgress", "Completed", "Failed"
UPDATING, UPDATE_COMPLETED = "Updating", "UpdateCompleted"

CUSTOM_MODEL_EXISTS = "Custom model {name} already exists"
CUSTOM_MODEL_NOT_FOUND = "Custom model {identifier} not found"
NO_MODEL_SOURCE = "Specify either modelSourceConfig or customModelDataSource."
IMPORT_JOB_EXISTS = "Model import job {name} already exists"
IMPORT_JOB_NOT_FOUND = "Model import job {identifier} not found"
IMPORTED_MODEL_EXISTS = "Imported model {name} already exists"
IMPORTED_MODEL_NOT_FOUND = "Imported model {identifier} not found"
COPY_JOB_NOT_FOUND = "Model copy job {identifier} not found"
DEPLOYMENT_EXISTS = "Custom model deployment {name} already exists"
DEPLOYMENT_NOT_FOUND = "Custom model deployment {identifier} not found"
UNSUPPORTED_ARCHITECTURE = "The model architecture {architecture} isn't supported for import."
BAD_CONFIG = "The config.json file in the model data source isn't valid JSON."

# config.json model_type → (catalog model answering for it, instructSupported: Converse works).
ARCHITECTURES: dict[str, tuple[str, bool]] = {
    "llama": ("meta.llama3-1-8b-instruct-v1:0", True),
    "mllama": ("meta.llama3-2-11b-instruct-v1:0", True),
    "t5": ("meta.llama3-1-8b-instruct-v1:0", False),
    "gpt_bigcode": ("meta.llama3-1-8b-instruct-v1:0", False),
    "mistral": ("mistral.mistral-7b-instruct-v0:2", True),
    "mixtral": ("mistral.mixtral-8x7b-instruct-v0:1", True),
    "qwen2": ("qwen.qwen3-32b-v1:0", True),
    "qwen2_vl": ("qwen.qwen3-32b-v1:0", False),
    "qwen2_5_vl": ("qwen.qwen3-32b-v1:0", False),
    "qwen3": ("qwen.qwen3-32b-v1:0", True),
    "gpt_oss": ("openai.gpt-oss-20b-1:0", False),
}
DEFAULT_ARCHITECTURE = "llama"
NOVA_BASES = {
    "micro": "amazon.nova-micro-v1:0:128k",
    "lite": "amazon.nova-lite-v1:0:300k",
    "pro": "amazon.nova-pro-v1:0:300k",
}
_NOVA_SIZE = re.compile(r"nova[-_]?(micro|lite|pro)(?![a-z])", re.IGNORECASE)
_CUSTOM_ARN = re.compile(
    r"^arn:aws[a-z-]*:bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"custom-model/(?:(?P<middle>[^/]+)/)?[^/]+$"
)
_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<prefix>.*)$")
_KMS_KEY_ID = re.compile(r"^[a-zA-Z0-9-]{36}$")
CUSTOM_MODEL_UNITS = {"customModelUnitsPerModelCopy": 1, "customModelUnitsVersion": "v1.0"}
_MOTO_TIME = "%Y-%m-%d %H:%M:%S"


def _moto_time(when: datetime) -> str:
    """moto's CustomModel keeps creation_time as local-time text: models stored here too."""
    return when.astimezone().strftime(_MOTO_TIME)


def _created(model: CustomModel) -> datetime:
    return datetime.strptime(model.creation_time, _MOTO_TIME).astimezone()


def _base_id(base_model_arn: str) -> str:
    return base_model_arn.rsplit("/", 1)[-1]


class StoredCustomModel(CustomModel):
    """A custom model made by CreateCustomModel or a copy job, kept in moto's store beside the
    customization jobs' models, with the modelStatus moto's models lack."""

    def __init__(
        self,
        *,
        name: str,
        arn: str,
        base_model_arn: str,
        region_name: str,
        account_id: str,
        customization_type: str | None,
        kms_key_arn: str | None,
        status: Progress,
        source: CustomModel | None = None,
    ) -> None:
        super().__init__(
            model_name=name,
            job_name="",  # made by no customization job (falsy members leave to_dict)
            job_arn="",
            base_model_arn=base_model_arn,
            hyper_parameters=source.hyper_parameters if source else {},
            output_data_config=source.output_data_config if source else {},
            training_data_config=source.training_data_config if source else {},
            training_metrics=source.training_metrics if source else {},
            base_model_name=_base_id(base_model_arn).split(":")[0],
            region_name=region_name,
            account_id=account_id,
            customization_type=customization_type,
            model_kms_key_arn=kms_key_arn,
            validation_data_config=source.validation_data_config if source else None,
            validation_metrics=source.validation_metrics if source else None,
        )
        self.model_arn = arn
        self.status = status
        self.creation_time = _moto_time(moment())

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "modelStatus": self.status.status}


@dataclass
class ImportJob:
    name: str
    arn: str
    model_name: str
    model_arn: str
    role_arn: str
    data_source: dict[str, Any]
    architecture: str
    failure: str | None
    kms_key_arn: str | None
    vpc_config: dict[str, Any] | None
    model_tags: list[dict[str, str]] | None
    created: datetime
    modified: datetime
    progress: Progress
    ended: datetime | None = None

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "jobArn": self.arn,
            "jobName": self.name,
            "status": self.progress.status,
            "lastModifiedTime": iso(self.modified),
            "creationTime": iso(self.created),
            "importedModelName": self.model_name,
        }
        if self.ended:
            data["endTime"] = iso(self.ended)
        if self.progress.status == COMPLETED:
            data["importedModelArn"] = self.model_arn
        return data

    def to_dict(self) -> dict[str, Any]:
        data = {**self.summary(), "roleArn": self.role_arn, "modelDataSource": self.data_source}
        optional = {
            "failureMessage": self.failure if self.progress.status == FAILED else None,
            "vpcConfig": self.vpc_config,
            "importedModelKmsKeyArn": self.kms_key_arn,
        }
        return data | {k: v for k, v in optional.items() if v}


@dataclass
class ImportedModel:
    name: str
    arn: str
    job: ImportJob
    created: datetime

    @property
    def base_model_id(self) -> str:
        return ARCHITECTURES[self.job.architecture][0]

    def summary(self) -> dict[str, Any]:
        return {
            "modelArn": self.arn,
            "modelName": self.name,
            "creationTime": iso(self.created),
            "instructSupported": ARCHITECTURES[self.job.architecture][1],
            "modelArchitecture": self.job.architecture,
        }

    def to_dict(self) -> dict[str, Any]:
        data = {
            **self.summary(),
            "jobName": self.job.name,
            "jobArn": self.job.arn,
            "modelDataSource": self.job.data_source,
            "customModelUnits": CUSTOM_MODEL_UNITS,
        }
        if self.job.kms_key_arn:
            data["modelKmsKeyArn"] = self.job.kms_key_arn
        return data


@dataclass
class CopyJob:
    arn: str
    source: CustomModel
    source_account: str
    target_name: str
    target_arn: str
    kms_key_arn: str | None
    tags: list[dict[str, str]] | None
    created: datetime
    progress: Progress

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "jobArn": self.arn,
            "status": self.progress.status,
            "creationTime": iso(self.created),
            "targetModelArn": self.target_arn,
            "targetModelName": self.target_name,
            "sourceAccountId": self.source_account,
            "sourceModelArn": self.source.model_arn,
            "sourceModelName": self.source.model_name,
        }
        if self.kms_key_arn:
            data["targetModelKmsKeyArn"] = self.kms_key_arn
        if self.tags:
            data["targetModelTags"] = self.tags
        return data


@dataclass
class Deployment:
    name: str
    arn: str
    model_arn: str
    description: str | None
    created: datetime
    updated: datetime
    progress: Progress
    update: Progress | None = None
    update_model_arn: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "customModelDeploymentArn": self.arn,
            "customModelDeploymentName": self.name,
            "modelArn": self.model_arn,
            "createdAt": iso(self.created),
            "status": self.progress.status,
            "lastUpdatedAt": iso(self.updated),
        }

    def to_dict(self) -> dict[str, Any]:
        data = {
            "customModelDeploymentArn": self.arn,
            "modelDeploymentName": self.name,
            "modelArn": self.model_arn,
            "createdAt": iso(self.created),
            "status": self.progress.status,
            "lastUpdatedAt": iso(self.updated),
        }
        if self.description:
            data["description"] = self.description
        if self.update and self.update_model_arn:
            data["updateDetails"] = {
                "modelArn": self.update_model_arn,
                "updateStatus": self.update.status,
            }
        return data


def _status(model: CustomModel) -> str:
    """moto's own custom models are ready as soon as their customization job is created."""
    return model.status.status if isinstance(model, StoredCustomModel) else ACTIVE


def _custom_model_summary(model: CustomModel) -> dict[str, Any]:
    data = {
        "modelArn": model.model_arn,
        "modelName": model.model_name,
        "creationTime": iso(_created(model)),
        "baseModelArn": model.base_model_arn,
        "baseModelName": _base_id(model.base_model_arn).split(":")[0],
        "ownerAccountId": model.account_id,
        "modelStatus": _status(model),
    }
    if model.customization_type:
        data["customizationType"] = model.customization_type
    return data


def _kms_key_arn(key: str | None, region: str, account: str) -> str | None:
    """The key ARN AWS reports for a KMS key id or ARN (an alias names no key ARN to report)."""
    if not key:
        return None
    if key.startswith("arn:") and ":key/" in key:
        return key
    if _KMS_KEY_ID.match(key):
        return f"arn:{get_partition(region)}:kms:{region}:{account}:key/{key}"
    return None


def _nova_base(source: str) -> str:
    size = _NOVA_SIZE.search(source)
    return NOVA_BASES[size.group(1).lower() if size else "micro"]


class CustomModels(BedrockBackend):
    """Backend mixin: CreateCustomModel, import jobs and imported models, copy jobs and custom
    model deployments of this account in one region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.import_jobs: dict[str, ImportJob] = {}
        self.imported_models: dict[str, ImportedModel] = {}
        self.copy_jobs: dict[str, CopyJob] = {}
        self.deployments: dict[str, Deployment] = {}
        self._custom_tokens: dict[str, str] = {}
        self._custom_lock = threading.RLock()

    # -- shared with moto's operations and the runtime ------------------------------------

    def _list_arns(self) -> list[str]:
        """moto's tag operations accept the ARNs this lists."""
        return [
            *super()._list_arns(),
            *self.import_jobs,
            *self.imported_models,
            *self.deployments,
        ]

    def owned_model(self, arn: str) -> str | None:
        """Runtime calls look without settling anything: a resource nobody has read since its
        creation is not ready yet. The chain goes on outside this lock (no lock order to keep)."""
        deployed = None
        with self._custom_lock:
            imported = self.imported_models.get(arn)
            if imported is not None:
                return imported.base_model_id
            deployment = self.deployments.get(arn)
            if deployment is not None:
                if deployment.progress.status == CREATING:
                    raise BedrockError(NOT_READY, code="ModelNotReadyException")
                deployed = deployment.model_arn
            for model in self.custom_models.values():
                stored = isinstance(model, StoredCustomModel)
                if stored and model.model_arn == arn and model.status.status == CREATING:
                    raise BedrockError(NOT_READY, code="ModelNotReadyException")
        if deployed:
            return self.owned_model(deployed)
        return super().owned_model(arn)

    def get_custom_model(self, model_identifier: str) -> CustomModel:
        with self._custom_lock:
            self._settle_custom()
            return super().get_custom_model(model_identifier)

    def list_custom_models_page(
        self, params: dict[str, Any]
    ) -> tuple[list[CustomModel], str | None]:
        """ListCustomModels over moto's models and these alike, with every filter AWS has."""
        with self._custom_lock:
            self._settle_custom()
            when = created_between(params, "creationTimeAfter", "creationTimeBefore")
            name, status = params.get("nameContains"), params.get("modelStatus")
            base = params.get("baseModelArnEquals") or params.get("foundationModelArnEquals")
            chosen = [
                model
                for model in self.custom_models.values()
                if params.get("isOwned", True)  # every model here is the account's own
                and when(_created(model))
                and (name is None or name in model.model_name)
                and base in (None, model.base_model_arn)
                and status in (None, _status(model))
            ]
            return page(chosen, _created, params)

    def delete_custom_model(self, model_identifier: str) -> None:
        """moto's deletion, by ARN as well as by name, and the model's tags with it."""
        with self._custom_lock:
            model = self._custom_model(model_identifier)
            super().delete_custom_model(model.model_name)
            self.tagger.delete_all_tags_for_resource(model.model_arn)

    def _settle_custom(self) -> None:
        """Move every pending resource on whose time has come (see owned_resources)."""
        for model in self.custom_models.values():
            if isinstance(model, StoredCustomModel):
                model.status.advance()
        for job in self.import_jobs.values():
            if job.progress.advance():
                job.modified = job.ended = moment()
                if job.progress.status == COMPLETED:
                    self._import(job)
        for copy in self.copy_jobs.values():
            if copy.progress.advance():
                self._copy(copy)
        for deployment in self.deployments.values():
            if deployment.progress.advance():
                deployment.updated = moment()
            if deployment.update and deployment.update.advance():
                deployment.model_arn = deployment.update_model_arn or deployment.model_arn
                deployment.updated = moment()

    def _known(self, kind: str, token: str | None, store: dict[str, Any]) -> str | None:
        """The ARN an earlier create with this clientRequestToken made, if it still exists."""
        arn = self._custom_tokens.get(f"{kind}:{token}") if token else None
        return arn if arn in store else None

    def _remember(self, kind: str, token: str | None, arn: str) -> None:
        if token:
            self._custom_tokens[f"{kind}:{token}"] = arn

    def _name_taken(self, name: str) -> bool:
        pending = (c.target_name for c in self.copy_jobs.values() if c.progress.pending)
        return name in self.custom_models or name in pending

    # -- CreateCustomModel ------------------------------------------------------------------

    def create_custom_model(
        self,
        name: str,
        source: dict[str, Any] | None,
        package: dict[str, Any] | None,
        kms_key_arn: str | None,
        tags: list[dict[str, str]] | None,
        client_request_token: str | None,
    ) -> str:
        with self._custom_lock:
            known = self._known("custom-model", client_request_token, self._custom_model_arns())
            if known:
                return known
            self._settle_custom()
            if not source and not package:
                raise ValidationException(NO_MODEL_SOURCE)
            if self._name_taken(name):
                raise BedrockError(CUSTOM_MODEL_EXISTS.format(name=name), code="ConflictException")
            check_tag_count(tags)
            where = (source or {}).get("s3DataSource", {}).get("s3Uri", "")
            where += (package or {}).get("modelPackageArnDataSource", {}).get("modelPackageArn", "")
            model = StoredCustomModel(
                name=name,
                arn=bedrock_arn(
                    self.region_name, self.account_id, f"custom-model/imported/{resource_id()}"
                ),
                base_model_arn=foundation_arn(self.region_name, _nova_base(where)),
                region_name=self.region_name,
                account_id=self.account_id,
                customization_type="IMPORTED",
                kms_key_arn=kms_key_arn,
                status=Progress(CREATING, ACTIVE),
            )
            self.custom_models[name] = model
            self._remember("custom-model", client_request_token, model.model_arn)
            if tags:
                self.tag_resource(model.model_arn, tags)
            return model.model_arn

    def _custom_model_arns(self) -> dict[str, CustomModel]:
        return {model.model_arn: model for model in self.custom_models.values()}

    def _custom_model(self, identifier: str) -> CustomModel:
        try:
            return self.get_custom_model(identifier)
        except MotoNotFound as exc:
            raise ResourceNotFoundException(
                CUSTOM_MODEL_NOT_FOUND.format(identifier=identifier)
            ) from exc

    # -- model import jobs and imported models ------------------------------------------------

    def create_model_import_job(
        self,
        job_name: str,
        model_name: str,
        role_arn: str,
        data_source: dict[str, Any],
        job_tags: list[dict[str, str]] | None,
        model_tags: list[dict[str, str]] | None,
        vpc_config: dict[str, Any] | None,
        kms_key_id: str | None,
        client_request_token: str | None,
    ) -> str:
        with self._custom_lock:
            known = self._known("import-job", client_request_token, self.import_jobs)
            if known:
                return known
            self._settle_custom()
            if any(job.name == job_name for job in self.import_jobs.values()):
                raise BedrockError(
                    IMPORT_JOB_EXISTS.format(name=job_name), code="ConflictException"
                )
            pending = {j.model_name for j in self.import_jobs.values() if j.progress.pending}
            if model_name in pending or any(
                m.name == model_name for m in self.imported_models.values()
            ):
                raise BedrockError(
                    IMPORTED_MODEL_EXISTS.format(name=model_name), code="ConflictException"
                )
            check_tag_count(job_tags, model_tags)
            architecture, failure = self._architecture(data_source["s3DataSource"]["s3Uri"])
            created = moment()
            job = ImportJob(
                name=job_name,
                arn=bedrock_arn(
                    self.region_name, self.account_id, f"model-import-job/{resource_id()}"
                ),
                model_name=model_name,
                model_arn=bedrock_arn(
                    self.region_name, self.account_id, f"imported-model/{resource_id()}"
                ),
                role_arn=role_arn,
                data_source=data_source,
                architecture=architecture,
                failure=failure,
                kms_key_arn=_kms_key_arn(kms_key_id, self.region_name, self.account_id),
                vpc_config=vpc_config,
                model_tags=model_tags,
                created=created,
                modified=created,
                progress=Progress(IN_PROGRESS, FAILED if failure else COMPLETED),
            )
            self.import_jobs[job.arn] = job
            self._remember("import-job", client_request_token, job.arn)
            if job_tags:
                self.tag_resource(job.arn, job_tags)
            return job.arn

    def _architecture(self, s3_uri: str) -> tuple[str, str | None]:
        """(model_type, failure message) from config.json under the S3 prefix, if it is there."""
        where = _S3_URI.match(s3_uri)
        if where is None:
            return DEFAULT_ARCHITECTURE, None
        prefix = where.group("prefix").rstrip("/")
        key = f"{prefix}/config.json" if prefix else "config.json"
        try:
            s3 = s3_backends[self.account_id][get_partition(self.region_name)]
            found = s3.get_object(where.group("bucket"), key)
        except MissingBucket:
            found = None
        if found is None:
            return DEFAULT_ARCHITECTURE, None
        try:
            config = json.loads(found.value)
        except ValueError:
            return DEFAULT_ARCHITECTURE, BAD_CONFIG
        architecture = str(config.get("model_type", DEFAULT_ARCHITECTURE)).lower()
        if architecture not in ARCHITECTURES:
            return architecture, UNSUPPORTED_ARCHITECTURE.format(architecture=architecture)
        return architecture, None

    def _import(self, job: ImportJob) -> None:
        model = ImportedModel(name=job.model_name, arn=job.model_arn, job=job, created=moment())
        self.imported_models[model.arn] = model
        if job.model_tags:
            self.tag_resource(model.arn, job.model_tags)

    def get_model_import_job(self, identifier: str) -> ImportJob:
        with self._custom_lock:
            self._settle_custom()
            for job in self.import_jobs.values():
                if identifier in (job.arn, job.name):
                    return job
            raise ResourceNotFoundException(IMPORT_JOB_NOT_FOUND.format(identifier=identifier))

    def list_model_import_jobs(self, params: dict[str, Any]) -> tuple[list[ImportJob], str | None]:
        with self._custom_lock:
            self._settle_custom()
            when = created_between(params, "creationTimeAfter", "creationTimeBefore")
            status, name = params.get("statusEquals"), params.get("nameContains")
            chosen = [
                job
                for job in self.import_jobs.values()
                if when(job.created)
                and status in (None, job.progress.status)
                and (name is None or name in job.name)
            ]
            return page(chosen, lambda job: job.created, params)

    def get_imported_model(self, identifier: str) -> ImportedModel:
        with self._custom_lock:
            self._settle_custom()
            for model in self.imported_models.values():
                if identifier in (model.arn, model.name):
                    return model
            raise ResourceNotFoundException(IMPORTED_MODEL_NOT_FOUND.format(identifier=identifier))

    def list_imported_models(
        self, params: dict[str, Any]
    ) -> tuple[list[ImportedModel], str | None]:
        with self._custom_lock:
            self._settle_custom()
            when = created_between(params, "creationTimeAfter", "creationTimeBefore")
            name = params.get("nameContains")
            chosen = [
                model
                for model in self.imported_models.values()
                if when(model.created) and (name is None or name in model.name)
            ]
            return page(chosen, lambda model: model.created, params)

    def delete_imported_model(self, identifier: str) -> None:
        with self._custom_lock:
            model = self.get_imported_model(identifier)
            del self.imported_models[model.arn]
            self.tagger.delete_all_tags_for_resource(model.arn)

    # -- model copy jobs ------------------------------------------------------------------------

    def create_model_copy_job(
        self,
        source_arn: str,
        target_name: str,
        kms_key_id: str | None,
        tags: list[dict[str, str]] | None,
        client_request_token: str | None,
    ) -> str:
        where = _CUSTOM_ARN.match(source_arn)
        # Found before taking this backend's lock: two regions copying from each other at once
        # must not each hold their own lock while waiting for the other's.
        source = self._source_model(source_arn, where)
        with self._custom_lock:
            known = self._known("copy-job", client_request_token, self.copy_jobs)
            if known:
                return known
            self._settle_custom()
            if self._name_taken(target_name):
                raise BedrockError(
                    CUSTOM_MODEL_EXISTS.format(name=target_name), code="ConflictException"
                )
            check_tag_count(tags)
            middle = (where and where.group("middle")) or _base_id(source.base_model_arn)
            job = CopyJob(
                arn=bedrock_arn(
                    self.region_name, self.account_id, f"model-copy-job/{resource_id()}"
                ),
                source=source,
                source_account=where.group("account") if where else self.account_id,
                target_name=target_name,
                target_arn=bedrock_arn(
                    self.region_name, self.account_id, f"custom-model/{middle}/{resource_id()}"
                ),
                kms_key_arn=_kms_key_arn(kms_key_id, self.region_name, self.account_id),
                tags=tags,
                created=moment(),
                progress=Progress(IN_PROGRESS, COMPLETED),
            )
            self.copy_jobs[job.arn] = job
            self._remember("copy-job", client_request_token, job.arn)
            return job.arn

    def _source_model(self, source_arn: str, where: re.Match[str] | None) -> CustomModel:
        """The custom model a copy job copies, from its own account's backend in its region."""
        from .models import bedrock_backends  # the composed BackendDict (it imports this module)

        not_found = ResourceNotFoundException(CUSTOM_MODEL_NOT_FOUND.format(identifier=source_arn))
        if where is None:
            raise not_found
        try:
            backend = bedrock_backends[where.group("account")][where.group("region")]
        except KeyError as exc:
            raise not_found from exc
        try:
            return backend.get_custom_model(source_arn)
        except MotoNotFound as exc:
            raise not_found from exc

    def _copy(self, job: CopyJob) -> None:
        source = job.source
        model = StoredCustomModel(
            name=job.target_name,
            arn=job.target_arn,
            base_model_arn=foundation_arn(self.region_name, _base_id(source.base_model_arn)),
            region_name=self.region_name,
            account_id=self.account_id,
            customization_type=source.customization_type,
            kms_key_arn=job.kms_key_arn,
            status=Progress(ACTIVE, ACTIVE),
            source=source,
        )
        self.custom_models[model.model_name] = model
        if job.tags:
            self.tag_resource(model.model_arn, job.tags)

    def get_model_copy_job(self, job_arn: str) -> CopyJob:
        with self._custom_lock:
            self._settle_custom()
            job = self.copy_jobs.get(job_arn)
            if job is None:
                raise ResourceNotFoundException(COPY_JOB_NOT_FOUND.format(identifier=job_arn))
            return job

    def list_model_copy_jobs(self, params: dict[str, Any]) -> tuple[list[CopyJob], str | None]:
        with self._custom_lock:
            self._settle_custom()
            when = created_between(params, "creationTimeAfter", "creationTimeBefore")
            status, account, source, name = (
                params.get("statusEquals"),
                params.get("sourceAccountEquals"),
                params.get("sourceModelArnEquals"),
                params.get("targetModelNameContains"),
            )
            chosen = [
                job
                for job in self.copy_jobs.values()
                if when(job.created)
                and status in (None, job.progress.status)
                and account in (None, job.source_account)
                and source in (None, job.source.model_arn)
                and (name is None or name in job.target_name)
            ]
            return page(chosen, lambda job: job.created, params)

    # -- custom model deployments -----------------------------------------------------------

    def create_custom_model_deployment(
        self,
        name: str,
        model_arn: str,
        description: str | None,
        tags: list[dict[str, str]] | None,
        client_request_token: str | None,
    ) -> str:
        with self._custom_lock:
            known = self._known("deployment", client_request_token, self.deployments)
            if known:
                return known
            self._settle_custom()
            if any(d.name == name for d in self.deployments.values()):
                raise BedrockError(DEPLOYMENT_EXISTS.format(name=name), code="ConflictException")
            check_tag_count(tags)
            model = self._custom_model(model_arn)
            created = moment()
            deployment = Deployment(
                name=name,
                arn=bedrock_arn(
                    self.region_name, self.account_id, f"custom-model-deployment/{resource_id()}"
                ),
                model_arn=model.model_arn,
                description=description,
                created=created,
                updated=created,
                progress=Progress(CREATING, ACTIVE),
            )
            self.deployments[deployment.arn] = deployment
            self._remember("deployment", client_request_token, deployment.arn)
            if tags:
                self.tag_resource(deployment.arn, tags)
            return deployment.arn

    def get_custom_model_deployment(self, identifier: str) -> Deployment:
        with self._custom_lock:
            self._settle_custom()
            for deployment in self.deployments.values():
                if identifier in (deployment.arn, deployment.name):
                    return deployment
            raise ResourceNotFoundException(DEPLOYMENT_NOT_FOUND.format(identifier=identifier))

    def list_custom_model_deployments(
        self, params: dict[str, Any]
    ) -> tuple[list[Deployment], str | None]:
        with self._custom_lock:
            self._settle_custom()
            return listed(self.deployments.values(), params, "createdAfter", "createdBefore")

    def update_custom_model_deployment(self, identifier: str, model_arn: str) -> str:
        with self._custom_lock:
            deployment = self.get_custom_model_deployment(identifier)
            model = self._custom_model(model_arn)
            deployment.update_model_arn = model.model_arn
            deployment.update = Progress(UPDATING, UPDATE_COMPLETED)
            deployment.updated = moment()
            return deployment.arn

    def delete_custom_model_deployment(self, identifier: str) -> None:
        with self._custom_lock:
            deployment = self.get_custom_model_deployment(identifier)
            del self.deployments[deployment.arn]
            self.tagger.delete_all_tags_for_resource(deployment.arn)


class CustomModelHandlers(OwnedHandlers):
    """Response mixin: CreateCustomModel, import jobs, imported models, copy jobs and custom
    model deployments."""

    bedrock_backend: CustomModels

    def create_custom_model(self) -> Response:
        params = self._input()
        arn = self.bedrock_backend.create_custom_model(
            name=params["modelName"],
            source=params.get("modelSourceConfig"),
            package=params.get("customModelDataSource"),
            kms_key_arn=params.get("modelKmsKeyArn"),
            tags=params.get("modelTags"),
            client_request_token=params.get("clientRequestToken"),
        )
        return self._json({"modelArn": arn}, 202)

    def list_custom_models(self) -> Response:
        models, token = self.bedrock_backend.list_custom_models_page(self._input())
        return self._listing("modelSummaries", [_custom_model_summary(m) for m in models], token)

    def delete_custom_model(self) -> Response:
        self.bedrock_backend.delete_custom_model(self._input()["modelIdentifier"])
        return self._json({})

    def create_model_import_job(self) -> Response:
        params = self._input()
        arn = self.bedrock_backend.create_model_import_job(
            job_name=params["jobName"],
            model_name=params["importedModelName"],
            role_arn=params["roleArn"],
            data_source=params["modelDataSource"],
            job_tags=params.get("jobTags"),
            model_tags=params.get("importedModelTags"),
            vpc_config=params.get("vpcConfig"),
            kms_key_id=params.get("importedModelKmsKeyId"),
            client_request_token=params.get("clientRequestToken"),
        )
        return self._json({"jobArn": arn}, 201)

    def get_model_import_job(self) -> Response:
        job = self.bedrock_backend.get_model_import_job(self._input()["jobIdentifier"])
        return self._json(job.to_dict())

    def list_model_import_jobs(self) -> Response:
        jobs, token = self.bedrock_backend.list_model_import_jobs(self._input())
        return self._listing("modelImportJobSummaries", [j.summary() for j in jobs], token)

    def get_imported_model(self) -> Response:
        model = self.bedrock_backend.get_imported_model(self._input()["modelIdentifier"])
        return self._json(model.to_dict())

    def list_imported_models(self) -> Response:
        models, token = self.bedrock_backend.list_imported_models(self._input())
        return self._listing("modelSummaries", [m.summary() for m in models], token)

    def delete_imported_model(self) -> Response:
        self.bedrock_backend.delete_imported_model(self._input()["modelIdentifier"])
        return self._json({})

    def create_model_copy_job(self) -> Response:
        params = self._input()
        arn = self.bedrock_backend.create_model_copy_job(
            source_arn=params["sourceModelArn"],
            target_name=params["targetModelName"],
            kms_key_id=params.get("modelKmsKeyId"),
            tags=params.get("targetModelTags"),
            client_request_token=params.get("clientRequestToken"),
        )
        return self._json({"jobArn": arn}, 201)

    def get_model_copy_job(self) -> Response:
        job = self.bedrock_backend.get_model_copy_job(self._input()["jobArn"])
        return self._json(job.to_dict())

    def list_model_copy_jobs(self) -> Response:
        jobs, token = self.bedrock_backend.list_model_copy_jobs(self._input())
        return self._listing("modelCopyJobSummaries", [j.to_dict() for j in jobs], token)

    def create_custom_model_deployment(self) -> Response:
        params = self._input()
        arn = self.bedrock_backend.create_custom_model_deployment(
            name=params["modelDeploymentName"],
            model_arn=params["modelArn"],
            description=params.get("description"),
            tags=params.get("tags"),
            client_request_token=params.get("clientRequestToken"),
        )
        return self._json({"customModelDeploymentArn": arn}, 202)

    def get_custom_model_deployment(self) -> Response:
        identifier = self._input()["customModelDeploymentIdentifier"]
        return self._json(self.bedrock_backend.get_custom_model_deployment(identifier).to_dict())

    def list_custom_model_deployments(self) -> Response:
        deployments, token = self.bedrock_backend.list_custom_model_deployments(self._input())
        return self._listing("modelDeploymentSummaries", [d.summary() for d in deployments], token)

    def update_custom_model_deployment(self) -> Response:
        params = self._input()
        arn = self.bedrock_backend.update_custom_model_deployment(
            params["customModelDeploymentIdentifier"], params["modelArn"]
        )
        return self._json({"customModelDeploymentArn": arn}, 202)

    def delete_custom_model_deployment(self) -> Response:
        self.bedrock_backend.delete_custom_model_deployment(
            self._input()["customModelDeploymentIdentifier"]
        )
        return self._json({})
