"""litellm against moto-bedrock: completion through Bedrock's Converse API
("bedrock/converse/<model id>") and through InvokeModel ("bedrock/invoke/<model id>"), whole
and streamed.

`aws_bedrock_runtime_endpoint` points litellm's Bedrock provider at the server. Credentials
are AWS keys from the environment, or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK, which
needs `moto-bedrock --tls` and its certificate (litellm.ssl_verify).

    python tests/clients/litellm_bedrock.py ENDPOINT_URL [CA_BUNDLE]

Prints one JSON object (on its last line), what tests/test_clients_python.py asserts on.
"""

from __future__ import annotations

import json
import os
import sys

# litellm fetches its model price list from the internet at import; offline, use its own copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": "Name three rivers in Europe."}]


def main() -> None:
    endpoint_url = sys.argv[1]
    if len(sys.argv) > 2:
        litellm.ssl_verify = sys.argv[2]
    options = {
        "messages": MESSAGES,
        "max_tokens": 256,
        "aws_bedrock_runtime_endpoint": endpoint_url,
        "aws_region_name": "us-east-1",
        "num_retries": 0,
    }
    results = {}
    for route in ("converse", "invoke"):
        model = f"bedrock/{route}/{MODEL}"
        whole = litellm.completion(model=model, **options)
        stream = litellm.completion(model=model, stream=True, **options)
        deltas = [chunk.choices[0].delta.content or "" for chunk in stream]
        results[route] = {
            "text": whole.choices[0].message.content,
            "finish_reason": whole.choices[0].finish_reason,
            "usage": {
                "prompt_tokens": whole.usage.prompt_tokens,
                "completion_tokens": whole.usage.completion_tokens,
            },
            "stream_deltas": [delta for delta in deltas if delta],
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
