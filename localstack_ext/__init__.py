"""moto-bedrock inside LocalStack: an extension and two service providers (bedrock and
bedrock-runtime) that hand LocalStack's requests to moto-bedrock's own HTTP layer.

Only the submodules import LocalStack (they are loaded by LocalStack itself, through entry
points), so this package and moto_bedrock_runtime stay importable without localstack-core.

- `extension`: the LocalStack Extension Pro loads (`localstack extensions install moto-bedrock`).
- `providers`: `bedrock:moto-bedrock` and `bedrock-runtime:moto-bedrock`, selected with
  PROVIDER_OVERRIDE_BEDROCK / PROVIDER_OVERRIDE_BEDROCK_RUNTIME=moto-bedrock.
- `community`: with MOTO_BEDROCK_LOCALSTACK=1, loads the extension into community
  localstack-core, which has no extension loader of its own.
- `gateway`: the one adapter all three use.
"""

from __future__ import annotations

import os

ENABLE_VARIABLE = "MOTO_BEDROCK_LOCALSTACK"
PROVIDER_NAME = "moto-bedrock"
SERVICES = ("bedrock", "bedrock-runtime")


def enabled() -> bool:
    """MOTO_BEDROCK_LOCALSTACK: whether community LocalStack should load the extension."""
    return os.environ.get(ENABLE_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}
