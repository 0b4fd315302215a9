"""Batch inference: Create/Get/List/StopModelInvocationJob, jobs that really run (jobs/batch.py).

When a job runs: as every status here, when a control-plane request observes it (see
owned_resources). A Get, List or Stop at least ``MOTO_BEDROCK_PROVISIONING_SECONDS`` (default 0)
after the job was submitted moves it to InProgress and runs it there and then, in the request's
thread, outside the backend's lock; one at least as long after that moves it to its final
status. So by default the first Get after a create returns the finished job with its counts, and
its output is in S3; with the variable set, a polling loop sees Submitted, then InProgress, then
the final status. Nothing runs in the background: a test is deterministic, and rules declared
between the create and the first read apply to the job.

A concurrent read while a job runs sees it InProgress. A stop request before the run makes it
Stopping, then Stopped with nothing written; during the run the runner stops after the record in
hand, writes what ran and the job ends Stopped; a job already in a final status cannot be
stopped (ConflictException).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moto.bedrock.models import BedrockBackend

from ..config import provisioning_seconds
from ..errors import BedrockError, ResourceNotFoundException, ValidationException
from ..jobs import batch
from .common import Response, iso
from .owned_resources import (
    OwnedHandlers,
    bedrock_arn,
    check_tag_count,
    created_between,
    moment,
    page,
    resource_id,
)

log = logging.getLogger("moto_bedrock_runtime.control")

SUBMITTED, IN_PROGRESS, STOPPING, STOPPED = "Submitted", "InProgress", "Stopping", "Stopped"
FINAL = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})
DEFAULT_TIMEOUT_HOURS = 168
NOT_FOUND = "Model invocation job {identifier} not found"
TOKEN_REUSED = (
    "The client request token {token} was already used for a model invocation job with "
    "different parameters."
)
INTERNAL_ERROR = "The job failed because of an internal error."
CANNOT_STOP = "The model invocation job {arn} is {status} and can't be stopped."


@dataclass
class InvocationJob:
    arn: str
    name: str
    model_id: str
    role_arn: str
    client_token: str | None
    input_config: dict[str, Any]
    output_config: dict[str, Any]
    vpc_config: dict[str, Any] | None
    timeout_hours: int
    invocation_type: str | None
    fingerprint: str
    submitted: datetime
    status: str = SUBMITTED
    modified: datetime = field(default_factory=moment)
    ended: datetime | None = None
    message: str | None = None
    outcome: batch.BatchOutcome | None = None
    running: bool = False
    stop_requested: bool = False

    @property
    def job_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def move(self, status: str) -> None:
        self.status, self.modified = status, moment()
        if status in FINAL:
            self.ended = self.modified

    def due(self) -> bool:
        return (moment() - self.modified).total_seconds() >= provisioning_seconds()

    def spec(self, account_id: str, region: str) -> batch.BatchSpec:
        return batch.BatchSpec(
            job_id=self.job_id,
            account_id=account_id,
            region=region,
            model_id=self.model_id,
            invocation_type=self.invocation_type or "InvokeModel",
            input_uri=self.input_config["s3InputDataConfig"]["s3Uri"],
            output_uri=self.output_config["s3OutputDataConfig"]["s3Uri"],
        )

    def to_dict(self) -> dict[str, Any]:
        """GetModelInvocationJob's body; its list summary has the same members."""
        counts = self.outcome or batch.BatchOutcome(self.status)
        data: dict[str, Any] = {
            "jobArn": self.arn,
            "jobName": self.name,
            "modelId": self.model_id,
            "roleArn": self.role_arn,
            "status": self.status,
            "submitTime": iso(self.submitted),
            "lastModifiedTime": iso(self.modified),
            "inputDataConfig": self.input_config,
            "outputDataConfig": self.output_config,
            "timeoutDurationInHours": self.timeout_hours,
            "jobExpirationTime": iso(self.submitted + timedelta(hours=self.timeout_hours)),
            "totalRecordCount": counts.total,
            "processedRecordCount": counts.processed,
            "successRecordCount": counts.success,
            "errorRecordCount": counts.errors,
        }
        optional = {
            "clientRequestToken": self.client_token,
            "message": self.message,
            "endTime": iso(self.ended) if self.ended else None,
            "vpcConfig": self.vpc_config,
            "modelInvocationType": self.invocation_type,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data


class ModelInvocationJobs(BedrockBackend):
    """Backend mixin: this account's batch inference jobs in one region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.model_invocation_jobs: dict[str, InvocationJob] = {}
        self._invocation_job_tokens: dict[str, str] = {}
        self._invocation_job_lock = threading.RLock()

    def _list_arns(self) -> list[str]:
        """moto's tag operations accept the ARNs this lists."""
        return [*super()._list_arns(), *self.model_invocation_jobs]

    def create_model_invocation_job(self, params: dict[str, Any]) -> str:
        self._check_job_model(params["modelId"])
        token = params.get("clientRequestToken")
        fingerprint = json.dumps(
            {k: v for k, v in params.items() if k != "clientRequestToken"},
            sort_keys=True,
            default=str,
        )
        with self._invocation_job_lock:
            known = self.model_invocation_jobs.get(self._invocation_job_tokens.get(token or ""))
            if known is not None:
                if known.fingerprint != fingerprint:
                    raise BedrockError(TOKEN_REUSED.format(token=token), code="ConflictException")
                return known.arn
            check_tag_count(params.get("tags"))
            submitted = moment()
            job = InvocationJob(
                arn=bedrock_arn(
                    self.region_name, self.account_id, f"model-invocation-job/{resource_id()}"
                ),
                name=params["jobName"],
                model_id=params["modelId"],
                role_arn=params["roleArn"],
                client_token=token,
                input_config=params["inputDataConfig"],
                output_config=params["outputDataConfig"],
                vpc_config=params.get("vpcConfig"),
                timeout_hours=params.get("timeoutDurationInHours", DEFAULT_TIMEOUT_HOURS),
                invocation_type=params.get("modelInvocationType"),
                fingerprint=fingerprint,
                submitted=submitted,
                modified=submitted,
            )
            self.model_invocation_jobs[job.arn] = job
            if token:
                self._invocation_job_tokens[token] = job.arn
            if params.get("tags"):
                self.tag_resource(job.arn, params["tags"])
            return job.arn

    def _check_job_model(self, model_id: str) -> None:
        """Bedrock refuses an unknown model when the job is created: the runtime resolves it as
        for InvokeModel (ids, profiles, this account's ARNs), with the runtime's message. A
        model that is only not ready yet is the run's concern, record by record."""
        from ..runtime.models import bedrockruntime_backends  # the runtime imports this module

        try:
            bedrockruntime_backends[self.account_id][self.region_name].resolve(model_id)
        except ValidationException:
            raise
        except BedrockError:
            return

    def _observe_invocation_jobs(self) -> None:
        """Moves every job whose time has come; runs those due to start, outside the lock."""
        with self._invocation_job_lock:
            starting = self._advance_invocation_jobs()
        for job in starting:
            try:
                outcome = batch.run(
                    job.spec(self.account_id, self.region_name),
                    lambda job=job: job.stop_requested,
                )
            except Exception:
                log.exception("model invocation job %s failed", job.arn)
                outcome = batch.BatchOutcome(batch.FAILED, INTERNAL_ERROR)
            with self._invocation_job_lock:
                job.outcome, job.running = outcome, False
                job.message = outcome.message
                job.move(STOPPING if job.stop_requested else IN_PROGRESS)
        if starting:
            with self._invocation_job_lock:
                self._advance_invocation_jobs()

    def _advance_invocation_jobs(self) -> list[InvocationJob]:
        """One step for each job that is due (under the lock); the jobs now to be run."""
        starting = []
        for job in self.model_invocation_jobs.values():
            if job.running or job.status in FINAL or not job.due():
                continue
            if job.status == STOPPING:
                job.move(STOPPED)
            elif job.status == SUBMITTED:
                job.running = True
                job.move(IN_PROGRESS)
                starting.append(job)
            elif job.outcome is not None:
                job.move(job.outcome.status)
        return starting

    def _invocation_job(self, identifier: str) -> InvocationJob:
        for job in self.model_invocation_jobs.values():
            if identifier in (job.arn, job.job_id):
                return job
        raise ResourceNotFoundException(NOT_FOUND.format(identifier=identifier))

    def get_model_invocation_job(self, identifier: str) -> InvocationJob:
        self._observe_invocation_jobs()
        with self._invocation_job_lock:
            return self._invocation_job(identifier)

    def list_model_invocation_jobs(
        self, params: dict[str, Any]
    ) -> tuple[list[InvocationJob], str | None]:
        self._observe_invocation_jobs()
        with self._invocation_job_lock:
            when = created_between(params, "submitTimeAfter", "submitTimeBefore")
            status, name = params.get("statusEquals"), params.get("nameContains")
            chosen = [
                job
                for job in self.model_invocation_jobs.values()
                if when(job.submitted)
                and status in (None, job.status)
                and (name is None or name in job.name)
            ]
            return page(chosen, lambda job: job.submitted, params)

    def stop_model_invocation_job(self, identifier: str) -> None:
        """A job not yet finished is stopped, even one a read would have finished by now: on
        AWS a Submitted job can always be stopped."""
        with self._invocation_job_lock:
            job = self._invocation_job(identifier)
            if job.status in FINAL:
                raise BedrockError(
                    CANNOT_STOP.format(arn=job.arn, status=job.status), code="ConflictException"
                )
            job.stop_requested = True
            if job.status != STOPPING:
                job.move(STOPPING)
        self._observe_invocation_jobs()


class ModelInvocationJobHandlers(OwnedHandlers):
    """Response mixin: the four batch inference operations."""

    bedrock_backend: ModelInvocationJobs

    def create_model_invocation_job(self) -> Response:
        arn = self.bedrock_backend.create_model_invocation_job(self._input())
        return self._json({"jobArn": arn})

    def get_model_invocation_job(self) -> Response:
        job = self.bedrock_backend.get_model_invocation_job(self._input()["jobIdentifier"])
        return self._json(job.to_dict())

    def list_model_invocation_jobs(self) -> Response:
        jobs, token = self.bedrock_backend.list_model_invocation_jobs(self._input())
        return self._listing("invocationJobSummaries", [job.to_dict() for job in jobs], token)

    def stop_model_invocation_job(self) -> Response:
        self.bedrock_backend.stop_model_invocation_job(self._input()["jobIdentifier"])
        return self._json({})
