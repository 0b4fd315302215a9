"""Activation: the one module that touches moto's internals.

moto has no plugin hook, so activation swaps the two backend dicts moto looks up by name
(`moto.bedrockruntime.bedrockruntime_backends`, `moto.bedrock.bedrock_backends`), teaches its
host index the FIPS and dual-stack hosts, and wraps the server's service inference so requests
signed with a bearer token, or naming a model by a `%2F`-encoded ARN, reach bedrock-runtime.
Everything is imported before anything is changed, under a lock, so activation is atomic and
calling it twice changes nothing.
"""

from __future__ import annotations

import re
import threading
from typing import Any

_lock = threading.Lock()
_saved: dict[str, Any] = {}

_EXTRA_HOSTS = (
    ("bedrockruntime", r"https?://bedrock-runtime-fips\.(.+)\.amazonaws\.com"),
    ("bedrockruntime", r"https?://bedrock-runtime(?:-fips)?\.(.+)\.api\.aws"),
    ("bedrock", r"https?://bedrock-fips\.(.+)\.amazonaws\.com"),
    ("bedrock", r"https?://bedrock(?:-fips)?\.(.+)\.api\.aws"),
)
_USER_AGENT_REGION = re.compile(r"region/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)")


def is_active() -> bool:
    return bool(_saved)


def activate() -> None:
    """Serve Bedrock from moto-bedrock in this process (in-process mocks and moto's server)."""
    import moto.backend_index as backend_index
    import moto.bedrock as moto_bedrock
    import moto.bedrockruntime as moto_bedrockruntime
    import moto.moto_api._internal.urls as moto_api_urls
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from .control import models as control_models
    from .control import urls as control_urls  # noqa: F401  (import errors surface before any change)
    from .runtime import models as runtime_models
    from .runtime import urls as runtime_urls  # noqa: F401
    from .testing_http import HANDLERS

    with _lock:
        if _saved:
            return
        patterns = [(name, re.compile(pattern)) for name, pattern in _EXTRA_HOSTS]
        _saved.update(
            runtime=moto_bedrockruntime.bedrockruntime_backends,
            control=moto_bedrock.bedrock_backends,
            infer=DomainDispatcherApplication.infer_service_region_host,
            patterns=patterns,
        )
        moto_bedrockruntime.bedrockruntime_backends = runtime_models.bedrockruntime_backends
        moto_bedrock.bedrock_backends = control_models.bedrock_backends
        # In place: moto's dispatcher and mocks hold a reference to this very list.
        backend_index.backend_url_patterns.extend(patterns)
        DomainDispatcherApplication.infer_service_region_host = _wrap_inference(_saved["infer"])
        # In place, before moto's API app is built: the test controls' /moto-api/static/ paths.
        moto_api_urls.url_paths.update(HANDLERS)


def deactivate() -> None:
    """Give moto back its own bedrock backends (for tests of activation itself)."""
    import moto.backend_index as backend_index
    import moto.bedrock as moto_bedrock
    import moto.bedrockruntime as moto_bedrockruntime
    import moto.moto_api._internal.urls as moto_api_urls
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from .testing_http import HANDLERS

    with _lock:
        if not _saved:
            return
        for path in HANDLERS:
            moto_api_urls.url_paths.pop(path, None)
        moto_bedrockruntime.bedrockruntime_backends = _saved["runtime"]
        moto_bedrock.bedrock_backends = _saved["control"]
        DomainDispatcherApplication.infer_service_region_host = _saved["infer"]
        for entry in _saved["patterns"]:
            backend_index.backend_url_patterns.remove(entry)
        _saved.clear()


def _wrap_inference(original: Any) -> Any:
    """moto's server picks a service from the SigV4 scope; bedrock's signing name is shared by
    four services and a bearer token has no scope, so settle bedrock requests here first."""
    from . import config
    from .errors import BedrockError
    from .runtime.responses import route

    def infer_service_region_host(self: Any, environ: dict[str, Any], path: str) -> str | None:
        auth = environ.get("HTTP_AUTHORIZATION", "")
        bearer = auth.startswith("Bearer ")
        scope = _sigv4_scope(auth)
        if not bearer and (scope is None or scope[1] != "bedrock"):
            return original(self, environ, path)
        region = scope[0] if scope else _user_agent_region(environ) or config.bearer_region()
        raw_path = environ.get("RAW_URI", "").split("?", 1)[0] or path
        try:
            route(environ.get("REQUEST_METHOD", "GET"), raw_path, path)
        except BedrockError:
            if bearer:
                return f"bedrock.{region}.amazonaws.com"
            return original(self, environ, path)
        return f"bedrock-runtime.{region}.amazonaws.com"

    return infer_service_region_host


def _sigv4_scope(auth: str) -> tuple[str, str] | None:
    """(region, service) from `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request`."""
    if not auth.startswith("AWS4"):
        return None
    try:
        _, _, region, service, _ = auth.split(",")[0].split()[1].split("/")
    except (IndexError, ValueError):
        return None
    return region, service.lower()


def _user_agent_region(environ: dict[str, Any]) -> str | None:
    match = _USER_AGENT_REGION.search(environ.get("HTTP_USER_AGENT", ""))
    return match.group("region") if match else None


def wsgi_app() -> Any:
    """moto's multi-service WSGI dispatcher (every moto service), with Bedrock activated."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    activate()
    return DomainDispatcherApplication(create_backend_app)


def preserve_header_names(environ: dict[str, Any], headers: Any) -> None:
    """What moto's own request handler adds to the environ: the original spelling of headers
    with underscores (S3 metadata keys), which WSGI's HTTP_* keys cannot keep."""
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )

    names: dict[str, str] = {}
    dashed = {environ_key_for_header(name) for name in headers if "_" not in name}
    for name, value in headers.items():
        if not should_preserve_original_header_name(name):
            continue
        key = environ_key_for_header(name)
        if key in dashed:
            continue
        names.setdefault(key, name)
        environ[key] = value.replace("\r\n", "")
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
