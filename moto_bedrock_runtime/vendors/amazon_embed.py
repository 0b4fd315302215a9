"""Amazon's embedding models: Titan Text Embeddings G1 and V2, Titan Multimodal Embeddings G1
and Nova Multimodal Embeddings.

The engine answers with unit vectors; these codecs add what each format does on top: Titan V2's
unnormalized magnitudes and binary type, Nova's embedding types and text truncation, and the
token limits each model enforces itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import embeddings, tokens
from ..catalog import ResolvedModel
from ..errors import ValidationException
from ..neutral import EmbedInput, EmbedReply, EmbedRequest
from . import Body, register
from .common import decode_base64
from .validation import malformed, violation

# What Titan embedding models say for a text over their token limit (reference §4.3).
TOO_MANY_TOKENS = (
    "Too many input tokens. Max input tokens: {limit}, request input token count: {count}"
)
NOVA_SYNC_TASK = (
    "The taskType {task} is not supported for synchronous invocation. Use SINGLE_EMBEDDING, or "
    "StartAsyncInvoke for SEGMENTED_EMBEDDING."
)
NOVA_ONE_INPUT = (
    "Exactly one of text, image, audio or video must be provided in singleEmbeddingParams."
)
NOVA_TEXT_VALUE = "Either value or source must be provided in singleEmbeddingParams.text."
NOVA_TOO_LONG = (
    "The input text has {count} tokens, more than the model's maximum of {limit}. Set "
    "truncationMode to START or END to truncate it."
)
TITAN_V2_DEFAULT_DIMENSIONS = 1024
TITAN_IMAGE_DEFAULT_DIMENSIONS = 1024
NOVA_DEFAULT_DIMENSIONS = 3072
_NOVA_MEDIA = ("text", "image", "audio", "video")


def _check_tokens(model: ResolvedModel, text: str) -> None:
    limit = model.model.context_window
    count = tokens.count(text)
    if limit and count > limit:
        raise ValidationException(TOO_MANY_TOKENS.format(limit=limit, count=count))


@register("titan-embed-text-v1")
class TitanEmbedTextV1:
    """`{inputText}` in, one 1536-dimension vector out."""

    kind = "embed"
    schema = "titan-embed-text-v1"

    def request(self, body: Body, model: ResolvedModel) -> EmbedRequest:
        _check_tokens(model, body["inputText"])
        return EmbedRequest(
            model=model,
            inputs=[EmbedInput(text=body["inputText"])],
            dimensions=model.model.embedding_dimensions[0],
        )

    def response(self, reply: EmbedReply, request: EmbedRequest, body: Body) -> Body:
        return {"embedding": reply.vectors[0], "inputTextTokenCount": reply.input_tokens}


@register("titan-embed-text-v2")
class TitanEmbedTextV2:
    """Dimensions, normalization and float/binary types on top of G1's body."""

    kind = "embed"
    schema = "titan-embed-text-v2"

    def request(self, body: Body, model: ResolvedModel) -> EmbedRequest:
        _check_tokens(model, body["inputText"])
        return EmbedRequest(
            model=model,
            inputs=[EmbedInput(text=body["inputText"])],
            dimensions=body.get("dimensions", TITAN_V2_DEFAULT_DIMENSIONS),
        )

    def response(self, reply: EmbedReply, request: EmbedRequest, body: Body) -> Body:
        vector = reply.vectors[0]
        if not body.get("normalize", True):
            vector = embeddings.scale_unnormalized(vector, body["inputText"])
        # `embeddingsByType` is always present: float alone when no type was asked for.
        by_type: dict[str, Any] = {}
        for kind in body.get("embeddingTypes") or ["float"]:
            by_type[kind] = embeddings.quantize(
                vector, "titan-binary" if kind == "binary" else kind
            )
        return {
            "embedding": embeddings.quantize(vector, "float"),
            "inputTextTokenCount": reply.input_tokens,
            "embeddingsByType": by_type,
        }


@register("titan-embed-image")
class TitanEmbedImage:
    """Text, an image, or both (one combined vector), at 256, 384 or 1024 dimensions."""

    kind = "embed"
    schema = "titan-embed-image"

    def request(self, body: Body, model: ResolvedModel) -> EmbedRequest:
        # The schema requires at least one of the two.
        text = body.get("inputText")
        image = body.get("inputImage")
        if text is not None:
            _check_tokens(model, text)
        config = body.get("embeddingConfig") or {}
        return EmbedRequest(
            model=model,
            inputs=[
                EmbedInput(
                    text=text,
                    image=None if image is None else decode_base64(image, "#/inputImage"),
                )
            ],
            dimensions=config.get("outputEmbeddingLength", TITAN_IMAGE_DEFAULT_DIMENSIONS),
        )

    def response(self, reply: EmbedReply, request: EmbedRequest, body: Body) -> Body:
        # `message` carries generation errors; a successful answer has none.
        return {
            "embedding": reply.vectors[0],
            "inputTextTokenCount": reply.input_tokens,
            "message": None,
        }


@dataclass
class _NovaItem:
    """What one Nova request embeds, and how each resulting vector is labelled."""

    inputs: list[EmbedInput]
    types: list[str]
    truncated_chars: int | None = None


def _nova_source(source: dict[str, Any], pointer: str) -> bytes:
    """Inline bytes, or an S3 object's URI standing in for its content (nothing is fetched)."""
    if "bytes" in source:
        return decode_base64(source["bytes"], pointer + "/bytes")
    return source.get("s3Location", {}).get("uri", "").encode()


def _nova_text(text: dict[str, Any], model: ResolvedModel) -> _NovaItem:
    if "value" in text:
        value = text["value"]
    elif "source" in text:
        source = _nova_source(text["source"], "#/singleEmbeddingParams/text/source")
        value = source.decode(errors="replace")
    else:
        raise ValidationException(NOVA_TEXT_VALUE)
    limit = model.model.context_window
    count = tokens.count(value)
    truncated = None
    if limit and count > limit:
        mode = text.get("truncationMode", "NONE")
        if mode == "NONE":
            raise ValidationException(NOVA_TOO_LONG.format(count=count, limit=limit))
        pieces = tokens.pieces(value)
        if mode == "END":
            value = "".join(pieces[:limit])
            truncated = len(value)
        else:
            kept = "".join(pieces[-limit:])
            truncated = len(value) - len(kept)
            value = kept
    return _NovaItem([EmbedInput(text=value)], ["TEXT"], truncated)


def _nova_kind(params: dict[str, Any]) -> str:
    present = [kind for kind in _NOVA_MEDIA if kind in params]
    if len(present) != 1:
        raise ValidationException(NOVA_ONE_INPUT)
    return present[0]


def _nova_media_types(kind: str, media: dict[str, Any]) -> list[str]:
    """The `embeddingType` of each vector an image, audio or video item gives."""
    if kind == "video" and media.get("embeddingMode") == "AUDIO_VIDEO_SEPARATE":
        return ["VIDEO", "AUDIO"]
    return ["AUDIO_VIDEO_COMBINED" if kind == "video" else kind.upper()]


def _nova_item(body: Body, model: ResolvedModel) -> _NovaItem:
    params = body["singleEmbeddingParams"]
    kind = _nova_kind(params)
    if kind == "text":
        return _nova_text(params["text"], model)
    media = params[kind]
    data = _nova_source(media["source"], f"#/singleEmbeddingParams/{kind}/source")
    types = _nova_media_types(kind, media)
    if len(types) == 2:
        # Two vectors, one per stream: each gets a distinct content key.
        return _NovaItem(
            [EmbedInput(image=b"video\0" + data), EmbedInput(image=b"audio\0" + data)], types
        )
    return _NovaItem([EmbedInput(image=data)], types)


@register("nova-embed")
class NovaEmbed:
    """`nova-multimodal-embed-v1` SINGLE_EMBEDDING bodies: one item of one modality."""

    kind = "embed"
    schema = "nova-embed"

    def request(self, body: Body, model: ResolvedModel) -> EmbedRequest:
        if body["taskType"] != "SINGLE_EMBEDDING":
            raise ValidationException(NOVA_SYNC_TASK.format(task=body["taskType"]))
        if "singleEmbeddingParams" not in body:
            raise malformed(violation("#", "required key [singleEmbeddingParams] not found"))
        params = body["singleEmbeddingParams"]
        return EmbedRequest(
            model=model,
            inputs=_nova_item(body, model).inputs,
            dimensions=params.get("embeddingDimension", NOVA_DEFAULT_DIMENSIONS),
            purpose=params.get("embeddingPurpose"),
        )

    def response(self, reply: EmbedReply, request: EmbedRequest, body: Body) -> Body:
        params = body["singleEmbeddingParams"]
        kind = _nova_kind(params)
        if kind == "text":
            item = _nova_text(params["text"], request.model)
            types, truncated = item.types, item.truncated_chars
        else:
            # Only the labels: the media's bytes were decoded by request() and are not needed.
            types, truncated = _nova_media_types(kind, params[kind]), None
        results: list[dict[str, Any]] = []
        for label, vector in zip(types, reply.vectors, strict=True):
            entry: dict[str, Any] = {"embeddingType": label, "embedding": vector}
            if truncated is not None:
                entry["truncatedCharLength"] = truncated
            results.append(entry)
        return {"embeddings": results}
