"""Activation: the one module that touches moto's internals.

moto has no plugin hook, so activation swaps the two backend dicts moto looks up by name
(`moto.bedrockruntime.bedrockruntime_backends`, `moto.bedrock.bedrock_backends`), teaches its
host index the FIPS and dual-stack hosts, and wraps the server's service inference so requests
signed with a bearer token, or naming a model by a `%2F`-encoded ARN, reach bedrock-runtime.
It also remembers the handler names moto lists per response class: moto lists them again with
`inspect.getmembers` on every call of every service, which on Bedrock's control plane (a class
of a dozen mixins) cost more than answering ListFoundationModels.
Everything is imported before anything is changed, under a lock, so activation is atomic and
calling it twice changes nothing.
"""

from __future__ import annotations

import re
import threading
from functools import cache, lru_cache
from http import HTTPStatus
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
    import moto.core.responses as moto_responses
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
            method_names=moto_responses.method_names_from_class,
        )
        moto_bedrockruntime.bedrockruntime_backends = runtime_models.bedrockruntime_backends
        moto_bedrock.bedrock_backends = control_models.bedrock_backends
        # In place: moto's dispatcher and mocks hold a reference to this very list.
        backend_index.backend_url_patterns.extend(patterns)
        DomainDispatcherApplication.infer_service_region_host = _wrap_inference(_saved["infer"])
        moto_responses.method_names_from_class = _cached_names(_saved["method_names"])
        # In place, before moto's API app is built: the test controls' /moto-api/static/ paths.
        moto_api_urls.url_paths.update(HANDLERS)


def deactivate() -> None:
    """Give moto back its own bedrock backends (for tests of activation itself)."""
    import moto.backend_index as backend_index
    import moto.bedrock as moto_bedrock
    import moto.bedrockruntime as moto_bedrockruntime
    import moto.core.responses as moto_responses
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
        moto_responses.method_names_from_class = _saved["method_names"]
        for entry in _saved["patterns"]:
            backend_index.backend_url_patterns.remove(entry)
        _saved.clear()


def _cached_names(original: Any) -> Any:
    """moto's handler-name lister, answering from memory after the first call per class (a
    response class's methods do not change while it serves)."""

    @cache
    def method_names_from_class(clazz: object) -> frozenset[str]:
        return frozenset(original(clazz))

    return method_names_from_class


def _bedrock_service(environ: dict[str, Any], path: str) -> tuple[str, str] | None:
    """(service, region) of a bedrock request: a bearer token, or SigV4 signed for `bedrock`
    (the signing name bedrock-runtime shares with three other services), settled by whether
    the path is a runtime operation. None for every other request (moto decides those)."""
    from . import config
    from .errors import BedrockError
    from .runtime.responses import route

    auth = environ.get("HTTP_AUTHORIZATION", "")
    bearer = auth.startswith("Bearer ")
    scope = _sigv4_scope(auth)
    if not bearer and (scope is None or scope[1] != "bedrock"):
        return None
    region = scope[0] if scope else _user_agent_region(environ) or config.bearer_region()
    raw_path = environ.get("RAW_URI", "").split("?", 1)[0] or path
    method = environ.get("REQUEST_METHOD", "GET")
    try:
        route(method, raw_path, path)
    except BedrockError:
        return ("bedrock", region) if bearer or _control_path(method, path) else None
    return "bedrock-runtime", region


@lru_cache(maxsize=1)
def _control_routes() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(method, path pattern) of every bedrock control-plane operation in botocore's model,
    but tagging: bedrock-data-automation signs as `bedrock` too and shares those paths."""
    from .moto_services import service_model

    model = service_model("bedrock")
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        if name.endswith("TagsForResource") or name.endswith("TagResource"):
            continue
        uri = http["requestUri"].split("?", 1)[0]
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", re.sub(r"\{[^}]+\+\}", ".+", uri))
        routes.append((http["method"], re.compile(f"^{pattern}$")))
    return tuple(routes)


def _control_path(method: str, path: str) -> bool:
    """A bedrock control-plane operation's method and path (bedrock-agent and the others that
    sign as `bedrock` use other paths)."""
    return any(m == method and pattern.match(path) for m, pattern in _control_routes())


def _wrap_inference(original: Any) -> Any:
    """moto's server picks a service from the SigV4 scope; bedrock's signing name is shared by
    four services and a bearer token has no scope, so settle bedrock requests here first."""

    def infer_service_region_host(self: Any, environ: dict[str, Any], path: str) -> str | None:
        found = _bedrock_service(environ, path)
        if found is None:
            return original(self, environ, path)
        return f"{found[0]}.{found[1]}.amazonaws.com"

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
    """moto's multi-service WSGI dispatcher (every moto service), with Bedrock activated and
    Bedrock calls answered first, without moto's per-request service lookup."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    activate()
    return BedrockFirst(DomainDispatcherApplication(create_backend_app))


class BedrockFirst:
    """A WSGI app answering Bedrock requests (runtime and control plane) directly and passing
    the rest to moto.

    moto's dispatcher finds each request's service by scanning its module list on disk and
    then routes through Flask: about 1 ms of CPU per request, more than a canned Converse costs.
    A Bedrock request is recognised from its signature and path alone and handed to the same
    response class Flask would reach, with moto's own request type, so the answer is the same.
    Browser requests (with an Origin) and CORS preflights still go through moto, whose
    Flask-CORS layer answers them.
    """

    def __init__(self, moto_app: Any) -> None:
        from .control.responses import BedrockControlResponse
        from .moto_services import SERVER_REQUEST
        from .runtime.responses import BedrockRuntimeResponse

        self.moto_app = moto_app
        self._request_class = SERVER_REQUEST
        self._responses = {
            "bedrock-runtime": BedrockRuntimeResponse,
            "bedrock": BedrockControlResponse,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        browser = environ.get("HTTP_ORIGIN") or environ.get("REQUEST_METHOD") == "OPTIONS"
        found = None if browser or path.startswith("/moto-api") else _bedrock_service(environ, path)
        if found is None:
            return self.moto_app(environ, start_response)
        request = self._request_class(environ)
        status, headers, body = self._responses[found[0]].dispatch(
            request, _raw_url(environ) or request.raw_url, request.headers
        )
        if isinstance(body, str):
            body = body.encode()
        out = [(name, str(value)) for name, value in headers.items()]
        out.append(("Access-Control-Allow-Origin", "*"))  # what moto's Flask-CORS adds
        if isinstance(body, bytes):
            out.append(("Content-Length", str(len(body))))
            body = [body]
        start_response(f"{status} {HTTPStatus(status).phrase}", out)
        return body


def _raw_url(environ: dict[str, Any]) -> str | None:
    """The URL as it arrived, as moto's `Request.raw_url` gives it, without werkzeug's URL
    reconstruction (a tenth of a Converse's CPU). None for a proxy-style absolute target."""
    raw = environ.get("RAW_URI", "")
    host = environ.get("HTTP_HOST")
    if not raw.startswith("/") or not host:
        return None
    return f"{environ['wsgi.url_scheme']}://{host}{raw}"


def preserve_header_names(environ: dict[str, Any], fields: list[tuple[str, str]]) -> None:
    """What moto's own request handler adds to the environ: the original spelling of headers
    with underscores (S3 metadata keys), which WSGI's HTTP_* keys cannot keep."""
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )

    names: dict[str, str] = {}
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
    if not any("_" in name for name, _ in fields):  # nearly every request: nothing to keep
        return
    dashed = {environ_key_for_header(name) for name, _ in fields if "_" not in name}
    for name, value in fields:
        if not should_preserve_original_header_name(name):
            continue
        key = environ_key_for_header(name)
        if key in dashed:
            continue
        names.setdefault(key, name)
        environ[key] = value.replace("\r\n", "")
