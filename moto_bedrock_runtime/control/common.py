"""What every control-plane handler needs: its input, parsed and validated against botocore's
model (body, URI labels and query string alike), and a JSON answer in AWS's wire form."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from botocore.model import StructureShape
from moto.core.responses import BaseResponse

from .. import json_input
from ..errors import ValidationException
from ..request_shapes import ShapeError, input_shape, parse_body

Response = tuple[int, dict[str, str], str]


def iso(moment: datetime) -> str:
    """AWS's timestamp form in rest-json bodies: ISO 8601, UTC, milliseconds."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now() -> datetime:
    return datetime.now(timezone.utc)


def _scalar(shape: Any, raw: str) -> Any:
    if shape.type_name in ("integer", "long"):
        try:
            return int(raw)
        except ValueError as exc:
            raise ValidationException(f"Value '{raw}' is not a valid {shape.type_name}.") from exc
    if shape.type_name == "boolean":
        return raw.lower() == "true"
    return raw


@functools.cache
def _located_shape(operation: str) -> StructureShape | None:
    """The operation's URI-label and query-string members as a plain structure, so they are
    checked as the body is (patterns, enums, ranges) with Coral's messages."""
    shape = input_shape("bedrock", operation)
    members = {
        name: {"shape": member.name}
        for name, member in shape.members.items()
        if member.serialization.get("location") in ("uri", "querystring")
    }
    if not members:
        return None
    model = {"type": "structure", "members": members}
    return StructureShape(f"{operation}Location", model, shape._shape_resolver)


class ControlHandlers(BaseResponse):
    """Helpers for handlers added to moto's BedrockResponse (one mixin per feature area)."""

    def _input(self) -> dict[str, Any]:
        """The operation's input: JSON body members, URI labels and query-string members, each
        converted to its type and checked against botocore's shape (AWS's messages)."""
        shape = input_shape("bedrock", self._get_action())
        raw = self.body.encode() if isinstance(self.body, str) else (self.body or b"")
        try:
            data = json_input.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise ValidationException(f"The request body is not valid JSON: {exc}.") from exc
        if not isinstance(data, dict):
            raise ValidationException("The request body must be a JSON object.")
        try:
            params = parse_body(shape, data)
        except ShapeError as exc:
            raise ValidationException(exc.message) from exc
        # moto 5.2 keeps the URI labels as a dict; LocalStack's moto-ext (5.1 line) as the match.
        labels = self.uri_match if isinstance(self.uri_match, dict) else self.uri_match.groupdict()
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "uri" and wire in labels:
                params[name] = unquote(labels[wire])
            elif location == "querystring" and wire in self.querystring:
                values = self.querystring[wire]
                if member.type_name == "list":
                    params[name] = [_scalar(member.member, value) for value in values]
                else:
                    params[name] = _scalar(member, values[0])
        located = _located_shape(self._get_action())
        if located is not None:
            try:
                located_values = {k: params[k] for k in located.members if k in params}
                params.update(parse_body(located, located_values))  # timestamps parsed too
            except ShapeError as exc:
                raise ValidationException(exc.message) from exc
        return params

    @staticmethod
    def _json(data: dict[str, Any], status: int = 200) -> Response:
        """moto's call_action takes the status from a "status" header (the dispatcher removes
        it before the answer leaves), not from the tuple."""
        return status, {"Content-Type": "application/json", "status": str(status)}, json.dumps(data)
