"""Identifiers that look like AWS's, derived from a seed so answers stay deterministic."""

from __future__ import annotations

import base64
import hashlib

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode()).digest()


def _alnum(seed: bytes, length: int) -> str:
    number = int.from_bytes(hashlib.sha512(seed).digest(), "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, len(_ALNUM))
        chars.append(_ALNUM[rest])
    return "".join(chars)


def tool_use_id(seed: str) -> str:
    """Converse's form: `tooluse_` and 22 URL-safe characters."""
    return "tooluse_" + _alnum(digest("tooluse", seed), 22)


def anthropic_message_id(seed: str) -> str:
    return "msg_bdrk_01" + _alnum(digest("msg", seed), 22)


def anthropic_tool_use_id(seed: str) -> str:
    return "toolu_bdrk_01" + _alnum(digest("toolu", seed), 22)


def reasoning_signature(text: str) -> str:
    """An opaque signature bound to the reasoning text, as models return for thinking blocks."""
    raw = hashlib.sha512(b"moto-bedrock-signature\x00" + text.encode()).digest()
    return base64.b64encode(raw * 3).decode()
