"""Which backend model answers a Bedrock model: the built-in map, the user's map over it, and
the default model.

The built-in map (data/model_map.toml) names open-weight models as Ollama tags them; a user's
TOML file with the same `[invoke]` and `[embed]` tables is consulted first, so any of its keys
wins over the built-in ones. Keys are foundation-model ids (the runtime resolves profiles and
ARNs first); within one map, a key with `*` or `?` is a glob, tried after exact keys, the
longest pattern first.
"""

from __future__ import annotations

import os
import threading
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from .backend_settings import BackendSettings, SettingsError, tomllib
from .errors import ResourceNotFoundException

Kind = Literal["invoke", "embed"]
TABLES: tuple[Kind, ...] = ("invoke", "embed")
UNMAPPED = (
    "moto-bedrock's backend has no model for {model_id}: add it to the [{kind}] table of your "
    "model map ({where}) or set a default backend model (--default-backend-model / "
    "MOTO_BEDROCK_DEFAULT_BACKEND_MODEL)."
)

_lock = threading.Lock()
_user_maps: dict[str, tuple[int, dict[str, dict[str, str]]]] = {}


def _tables(data: dict, origin: str) -> dict[str, dict[str, str]]:
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise SettingsError(
            f"{origin}: unknown table(s) {', '.join(unknown)}; use [invoke], [embed]"
        )
    tables: dict[str, dict[str, str]] = {}
    for kind in TABLES:
        table = data.get(kind, {})
        if not isinstance(table, dict) or not all(
            isinstance(value, str) and value.strip() for value in table.values()
        ):
            raise SettingsError(f"{origin}: [{kind}] must map model ids to backend model names")
        tables[kind] = {key: value.strip() for key, value in table.items()}
    return tables


@lru_cache(maxsize=1)
def builtin() -> dict[str, dict[str, str]]:
    text = resources.files("moto_bedrock_runtime.data").joinpath("model_map.toml").read_text()
    return _tables(tomllib.loads(text), "the built-in model map")


def _user_map(path: str) -> dict[str, dict[str, str]]:
    """A user's map file, parsed again only when it changes."""
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise SettingsError(f"cannot read the model map {path}: {exc.strerror}") from exc
    with _lock:
        cached = _user_maps.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        tables = _tables(tomllib.loads(Path(path).read_text()), path)
    except (OSError, ValueError) as exc:
        if isinstance(exc, SettingsError):
            raise
        raise SettingsError(f"cannot read the model map {path}: {exc}") from exc
    with _lock:
        _user_maps[path] = (stamp, tables)
    return tables


def layers(settings: BackendSettings) -> list[dict[str, dict[str, str]]]:
    """The maps in force, first consulted first: the user's (if any), then the built-in one."""
    user = [_user_map(settings.model_map)] if settings.model_map else []
    return [*user, builtin()]


def _lookup(table: dict[str, str], model_id: str) -> str | None:
    if model_id in table:
        return table[model_id]
    patterns = sorted((key for key in table if "*" in key or "?" in key), key=len, reverse=True)
    for pattern in patterns:
        if fnmatchcase(model_id, pattern):
            return table[pattern]
    return None


def backend_model(model_id: str, kind: Kind, settings: BackendSettings) -> str:
    """The backend's name for a foundation model, or Bedrock's ResourceNotFoundException saying
    which map to extend."""
    try:
        maps = layers(settings)
    except SettingsError as exc:
        raise exc.bedrock_error() from exc
    found = (_lookup(tables[kind], model_id) for tables in maps)
    name = next((name for name in found if name), None) or settings.default_model
    if name:
        return name
    where = (
        f"{settings.model_map} over the built-in map"
        if settings.model_map
        else "none given, so only the built-in map: --model-map / MOTO_BEDROCK_MODEL_MAP"
    )
    raise ResourceNotFoundException(UNMAPPED.format(model_id=model_id, kind=kind, where=where))
