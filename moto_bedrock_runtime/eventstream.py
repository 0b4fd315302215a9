"""The application/vnd.amazon.eventstream encoder Bedrock's streaming operations answer with.

botocore and awscrt only decode (or encode inside C straight to a socket), and moto's encoder
buffers a whole stream, so frames are built here, one at a time, as events are produced.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from . import compact_json

CONTENT_TYPE = "application/vnd.amazon.eventstream"
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + b"\x07"
        + struct.pack("!H", len(raw_value))
        + raw_value
    )


@lru_cache(maxsize=64)
def _headers(headers: tuple[tuple[str, str], ...]) -> bytes:
    """A frame's encoded headers; a stream repeats the same few sets, so each is built once."""
    return b"".join(_header(k, v) for k, v in headers)


def encode_frame(headers: tuple[tuple[str, str], ...], payload: bytes) -> bytes:
    """One message: prelude (lengths + CRC), string headers, payload, message CRC."""
    header_bytes = _headers(headers)
    prelude = struct.pack("!II", 16 + len(header_bytes) + len(payload), len(header_bytes))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + header_bytes + payload
    return message + struct.pack("!I", zlib.crc32(message))


def padding(counter: int) -> str:
    """Bedrock pads each payload with an alphabet prefix ("p") so sizes leak less; we vary its
    length deterministically instead of randomly so identical requests give identical bytes."""
    return _ALPHABET[: 1 + (counter * 7) % len(_ALPHABET)]


def event_frame(event_type: str, body: dict[str, Any], counter: int = 0) -> bytes:
    """An event frame in the header order real Bedrock frames use."""
    payload = dict(body)
    payload["p"] = padding(counter)
    return encode_frame(
        (
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ),
        compact_json.dumps(payload).encode(),
    )


def exception_frame(exception_type: str, body: dict[str, Any]) -> bytes:
    """A modeled in-stream error (botocore raises EventStreamError with this member name)."""
    return encode_frame(
        (
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ),
        compact_json.dumps(body).encode(),
    )


def encode_events(events: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[bytes]:
    """Frames for (event type, body) pairs, produced lazily as the events are."""
    for counter, (event_type, body) in enumerate(events):
        yield event_frame(event_type, body, counter)
