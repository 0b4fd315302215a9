"""Settings read from the environment, each in one place with its documented variable.

They are read when used (not cached at import), so a test can change one with monkeypatch and
a server started with the variable set sees it.
"""

from __future__ import annotations

import os


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw.strip() else default
    except ValueError:
        return default


def stream_delay_seconds() -> float:
    """MOTO_BEDROCK_STREAM_DELAY_MS: pause before each streamed delta of the canned engine."""
    return max(0.0, _float("MOTO_BEDROCK_STREAM_DELAY_MS", 0.0)) / 1000.0


def bearer_region() -> str:
    """MOTO_BEDROCK_REGION: the region of a request that signs none (bearer tokens)."""
    return (
        os.environ.get("MOTO_BEDROCK_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or ("us-east-1")
    )


def history_limit() -> int:
    """MOTO_BEDROCK_HISTORY_LIMIT: invocations kept per account and region (oldest dropped)."""
    return max(1, int(_float("MOTO_BEDROCK_HISTORY_LIMIT", 1000)))


PROVISIONING_SECONDS = "MOTO_BEDROCK_PROVISIONING_SECONDS"


def provisioning_seconds() -> float:
    """MOTO_BEDROCK_PROVISIONING_SECONDS: how long a created resource or job stays in its
    transitional status (Creating, InProgress…) before a read finds it finished (0)."""
    return max(0.0, _float(PROVISIONING_SECONDS, 0.0))
