"""What the account's own model resources share (provisioned throughputs, custom and imported
models, import and copy jobs, custom model deployments): AWS-shaped ids and ARNs, statuses that
move on when read, tags at creation, and AWS's list filtering, sorting and pagination.

Status transitions (Creating → InService, InProgress → Completed, …) are observed, not
scheduled: a control-plane request that reads a resource at least
``MOTO_BEDROCK_PROVISIONING_SECONDS`` (default 0) after the change moves it to its final status.
So by default the first Get or List after a create already shows InService/Active/Completed,
while a runtime call made before anything has read the resource finds it not ready, as on AWS
where nothing is ready the instant it is created. Setting the variable keeps resources in their
transitional status for that long, so a test can watch a polling loop wait.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ..config import provisioning_seconds
from ..errors import BedrockError, ValidationException
from ..moto_services import get_partition, mock_random
from .common import ControlHandlers, Response, now

T = TypeVar("T")

MAX_TAGS = 50
TOO_MANY_TAGS = (
    f"The request contains more tags than can be associated with a resource ({MAX_TAGS} tags per "
    "resource). The maximum number of tags includes both existing tags and those included in "
    "your current request."
)
INVALID_TOKEN = "The provided pagination token is invalid."


def moment() -> datetime:
    """Now, to the millisecond AWS reports: a time read back from a response then filters
    exactly (creationTimeAfter=<a resource's creationTime> leaves that resource out)."""
    current = now()
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def resource_id() -> str:
    """The 12-character suffix of ARNs like `provisioned-model/abcd1234efgh` (moto's seedable
    random source, so `seed` in moto's API makes them repeatable)."""
    return mock_random.get_random_string(12, lower_case=True)


def bedrock_arn(region: str, account: str, resource: str) -> str:
    return f"arn:{get_partition(region)}:bedrock:{region}:{account}:{resource}"


def foundation_arn(region: str, model_id: str) -> str:
    return f"arn:{get_partition(region)}:bedrock:{region}::foundation-model/{model_id}"


class Progress:
    """A status on its way to a final one; see the module docstring for when it gets there."""

    __slots__ = ("final", "since", "status")

    def __init__(self, status: str, final: str) -> None:
        self.status = status
        self.final = final
        self.since = now()

    @property
    def pending(self) -> bool:
        return self.status != self.final

    def restart(self, status: str, final: str) -> None:
        self.status, self.final, self.since = status, final, now()

    def advance(self) -> bool:
        """Move to the final status if its time has come; True when this call moved it."""
        if self.pending and (now() - self.since).total_seconds() >= provisioning_seconds():
            self.status = self.final
            return True
        return False


TOKEN_REUSED = (
    "The client request token {token} was already used for a request with different parameters."
)


class ClientTokens:
    """clientRequestToken → (fingerprint of the request, ARN made): a retried create returns
    what the first one made, and the token reused for a different request is a conflict, as
    AWS's idempotent creates answer. The caller holds its own lock."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, str]] = {}

    @staticmethod
    def _fingerprint(request: dict[str, Any]) -> str:
        return json.dumps(request, sort_keys=True, default=str)

    def replay(self, token: str | None, request: dict[str, Any]) -> str | None:
        if not token or token not in self._seen:
            return None
        fingerprint, arn = self._seen[token]
        if fingerprint != self._fingerprint(request):
            raise BedrockError(TOKEN_REUSED.format(token=token), code="ConflictException")
        return arn

    def remember(self, token: str | None, request: dict[str, Any], arn: str) -> None:
        if token:
            self._seen[token] = (self._fingerprint(request), arn)

    def forget(self, arn: str) -> None:
        self._seen = {token: seen for token, seen in self._seen.items() if seen[1] != arn}


def check_tag_count(*tag_lists: list[dict[str, str]] | None, arn: str | None = None) -> None:
    """Before anything is stored: at most 50 tags a resource, as AWS allows (the one check
    every create and TagResource use)."""
    if any(len(tags or []) > MAX_TAGS for tags in tag_lists):
        extra = {"resourceName": arn} if arn else {}
        raise BedrockError(TOO_MANY_TAGS, code="TooManyTagsException", **extra)


def created_between(params: dict[str, Any], after: str, before: str) -> Callable[[datetime], bool]:
    """The creation-time filter of a List operation (both bounds exclusive)."""
    low, high = params.get(after), params.get(before)
    return lambda at: (low is None or at > low) and (high is None or at < high)


def listed(
    items: Iterable[Any], params: dict[str, Any], after: str, before: str
) -> tuple[list[Any], str | None]:
    """One page of resources passing a List operation's common filters: creation time,
    statusEquals, modelArnEquals and nameContains (resources with `created`, `progress`,
    `model_arn` and `name`)."""
    when = created_between(params, after, before)
    status, model, name = (
        params.get("statusEquals"),
        params.get("modelArnEquals"),
        params.get("nameContains"),
    )
    chosen = [
        item
        for item in items
        if when(item.created)
        and status in (None, item.progress.status)
        and model in (None, item.model_arn)
        and (name is None or name in item.name)
    ]
    return page(chosen, lambda item: item.created, params)


def page(
    items: Sequence[T], created: Callable[[T], datetime], params: dict[str, Any]
) -> tuple[list[T], str | None]:
    """Sort by creation time (newest first unless sortOrder=Ascending), then one page of
    maxResults items (all when absent) from the offset its opaque nextToken carries."""
    ordered = sorted(items, key=created, reverse=params.get("sortOrder") != "Ascending")
    start = _offset(params["nextToken"]) if params.get("nextToken") else 0
    end = start + params["maxResults"] if params.get("maxResults") else len(ordered)
    token = _token(end) if end < len(ordered) else None
    return ordered[start:end], token


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"moto-bedrock:{offset}".encode()).decode()


def _offset(token: str) -> int:
    try:
        prefix, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        offset = int(number)
    except ValueError as exc:
        raise ValidationException(INVALID_TOKEN) from exc
    if prefix != "moto-bedrock" or offset < 0:
        raise ValidationException(INVALID_TOKEN)
    return offset


class OwnedHandlers(ControlHandlers):
    """Handler helpers for paginated resources."""

    def _listing(self, key: str, entries: list[dict[str, Any]], token: str | None) -> Response:
        """A List operation's body: the page's entries, and nextToken when more remain."""
        return self._json({key: entries, **({"nextToken": token} if token else {})})
