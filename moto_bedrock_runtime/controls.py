"""Test controls: declared answers (rules and queues), call history and fault injection.

The state of each account and region lives on its runtime backend, so moto's reset (and every
new `mock_aws` context) clears it, as it clears every other mocked resource. Everything here is
guarded by one lock per backend: a queued answer is served exactly once however many server
threads ask for it.

Precedence: a fault fires first; then queued rules (finite `times`), oldest first; then
unlimited rules, oldest first; then rules loaded at server start (`--rules`); then the engine.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from . import config
from .engines.scripted import check as check_respond
from .errors import BedrockError
from .moto_services import service_model
from .neutral import neutral_json

THROTTLED = (
    "Too many requests, please wait before trying again. You have sent too many requests.  "
    "Wait before trying again."
)
NOT_READY = "Model is not ready to serve inference requests. Wait and try your request again."
TIMED_OUT = "Model has timed out in processing the request. Try your request again."
_NATIVE_ONLY = {"body": "InvokeModel", "chunks": "InvokeModelWithResponseStream"}
OPERATIONS = ("Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream")
_SECRET_HEADERS = {"authorization", "x-amz-security-token"}
_RECORDED_HEADERS = ("content-type", "accept", "user-agent", "x-amzn-bedrock-")


class RuleError(ValueError):
    """A rule or fault spec that cannot be used; the message says why."""


@lru_cache(maxsize=1)
def _rule_validator() -> Any:
    import jsonschema  # only when a rule is declared: 50 ms of start-up otherwise

    text = resources.files("moto_bedrock_runtime.data").joinpath("rules.schema.json").read_text()
    return jsonschema.Draft7Validator(json.loads(text))


@lru_cache(maxsize=1)
def _modeled_errors() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """bedrock-runtime's error shapes with their members, and those its streams can carry."""
    model = service_model("bedrock-runtime")
    errors = {shape.name: frozenset(shape.members) for shape in model.error_shapes}
    in_stream: set[str] = set()
    for operation in ("ConverseStream", "InvokeModelWithResponseStream"):
        output = model.operation_model(operation).output_shape
        union = output.members[output.serialization["payload"]]
        in_stream |= {s.name for s in union.members.values() if s.metadata.get("exception")}
    return errors, frozenset(in_stream)


def _check_errors(respond: Mapping[str, Any]) -> None:
    """A declared error must be one Bedrock models (else clients see an unknown code and a
    500, which botocore retries); an in-stream one, one its event streams can carry."""
    errors, in_stream = _modeled_errors()
    error = respond.get("error")
    if error:
        code = error["code"]
        if code not in errors:
            raise RuleError(
                f"Invalid rule: respond.error.code {code} is not an error Bedrock models "
                f"(one of {', '.join(sorted(errors))})"
            )
        for name in error.get("fields", {}):
            if name not in errors[code] - {"message"}:
                members = ", ".join(sorted(errors[code] - {"message"})) or "none"
                raise RuleError(
                    f"Invalid rule: respond.error.fields.{name} is not a member of {code} "
                    f"(members: {members})"
                )
    failure = respond.get("stream_error")
    if failure and failure["code"] not in in_stream:
        raise RuleError(
            f"Invalid rule: respond.stream_error.code {failure['code']} cannot be sent in a "
            f"stream (one of {', '.join(sorted(in_stream))})"
        )


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RuleError(f"Invalid rule: {where} is not a valid regular expression: {exc}") from exc


@dataclass
class Rule:
    id: str
    match: dict[str, Any]
    respond: dict[str, Any]
    times: int | None
    patterns: dict[str, re.Pattern[str]] = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "match": self.match, "respond": self.respond}
        if self.times is not None:
            out["times"] = self.times
        return out


def parse_rule(raw: Any, rule_id: str) -> Rule:
    """A rule checked against rules.schema.json and for what a schema cannot say."""
    errors = sorted(_rule_validator().iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(rule)"
        raise RuleError(f"Invalid rule at {where}: {errors[0].message}")
    match = dict(raw.get("match", {}))
    respond = dict(raw["respond"])
    try:
        check_respond(respond)
    except ValueError as exc:
        raise RuleError(f"Invalid rule: {exc}") from exc
    _check_errors(respond)
    for key, only in _NATIVE_ONLY.items():
        if key not in respond:
            continue
        asked = match.get("operation", only)
        if ({asked} if isinstance(asked, str) else set(asked)) != {only}:
            raise RuleError(f"Invalid rule: respond.{key} answers {only} only")
        match["operation"] = only
    patterns = {
        key: _compile(match[key], f"match.{key}")
        for key in ("model_pattern", "prompt_regex")
        if key in match
    }
    return Rule(
        id=str(raw.get("id") or rule_id),
        match=match,
        respond=respond,
        times=raw.get("times"),
        patterns=patterns,
    )


@dataclass(frozen=True)
class Call:
    """What rules match against: one runtime call, after model resolution."""

    operation: str
    model_id: str
    resolved_id: str
    account_id: str
    region: str
    prompt: str = ""
    system: str = ""
    tool_names: frozenset[str] = frozenset()


def matches(rule: Rule, call: Call) -> bool:
    m = rule.match
    operations = m.get("operation")
    if operations and call.operation not in (
        [operations] if isinstance(operations, str) else operations
    ):
        return False
    if "model_id" in m and m["model_id"] not in (call.model_id, call.resolved_id):
        return False
    pattern = rule.patterns.get("model_pattern")
    if pattern and not (pattern.search(call.model_id) or pattern.search(call.resolved_id)):
        return False
    if m.get("account_id", call.account_id) != call.account_id:
        return False
    if m.get("region", call.region) != call.region:
        return False
    if "prompt_contains" in m and m["prompt_contains"] not in call.prompt:
        return False
    regex = rule.patterns.get("prompt_regex")
    if regex and not regex.search(call.prompt):
        return False
    if "system_contains" in m and m["system_contains"] not in call.system:
        return False
    return set(m.get("tool_names", ())) <= call.tool_names


@dataclass
class Faults:
    """Injected failures: every Nth call or a seeded fraction throttled, the first K calls
    answered ModelNotReady, every Nth call timed out, and added latency."""

    throttle_every: int = 0
    throttle_rate: float = 0.0
    seed: int = 0
    not_ready_first: int = 0
    timeout_every: int = 0
    latency_ms: int = 0
    operations: tuple[str, ...] = ()
    calls: int = 0
    random: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def parse(cls, spec: Mapping[str, Any]) -> Faults:
        known = {"throttle_every", "throttle_rate", "seed", "not_ready_first", "timeout_every"}
        known |= {"latency_ms", "operations"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise RuleError(f"Unknown fault setting: {', '.join(unknown)}")
        for key in known - {"throttle_rate", "operations"}:
            value = spec.get(key, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise RuleError(f"Fault setting {key} must be a non-negative integer")
        rate = spec.get("throttle_rate", 0.0)
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise RuleError("Fault setting throttle_rate must be a number from 0 to 1")
        operations = spec.get("operations", [])
        if not isinstance(operations, list) or not all(isinstance(o, str) for o in operations):
            raise RuleError("Fault setting operations must be a list of operation names")
        for operation in operations:
            if operation not in OPERATIONS:
                raise RuleError(
                    f"Fault setting operations: unknown operation {operation!r} "
                    f"(one of {', '.join(OPERATIONS)})"
                )
        faults = cls(
            **{k: spec[k] for k in known - {"operations"} if k in spec},
            operations=tuple(operations),
        )
        faults.random.seed(faults.seed)
        return faults

    def as_json(self) -> dict[str, Any]:
        keys = ("throttle_every", "throttle_rate", "seed", "not_ready_first", "timeout_every")
        out: dict[str, Any] = {key: getattr(self, key) for key in keys}
        out.update(latency_ms=self.latency_ms, operations=list(self.operations), calls=self.calls)
        return out

    def next_error(self, operation: str) -> BedrockError | None:
        """Counts the call (under the owner's lock) and says which failure it gets, if any."""
        if self.operations and operation not in self.operations:
            return None
        self.calls += 1
        if self.calls <= self.not_ready_first:
            return BedrockError(NOT_READY, code="ModelNotReadyException")
        if self.throttle_every and self.calls % self.throttle_every == 0:
            return BedrockError(THROTTLED, code="ThrottlingException")
        if self.throttle_rate and self.random.random() < self.throttle_rate:
            return BedrockError(THROTTLED, code="ThrottlingException")
        if self.timeout_every and self.calls % self.timeout_every == 0:
            return BedrockError(TIMED_OUT, code="ModelTimeoutException")
        return None


class Controls:
    """One account and region's rules, history and faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._ids = itertools.count(1)
        self._history: deque[dict[str, Any]] = deque(maxlen=config.history_limit())
        self._faults: Faults | None = None

    def add_rules(self, raw_rules: Iterable[Any]) -> list[Rule]:
        """All rules are checked before any is added: a bad one leaves the store unchanged."""
        with self._lock:
            start = next(self._ids)
            parsed = [parse_rule(raw, f"rule-{start + n}") for n, raw in enumerate(raw_rules)]
            self._ids = itertools.count(start + len(parsed))
            self._rules.extend(parsed)
            return parsed

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.as_json() for rule in self._rules]

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, call: Call) -> Rule | None:
        """The rule that answers this call, consuming one of its uses."""
        with self._lock:
            candidates = [rule for rule in self._rules if matches(rule, call)]
            queued = [rule for rule in candidates if rule.times is not None]
            chosen = (queued or candidates or [None])[0]
            if chosen is not None and chosen.times is not None:
                chosen.times -= 1
                if chosen.times == 0:
                    self._rules.remove(chosen)
            return chosen

    def set_faults(self, spec: Mapping[str, Any] | None) -> None:
        faults = Faults.parse(spec) if spec else None
        with self._lock:
            self._faults = faults

    def faults(self) -> dict[str, Any] | None:
        with self._lock:
            return self._faults.as_json() if self._faults else None

    def inject(self, operation: str) -> None:
        """Raises the injected failure for this call, after the injected latency."""
        with self._lock:
            faults = self._faults
            error = faults.next_error(operation) if faults else None
        if faults and faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if error is not None:
            raise error

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._history.append(entry)

    def invocations(self) -> list[dict[str, Any]]:
        """The history, each entry readable (see `readable`). Converted outside the lock, so
        the first read of a full history does not hold up the calls being recorded; two readers
        converting one entry at once store equal values."""
        with self._lock:
            entries = list(self._history)
        return [readable(entry) for entry in entries]

    def clear_invocations(self) -> None:
        with self._lock:
            self._history.clear()


# Rules loaded when a server starts (`moto-bedrock --rules FILE`): every account and region,
# consulted after a backend's own rules, and kept across moto's resets.
startup = Controls()


def load_rules_file(path: str | PathLike[str]) -> int:
    """Adds a JSON rules file (a list of rules or {"rules": [...]}) to `startup`, for every
    front door that starts with one (the server's --rules, LocalStack's MOTO_BEDROCK_RULES).

    Returns how many rules were added; a file that cannot be read or used raises RuleError
    naming the file and why, and adds nothing.
    """
    try:
        data = json.loads(Path(path).read_text())
        rules = data.get("rules") if isinstance(data, dict) else data
        if not isinstance(rules, list):
            raise RuleError('the file must hold a list of rules or {"rules": [...]}')
        return len(startup.add_rules(rules))
    except (OSError, ValueError) as exc:  # RuleError is a ValueError
        raise RuleError(f"cannot load rules from {path}: {exc}") from exc


class EncodedJson(bytes):
    """An answer kept in the history as the JSON bytes that were sent: a third of the memory
    of the parsed form for an embedding (1,024 float objects), and parsed only if read."""


def readable(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry with its neutral request as JSON and its answer parsed, converted in
    place the first time it is read: most calls are never looked at, and the conversion costs
    more than a canned answer."""
    request = entry.get("neutral_request")
    if request is not None and not isinstance(request, dict):
        entry["neutral_request"] = neutral_json(request)
    response = entry.get("response")
    if isinstance(response, EncodedJson):
        entry["response"] = json.loads(response)
    return entry


def recorded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers worth asserting on, with credentials and tokens redacted."""
    out = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in _SECRET_HEADERS:
            out[name] = redact(value)
        elif lower.startswith(_RECORDED_HEADERS):
            out[name] = value
    return out


def redact(value: str) -> str:
    """Keeps the scheme (and a SigV4 credential scope), never a key, token or signature."""
    if value.startswith("AWS4"):
        scope = re.search(r"Credential=[^/,]+/([^,]+)", value)
        return f"AWS4-HMAC-SHA256 Credential=***/{scope.group(1) if scope else ''} Signature=***"
    if value.startswith("Bearer "):
        return "Bearer ***"
    return "***"
