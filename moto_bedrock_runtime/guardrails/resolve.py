"""Finding the guardrail version a runtime call names, in the caller's account and region."""

from __future__ import annotations

from ..errors import BedrockError, ResourceNotFoundException
from .policy import ResolvedGuardrail

# Bedrock's answer for a guardrailConfig naming no guardrail (a ValidationException there).
GUARDRAIL_NOT_FOUND = "The guardrail identifier or version provided in the request does not exist."


def resolve(
    account_id: str,
    region: str,
    identifier: str,
    version: str,
    error: type[BedrockError] = ResourceNotFoundException,
) -> ResolvedGuardrail:
    """The version ("DRAFT" or "1", "2", …) of the guardrail named by id or ARN; `error` with
    GUARDRAIL_NOT_FOUND when either does not exist."""
    from ..control.models import bedrock_backends  # the control plane imports this package

    try:
        backend = bedrock_backends[account_id][region]
    except KeyError:  # a region the control plane does not serve holds no guardrails
        raise error(GUARDRAIL_NOT_FOUND) from None
    found = backend.resolved_guardrail(identifier, version)
    if found is None:
        raise error(GUARDRAIL_NOT_FOUND)
    return found
