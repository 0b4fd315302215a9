"""Model invocation logging: with PutModelInvocationLoggingConfiguration set for an account and
Region, every Converse, ConverseStream, InvokeModel and InvokeModelWithResponseStream call
(answered or failed, streams when they end) is delivered as Bedrock's ModelInvocationLog record
to moto's CloudWatch Logs and/or S3 of that account and Region, so an application's own
log-reading code can be tested.

- CloudWatch Logs (`cloudWatchConfig.logGroupName`): one event per call in the log stream
  `aws/bedrock/modelinvocations` (created when missing), the record as its JSON message. The
  log group must exist, as on AWS; without it nothing is delivered there.
- S3 (`s3Config.bucketName`, `keyPrefix`): one gzipped JSON Lines object per call at
  `<keyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/
  <YYYYMMDDTHHMMSSmmmZ>_<16 hex>.json.gz` (UTC).

The record: schemaType "ModelInvocationLog", schemaVersion "1.0", timestamp, accountId,
identity.arn (the caller as STS sees its access key), region, requestId, operation, modelId (as
sent), input {inputContentType, inputBodyJson, inputTokenCount}, output {outputContentType,
outputBodyJson, outputTokenCount}, requestMetadata when a Converse request sets it, and
errorCode (without output) when the call failed. A body is delivered only when its kind of data
is enabled: text (textDataDeliveryEnabled) for requests and text answers, image
(imageDataDeliveryEnabled) as well for a request that carries images and for generated images,
embedding (embeddingDataDeliveryEnabled) for embeddings; otherwise the record keeps the content
types and token counts without the body. Stream outputs are the list of events (ConverseStream)
or of decoded chunks (InvokeModelWithResponseStream). Large-data delivery
(`largeDataDeliveryS3Config`) is not emulated: bodies are always inline.

Delivery never fails a call: a destination that cannot be written is skipped and logged.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
from datetime import datetime, timezone
from typing import Any

from . import catalog
from .controls import readable
from .moto_services import (
    MissingBucket,
    caller_arn,
    logs_backend,
    logs_not_found,
    mock_random,
    s3_backend,
)

log = logging.getLogger("moto_bedrock_runtime.invocation_logging")

LOGGED_OPERATIONS = frozenset(
    {"Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"}
)
LOG_STREAM = "aws/bedrock/modelinvocations"
# The runtime puts an InvokeModel call's token counts on its record under this key; the
# response layer takes it off before the record goes to the history.
TOKEN_COUNTS = "token_counts"
_IMAGE_KEYS = frozenset({"image", "images", "inputImage", "conditionImage", "maskImage"})
_METRICS = "amazon-bedrock-invocationMetrics"
_delivery_lock = threading.Lock()


def deliver(record: dict[str, Any], tokens: tuple[int, int] | None, access_key: str) -> None:
    """Logs one finished runtime call if its account and Region have logging configured."""
    if record["operation"] not in LOGGED_OPERATIONS:
        return
    try:
        config = _configuration(record["account_id"], record["region"])
        if not config:
            return
        record = readable(dict(record))  # a copy: the history keeps its compact form
        entry = log_record(record, tokens, config, _identity(record, access_key))
        started = datetime.fromisoformat(record["timestamp"]).astimezone(timezone.utc)
        with _delivery_lock:
            _to_cloudwatch(entry, config, started)
            _to_s3(entry, config, started)
    except Exception:
        log.exception("model invocation logging failed for request %s", record["request_id"])


def _configuration(account_id: str, region: str) -> dict[str, Any] | None:
    from .control.models import bedrock_backends

    try:
        backend = bedrock_backends[account_id][region]
    except KeyError:  # a Region the control plane does not serve has no logging configuration
        return None
    return backend.get_model_invocation_logging_configuration()


def _identity(record: dict[str, Any], access_key: str) -> str:
    return caller_arn(record["account_id"], record["region"], access_key)


def log_record(
    record: dict[str, Any],
    tokens: tuple[int, int] | None,
    config: dict[str, Any],
    identity_arn: str,
) -> dict[str, Any]:
    """The ModelInvocationLog record of one runtime call's history entry."""
    started = datetime.fromisoformat(record["timestamp"]).astimezone(timezone.utc)
    counts = tokens or _token_counts(record)
    entry: dict[str, Any] = {
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accountId": record["account_id"],
        "identity": {"arn": identity_arn},
        "region": record["region"],
        "requestId": record["request_id"],
        "operation": record["operation"],
        "modelId": record["model_id"],
    }
    request = record.get("request")
    data: dict[str, Any] = {"inputContentType": "application/json"}
    if request is not None and _enabled(config, _input_kind(request)):
        data["inputBodyJson"] = request
    if counts:
        data["inputTokenCount"] = counts[0]
    entry["input"] = data
    if "error" in record:
        entry["errorCode"] = record["error"]["code"]
    else:
        data = {"outputContentType": "application/json"}
        if _enabled(config, _output_kind(record)):
            data["outputBodyJson"] = _output_body(record)
        if counts:
            data["outputTokenCount"] = counts[1]
        entry["output"] = data
    if isinstance(request, dict) and request.get("requestMetadata"):
        entry["requestMetadata"] = request["requestMetadata"]
    return entry


# The delivery settings a body needs, by the kind of data it holds.
_FLAGS = {
    "text": ("textDataDeliveryEnabled",),
    "text and images": ("textDataDeliveryEnabled", "imageDataDeliveryEnabled"),
    "image": ("imageDataDeliveryEnabled",),
    "embedding": ("embeddingDataDeliveryEnabled",),
}


def _enabled(config: dict[str, Any], kind: str) -> bool:
    return all(config.get(flag) for flag in _FLAGS[kind])


def _input_kind(request: Any) -> str:
    return "text and images" if _carries_images(request) else "text"


def _carries_images(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            (key in _IMAGE_KEYS and item) or _carries_images(item) for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_carries_images(item) for item in value)
    return False


def _output_kind(record: dict[str, Any]) -> str:
    model = catalog.models().get(record.get("resolved_model_id", ""))
    modalities = model.summary.get("outputModalities", []) if model else []
    if "EMBEDDING" in modalities:
        return "embedding"
    return "image" if "IMAGE" in modalities else "text"


def _output_body(record: dict[str, Any]) -> Any:
    response = record.get("response")
    if record["operation"] == "InvokeModelWithResponseStream" and isinstance(response, dict):
        return [event["chunk"] for event in response.get("events", []) if "chunk" in event]
    if record["operation"] == "ConverseStream" and isinstance(response, dict):
        return response.get("events", [])
    return response


def _token_counts(record: dict[str, Any]) -> tuple[int, int] | None:
    """A Converse answer's usage, or what a stream reported at its end."""
    response = record.get("response")
    if not isinstance(response, dict) or "error" in record:
        return None
    if "usage" in response:
        return response["usage"]["inputTokens"], response["usage"]["outputTokens"]
    for event in reversed(response.get("events", [])):
        usage = event.get("metadata", {}).get("usage")
        if usage:
            return usage["inputTokens"], usage["outputTokens"]
        metrics = event.get("chunk", {}).get(_METRICS)
        if metrics:
            return metrics["inputTokenCount"], metrics["outputTokenCount"]
    return None


def _to_cloudwatch(entry: dict[str, Any], config: dict[str, Any], started: datetime) -> None:
    group = (config.get("cloudWatchConfig") or {}).get("logGroupName")
    if not group:
        return
    logs = logs_backend(entry["accountId"], entry["region"])
    message = json.dumps(entry, ensure_ascii=False)
    event = {"timestamp": int(started.timestamp() * 1000), "message": message}
    try:
        logs.ensure_log_stream(group, LOG_STREAM)
        logs.put_log_events(group, LOG_STREAM, [event])
    except logs_not_found():
        log.warning("model invocation logging: log group %s does not exist", group)


def _to_s3(entry: dict[str, Any], config: dict[str, Any], started: datetime) -> None:
    settings = config.get("s3Config") or {}
    bucket = settings.get("bucketName")
    if not bucket:
        return
    s3 = s3_backend(entry["accountId"], entry["region"])
    stamp = started.strftime("%Y%m%dT%H%M%S%f")[:-3]
    name = f"{stamp}Z_{mock_random.get_random_hex(16)}.json.gz"
    parts = [
        (settings.get("keyPrefix") or "").strip("/"),
        "AWSLogs",
        entry["accountId"],
        "BedrockModelInvocationLogs",
        entry["region"],
        f"{started:%Y/%m/%d/%H}",
        name,
    ]
    body = gzip.compress((json.dumps(entry, ensure_ascii=False) + "\n").encode(), mtime=0)
    try:
        s3.put_object(bucket, "/".join(part for part in parts if part), body)
    except MissingBucket:
        log.warning("model invocation logging: bucket %s does not exist", bucket)
