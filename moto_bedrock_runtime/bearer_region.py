"""The region of a request signed with a bearer token, for both Bedrock planes.

A bearer token (a Bedrock API key) carries no SigV4 scope, so moto would fall back to
us-east-1. Unless the host or the user agent names a region, the configured one
(MOTO_BEDROCK_REGION) applies — to the runtime and the control plane alike, so a resource
created through one is found through the other.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import BaseResponse

from . import config


class BearerRegion(BaseResponse):
    """Mixed in before moto's response class on both planes."""

    def get_region_from_url(self, request: Any, full_url: str) -> str:
        if (
            request.headers.get("Authorization", "").startswith("Bearer ")
            and not self.region_regex.search(full_url)
            and not self.region_from_useragent_regex.search(request.headers.get("User-Agent", ""))
        ):
            return config.bearer_region()
        return super().get_region_from_url(request, full_url)
