"""The event-stream encoder, checked by botocore's own decoder (CRCs, headers, split reads)."""

from __future__ import annotations

import json

from botocore.eventstream import EventStreamBuffer

from moto_bedrock_runtime.eventstream import encode_events, event_frame, exception_frame


def _decode(raw: bytes, piece: int) -> list:
    buffer = EventStreamBuffer()
    messages = []
    for start in range(0, len(raw), piece):
        buffer.add_data(raw[start : start + piece])
        messages.extend(buffer)
    return messages


def test_frames_decode_in_small_pieces() -> None:
    events = [
        ("messageStart", {"role": "assistant"}),
        ("contentBlockDelta", {"delta": {"text": "é"}}),
    ]
    raw = b"".join(encode_events(events))
    messages = _decode(raw, 7)
    assert [m.headers[":event-type"] for m in messages] == ["messageStart", "contentBlockDelta"]
    assert list(messages[0].headers) == [":event-type", ":content-type", ":message-type"]
    payload = json.loads(messages[1].payload)
    assert payload["delta"] == {"text": "é"}
    assert payload["p"] and set(payload["p"]) <= set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    )


def test_padding_varies_but_is_deterministic() -> None:
    first = [event_frame("chunk", {"bytes": "eA=="}, n) for n in range(5)]
    assert len({len(frame) for frame in first}) > 1
    assert first == [event_frame("chunk", {"bytes": "eA=="}, n) for n in range(5)]


def test_exception_frame() -> None:
    (message,) = _decode(exception_frame("throttlingException", {"message": "slow down"}), 3)
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
    assert json.loads(message.payload) == {"message": "slow down"}
