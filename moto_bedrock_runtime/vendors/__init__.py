"""Vendor codecs: each native InvokeModel body format to and from the neutral form.

A codec never sees HTTP and never calls an engine. The service validates the body against the
codec's JSON Schema (schemas/<schema>.json), the codec lifts it into a neutral request, an
engine answers, and the codec writes the answer (or each streamed event) back in the vendor's
own shapes. Adding a vendor means one codec module and one schema file.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ..catalog import FoundationModel, ResolvedModel
from ..errors import ValidationException
from ..neutral import (
    ChatRequest,
    EmbedReply,
    EmbedRequest,
    ImageReply,
    ImageRequest,
    Reply,
    StreamEvent,
    Usage,
)

Body = dict[str, Any]
# Builds the `amazon-bedrock-invocationMetrics` object a stream's last chunk carries.
Metrics = Callable[[Usage], dict[str, int]]


class ChatCodec(Protocol):
    kind: str  # "chat"
    schema: str

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest: ...

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body: ...

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        """Native chunks as the events arrive; the last carries `metrics(usage)`."""
        ...


class EmbedCodec(Protocol):
    kind: str  # "embed"
    schema: str

    def request(self, body: Body, model: ResolvedModel) -> EmbedRequest: ...

    def response(self, reply: EmbedReply, request: EmbedRequest, body: Body) -> Body: ...


class ImageCodec(Protocol):
    kind: str  # "image"
    schema: str

    def request(self, body: Body, model: ResolvedModel) -> ImageRequest: ...

    def response(self, reply: ImageReply, request: ImageRequest, body: Body) -> Body: ...


Codec = ChatCodec | EmbedCodec | ImageCodec
NO_INVOKE = "moto-bedrock does not implement InvokeModel for {family} models yet."
_REGISTRY: dict[str, Codec] = {}
_SUPPORT_MODULES = {"common", "validation"}
_LOAD_LOCK = threading.Lock()
_LOADED: list[bool] = []


def register(*families: str) -> Callable[[type], type]:
    """Class decorator: one codec instance serves the named catalog families."""

    def add(cls: type) -> type:
        codec = cls()
        for family in families:
            _REGISTRY[family] = codec
        return cls

    return add


def codec_for(model: FoundationModel) -> Codec:
    """The codec for a model's native body, or Bedrock-style refusal for one we lack."""
    _load()
    codec = _REGISTRY.get(model.family)
    if codec is None:
        raise ValidationException(NO_INVOKE.format(family=model.family))
    return codec


def _load() -> None:
    """Import every codec module in this package once, so each registers its families; under
    a lock, so a request on another server thread never sees a half-filled registry."""
    with _LOAD_LOCK:
        if _LOADED:
            return
        for module in pkgutil.iter_modules(__path__):
            if module.name not in _SUPPORT_MODULES:
                importlib.import_module(f"{__name__}.{module.name}")
        _LOADED.append(True)
