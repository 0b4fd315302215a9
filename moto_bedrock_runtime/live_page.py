"""The live invocation page: the call history of every account and region as a browser page
that updates itself, and the JSON feed the page polls.

    GET /moto-api/static/bedrock/  (or .../bedrock/live)         → the page (text/html)
    GET /moto-api/static/bedrock/recent  ?account_id=&region=&cursor=&limit=
        → {"items": [...], "cursor", "reset", "scopes": [...]}

The page is one self-contained file (data/live_page.html: inline CSS and JS, no external asset,
so it renders offline). It writes user data into the DOM as text only, and is served with a
Content-Security-Policy that allows its own inline script and style (by hash) and requests to
its own origin and nothing else: a prompt holding markup is shown, never run.

The feed sends only what is new since the page's last poll (the cursor names the newest call
it has of each account and region), so polling every second stays cheap with a full history.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlparse

from .runtime.models import bedrockruntime_backends

Response = tuple[int, dict[str, str], str]
ALL = "*"
DEFAULT_LIMIT = 500
_SCOPE = re.compile(r"(?P<account>\d{12})/(?P<region>[a-z0-9-]+)/(?P<request_id>[^,/]+)")
# (input, output) token count keys of usage objects: Converse and Nova, Anthropic and Cohere,
# OpenAI-style bodies (gpt-oss, Jamba, Mistral chat, DeepSeek), Llama, and stream metrics.
_USAGE_KEYS = (
    ("inputTokens", "outputTokens"),
    ("input_tokens", "output_tokens"),
    ("prompt_tokens", "completion_tokens"),
    ("prompt_token_count", "generation_token_count"),
    ("inputTokenCount", "outputTokenCount"),
)
_METRICS = "amazon-bedrock-invocationMetrics"


class FeedError(ValueError):
    """A feed query that cannot be answered; the message says why."""


@lru_cache(maxsize=1)
def page_html() -> str:
    """The page, read once: it is the same for every request (data reaches it by the feed)."""
    return resources.files("moto_bedrock_runtime.data").joinpath("live_page.html").read_text()


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@lru_cache(maxsize=1)
def content_security_policy() -> str:
    """Only the page's own inline script and style run (inline event handlers never do), and
    it may fetch from its own origin only: no CDN, no beacon, nothing that needs a network."""
    html = page_html()
    scripts = " ".join(_sha256(s) for s in re.findall(r"<script>(.*?)</script>", html, re.S))
    styles = " ".join(_sha256(s) for s in re.findall(r"<style>(.*?)</style>", html, re.S))
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; connect-src 'self'; "
        "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def page(request: Any, full_url: str, headers: Any) -> Response:
    return (
        200,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": content_security_policy(),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
        page_html(),
    )


def feed(request: Any, full_url: str, headers: Any) -> Response:
    query = {key: values[0] for key, values in parse_qs(urlparse(full_url).query).items()}
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
        if limit < 1:
            raise ValueError
    except ValueError:
        return _json(400, {"message": "limit must be a positive integer"})
    try:
        body = recent(query.get("account_id"), query.get("region"), query.get("cursor"), limit)
    except FeedError as exc:
        return _json(400, {"message": str(exc)})
    return _json(200, body)


def _json(status: int, body: Any) -> Response:
    return (
        status,
        {"Content-Type": "application/json", "Cache-Control": "no-store"},
        json.dumps(body),
    )


def _histories() -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """Every account and region with a runtime backend, and its history (oldest first). Backends
    are listed, never created: a poll must not make regions appear."""
    for account_id, regions in list(bedrockruntime_backends.items()):
        for region, backend in list(regions.items()):
            yield account_id, region, backend.controls.invocations()


def _parse_cursor(cursor: str | None) -> dict[tuple[str, str], str]:
    seen = {}
    for part in filter(None, (cursor or "").split(",")):
        match = _SCOPE.fullmatch(part)
        if not match:
            raise FeedError(f"Invalid cursor: {part!r}")
        seen[match["account"], match["region"]] = match["request_id"]
    return seen


def _after(history: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]] | None:
    """The calls recorded after this one, or None when it is no longer in the history."""
    for index in range(len(history) - 1, -1, -1):
        if history[index].get("request_id") == request_id:
            return history[index + 1 :]
    return None


def recent(account: str | None, region: str | None, cursor: str | None, limit: int) -> Any:
    """The calls of the chosen account and region (None or "*": all) recorded since `cursor`,
    oldest first, at most `limit` (the newest).

    `reset` is true when the cursor no longer matches the history (it was cleared, moto was
    reset, or more calls than the history keeps were made since): `items` is then the whole
    current history, to show instead of what the page had. `scopes` lists every account and
    region that has calls, for the page's pickers.
    """
    seen = _parse_cursor(cursor)
    scopes, new, everything, next_cursor = [], [], [], []
    reset = False
    for account_id, region_name, history in _histories():
        if not history and (account_id, region_name) not in seen:
            continue  # a backend made by a call to another service, or cleared and unknown
        if history:
            scopes.append({"account_id": account_id, "region": region_name, "count": len(history)})
        if account not in (None, ALL, account_id) or region not in (None, ALL, region_name):
            continue
        last = seen.pop((account_id, region_name), None)
        fresh = history if last is None else _after(history, last)
        if fresh is None:
            reset = True
        new.extend(fresh or ())
        everything.extend(history)
        if history:
            next_cursor.append(f"{account_id}/{region_name}/{history[-1]['request_id']}")
    reset = reset or bool(seen)  # a scope the page knows has no backend any more
    chosen = sorted(everything if reset else new, key=lambda entry: entry.get("timestamp", ""))
    return {
        "items": [item(entry) for entry in chosen[-limit:]],
        "cursor": ",".join(next_cursor),
        "reset": reset,
        "scopes": scopes,
    }


def item(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry with what the page shows of it that no key holds as such: token counts
    (from whichever vendor's usage the answer carries) and the answer's text."""
    tokens_in, tokens_out = token_counts(entry.get("response"))
    return {
        "entry": entry,
        "tokens": {"input": tokens_in, "output": tokens_out},
        "answer": answer_text(entry.get("response")),
    }


def _get(value: Any, *keys: str) -> Any:
    """value[k1][k2]..., or None where a level is missing or not an object (bodies are user
    data: declared answers can have any shape)."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _pair(place: Any) -> tuple[Any, Any] | None:
    if not isinstance(place, dict):
        return None
    for input_key, output_key in _USAGE_KEYS:
        if input_key in place or output_key in place:
            return place.get(input_key), place.get(output_key)
    return None


def token_counts(response: Any) -> tuple[Any, Any]:
    """(input, output) tokens of an answer, None where its body does not say."""
    events = _get(response, "events")
    if isinstance(events, list):  # a stream: the last usage or invocation metrics it sent
        found: tuple[Any, Any] = (None, None)
        for event in events:
            for place in (_get(event, "metadata", "usage"), _get(event, "chunk", _METRICS)):
                found = _pair(place) or found
        return found
    for place in (_get(response, "usage"), response, _get(response, "meta", "billed_units")):
        pair = _pair(place)
        if pair:
            return pair
    if _get(response, "inputTextTokenCount") is not None:  # Titan text and embeddings
        results = _get(response, "results")
        counts = [_get(r, "tokenCount") for r in results] if isinstance(results, list) else []
        output = sum(c for c in counts if isinstance(c, int)) if counts else None
        return response["inputTextTokenCount"], output
    return None, None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _chunk_text(chunk: Any) -> str:
    """The text one native stream chunk adds, for each vendor family's chunk shape."""
    if _get(chunk, "type") == "content_block_delta":  # Anthropic Messages
        return _text(_get(chunk, "delta", "text"))
    if _get(chunk, "contentBlockDelta") is not None:  # Nova
        return _text(_get(chunk, "contentBlockDelta", "delta", "text"))
    for key in ("completion", "outputText", "generation"):  # Claude Text, Titan, Llama
        if isinstance(_get(chunk, key), str):
            return chunk[key]
    # Cohere Command and Command R: text events, of the first generation when there are several
    cohere = _get(chunk, "event_type") in (None, "text-generation") and not _get(chunk, "index")
    if cohere and isinstance(_get(chunk, "text"), str):
        return chunk["text"]
    parts = []
    for key in ("choices", "outputs"):  # OpenAI-style deltas and DeepSeek's text; Mistral
        choices = _get(chunk, key)
        for choice in choices if isinstance(choices, list) else ():
            parts.append(_text(_get(choice, "delta", "content")) or _text(_get(choice, "text")))
    return "".join(parts)


def answer_text(response: Any) -> str | None:
    """A stream's text deltas joined into the answer they spell, or a Converse answer's text;
    None when there is no text (an error, an embedding, an image, a native body)."""
    events = _get(response, "events")
    if isinstance(events, list):
        parts = []
        for event in events:
            if _get(event, "contentBlockDelta") is not None:
                parts.append(_text(_get(event, "contentBlockDelta", "delta", "text")))
            else:
                parts.append(_chunk_text(_get(event, "chunk")))
        return "".join(parts) or None
    content = _get(response, "output", "message", "content")
    if isinstance(content, list):
        return "".join(_text(_get(block, "text")) for block in content) or None
    return None
