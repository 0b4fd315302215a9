"""The Python front door to the test controls: declare answers, inject faults, read history.

In-process and with ThreadedMotoServer it works on the backend directly; given an
`endpoint_url` it drives any moto-bedrock server through /moto-api/static/bedrock/... (see
testing_http.py). Under pytest the `mock_bedrock` fixture hands out one of these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from moto.core import DEFAULT_ACCOUNT_ID

from .controls import Controls, RuleError
from .runtime.models import bedrockruntime_backends


class BedrockControls:
    """One account and region's declared answers, faults and call history."""

    def __init__(
        self,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
    ) -> None:
        self.account_id = account_id
        self.region = region
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None

    # Declaring answers

    def add_rules(self, *rules: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Adds rules (see data/rules.schema.json); all or none: a bad one raises RuleError."""
        if self.endpoint_url:
            return self._call("POST", "rules", {"rules": list(rules)})["rules"]
        return [rule.as_json() for rule in self._local().add_rules(rules)]

    def answer(
        self, respond: str | Mapping[str, Any], *, times: int | None = None, **match: Any
    ) -> dict[str, Any]:
        """Answer calls matching `match` (operation, model_id, prompt_contains…) with `respond`:
        a text, or a respond object. Unlimited unless `times` is given."""
        rule: dict[str, Any] = {
            "respond": {"text": respond} if isinstance(respond, str) else dict(respond)
        }
        if match:
            rule["match"] = match
        if times is not None:
            rule["times"] = times
        return self.add_rules(rule)[0]

    def queue(self, *responds: str | Mapping[str, Any], **match: Any) -> list[dict[str, Any]]:
        """Answers served once each, in order, ahead of unlimited rules."""
        return [self.answer(respond, times=1, **match) for respond in responds]

    def fail(
        self, code: str, message: str | None = None, *, times: int | None = None, **match: Any
    ) -> dict[str, Any]:
        """Matching calls raise the modeled Bedrock error `code` (e.g. ThrottlingException)."""
        error = {"code": code, **({"message": message} if message else {})}
        return self.answer({"error": error}, times=times, **match)

    def rules(self) -> list[dict[str, Any]]:
        if self.endpoint_url:
            return self._call("GET", "rules")["rules"]
        return self._local().rules()

    def clear_rules(self) -> None:
        if self.endpoint_url:
            self._call("DELETE", "rules")
        else:
            self._local().clear_rules()

    # Faults

    def set_faults(self, **spec: Any) -> None:
        """throttle_every, throttle_rate + seed, not_ready_first, timeout_every, latency_ms,
        operations — see controls.Faults."""
        if self.endpoint_url:
            self._call("PUT", "faults", {"faults": spec})
        else:
            self._local().set_faults(spec)

    def faults(self) -> dict[str, Any] | None:
        """The faults in force (with `calls`, the calls counted so far), or None."""
        if self.endpoint_url:
            return self._call("GET", "faults")["faults"]
        return self._local().faults()

    def clear_faults(self) -> None:
        if self.endpoint_url:
            self._call("DELETE", "faults")
        else:
            self._local().set_faults(None)

    # History

    def invocations(self) -> list[dict[str, Any]]:
        if self.endpoint_url:
            return self._call("GET", "invocations")["invocations"]
        return self._local().invocations()

    def clear_invocations(self) -> None:
        if self.endpoint_url:
            self._call("DELETE", "invocations")
        else:
            self._local().clear_invocations()

    def reset(self) -> None:
        """Rules, faults and history of this account and region, all cleared."""
        self.clear_rules()
        self.clear_faults()
        self.clear_invocations()

    def _local(self) -> Controls:
        return bedrockruntime_backends[self.account_id][self.region].controls

    def _call(self, method: str, what: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        payload = {"account_id": self.account_id, "region": self.region, **(body or {})}
        response = requests.request(
            method,
            f"{self.endpoint_url}/moto-api/static/bedrock/{what}",
            json=payload,
            params={"account_id": self.account_id, "region": self.region},
            timeout=30,
        )
        if response.status_code == 400:
            raise RuleError(response.json()["message"])
        response.raise_for_status()
        return response.json()
