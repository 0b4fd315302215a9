"""The bedrock-runtime service's errors (moto's layout); they are the shared modeled errors."""

from ..errors import (
    AccessDeniedException,
    BedrockError,
    InternalServerException,
    ResourceNotFoundException,
    ThrottlingException,
    UnknownOperationException,
    ValidationException,
)

__all__ = [
    "AccessDeniedException",
    "BedrockError",
    "InternalServerException",
    "ResourceNotFoundException",
    "ThrottlingException",
    "UnknownOperationException",
    "ValidationException",
]
