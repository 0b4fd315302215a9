"""moto-bedrock: an offline Amazon Bedrock for moto, a local server and LocalStack.

Under pytest it activates itself (a pytest11 plugin). Anywhere else, one call does it::

    import moto_bedrock_runtime
    moto_bedrock_runtime.activate()
"""

from .plugin import activate, deactivate, is_active

__version__ = "0.1.0"
__all__ = ["__version__", "activate", "deactivate", "is_active"]
