"""The test controls over HTTP, under moto's /moto-api/static/ convention.

They answer in-process (moto intercepts `requests` to http://motoapi.amazonaws.com while a mock
is active) and on any server (`http://127.0.0.1:5000/moto-api/static/bedrock/...`):

    POST   /moto-api/static/bedrock/rules        {"account_id"?, "region"?, "rules": [...]} → 201
    GET    /moto-api/static/bedrock/rules        ?account_id=&region=   → {"rules": [...]}
    DELETE /moto-api/static/bedrock/rules        ?account_id=&region=   → {}
    GET    /moto-api/static/bedrock/invocations  ?account_id=&region=   → {"invocations": [...]}
    DELETE /moto-api/static/bedrock/invocations  ?account_id=&region=   → {}
    PUT    /moto-api/static/bedrock/faults       {"account_id"?, "region"?, "faults": {...}}
    GET    /moto-api/static/bedrock/faults       → {"faults": {...} | null}
    DELETE /moto-api/static/bedrock/faults       → {}
    GET    /moto-api/static/bedrock/health       → {"status": "ok", "version", "engine", "backends"}
    GET    /moto-api/static/bedrock/ (or .../live)  → the live invocation page (live_page.py)
    GET    /moto-api/static/bedrock/recent       ?account_id=&region=&cursor=&limit=  → its feed
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

from moto.core import DEFAULT_ACCOUNT_ID

from . import __version__, live_page
from .backend_settings import SettingsError, backend_settings, safe_url
from .controls import Controls, RuleError
from .runtime.models import bedrockruntime_backends

Response = tuple[int, dict[str, str], str]
PATHS = {
    "rules": "{0}/moto-api/static/bedrock/rules",
    "invocations": "{0}/moto-api/static/bedrock/invocations",
    "faults": "{0}/moto-api/static/bedrock/faults",
    "health": "{0}/moto-api/static/bedrock/health",
    # The live page. In-process moto matches these patterns as regex prefixes, so the root is
    # anchored with "$" (moto's server strips it from its routes) and no path is another's prefix.
    "live_root": "{0}/moto-api/static/bedrock/$",
    "live": "{0}/moto-api/static/bedrock/live",
    "recent": "{0}/moto-api/static/bedrock/recent",
}
_JSON = {"Content-Type": "application/json"}


def _reply(status: int, body: Any) -> Response:
    return status, dict(_JSON), json.dumps(body)


def _controls(request: Any, full_url: str, body: dict[str, Any]) -> Controls:
    query = {key: values[0] for key, values in parse_qs(urlparse(full_url).query).items()}
    account = body.get("account_id") or query.get("account_id") or DEFAULT_ACCOUNT_ID
    region = body.get("region") or query.get("region") or "us-east-1"
    try:
        return bedrockruntime_backends[str(account)][str(region)].controls
    except KeyError as exc:
        raise RuleError(f"Unknown region {region!r}") from exc


def _handler(act: Callable[[str, Controls, dict[str, Any]], Response]) -> Callable[..., Response]:
    """Parses the JSON body, finds the account and region's controls, and turns a bad request
    into a 400 with a message (never a traceback)."""

    def handle(request: Any, full_url: str, headers: Any) -> Response:
        raw = request.get_data() if hasattr(request, "get_data") else request.body
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise RuleError("The request body must be a JSON object")
            return act(request.method, _controls(request, full_url, body), body)
        except (RuleError, ValueError) as exc:
            return _reply(400, {"message": str(exc)})

    handle.__name__ = act.__name__
    return handle


def _rules(method: str, controls: Controls, body: dict[str, Any]) -> Response:
    if method == "POST":
        rules = body.get("rules")
        if not isinstance(rules, list):
            raise RuleError('"rules" must be a list of rules')
        return _reply(201, {"rules": [rule.as_json() for rule in controls.add_rules(rules)]})
    if method == "DELETE":
        controls.clear_rules()
        return _reply(200, {})
    return _reply(200, {"rules": controls.rules()})


def _invocations(method: str, controls: Controls, body: dict[str, Any]) -> Response:
    if method == "DELETE":
        controls.clear_invocations()
        return _reply(200, {})
    return _reply(200, {"invocations": controls.invocations()})


def _faults(method: str, controls: Controls, body: dict[str, Any]) -> Response:
    if method in ("PUT", "POST"):
        spec = body.get("faults")
        if not isinstance(spec, dict):
            raise RuleError('"faults" must be an object')
        controls.set_faults(spec)
    elif method == "DELETE":
        controls.set_faults(None)
        return _reply(200, {})
    return _reply(200, {"faults": controls.faults()})


def _health(request: Any, full_url: str, headers: Any) -> Response:
    """Whether the emulator answers, and which engine would answer a model call (the backend
    itself is not probed: its failures show as Bedrock errors on the calls)."""
    try:
        settings = backend_settings()
    except SettingsError as exc:
        return _reply(500, {"status": "misconfigured", "version": __version__, "message": str(exc)})
    return _reply(
        200,
        {
            "status": "ok",
            "version": __version__,
            "engine": "openai" if settings.urls else "canned",
            "backends": [safe_url(url) for url in settings.urls],
        },
    )


HANDLERS = {
    PATHS["health"]: _health,
    PATHS["rules"]: _handler(_rules),
    PATHS["invocations"]: _handler(_invocations),
    PATHS["faults"]: _handler(_faults),
    PATHS["live_root"]: live_page.page,
    PATHS["live"]: live_page.page,
    PATHS["recent"]: live_page.feed,
}
