"""A documented token-count approximation, shared by every engine and codec.

Real tokenizers split text into sub-word pieces of about four characters. Here a token is a
run of up to four word characters, or one punctuation mark; whitespace is free. That gives
counts close to BPE tokenizers on English prose, is the same on every machine, and lets a
text be cut at exactly N tokens (maxTokens) with the same rule that counted it.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .neutral import ChatRequest

_TOKEN = re.compile(r"\w{1,4}|[^\w\s]")

# Fixed costs that stand in for what a model's chat template and media encoders add.
MESSAGE_OVERHEAD = 3
REQUEST_OVERHEAD = 4
IMAGE_TOKENS = 1600
MEDIA_TOKENS = 2000


def count(text: str) -> int:
    return len(_TOKEN.findall(text))


def truncate(text: str, max_tokens: int) -> tuple[str, bool]:
    """The prefix of `text` holding at most `max_tokens` tokens, and whether it was cut."""
    if max_tokens <= 0:
        return "", bool(text)
    if count(text) <= max_tokens:  # the usual case, counted in C
        return text, False
    # More tokens than allowed: the cut falls after the max_tokens-th.
    ends = (match.end() for match in _TOKEN.finditer(text))
    return text[: next(itertools.islice(ends, max_tokens - 1, None))], True


def pieces(text: str) -> list[str]:
    """`text` split into consecutive token-sized chunks (whitespace kept with the next token),
    so a stream can deliver exactly what `count` counted."""
    out: list[str] = []
    start = 0
    for match in _TOKEN.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        if out:
            out[-1] += text[start:]
        else:
            out.append(text[start:])
    return out


def block_tokens(block: dict[str, Any]) -> int:
    """Input tokens one Converse content block costs."""
    if "text" in block:
        return count(block["text"])
    if "image" in block:
        return IMAGE_TOKENS
    if "document" in block:
        source = block["document"].get("source", {})
        if "text" in source:
            return count(source["text"])
        if "bytes" in source:
            return max(1, len(source["bytes"]) // 4)
        return MEDIA_TOKENS
    if "video" in block or "audio" in block:
        return MEDIA_TOKENS
    if "toolUse" in block:
        return count(block["toolUse"]["name"]) + count(json.dumps(block["toolUse"]["input"]))
    if "toolResult" in block:
        return sum(block_tokens(part) for part in block["toolResult"].get("content", []))
    if "json" in block:
        return count(json.dumps(block["json"]))
    if "reasoningContent" in block:
        return count(block["reasoningContent"].get("reasoningText", {}).get("text", ""))
    if "guardContent" in block:
        return count(block["guardContent"].get("text", {}).get("text", ""))
    return 0


def request_tokens(request: ChatRequest) -> int:
    """Prompt tokens of a neutral request: what every engine reports and CountTokens answers."""
    total = REQUEST_OVERHEAD
    total += sum(block_tokens(block) for block in request.system)
    for message in request.messages:
        total += MESSAGE_OVERHEAD
        total += sum(block_tokens(block) for block in message.content)
    for tool in request.tools:
        total += count(json.dumps({"n": tool.name, "d": tool.description, "s": tool.input_schema}))
    if request.output_schema is not None:
        total += count(json.dumps(request.output_schema))
    return total
