"""Imported by moto_bedrock_autoload.pth at interpreter start when MOTO_BEDROCK_AUTOLOAD=1."""

from .plugin import activate

activate()
