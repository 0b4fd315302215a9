"""langchain-aws against moto-bedrock: ChatBedrockConverse (invoke, stream, tools and a tool
result round trip) and BedrockEmbeddings (a small retrieval).

Both build a boto3 client, so `endpoint_url` (or AWS_ENDPOINT_URL) and the usual AWS
credentials are all they need.

    python tests/clients/langchain_aws_client.py ENDPOINT_URL

Prints one JSON object, what tests/test_clients_python.py asserts on.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Literal

from langchain_aws import BedrockEmbeddings, ChatBedrockConverse
from langchain_core.messages import BaseMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, Field

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
DOCUMENTS = ["The cat sat on the mat.", "Quarterly revenue grew by eight percent."]
QUERY = "Where did the cat sit? On the mat."


class GetWeather(BaseModel):
    """Get the current weather in a city."""

    city: str = Field(description="The city, e.g. Paris")
    unit: Literal["celsius", "fahrenheit"] = Field(description="The temperature unit")


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def main() -> None:
    endpoint_url = sys.argv[1]
    llm = ChatBedrockConverse(model=MODEL, region_name="us-east-1", endpoint_url=endpoint_url)

    answer = llm.invoke("Name three rivers in Europe.")
    chunks = [chunk.text for chunk in llm.stream("Name three rivers in Europe.")]

    with_tools = llm.bind_tools([GetWeather])
    conversation: list[BaseMessage] = [HumanMessage("What is the weather in Paris?")]
    tool_request = with_tools.invoke(conversation)
    call = tool_request.tool_calls[0]
    conversation += [tool_request, ToolMessage("18 degrees and sunny", tool_call_id=call["id"])]
    after_tool = with_tools.invoke(conversation)

    embeddings = BedrockEmbeddings(
        model_id="amazon.titan-embed-text-v2:0", region_name="us-east-1", endpoint_url=endpoint_url
    )
    query = embeddings.embed_query(QUERY)
    documents = embeddings.embed_documents(DOCUMENTS)

    print(
        json.dumps(
            {
                "invoke": {"text": answer.text, "usage": answer.usage_metadata},
                "stream": {"chunks": chunks},
                "tools": {
                    "schema": GetWeather.model_json_schema(),
                    "tool_calls": tool_request.tool_calls,
                    "after_tool": {
                        "text": after_tool.text,
                        "tool_calls": after_tool.tool_calls,
                        "stop_reason": after_tool.response_metadata["stopReason"],
                    },
                },
                "embeddings": {
                    "query_dimensions": len(query),
                    "document_dimensions": [len(vector) for vector in documents],
                    "similarity": {
                        text: cosine(query, vector)
                        for text, vector in zip(DOCUMENTS, documents, strict=True)
                    },
                },
            }
        )
    )


if __name__ == "__main__":
    main()
