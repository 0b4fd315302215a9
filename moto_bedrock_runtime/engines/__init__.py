"""Engines answer neutral chat requests; they never see a vendor format or HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

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


class Engine(Protocol):
    name: str

    def reply(self, request: ChatRequest) -> Reply: ...

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]: ...

    def embed(self, request: EmbedRequest) -> EmbedReply: ...

    def generate_image(self, request: ImageRequest) -> ImageReply: ...


_CANNED = CannedEngine()


def engine_for(request: ChatRequest | EmbedRequest | ImageRequest) -> Engine:
    """The engine that answers this request (only the canned engine exists so far)."""
    return _CANNED
