"""pytest11 entry point: with moto-bedrock installed, `@mock_aws` serves Bedrock, no extra line.

It also provides `mock_bedrock`: a moto mock for the test plus a handle (BedrockControls) to
declare answers, inject faults and read the call history; everything ends with the test.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from .plugin import activate


def pytest_configure(config: Any) -> None:
    activate()


@pytest.fixture
def mock_bedrock() -> Iterator[Any]:
    """`with mock_aws():` around the test, yielding the default account's us-east-1 controls
    (use `BedrockControls(account_id=..., region=...)` for others)."""
    from moto import mock_aws

    from .testing import BedrockControls

    with mock_aws():
        yield BedrockControls()
