"""JSON from clients, parsed so that every way it can be bad is a ValueError.

json.loads raises RecursionError, not ValueError, for arrays or objects nested deeper than the
interpreter's recursion limit (`{"a":{"a":…` a few thousand times): a malformed request must
not become an internal error.
"""

from __future__ import annotations

import json
from typing import Any

TOO_DEEP = "it is nested too deeply"


class TooDeep(ValueError):
    """JSON nested beyond what the parser can follow."""


def loads(raw: str | bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise TooDeep(TOO_DEEP) from exc
