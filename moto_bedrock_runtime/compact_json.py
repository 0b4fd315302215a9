"""JSON as Bedrock writes it: no spaces, non-ASCII left as UTF-8.

One shared encoder: `json.dumps` with these options builds a new encoder on every call, which
costs more than encoding a stream event itself, and a stream encodes two per event.
"""

from __future__ import annotations

import json

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
