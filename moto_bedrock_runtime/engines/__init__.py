"""Engines answer neutral requests; they never see a vendor format or HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from ..backend_settings import SettingsError, backend_settings
from ..neutral import (
    ChatRequest,
    EmbedReply,
    EmbedRequest,
    ImageReply,
    ImageRequest,
    Reply,
    StreamEvent,
)
from .canned import CannedEngine
from .openai import OpenAIEngine


class Engine(Protocol):
    name: str

    def reply(self, request: ChatRequest) -> Reply: ...

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]: ...

    def embed(self, request: EmbedRequest) -> EmbedReply: ...

    def generate_image(self, request: ImageRequest) -> ImageReply: ...


CANNED = CannedEngine()


def engine_for(request: ChatRequest | EmbedRequest | ImageRequest) -> Engine:
    """The backend engine when a backend is configured (images excepted: no OpenAI-compatible
    image API is used), else the canned engine."""
    try:
        settings = backend_settings()
    except SettingsError as exc:
        raise exc.bedrock_error() from exc
    if not settings.urls or isinstance(request, ImageRequest):
        return CANNED
    return OpenAIEngine(settings)
