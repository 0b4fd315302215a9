"""Model evaluation jobs: Create/Get/List/Stop/BatchDeleteEvaluationJob as stored state.

No evaluation runs: a job keeps its configuration and moves through AWS's statuses as
control-plane reads observe it (see owned_resources): InProgress → Completed; StopEvaluationJob
makes an InProgress job Stopping → Stopped; BatchDeleteEvaluationJob makes a Completed, Failed or
Stopped job Deleting until a later read finds it gone. Every Bedrock model a job names (to
evaluate, to generate RAG answers, to judge) must be one the runtime here would reach: catalog
ids, inference profiles, or this account's own resources by ARN.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.bedrock.models import BedrockBackend

from .. import catalog
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from .common import Response, iso
from .owned_resources import (
    ClientTokens,
    OwnedHandlers,
    Progress,
    bedrock_arn,
    check_tag_count,
    created_between,
    moment,
    page,
    resource_id,
)
from .tagging import moto_tags

IN_PROGRESS, COMPLETED, FAILED = "InProgress", "Completed", "Failed"
STOPPING, STOPPED, DELETING, DELETED = "Stopping", "Stopped", "Deleting", "Deleted"
DELETABLE = (COMPLETED, FAILED, STOPPED)
MODEL_EVALUATION, RAG_EVALUATION = "ModelEvaluation", "RagEvaluation"
NOT_FOUND = "The evaluation job {arn} was not found."
NAME_TAKEN = "An evaluation job with the name {name} already exists."
NOT_STOPPABLE = "The evaluation job {arn} is {status}; only an InProgress job can be stopped."
NOT_DELETABLE = "Only evaluation jobs that are Completed, Failed or Stopped can be deleted."
NEEDS_MODELS = "A ModelEvaluation job needs inferenceConfig.models."
NEEDS_RAG = "A RagEvaluation job needs inferenceConfig.ragConfigs."


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _judges(automated: dict[str, Any], *path: str) -> list[str]:
    """The judge model identifiers under automated.<path…>.bedrockEvaluatorModels."""
    config = automated
    for key in path:
        config = config.get(key, {})
    return [judge["modelIdentifier"] for judge in config.get("bedrockEvaluatorModels", [])]


def _knowledge_base(rag: dict[str, Any]) -> dict[str, Any]:
    """A RAG config's knowledge base settings, whether it only retrieves or also generates."""
    config = rag.get("knowledgeBaseConfig", {})
    if "retrieveConfig" in config:
        return config["retrieveConfig"]
    generate = config.get("retrieveAndGenerateConfig", {})
    return generate.get("knowledgeBaseConfiguration") or generate.get(
        "externalSourcesConfiguration", {}
    )


def _precomputed(rag: dict[str, Any]) -> str | None:
    source = rag.get("precomputedRagSourceConfig", {})
    for kind in ("retrieveSourceConfig", "retrieveAndGenerateSourceConfig"):
        if kind in source:
            return source[kind]["ragSourceIdentifier"]
    return None


@dataclass
class EvaluationJob:
    """A job's stored request, and its status on the way to the next final one."""

    arn: str
    name: str
    role_arn: str
    application_type: str
    evaluation_config: dict[str, Any]
    inference_config: dict[str, Any]
    output_data_config: dict[str, Any]
    description: str | None
    kms_key: str | None
    created: datetime
    modified: datetime
    progress: Progress = field(default_factory=lambda: Progress(IN_PROGRESS, COMPLETED))

    @property
    def job_type(self) -> str:
        return "Automated" if "automated" in self.evaluation_config else "Human"

    @property
    def status(self) -> str:
        return self.progress.status

    # what the job names

    def _automated(self) -> dict[str, Any]:
        return self.evaluation_config.get("automated", {})

    def _models(self) -> list[dict[str, Any]]:
        return self.inference_config.get("models", [])

    def _rags(self) -> list[dict[str, Any]]:
        return self.inference_config.get("ragConfigs", [])

    def _evaluated(self) -> list[str]:
        return [m["bedrockModel"]["modelIdentifier"] for m in self._models() if "bedrockModel" in m]

    def bedrock_models(self) -> list[str]:
        """The Bedrock models evaluated, or generating the RAG answers evaluated."""
        evaluated = self._evaluated()
        generating = [_knowledge_base(rag).get("modelArn") for rag in self._rags()]
        return [*evaluated, *(model for model in generating if model)]

    def judges(self) -> list[str]:
        return _judges(self._automated(), "evaluatorModelConfig")

    def custom_metric_judges(self) -> list[str]:
        return _judges(self._automated(), "customMetricConfig", "evaluatorModelConfig")

    def _inference_summary(self) -> dict[str, Any]:
        if "models" in self.inference_config:
            precomputed = [
                m["precomputedInferenceSource"]["inferenceSourceIdentifier"]
                for m in self._models()
                if "precomputedInferenceSource" in m
            ]
            return {
                "modelConfigSummary": {
                    "bedrockModelIdentifiers": self._evaluated(),
                    "precomputedInferenceSourceIdentifiers": precomputed,
                }
            }
        knowledge_bases = [_knowledge_base(rag).get("knowledgeBaseId") for rag in self._rags()]
        return {
            "ragConfigSummary": {
                "bedrockKnowledgeBaseIdentifiers": [kb for kb in knowledge_bases if kb],
                "precomputedRagSourceIdentifiers": [
                    source for source in map(_precomputed, self._rags()) if source
                ],
            }
        }

    # wire forms

    def to_dict(self) -> dict[str, Any]:
        """GetEvaluationJob's body."""
        data: dict[str, Any] = {"jobName": self.name, "status": self.status, "jobArn": self.arn}
        if self.description is not None:
            data["jobDescription"] = self.description
        data["roleArn"] = self.role_arn
        if self.kms_key is not None:
            data["customerEncryptionKeyId"] = self.kms_key
        data.update(
            jobType=self.job_type,
            applicationType=self.application_type,
            evaluationConfig=self.evaluation_config,
            inferenceConfig=self.inference_config,
            outputDataConfig=self.output_data_config,
            creationTime=iso(self.created),
            lastModifiedTime=iso(self.modified),
        )
        return data

    def summary(self) -> dict[str, Any]:
        """The job as ListEvaluationJobs summarises it."""
        task_types = [config["taskType"] for config in self._config()["datasetMetricConfigs"]]
        knowledge_bases = [_knowledge_base(rag).get("knowledgeBaseId") for rag in self._rags()]
        return {
            "jobArn": self.arn,
            "jobName": self.name,
            "status": self.status,
            "creationTime": iso(self.created),
            "jobType": self.job_type,
            "evaluationTaskTypes": _unique(task_types),
            "modelIdentifiers": self.bedrock_models(),
            "ragIdentifiers": [kb for kb in knowledge_bases if kb],
            "evaluatorModelIdentifiers": self.judges(),
            "customMetricsEvaluatorModelIdentifiers": self.custom_metric_judges(),
            "inferenceConfigSummary": self._inference_summary(),
            "applicationType": self.application_type,
        }

    def _config(self) -> dict[str, Any]:
        return self._automated() or self.evaluation_config["human"]


class EvaluationJobs(BedrockBackend):
    """Backend mixin: this account's evaluation jobs in one region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.evaluation_jobs: dict[str, EvaluationJob] = {}
        self._evaluation_tokens = ClientTokens()
        self._evaluation_lock = threading.RLock()

    def _settle_evaluations(self) -> None:
        """Move every job whose time has come to its final status; deleted ones go."""
        for arn, job in list(self.evaluation_jobs.items()):
            if not job.progress.advance():
                continue
            job.modified = moment()
            if job.status == DELETED:
                del self.evaluation_jobs[arn]
                self._evaluation_tokens.forget(arn)
                self.tagger.delete_all_tags_for_resource(arn)

    def _job(self, arn: str) -> EvaluationJob:
        job = self.evaluation_jobs.get(arn)
        if job is None:
            raise ResourceNotFoundException(NOT_FOUND.format(arn=arn))
        return job

    def _check_model(self, identifier: str) -> None:
        """A Bedrock model the runtime here reaches (SageMaker endpoints are not checked). A
        resource still being created exists: only an identifier the runtime would call invalid
        is refused, with the runtime's message."""
        if identifier.startswith("arn:") and ":sagemaker:" in identifier:
            return
        owned = self.owned_model  # type: ignore[attr-defined]  # the composed backend's chain
        try:
            catalog.resolve(identifier, self.region_name, owned)
        except ValidationException:
            raise
        except BedrockError:
            return

    def create_evaluation_job(self, params: dict[str, Any]) -> EvaluationJob:
        application_type = params.get("applicationType", MODEL_EVALUATION)
        inference = params["inferenceConfig"]
        if application_type == MODEL_EVALUATION and "models" not in inference:
            raise ValidationException(NEEDS_MODELS)
        if application_type == RAG_EVALUATION and "ragConfigs" not in inference:
            raise ValidationException(NEEDS_RAG)
        tags = params.get("jobTags") or []
        check_tag_count(tags)
        at = moment()
        job = EvaluationJob(
            arn=bedrock_arn(self.region_name, self.account_id, f"evaluation-job/{resource_id()}"),
            name=params["jobName"],
            role_arn=params["roleArn"],
            application_type=application_type,
            evaluation_config=params["evaluationConfig"],
            inference_config=inference,
            output_data_config=params["outputDataConfig"],
            description=params.get("jobDescription"),
            kms_key=params.get("customerEncryptionKeyId"),
            created=at,
            modified=at,
        )
        for identifier in [*job.bedrock_models(), *job.judges(), *job.custom_metric_judges()]:
            self._check_model(identifier)
        token = params.get("clientRequestToken")
        request = {k: v for k, v in params.items() if k != "clientRequestToken"}
        with self._evaluation_lock:
            known = self._evaluation_tokens.replay(token, request)
            if known in self.evaluation_jobs:
                return self.evaluation_jobs[known]
            if any(other.name == job.name for other in self.evaluation_jobs.values()):
                raise BedrockError(NAME_TAKEN.format(name=job.name), code="ConflictException")
            self.evaluation_jobs[job.arn] = job
            self._evaluation_tokens.remember(token, request, job.arn)
            if tags:
                self.tagger.tag_resource(job.arn, moto_tags(tags))
        return job

    def get_evaluation_job(self, arn: str) -> EvaluationJob:
        with self._evaluation_lock:
            self._settle_evaluations()
            return self._job(arn)

    def list_evaluation_jobs(
        self, params: dict[str, Any]
    ) -> tuple[list[EvaluationJob], str | None]:
        with self._evaluation_lock:
            self._settle_evaluations()
            when = created_between(params, "creationTimeAfter", "creationTimeBefore")
            name = params.get("nameContains")
            chosen = [
                job
                for job in self.evaluation_jobs.values()
                if when(job.created)
                and params.get("statusEquals") in (None, job.status)
                and params.get("applicationTypeEquals") in (None, job.application_type)
                and (name is None or name in job.name)
            ]
        return page(chosen, lambda job: job.created, params)

    def stop_evaluation_job(self, arn: str) -> None:
        with self._evaluation_lock:
            self._settle_evaluations()
            job = self._job(arn)
            if job.status != IN_PROGRESS:
                raise BedrockError(
                    NOT_STOPPABLE.format(arn=arn, status=job.status), code="ConflictException"
                )
            job.progress.restart(STOPPING, STOPPED)
            job.modified = moment()

    def batch_delete_evaluation_job(
        self, arns: list[str]
    ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """(deleted items, errors): each job either goes to Deleting or gets an error whose
        code is the HTTP status AWS would have answered for it alone."""
        deleted, errors = [], []
        with self._evaluation_lock:
            self._settle_evaluations()
            for arn in _unique(arns):
                job = self.evaluation_jobs.get(arn)
                if job is None:
                    errors.append(
                        {"jobIdentifier": arn, "code": "404", "message": NOT_FOUND.format(arn=arn)}
                    )
                elif job.status not in DELETABLE:
                    errors.append({"jobIdentifier": arn, "code": "409", "message": NOT_DELETABLE})
                else:
                    job.progress.restart(DELETING, DELETED)
                    job.modified = moment()
                    deleted.append({"jobIdentifier": arn, "jobStatus": DELETING})
        return deleted, errors

    def _list_arns(self) -> list[str]:
        """Evaluation jobs are taggable."""
        with self._evaluation_lock:
            return [*super()._list_arns(), *self.evaluation_jobs]


class EvaluationJobHandlers(OwnedHandlers):
    """Response mixin: the HTTP side of EvaluationJobs."""

    bedrock_backend: EvaluationJobs

    def create_evaluation_job(self) -> Response:
        job = self.bedrock_backend.create_evaluation_job(self._input())
        return self._json({"jobArn": job.arn}, 202)

    def get_evaluation_job(self) -> Response:
        job = self.bedrock_backend.get_evaluation_job(self._input()["jobIdentifier"])
        return self._json(job.to_dict())

    def list_evaluation_jobs(self) -> Response:
        jobs, token = self.bedrock_backend.list_evaluation_jobs(self._input())
        return self._listing("jobSummaries", [job.summary() for job in jobs], token)

    def stop_evaluation_job(self) -> Response:
        self.bedrock_backend.stop_evaluation_job(self._input()["jobIdentifier"])
        return self._json({})

    def batch_delete_evaluation_job(self) -> Response:
        deleted, errors = self.bedrock_backend.batch_delete_evaluation_job(
            self._input()["jobIdentifiers"]
        )
        return self._json({"errors": errors, "evaluationJobs": deleted}, 202)
