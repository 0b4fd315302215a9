"""StartAsyncInvoke / GetAsyncInvoke / ListAsyncInvokes: invocations that finish later and
write their output to S3.

Bedrock invokes asynchronously only the models built for it; any other model (a chat model
such as Mistral or Claude) is refused with Bedrock's own "The provided request is not valid"
(reported in boto/boto3#4382). Here, as on Bedrock:

- Amazon Nova Reel and Luma AI Ray write `<s3Uri>/<invocationId>/output.mp4`. The video is a
  placeholder: a small, deterministic MP4 container (`ftyp`, a `moov` whose movie header holds
  the requested duration, and a digest of the request), not a playable clip. Nova Reel's
  `manifest.json` and `generation-status.json` are not written.
- TwelveLabs Marengo Embed writes `<s3Uri>/<invocationId>/output.json`, `{"data": [...]}`
  with one 1024-dimension embedding per requested option (video: visual-text, visual-image,
  audio; audio: audio; text and image: one), computed by the engine as InvokeModel's
  embeddings are (similar inputs, similar vectors).

The request is checked when it is started (the model, the model input against the model's
parameters with Bedrock's "Malformed input request" wording, the output bucket, which must exist
in the request's Region); the work runs when a GetAsyncInvoke or ListAsyncInvokes observes the
invocation at least ``MOTO_BEDROCK_PROVISIONING_SECONDS`` (default 0) after it started, as every
transition of the control plane does: injected faults and declared rules (matched as an
InvokeModel call of the model, on the prompt or input text) apply then, and a failure leaves the
invocation Failed with its message. A `clientRequestToken` sent again with the same request
returns the same invocation; with a different request it is a ConflictException.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import struct
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.model import StructureShape

from ..catalog import ResolvedModel
from ..config import provisioning_seconds
from ..control.common import iso
from ..control.owned_resources import (
    bedrock_arn,
    created_between,
    foundation_arn,
    moment,
    page,
    resource_id,
)
from ..errors import BedrockError, ValidationException
from ..neutral import EmbedInput, EmbedRequest, ImageRequest
from ..request_shapes import ShapeError, input_shape, parse_body
from ..vendors.validation import validate_body
from . import S3Location, S3LocationError, S3Store

log = logging.getLogger("moto_bedrock_runtime.jobs")

IN_PROGRESS, COMPLETED, FAILED = "InProgress", "Completed", "Failed"
INTERNAL_ERROR = "The server encountered an internal error while processing the request."
NOT_VALID = "The provided request is not valid"
NOT_FOUND = "The invocation {arn} was not found."
TOKEN_REUSED = (
    "The client request token {token} was already used for an asynchronous invocation with "
    "different parameters."
)
NO_MEDIA = "The media at {uri} could not be read: {reason}"
MARENGO_DIMENSIONS = 1024
_VIDEO_OPTIONS = ("visual-text", "visual-image", "audio")

_NOVA_REEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["taskType"],
    "properties": {
        "taskType": {"enum": ["TEXT_VIDEO", "MULTI_SHOT_AUTOMATED", "MULTI_SHOT_MANUAL"]},
        "textToVideoParams": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": 512},
                "images": {"type": "array", "maxItems": 1},
            },
        },
        "multiShotAutomatedParams": {
            "type": "object",
            "required": ["text"],
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4000}},
        },
        "multiShotManualParams": {
            "type": "object",
            "required": ["shots"],
            "properties": {
                "shots": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 20,
                    "items": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": {"type": "string", "minLength": 1}},
                    },
                }
            },
        },
        "videoGenerationConfig": {
            "type": "object",
            "properties": {
                "durationSeconds": {"type": "integer", "minimum": 6, "maximum": 120},
                "fps": {"enum": [24]},
                "dimension": {"enum": ["1280x720"]},
                "seed": {"type": "integer", "minimum": 0, "maximum": 2147483646},
            },
        },
    },
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"taskType": {"const": task}}},
            "then": {"required": [params]},
        }
        for task, params in (
            ("TEXT_VIDEO", "textToVideoParams"),
            ("MULTI_SHOT_AUTOMATED", "multiShotAutomatedParams"),
            ("MULTI_SHOT_MANUAL", "multiShotManualParams"),
        )
    ],
}
_LUMA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string", "minLength": 1, "maxLength": 5000},
        "aspect_ratio": {"enum": ["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"]},
        "loop": {"type": "boolean"},
        "duration": {"enum": ["5s", "9s"]},
        "resolution": {"enum": ["540p", "720p"]},
    },
    "additionalProperties": False,
}
_MARENGO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["inputType"],
    "properties": {
        "inputType": {"enum": ["video", "text", "audio", "image"]},
        "inputText": {"type": "string", "minLength": 1},
        "textTruncate": {"enum": ["end", "none"]},
        "startSec": {"type": "number", "minimum": 0},
        "lengthSec": {"type": "number", "minimum": 0},
        "useFixedLengthSec": {"type": "number", "minimum": 2, "maximum": 10},
        "minClipSec": {"type": "integer", "minimum": 1, "maximum": 5},
        "embeddingOption": {"type": "array", "items": {"enum": list(_VIDEO_OPTIONS)}},
        "mediaSource": {
            "type": "object",
            "properties": {
                "base64String": {"type": "string"},
                "s3Location": {
                    "type": "object",
                    "required": ["uri"],
                    "properties": {"uri": {"type": "string"}, "bucketOwner": {"type": "string"}},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        },
    },
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"inputType": {"const": "text"}}},
            "then": {"required": ["inputText"]},
            "else": {"required": ["mediaSource"]},
        }
    ],
}
# The families Bedrock invokes asynchronously, with the parameters each accepts.
_SCHEMAS = {
    "nova-reel": _NOVA_REEL_SCHEMA,
    "luma": _LUMA_SCHEMA,
    "twelvelabs-marengo": _MARENGO_SCHEMA,
}


@dataclass
class AsyncInvocation:
    arn: str
    model: ResolvedModel
    model_arn: str
    model_input: dict[str, Any]
    output_config: dict[str, Any]
    client_token: str | None
    fingerprint: str
    submitted: datetime
    modified: datetime
    status: str = IN_PROGRESS
    failure: str | None = None
    ended: datetime | None = None
    running: bool = False
    ran: bool = False

    @property
    def invocation_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        """GetAsyncInvoke's body; its list summary has the same members."""
        data: dict[str, Any] = {
            "invocationArn": self.arn,
            "modelArn": self.model_arn,
            "status": self.status,
            "submitTime": iso(self.submitted),
            "lastModifiedTime": iso(self.modified),
            "outputDataConfig": self.output_config,
        }
        if self.client_token:
            data["clientRequestToken"] = self.client_token
        if self.failure:
            data["failureMessage"] = self.failure
        if self.ended:
            data["endTime"] = iso(self.ended)
        return data


class AsyncInvokes:
    """One account and region's asynchronous invocations; the runtime backend holds it."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend  # BedrockRuntimeBackend (which imports this module)
        self._lock = threading.RLock()
        self._items: dict[str, AsyncInvocation] = {}
        self._tokens: dict[str, str] = {}

    def start(self, body: dict[str, Any]) -> str:
        """Checks the request now; the invocation runs when a read observes it."""
        model = self._backend.resolve(body["modelId"])
        schema = _SCHEMAS.get(model.model.family)
        model_input = body["modelInput"]
        if schema is None or not isinstance(model_input, dict):
            raise ValidationException(NOT_VALID)
        validate_body(schema, model_input)
        output = S3Location.parse(body["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"])
        try:
            self._store().check_bucket(output.bucket)
        except S3LocationError as exc:
            raise ValidationException(str(exc)) from exc
        token = body.get("clientRequestToken")
        fingerprint = json.dumps(
            {k: v for k, v in body.items() if k != "clientRequestToken"}, sort_keys=True
        )
        with self._lock:
            known = self._items.get(self._tokens.get(token or ""))
            if known is not None:
                if known.fingerprint != fingerprint:
                    raise BedrockError(TOKEN_REUSED.format(token=token), code="ConflictException")
                return known.arn
            region, account = self._backend.region_name, self._backend.account_id
            started = moment()
            requested = body["modelId"]
            invocation = AsyncInvocation(
                arn=bedrock_arn(region, account, f"async-invoke/{resource_id()}"),
                model=model,
                model_arn=requested
                if ":provisioned-model/" in requested
                else foundation_arn(region, model.model.model_id),
                model_input=model_input,
                output_config=body["outputDataConfig"],
                client_token=token,
                fingerprint=fingerprint,
                submitted=started,
                modified=started,
            )
            self._items[invocation.arn] = invocation
            if token:
                self._tokens[token] = invocation.arn
            return invocation.arn

    def get(self, arn: str) -> AsyncInvocation:
        self._observe()
        with self._lock:
            if arn not in self._items:
                raise ValidationException(NOT_FOUND.format(arn=arn))
            return self._items[arn]

    def list(self, params: dict[str, Any]) -> tuple[list[AsyncInvocation], str | None]:
        self._observe()
        with self._lock:
            when = created_between(params, "submitTimeAfter", "submitTimeBefore")
            status = params.get("statusEquals")
            chosen = [
                item
                for item in self._items.values()
                if when(item.submitted) and status in (None, item.status)
            ]
            return page(chosen, lambda item: item.submitted, params)

    def _observe(self) -> None:
        """Runs every invocation whose time has come, each outside the lock, once."""
        with self._lock:
            due = [
                item
                for item in self._items.values()
                if not item.ran
                and not item.running
                and (moment() - item.modified).total_seconds() >= provisioning_seconds()
            ]
            for item in due:
                item.running = True
        for item in due:
            try:
                self._run(item)
                status, failure = COMPLETED, None
            except BedrockError as exc:
                status, failure = FAILED, exc.message
            except Exception:
                log.exception("async invocation %s failed", item.arn)
                status, failure = FAILED, INTERNAL_ERROR
            with self._lock:
                item.running, item.ran = False, True
                item.status, item.failure = status, failure
                item.modified = item.ended = moment()

    def _store(self) -> S3Store:
        return S3Store(self._backend.account_id, self._backend.region_name)

    def _run(self, item: AsyncInvocation) -> None:
        """The model's work, through the runtime's faults, rules and engine; its output to S3."""
        self._backend.controls.inject("InvokeModel")
        output = S3Location.parse(item.output_config["s3OutputDataConfig"]["s3Uri"])
        if item.model.model.family == "twelvelabs-marengo":
            name, data = "output.json", self._marengo(item)
        else:
            name, data = "output.mp4", self._video(item)
        try:
            self._store().check_bucket(output.bucket)
        except S3LocationError as exc:
            raise BedrockError(str(exc), code="ValidationException") from exc
        self._store().put(output.bucket, output.child(item.invocation_id, name), data)

    def _video(self, item: AsyncInvocation) -> bytes:
        """Video generation has no neutral request of its own: an ImageRequest carries its
        prompt and frame size, so that rules match it and declared errors fail it."""
        body = item.model_input
        if item.model.model.family == "luma":
            prompt, seconds = body["prompt"], int(body.get("duration", "5s").rstrip("s"))
        else:
            prompt = _nova_reel_prompt(body)
            seconds = body.get("videoGenerationConfig", {}).get("durationSeconds", 6)
        request = ImageRequest(model=item.model, prompt=prompt, width=1280, height=720)
        self._backend._engine("InvokeModel", request, {})
        return placeholder_mp4(seconds, item.fingerprint.encode())

    def _marengo(self, item: AsyncInvocation) -> bytes:
        body = item.model_input
        kind = body["inputType"]
        if kind == "text":
            inputs, options = [EmbedInput(text=body["inputText"])], [None]
        else:
            media = self._media(body["mediaSource"])
            options = list(
                body.get("embeddingOption", _VIDEO_OPTIONS) if kind == "video" else [None]
            )
            if kind == "audio":
                options = ["audio"]
            inputs = [
                EmbedInput(image=(option or kind).encode() + b"\0" + media) for option in options
            ]
        request = EmbedRequest(model=item.model, inputs=inputs, dimensions=MARENGO_DIMENSIONS)
        engine, _ = self._backend._engine("InvokeModel", request, {})
        reply = engine.embed(request)
        start = float(body.get("startSec", 0.0))
        segments = []
        for option, vector in zip(options, reply.vectors, strict=True):
            segment: dict[str, Any] = {"embedding": vector}
            if option is not None:
                segment.update(
                    embeddingOption=option,
                    startSec=start,
                    endSec=start + float(body.get("lengthSec", 6.0)),
                )
            segments.append(segment)
        return json.dumps({"data": segments}).encode()

    def _media(self, source: dict[str, Any]) -> bytes:
        if "base64String" in source:
            try:
                return base64.b64decode(source["base64String"], validate=True)
            except ValueError as exc:
                raise ValidationException(NOT_VALID) from exc
        uri = source["s3Location"]["uri"]
        try:
            found = self._store().objects(S3Location.parse(uri), "")
        except S3LocationError as exc:
            raise ValidationException(NO_MEDIA.format(uri=uri, reason=exc)) from exc
        if not found:
            raise ValidationException(NO_MEDIA.format(uri=uri, reason="no such object."))
        return found[0][1]


def _nova_reel_prompt(body: dict[str, Any]) -> str:
    if body["taskType"] == "MULTI_SHOT_MANUAL":
        return " ".join(shot["text"] for shot in body["multiShotManualParams"]["shots"])
    params = "textToVideoParams" if body["taskType"] == "TEXT_VIDEO" else "multiShotAutomatedParams"
    return str(body[params]["text"])


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def placeholder_mp4(seconds: int, seed: bytes) -> bytes:
    """An MP4 container with a movie header of the given duration and no tracks: files a test
    can check by name, size and signature; the same request always gives the same bytes."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41")
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(
        b"mvhd",
        struct.pack(">I4I", 0, 0, 0, 1000, seconds * 1000)
        + struct.pack(">IH10x", 0x10000, 0x100)
        + matrix
        + bytes(24)
        + struct.pack(">I", 1),
    )
    return ftyp + _box(b"moov", mvhd) + _box(b"free", hashlib.sha256(seed).digest())


@functools.cache
def _unlocated(operation: str) -> StructureShape:
    """The operation's input shape with URI and query members as plain members, so the one
    validator checks them with Coral's messages (and parses their timestamps)."""
    shape = input_shape("bedrock-runtime", operation)
    raw = dict(shape._shape_model)
    raw["members"] = {
        name: {k: v for k, v in member.items() if k not in ("location", "locationName")}
        for name, member in raw["members"].items()
    }
    return StructureShape(f"{shape.name}Located", raw, shape._shape_resolver)


def request_params(
    operation: str, uri: dict[str, str], query: dict[str, list[str]]
) -> dict[str, Any]:
    """A GET operation's input from its URI labels and query string, validated."""
    shape = input_shape("bedrock-runtime", operation)
    values: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri" and wire in uri:
            values[name] = uri[wire]
        elif location == "querystring" and wire in query:
            raw = query[wire][0]
            numeric = member.type_name in ("integer", "long") and raw.lstrip("-").isdigit()
            values[name] = int(raw) if numeric else raw
    try:
        return parse_body(_unlocated(operation), values)
    except ShapeError as exc:
        raise ValidationException(exc.message) from exc
