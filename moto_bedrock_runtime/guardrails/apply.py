"""ApplyGuardrail (`POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply`):
the URI labels and the content checked, then the engine applied to it."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from botocore.model import StructureShape

from ..errors import ValidationException
from ..request_shapes import ShapeError, input_shape, parse_body
from .evaluate import INTERVENTIONS, Block, ImageBlock, TextBlock, evaluate
from .resolve import resolve

_PATH = re.compile(
    r"^/guardrail/(?P<guardrailIdentifier>[^/]+)/version/(?P<guardrailVersion>[^/]+)"
)
MAX_IMAGE_BYTES = 4 * 1024 * 1024
_SIGNATURES = {"png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",)}
NO_CONTENT = "The content field must contain at least one content block."
NOT_AN_IMAGE = "The image bytes are not a valid {format} image."
IMAGE_TOO_LARGE = f"The image exceeds the maximum size of {MAX_IMAGE_BYTES} bytes."


@functools.cache
def _labels_shape() -> StructureShape:
    """ApplyGuardrail's URI members as a plain structure, checked as the body is."""
    shape = input_shape("bedrock-runtime", "ApplyGuardrail")
    members = {
        name: {"shape": member.name}
        for name, member in shape.members.items()
        if member.serialization.get("location") == "uri"
    }
    model = {"type": "structure", "members": members, "required": list(members)}
    return StructureShape("ApplyGuardrailLabels", model, shape._shape_resolver)


def path_labels(path: str) -> tuple[str, str]:
    """(guardrailIdentifier, guardrailVersion) of the request path, decoded and validated."""
    match = _PATH.match(path)
    if match is None:
        raise ValidationException(f"No guardrail identifier and version in {path}.")
    labels = {name: unquote(value) for name, value in match.groupdict().items()}
    try:
        parse_body(_labels_shape(), labels)
    except ShapeError as exc:
        raise ValidationException(exc.message) from exc
    return labels["guardrailIdentifier"], labels["guardrailVersion"]


def blocks_from_content(content: Sequence[dict[str, Any]]) -> list[Block]:
    """Content blocks as botocore parses GuardrailContentBlock (ApplyGuardrail's `content`,
    Converse's `guardContent`): text with qualifiers, or PNG/JPEG bytes whose signature must
    match the declared format."""
    if not content:
        raise ValidationException(NO_CONTENT)
    blocks: list[Block] = []
    for block in content:
        if "text" in block:
            text = block["text"]
            blocks.append(TextBlock(text["text"], tuple(text.get("qualifiers", ()))))
            continue
        image = block["image"]
        data = image["source"]["bytes"]
        if len(data) > MAX_IMAGE_BYTES:
            raise ValidationException(IMAGE_TOO_LARGE)
        if not data.startswith(_SIGNATURES[image["format"]]):
            raise ValidationException(NOT_AN_IMAGE.format(format=image["format"]))
        blocks.append(ImageBlock(image["format"], data))
    return blocks


def apply_guardrail(
    account_id: str, region: str, path: str, body: dict[str, Any]
) -> dict[str, Any]:
    """ApplyGuardrail's answer for a request path and its body (already validated against
    botocore's input shape)."""
    identifier, version = path_labels(path)
    blocks = blocks_from_content(body["content"])
    guardrail = resolve(account_id, region, identifier, version)
    scope = body.get("outputScope", INTERVENTIONS)
    return evaluate(guardrail, body["source"], blocks, scope).response()
