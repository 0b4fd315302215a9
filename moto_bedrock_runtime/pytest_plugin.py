"""pytest11 entry point: with moto-bedrock installed, `@mock_aws` serves Bedrock, no extra line."""

from typing import Any

from .plugin import activate


def pytest_configure(config: Any) -> None:
    activate()
