"""Prompt caching as Bedrock reports it: the prompt up to the last cache point is written to
the cache on first use and read from it while it lives, and usage says which. Cache points in
the system prompt and in messages count (a cache point inside toolConfig is accepted but
caches nothing here).

Each account and region has its own cache (on its runtime backend, so moto's reset clears it).
A prefix shorter than MIN_TOKENS is not cached, as models ignore cache points on short
prompts; entries live TTL_SECONDS after their last use (Bedrock's default five minutes).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from . import tokens
from .neutral import ChatRequest, MessageStart, MessageStop, StreamEvent, Usage

MIN_TOKENS = 1024
TTL_SECONDS = 300.0


def _cached_prefix(request: ChatRequest) -> tuple[str, int] | None:
    """(key, tokens) of everything before the last cache point, in prompt order: system, then
    tools, then messages; None when the request marks no cache point."""
    parts: list[Any] = [request.model.model.model_id]
    counted = tokens.REQUEST_OVERHEAD
    found: tuple[str, int] | None = None

    def mark() -> None:
        nonlocal found
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode())
        found = (digest.hexdigest(), counted)

    for block in request.system:
        if "cachePoint" in block:
            mark()
        else:
            parts.append(block)
            counted += tokens.block_tokens(block)
    for tool in request.tools:
        parts.append([tool.name, tool.description, tool.input_schema])
        spec = {"n": tool.name, "d": tool.description, "s": tool.input_schema}
        counted += tokens.count(json.dumps(spec))
    for message in request.messages:
        counted += tokens.MESSAGE_OVERHEAD
        for block in message.content:
            if "cachePoint" in block:
                mark()
            else:
                parts.append([message.role, block])
                counted += tokens.block_tokens(block)
    return found


class PromptCache:
    """One account and region's cached prompt prefixes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._expires: dict[str, float] = {}

    def usage(self, request: ChatRequest, usage: Usage) -> Usage:
        """The engine's usage with the cached prefix counted as a cache write or read."""
        prefix = _cached_prefix(request)
        if prefix is None or prefix[1] < MIN_TOKENS:
            return usage
        key, cached = prefix
        cached = min(cached, usage.input_tokens)
        now = time.monotonic()
        with self._lock:
            hit = self._expires.get(key, 0.0) > now
            self._expires[key] = now + TTL_SECONDS
        return replace(
            usage,
            input_tokens=usage.input_tokens - cached,
            cache_read_input_tokens=cached if hit else 0,
            cache_write_input_tokens=0 if hit else cached,
        )

    def stream(self, request: ChatRequest, events: Iterator[StreamEvent]) -> Iterator[StreamEvent]:
        """The same accounting on a stream: the opening count and the final usage."""
        for event in events:
            if isinstance(event, MessageStop):
                counted = self.usage(request, event.usage)
                yield replace(event, usage=counted)
            elif isinstance(event, MessageStart):
                prefix = _cached_prefix(request)
                if prefix is not None and prefix[1] >= MIN_TOKENS:
                    event = MessageStart(max(0, event.input_tokens - prefix[1]))
                yield event
            else:
                yield event
