"""Runs a batch inference job: JSONL records from S3 through the runtime, results back to S3.

Every record goes through the same runtime path as an InvokeModel (or, for a job of
`modelInvocationType` Converse, a Converse) call of the job's model in its account and Region:
injected faults, declared rules and the engine all apply, record by record, and nothing of a
codec is repeated here. The call history is not written (a job's records are not calls the
application made).

Output, as Bedrock writes it under the job's output URI:

- `<output>/<jobId>/<input file name>.out`: one line per input line, in input order,
  `{"recordId", "modelInput", "modelOutput"}`, or `{"recordId", "modelInput", "error":
  {"errorCode", "errorMessage"}}` where the record failed (errorCode is the HTTP status of
  the runtime's error). A line that is not a JSON object with a `modelInput` object is such an
  error line (its `modelInput` the line as read); a record without `recordId` gets an
  11-character one, as Bedrock adds one.
- `<output>/<jobId>/manifest.json.out`: `totalRecordCount`, `processedRecordCount`,
  `successRecordCount`, `errorRecordCount`, `inputTokenCount`, `outputTokenCount`.

The final status: Completed when every record succeeded, PartiallyCompleted when any failed,
Stopped when a stop request ended the run early (what ran is written), and Failed, with
nothing written, when the input or output location cannot be used or holds no records.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import json_input
from ..errors import BedrockError, InternalServerException, status_for
from ..moto_services import mock_random
from . import S3Location, S3LocationError, S3Store

log = logging.getLogger("moto_bedrock_runtime.jobs")

COMPLETED, PARTIALLY_COMPLETED = "Completed", "PartiallyCompleted"
FAILED, STOPPED = "Failed", "Stopped"
NO_RECORDS = "No JSONL records were found at the input location {uri}."
BAD_LINE = "The record is not a JSON object with a modelInput object."
INTERNAL_ERROR = "The server encountered an internal error while processing the record."


@dataclass(frozen=True)
class BatchSpec:
    """What a job run needs to know about its job."""

    job_id: str
    account_id: str
    region: str
    model_id: str
    invocation_type: str  # InvokeModel | Converse
    input_uri: str
    output_uri: str


@dataclass
class BatchOutcome:
    status: str
    message: str | None = None
    total: int = 0
    processed: int = 0
    success: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def manifest(self) -> dict[str, int]:
        return {
            "totalRecordCount": self.total,
            "processedRecordCount": self.processed,
            "successRecordCount": self.success,
            "errorRecordCount": self.errors,
            "inputTokenCount": self.input_tokens,
            "outputTokenCount": self.output_tokens,
        }


@dataclass
class _Record:
    record_id: str
    model_input: Any
    problem: str | None = None  # set for a line that is not a usable record


@dataclass
class _File:
    key: str
    records: list[_Record] = field(default_factory=list)


def run(spec: BatchSpec, stop_requested: Callable[[], bool]) -> BatchOutcome:
    """Runs every record, writes the outputs and the manifest, and says how it went."""
    store = S3Store(spec.account_id, spec.region)
    try:
        source = S3Location.parse(spec.input_uri)
        target = S3Location.parse(spec.output_uri)
        files = [_File(key, list(_records(data))) for key, data in store.objects(source, ".jsonl")]
        store.check_bucket(target.bucket)
    except S3LocationError as exc:
        return BatchOutcome(FAILED, str(exc))
    outcome = BatchOutcome(COMPLETED, total=sum(len(f.records) for f in files))
    if not outcome.total:
        return BatchOutcome(FAILED, NO_RECORDS.format(uri=spec.input_uri))
    invoke = _invoker(spec)
    for source_file in files:
        lines = []
        for record in source_file.records:
            if stop_requested():
                outcome.status = STOPPED
                break
            lines.append(_line(record, invoke, outcome))
        name = source_file.key.rsplit("/", 1)[-1] + ".out"
        if lines:
            store.put(target.bucket, target.child(spec.job_id, name), _jsonl(lines))
        if outcome.status == STOPPED:
            break
    if outcome.status != STOPPED and outcome.errors:
        outcome.status = PARTIALLY_COMPLETED
    manifest = json.dumps(outcome.manifest()).encode()
    store.put(target.bucket, target.child(spec.job_id, "manifest.json.out"), manifest)
    return outcome


def _records(data: bytes) -> Iterator[_Record]:
    """Each non-blank line as a record; a line that is not one keeps its text."""
    for raw in data.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            continue
        try:
            line = json_input.loads(raw)
        except ValueError:
            line = None
        if not isinstance(line, dict) or not isinstance(line.get("modelInput"), dict):
            yield _Record(_record_id(line), raw, BAD_LINE)
            continue
        yield _Record(_record_id(line), line["modelInput"])


def _record_id(line: Any) -> str:
    given = line.get("recordId") if isinstance(line, dict) else None
    return str(given) if given is not None else mock_random.get_random_string(11).upper()


Invoke = Callable[[dict[str, Any]], tuple[dict[str, Any], int, int]]


def _invoker(spec: BatchSpec) -> Invoke:
    """One record's native (or Converse) output and token counts, from the runtime backend."""
    from ..runtime.models import bedrockruntime_backends  # the runtime imports the control plane

    backend = bedrockruntime_backends[spec.account_id][spec.region]

    def invoke(model_input: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
        body = json.dumps(model_input).encode()
        if spec.invocation_type == "Converse":
            answer = backend.converse(spec.model_id, body, {})
            usage = answer["usage"]
            return answer, usage["inputTokens"], usage["outputTokens"]
        result = backend.invoke_model(spec.model_id, body, "application/json", "*/*", {})
        return result.native, result.input_tokens, result.output_tokens

    return invoke


def _line(record: _Record, invoke: Invoke, outcome: BatchOutcome) -> dict[str, Any]:
    line: dict[str, Any] = {"recordId": record.record_id, "modelInput": record.model_input}
    outcome.processed += 1
    if record.problem is not None:
        error: BedrockError | None = BedrockError(record.problem, code="ValidationException")
    else:
        try:
            output, tokens_in, tokens_out = invoke(record.model_input)
            error = None
        except BedrockError as exc:
            error = exc
        except Exception:
            log.exception("batch record %s failed", record.record_id)
            error = InternalServerException(INTERNAL_ERROR)
    if error is not None:
        outcome.errors += 1
        line["error"] = {"errorCode": status_for(error.code), "errorMessage": error.message}
        return line
    outcome.success += 1
    outcome.input_tokens += tokens_in
    outcome.output_tokens += tokens_out
    line["modelOutput"] = output
    return line


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
