"""boto3 with a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) against `moto-bedrock --tls`.

botocore sends a bearer token only over HTTPS, so the server runs with --tls and the client
trusts the certificate its banner prints. A bearer token signs no region: the server takes the
one named in the user agent (`Config(user_agent_extra="region/...")`), else its configured
default (MOTO_BEDROCK_REGION).

    AWS_BEARER_TOKEN_BEDROCK=... python tests/clients/boto3_bearer.py ENDPOINT_URL CA_BUNDLE

Prints one JSON object, what tests/test_clients_python.py asserts on.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
from botocore.config import Config

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES: Any = [{"role": "user", "content": [{"text": "Name three rivers in Europe."}]}]


def calls(endpoint_url: str, ca_bundle: str, config: Config | None) -> dict[str, Any]:
    """One Converse call and one ListFoundationModels call, with the given client config."""
    options: dict[str, Any] = {
        "region_name": "us-east-1",
        "endpoint_url": endpoint_url,
        "verify": ca_bundle,
        "config": config,
    }
    runtime = boto3.client("bedrock-runtime", **options)
    reply = runtime.converse(modelId=MODEL, messages=MESSAGES)
    bedrock = boto3.client("bedrock", **options)
    models = bedrock.list_foundation_models(byProvider="anthropic")["modelSummaries"]
    return {
        "text": reply["output"]["message"]["content"][0]["text"],
        "request_id": reply["ResponseMetadata"]["RequestId"],
        "model_arn": next(m["modelArn"] for m in models if m["modelId"] == MODEL),
    }


def main() -> None:
    endpoint_url, ca_bundle = sys.argv[1], sys.argv[2]
    hinted = Config(user_agent_extra="region/ap-southeast-2")
    print(
        json.dumps(
            {
                "default_region": calls(endpoint_url, ca_bundle, None),
                "user_agent_region": calls(endpoint_url, ca_bundle, hinted),
            }
        )
    )


if __name__ == "__main__":
    main()
