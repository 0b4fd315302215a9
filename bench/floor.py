"""The floor: the least a Python server on this machine can do per Bedrock call.

An asyncio server, one thread, keep-alive, that reads each request's head and body and writes
a fixed, valid answer for its path (prepared once): no parsing, no validation, no engine. What
the emulator costs above this is what emulating costs.

    python -m bench.floor PORT
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys

from moto_bedrock_runtime.eventstream import CONTENT_TYPE, event_frame

_TEXT = "The Danube, the Rhine and the Loire."
_USAGE = {"inputTokens": 14, "outputTokens": 10, "totalTokens": 24}


def _answers() -> dict[str, tuple[str, bytes]]:
    converse = {
        "output": {"message": {"role": "assistant", "content": [{"text": _TEXT}]}},
        "stopReason": "end_turn",
        "usage": _USAGE,
        "metrics": {"latencyMs": 1},
    }
    converse_stream = b"".join(
        event_frame(name, payload, n)
        for n, (name, payload) in enumerate(
            [
                ("messageStart", {"role": "assistant"}),
                ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": _TEXT}}),
                ("contentBlockStop", {"contentBlockIndex": 0}),
                ("messageStop", {"stopReason": "end_turn"}),
                ("metadata", {"usage": _USAGE, "metrics": {"latencyMs": 1}}),
            ]
        )
    )
    claude = {
        "id": "msg_bdrk_01floor",
        "type": "message",
        "role": "assistant",
        "model": "claude-3-haiku-20240307",
        "content": [{"type": "text", "text": _TEXT}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 14, "output_tokens": 10},
    }
    claude_chunks = [
        {"type": "message_start", "message": {**claude, "content": [], "stop_reason": None}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": _TEXT}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 10},
        },
        {"type": "message_stop"},
    ]
    invoke_stream = b"".join(
        event_frame("chunk", {"bytes": base64.b64encode(json.dumps(c).encode()).decode()}, n)
        for n, c in enumerate(claude_chunks)
    )
    embedding = {"embedding": [0.03125] * 1024, "inputTextTokenCount": 3}
    models = {
        "modelSummaries": [
            {
                "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/"
                + "amazon.nova-lite-v1:0",
                "modelId": "amazon.nova-lite-v1:0",
                "modelName": "Nova Lite",
                "providerName": "Amazon",
                "inputModalities": ["TEXT", "IMAGE"],
                "outputModalities": ["TEXT"],
                "responseStreamingSupported": True,
                "customizationsSupported": [],
                "inferenceTypesSupported": ["ON_DEMAND"],
                "modelLifecycle": {"status": "ACTIVE"},
            }
        ]
    }
    as_json = "application/json"
    return {
        "converse": (as_json, json.dumps(converse).encode()),
        "converse-stream": (CONTENT_TYPE, converse_stream),
        "invoke": (as_json, json.dumps(claude).encode()),
        "invoke-with-response-stream": (CONTENT_TYPE, invoke_stream),
        "embed": (as_json, json.dumps(embedding).encode()),
        "foundation-models": (as_json, json.dumps(models).encode()),
    }


ANSWERS = _answers()


def _head(content_type: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\r\n"
    ).encode() + body


PREPARED = {key: _head(*answer) for key, answer in ANSWERS.items()}


def _answer_for(path: str) -> bytes:
    if path.startswith("/foundation-models"):
        return PREPARED["foundation-models"]
    operation = path.rsplit("/", 1)[-1]
    if operation == "invoke" and "embed" in path:
        return PREPARED["embed"]
    return PREPARED.get(operation, PREPARED["converse"])


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            path = head.split(b" ", 2)[1].decode()
            writer.write(_answer_for(path))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
