"""Where the OpenAI-compatible backend is and how to talk to it, from one precedence order.

Each setting is taken from the first place that sets it: a `moto-bedrock` command-line flag,
then its environment variable, then the `[backend]` table of the config file
(`--config` / MOTO_BEDROCK_CONFIG, TOML), then the default. The same names work in-process
(environment and config file) and in the server. Settings are read when used, so a test can
change a variable with monkeypatch; the config file is parsed again only when it changes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import InternalServerException

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

FALLBACKS = ("error", "canned")
MISCONFIGURED = "moto-bedrock's backend settings are invalid: {reason}"
CONFIG_VARIABLE = "MOTO_BEDROCK_CONFIG"


class SettingsError(ValueError):
    """A setting with a value that cannot mean anything; the message names where it came from."""

    def bedrock_error(self) -> InternalServerException:
        """What a call answers meanwhile: the emulator's fault, not the caller's."""
        return InternalServerException(MISCONFIGURED.format(reason=self))


@dataclass(frozen=True)
class BackendSettings:
    """The backend as configured. `urls` is empty when no backend is set (canned engine)."""

    urls: tuple[str, ...] = ()
    api_key: str | None = field(default=None, repr=False)
    model_map: str | None = None
    default_model: str | None = None
    fallback: str = "error"
    connect_timeout: float = 5.0
    first_token_timeout: float = 120.0
    read_timeout: float = 60.0
    retries: int = 0


def _urls(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else str(value).split(",")
    urls = tuple(str(item).strip().rstrip("/") for item in items if str(item).strip())
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                f"{url!r} is not an http(s) URL (for example http://127.0.0.1:11434/v1)"
            )
    return urls


def _seconds(value: Any) -> float:
    seconds = float(value)
    if not seconds > 0:
        raise SettingsError(f"{value!r} is not a positive number of seconds")
    return seconds


def _count(value: Any) -> int:
    count = int(value)
    if count < 0:
        raise SettingsError(f"{value!r} is not a count (0 or more)")
    return count


def _fallback(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in FALLBACKS:
        raise SettingsError(f"{value!r} is not one of {', '.join(FALLBACKS)}")
    return text


def _text(value: Any) -> str | None:
    return str(value).strip() or None


@dataclass(frozen=True)
class Setting:
    """One setting: its BackendSettings field, command-line flag, variable and config key."""

    name: str
    flag: str
    variable: str
    key: str
    parse: Callable[[Any], Any]
    help: str

    @property
    def metavar(self) -> str:
        return {"urls": "URL", "api_key": "KEY", "model_map": "FILE", "default_model": "NAME"}.get(
            self.name, "SECONDS" if "timeout" in self.name else self.name.upper()
        )


SETTINGS = (
    Setting(
        "urls",
        "--backend",
        "MOTO_BEDROCK_BACKEND",
        "url",
        _urls,
        "OpenAI-compatible base URL ending in /v1; several, comma-separated, fail over in "
        "order (unset: the canned engine)",
    ),
    Setting(
        "api_key",
        "--backend-api-key",
        "MOTO_BEDROCK_BACKEND_API_KEY",
        "api_key",
        _text,
        "sent to the backend as a Bearer token; never logged",
    ),
    Setting(
        "model_map",
        "--model-map",
        "MOTO_BEDROCK_MODEL_MAP",
        "model_map",
        _text,
        "TOML file whose [invoke] and [embed] tables map Bedrock model ids to backend model "
        "names, over the built-in map",
    ),
    Setting(
        "default_model",
        "--default-backend-model",
        "MOTO_BEDROCK_DEFAULT_BACKEND_MODEL",
        "default_model",
        _text,
        "backend model for Bedrock ids the map does not name (unset: such ids are refused)",
    ),
    Setting(
        "fallback",
        "--fallback",
        "MOTO_BEDROCK_FALLBACK",
        "fallback",
        _fallback,
        "when the backend fails: error (a Bedrock error) or canned (a canned answer, flagged "
        "by a response header and a log line); default error",
    ),
    Setting(
        "connect_timeout",
        "--backend-connect-timeout",
        "MOTO_BEDROCK_BACKEND_CONNECT_TIMEOUT",
        "connect_timeout",
        _seconds,
        "seconds to open a connection to the backend (5)",
    ),
    Setting(
        "first_token_timeout",
        "--backend-first-token-timeout",
        "MOTO_BEDROCK_BACKEND_FIRST_TOKEN_TIMEOUT",
        "first_token_timeout",
        _seconds,
        "seconds to wait for the first byte of the answer, or of the stream's first token (120)",
    ),
    Setting(
        "read_timeout",
        "--backend-read-timeout",
        "MOTO_BEDROCK_BACKEND_READ_TIMEOUT",
        "read_timeout",
        _seconds,
        "seconds the backend may stay silent once it has started answering (60)",
    ),
    Setting(
        "retries",
        "--backend-retries",
        "MOTO_BEDROCK_BACKEND_RETRIES",
        "retries",
        _count,
        "extra passes over the backend list after a connection failure, timeout, 429 or 5xx "
        "before the answer starts (0)",
    ),
)

_lock = threading.Lock()
_command_line: dict[str, Any] = {}
_config_path: str | None = None
_file_cache: dict[str, tuple[int, dict[str, Any]]] = {}
# The last settings built and the sources they were built from (see backend_settings).
_last: tuple[tuple[Any, ...], BackendSettings] | None = None


def set_command_line(values: Mapping[str, Any], config_path: str | None = None) -> None:
    """The server's flags (setting name → raw value, None for flags not given): they win over
    every other source for the life of the process."""
    global _config_path
    with _lock:
        _command_line.clear()
        _command_line.update({k: v for k, v in values.items() if v is not None})
        _config_path = config_path


def config_file() -> str | None:
    """The config file in use: --config, else MOTO_BEDROCK_CONFIG, else none."""
    return _config_path or os.environ.get(CONFIG_VARIABLE) or None


def _file_values(path: str) -> dict[str, Any]:
    """The `[backend]` table of a TOML config file, relative paths resolved against the file."""
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise SettingsError(f"cannot read the config file {path}: {exc.strerror}") from exc
    cached = _file_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read the config file {path}: {exc}") from exc
    table = data.get("backend", {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [backend] must be a table")
    known = {setting.key for setting in SETTINGS}
    unknown = sorted(set(table) - known)
    if unknown:
        raise SettingsError(f"{path}: unknown [backend] key(s) {', '.join(unknown)}")
    values = dict(table)
    if isinstance(values.get("model_map"), str):
        values["model_map"] = str(Path(path).parent / Path(values["model_map"]).expanduser())
    _file_cache[path] = (stamp, values)
    return values


def backend_settings() -> BackendSettings:
    """The settings now, each from its highest-precedence source.

    Every call asks this (one per request), so the result is kept until a source changes: the
    flags, a variable, or the config file's path or modification time.
    """
    global _last
    with _lock:
        command_line = dict(_command_line)
    path = config_file()
    from_file = _file_values(path) if path else {}
    variables = tuple(os.environ.get(setting.variable) or None for setting in SETTINGS)
    key = (command_line, path, from_file, variables)
    last = _last
    if last is not None and last[0] == key:
        return last[1]
    chosen: dict[str, Any] = {}
    for setting, variable in zip(SETTINGS, variables, strict=True):
        for source, raw in (
            (setting.flag, command_line.get(setting.name)),
            (setting.variable, variable),
            (f"{path} [backend] {setting.key}", from_file.get(setting.key)),
        ):
            if raw is None:
                continue
            try:
                chosen[setting.name] = setting.parse(raw)
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"{source}: {exc}") from exc
            break
    settings = BackendSettings(**chosen)
    _last = (key, settings)
    return settings


def safe_url(url: str) -> str:
    """The URL without any user:password part, for messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def is_local(url: str) -> bool:
    """Whether the backend host is this machine (a hosted one sends prompts off it)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")
