"""The bedrock control plane's errors (moto's layout); they are the shared modeled errors."""

from ..errors import BedrockError, UnknownOperationException, ValidationException

__all__ = ["BedrockError", "UnknownOperationException", "ValidationException"]
