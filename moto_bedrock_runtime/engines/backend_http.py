"""HTTP to an OpenAI-compatible backend: pooled connections, failover, timeouts, and every way
the backend can fail turned into the Bedrock error a client of Bedrock would see.

| backend failure | Bedrock error |
|---|---|
| connection refused, unreachable host, TLS failure | ServiceUnavailableException 503 |
| no answer within the connect / first-token timeout | ModelTimeoutException 408 |
| 400, 404, 413, 422 | ValidationException 400 with the backend's message |
| 408, 504 | ModelTimeoutException 408 |
| 429 | ThrottlingException 429 (Bedrock's own text) |
| 503 | ServiceUnavailableException 503 |
| any other status (401, 403, 500, 502…) | ModelErrorException 424 with originalStatusCode |
| a 200 cut short or that is not the JSON it should be | ModelErrorException 424 (status 200) |
| a stream that breaks, stalls or sends bad JSON once started | modelStreamErrorException |

Connection failures, timeouts, 429 and 5xx move on to the next backend URL (failover), and
the whole list is tried `retries + 1` times; other answers are final. The API key is sent as a
Bearer token and never appears in a message or a log line.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from ..backend_settings import BackendSettings, safe_url
from ..errors import (
    THROTTLED,
    TIMED_OUT,
    BedrockError,
    ModelErrorException,
    ModelStreamErrorException,
    ModelTimeoutException,
    ServiceUnavailableException,
    ThrottlingException,
    ValidationException,
)

log = logging.getLogger("moto_bedrock_runtime.backend")

# Connections kept per backend URL: more than the server's usual concurrent streams.
POOL_SIZE = 32
UNAVAILABLE = "The model backend at {url} is unavailable: {reason}."
BACKEND_ERROR = "Received error {status} from the model backend at {url} with message: {message}"
PASSED_THROUGH = "The model returned the following errors: {message}"
NOT_JSON = "The model backend at {url} returned a response that is not valid JSON."
CUT_SHORT = "The model backend at {url} closed the connection before its answer was complete."
STREAM_BROKEN = "The model backend's stream {how}."
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_VALIDATION_STATUS = frozenset({400, 404, 413, 422})
_TIMEOUT_STATUS = frozenset({408, 504})
_BACKOFF_SECONDS = 0.1


class BackendFailure(Exception):
    """Why one attempt failed: the Bedrock error to raise if no other attempt succeeds."""

    def __init__(self, error: BedrockError) -> None:
        super().__init__(error.message)
        self.error = error


_pools: dict[str, urllib3.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


def _pool(url: str) -> urllib3.HTTPConnectionPool:
    """The one connection pool of a backend URL, shared by every thread."""
    with _pools_lock:
        pool = _pools.get(url)
        if pool is None:
            pool = urllib3.connection_from_url(url, maxsize=POOL_SIZE, block=False, retries=False)
            _pools[url] = pool
        return pool


def _message(raw: bytes) -> str:
    """The backend's own error text: OpenAI's {"error":{"message"}}, or the body as text."""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:500] or "(empty body)"
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
    return json.dumps(data)[:500]


def status_error(status: int, raw: bytes, url: str, model_id: str) -> BedrockError:
    """The Bedrock error for a backend's non-2xx answer."""
    message = _message(raw)
    if status in _VALIDATION_STATUS:
        return ValidationException(PASSED_THROUGH.format(message=message))
    if status == 429:
        return ThrottlingException(THROTTLED)
    if status in _TIMEOUT_STATUS:
        return ModelTimeoutException(TIMED_OUT)
    if status == 503:
        return ServiceUnavailableException(UNAVAILABLE.format(url=safe_url(url), reason=message))
    return ModelErrorException(
        BACKEND_ERROR.format(status=status, url=safe_url(url), message=message),
        originalStatusCode=status,
        resourceName=model_id,
    )


class Upstream:
    """One backend answer being read: a JSON body, or server-sent events as they arrive."""

    def __init__(self, response: Any, url: str, settings: BackendSettings) -> None:
        self._response = response
        self.url = url
        self._settings = settings
        self._finished = False

    def json(self) -> dict[str, Any]:
        try:
            raw = self._response.read()
        except (HTTPError, OSError) as exc:
            self._finish(clean=False)
            if _timed_out(exc):
                raise _transport_error(exc, self.url, self._settings, "the answer") from exc
            raise ModelErrorException(
                CUT_SHORT.format(url=safe_url(self.url)), originalStatusCode=200
            ) from exc
        self._finish(clean=True)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ModelErrorException(
                NOT_JSON.format(url=safe_url(self.url)), originalStatusCode=200
            ) from exc
        if not isinstance(data, dict):
            raise ModelErrorException(
                NOT_JSON.format(url=safe_url(self.url)), originalStatusCode=200
            )
        return data

    @property
    def is_event_stream(self) -> bool:
        return "text/event-stream" in self._response.headers.get("Content-Type", "")

    def events(self) -> Iterator[dict[str, Any]]:
        """Each `data:` payload as it arrives, until `[DONE]` or the end of the body.

        After the first event the socket waits `read_timeout` instead of the first-token
        timeout. Closing this iterator early (a client that went away) closes the connection,
        which ends the backend's generation."""
        finished = False
        try:
            first = True
            for data in self._data_lines():
                if first:
                    self._set_timeout(self._settings.read_timeout)
                    first = False
                if data == "[DONE]":
                    finished = True
                    return
                try:
                    event = json.loads(data)
                except ValueError as exc:
                    raise ModelStreamErrorException(
                        STREAM_BROKEN.format(how="carried an event that is not JSON"),
                        originalStatusCode=200,
                        originalMessage=data[:200],
                    ) from exc
                if isinstance(event, dict) and "error" in event:
                    raise ModelStreamErrorException(
                        STREAM_BROKEN.format(how="reported an error"),
                        originalStatusCode=200,
                        originalMessage=_message(data.encode()),
                    )
                yield event
            finished = True
        finally:
            self._finish(clean=finished)

    def _data_lines(self) -> Iterator[str]:
        buffer = b""
        while True:
            try:
                chunk = self._response.read1(65536)
            except (HTTPError, OSError) as exc:
                raise ModelStreamErrorException(
                    STREAM_BROKEN.format(how=_broken_how(exc, self._settings)),
                    originalStatusCode=200,
                    originalMessage=str(exc)[:200],
                ) from exc
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                text = line.decode("utf-8", "replace").rstrip("\r")
                if text.startswith("data:"):
                    yield text[5:].strip()
        if buffer.startswith(b"data:"):
            yield buffer[5:].decode("utf-8", "replace").strip()

    def _set_timeout(self, seconds: float) -> None:
        """The read timeout of the socket the answer arrives on. urllib3 exposes it through the
        connection, unless the backend said `Connection: close`: http.client then detaches
        the socket from the connection, and only the response's reader still holds it."""
        sock = getattr(getattr(self._response, "connection", None), "sock", None)
        if sock is None:
            reader = getattr(getattr(self._response, "_fp", None), "fp", None)
            sock = getattr(getattr(reader, "raw", None), "_sock", None)
        if sock is not None:
            sock.settimeout(seconds)

    def _finish(self, clean: bool) -> None:
        """A fully read answer returns its connection to the pool; an abandoned one closes it.
        Only the first call counts: a connection must not go back to the pool twice."""
        if self._finished:
            return
        self._finished = True
        if clean:
            try:
                self._response.drain_conn()
            except (HTTPError, OSError):
                self._response.close()
        else:
            self._response.close()
        self._response.release_conn()

    def close(self) -> None:
        self._finish(clean=False)


def _timed_out(exc: BaseException) -> bool:
    """urllib3's timeouts, and the socket ones it passes on without wrapping."""
    return isinstance(exc, Urllib3Timeout) or "timed out" in str(exc)


def _broken_how(exc: BaseException, settings: BackendSettings) -> str:
    if _timed_out(exc):
        return f"stalled for more than {settings.read_timeout:g} s"
    return "ended before the answer was complete"


def _transport_error(
    exc: BaseException, url: str, settings: BackendSettings, what: str
) -> BedrockError:
    # urllib3's NewConnectionError (refused, unreachable) subclasses its connect-timeout error.
    if isinstance(exc, NewConnectionError) or "refused" in str(exc).lower():
        reason = "the connection was refused or the host is unreachable"
    elif _timed_out(exc):
        connecting = isinstance(exc, ConnectTimeoutError)
        seconds = settings.connect_timeout if connecting else settings.first_token_timeout
        log.warning("backend %s gave no answer within %g s (%s)", safe_url(url), seconds, what)
        return ModelTimeoutException(TIMED_OUT)
    elif isinstance(exc, SSLError):
        reason = "the TLS handshake failed"
    elif isinstance(exc, ProtocolError):
        reason = "it closed the connection without answering"
    else:
        reason = type(exc).__name__
    return ServiceUnavailableException(UNAVAILABLE.format(url=safe_url(url), reason=reason))


class BackendClient:
    """Sends one request to the configured backends in order, with failover and retries."""

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        return headers

    def post(self, path: str, body: dict[str, Any], model_id: str) -> Upstream:
        """The first backend answer that is not a retryable failure; the last failure's
        Bedrock error if every attempt failed."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        failure: BedrockError | None = None
        for attempt in range(self.settings.retries + 1):
            if attempt:
                time.sleep(_BACKOFF_SECONDS * 2 ** (attempt - 1))
            for url in self.settings.urls:
                try:
                    return self._attempt(url, path, payload, model_id)
                except BackendFailure as exc:
                    failure = exc.error
                    log.warning(
                        "backend %s failed (%s); %s",
                        safe_url(url),
                        exc.error.code,
                        "trying the next" if len(self.settings.urls) > 1 else "no other backend",
                    )
        assert failure is not None  # the settings always hold at least one URL here
        raise failure

    def _attempt(self, url: str, path: str, payload: bytes, model_id: str) -> Upstream:
        settings = self.settings
        timeout = urllib3.Timeout(
            connect=settings.connect_timeout, read=settings.first_token_timeout
        )
        target = urlsplit(url).path.rstrip("/") + path
        for fresh in (False, True):
            try:
                response = _pool(url).urlopen(
                    "POST",
                    target,
                    body=payload,
                    headers=self._headers(),
                    timeout=timeout,
                    preload_content=False,
                    redirect=False,
                    assert_same_host=False,
                )
                break
            except ProtocolError as exc:
                # A kept-alive connection the backend closed as the request went out: the
                # request is sent once more (the pool drops dead connections before reuse).
                if fresh:
                    raise BackendFailure(_transport_error(exc, url, settings, "sending")) from exc
            except (HTTPError, OSError) as exc:
                error = _transport_error(exc, url, settings, "waiting for it")
                raise BackendFailure(error) from exc
        if 200 <= response.status < 300:
            return Upstream(response, url, settings)
        try:
            raw = response.read()
        except (HTTPError, OSError):
            raw = b""
        finally:
            response.release_conn()
        error = status_error(response.status, raw, url, model_id)
        if response.status in _RETRYABLE_STATUS:
            raise BackendFailure(error)
        raise error
