"""anthropic's AnthropicBedrock against moto-bedrock: messages.create and messages.stream.

The SDK finds its credentials as it does against AWS: AWS keys from the environment (signed
with SigV4), or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK, which is sent only to an
HTTPS server (`moto-bedrock --tls`; pass the certificate its banner prints).

    python tests/clients/anthropic_bedrock.py ENDPOINT_URL [CA_BUNDLE]

Prints one JSON object, what tests/test_clients_python.py asserts on.
"""

from __future__ import annotations

import json
import ssl
import sys
from typing import Any

from anthropic import AnthropicBedrock, DefaultHttpxClient

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES: Any = [{"role": "user", "content": "Name three rivers in Europe."}]


def make_client(endpoint_url: str, ca_bundle: str | None) -> AnthropicBedrock:
    """A client for the server at endpoint_url, trusting its self-signed certificate if given."""
    http_client = None
    if ca_bundle:
        http_client = DefaultHttpxClient(verify=ssl.create_default_context(cafile=ca_bundle))
    return AnthropicBedrock(
        base_url=endpoint_url, aws_region="us-east-1", http_client=http_client, max_retries=0
    )


def main() -> None:
    client = make_client(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)

    message = client.messages.create(model=MODEL, max_tokens=256, messages=MESSAGES)

    with client.messages.stream(model=MODEL, max_tokens=256, messages=MESSAGES) as stream:
        deltas = list(stream.text_stream)
        final = stream.get_final_message()

    print(
        json.dumps(
            {
                "create": {
                    "id": message.id,
                    "model": message.model,
                    "text": message.content[0].text,
                    "stop_reason": message.stop_reason,
                    "usage": message.usage.model_dump(include={"input_tokens", "output_tokens"}),
                },
                "stream": {
                    "deltas": deltas,
                    "text": final.content[0].text,
                    "stop_reason": final.stop_reason,
                    "usage": final.usage.model_dump(include={"input_tokens", "output_tokens"}),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
