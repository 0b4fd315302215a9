"""A small app that calls Amazon Bedrock: it triages support tickets.

`triage` asks a model, through Converse and a forced tool call, which queue a ticket belongs
to and whether it is urgent. When Bedrock throttles (after botocore's own retries), the ticket
goes to people instead of failing. The tests next to it (test_app.py) run it against
moto-bedrock with the `mock_bedrock` pytest fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

MODEL_ID = "anthropic.claude-3-haiku-20240307-v1:0"
QUEUES = ("billing", "technical", "account", "other")
SYSTEM = "You triage customer support tickets. File every ticket with the file_ticket tool."
FILE_TICKET = {
    "toolSpec": {
        "name": "file_ticket",
        "description": "File the ticket into a support queue.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "queue": {"type": "string", "enum": list(QUEUES)},
                    "urgent": {"type": "boolean"},
                },
                "required": ["queue", "urgent"],
            }
        },
    }
}


@dataclass(frozen=True)
class Triage:
    queue: str
    urgent: bool
    by_model: bool = True


# What a ticket gets when the model cannot be asked: a person looks at it.
MANUAL_REVIEW = Triage(queue="manual-review", urgent=False, by_model=False)


def triage(ticket: str, client: Any = None) -> Triage:
    """The queue and urgency of a ticket, as the model files it."""
    client = client or boto3.client("bedrock-runtime", region_name="us-east-1")
    try:
        response = client.converse(
            modelId=MODEL_ID,
            system=[{"text": SYSTEM}],
            messages=[{"role": "user", "content": [{"text": ticket}]}],
            toolConfig={"tools": [FILE_TICKET], "toolChoice": {"tool": {"name": "file_ticket"}}},
            inferenceConfig={"maxTokens": 200, "temperature": 0},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ThrottlingException":
            return MANUAL_REVIEW
        raise
    for block in response["output"]["message"]["content"]:
        if block.get("toolUse", {}).get("name") == "file_ticket":
            filed = block["toolUse"]["input"]
            if filed.get("queue") in QUEUES:
                return Triage(queue=filed["queue"], urgent=bool(filed.get("urgent")))
    return MANUAL_REVIEW
