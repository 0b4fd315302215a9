"""The per-vendor InvokeModel body schemas (schemas/*.json) through the Bedrock-style validator.

Each schema gets a realistic body (as the AWS docs' examples, boto3 users and langchain-aws send
it) that must pass, and bodies that break it in each way Bedrock reports: a missing key, an
extraneous key, a wrong JSON type and a value out of range (or outside an enum, or too long), each
answered with Bedrock's exact `Malformed input request: ...` text."""

from __future__ import annotations

import base64
import copy
import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from moto_bedrock_runtime.errors import ValidationException
from moto_bedrock_runtime.vendors.validation import validate_body

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMAS = (
    "anthropic-messages anthropic-text titan-text titan-embed-text-v1 titan-embed-text-v2 "
    "titan-embed-image titan-image nova nova-embed llama mistral-text mistral-chat cohere-command "
    "cohere-command-r cohere-embed-v3 cohere-embed-v4 ai21-jamba deepseek openai-chat "
    "stability-sd3 stability-sdxl writer"
).split()
COUNT_SCHEMAS = {
    "anthropic-text",
    "titan-text",
    "titan-embed-text-v1",
    "titan-embed-text-v2",
    "titan-embed-image",
}
KINDS = ("missing", "extraneous", "type", "range")

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF").decode()


def malformed(violations: str) -> str:
    return f"Malformed input request: {violations}, please reformat your input and try again."


DROP = object()


def with_(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `body` with top-level keys set (a value of DROP removes the key)."""
    out = copy.deepcopy(body)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# Realistic valid bodies, one or more per schema.

CLAUDE = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Hello, Claude"}],
}
CLAUDE_TOOLS = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 2048,
    "system": [
        {"type": "text", "text": "You are a weather bot.", "cache_control": {"type": "ephemeral"}}
    ],
    "messages": [
        {
            "role": "user",
            "content": [
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
                {"type": "text", "text": "What's the weather where this photo was taken?"},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {
                    "type": "tool_use",
                    "id": "toolu_bdrk_01A09q90qw90lq917835lq9",
                    "name": "get_weather",
                    "input": {"city": "Paris", "unit": "celsius"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_bdrk_01A09q90qw90lq917835lq9",
                    "content": [{"type": "text", "text": "18C, sunny"}],
                }
            ],
        },
    ],
    "temperature": 0.2,
    "top_p": 0.999,
    "top_k": 250,
    "stop_sequences": ["\n\nHuman:"],
    "tools": [
        {
            "name": "get_weather",
            "description": "Current weather for a city",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius"]}},
                "required": ["city"],
                "$defs": {"anything": {"type": "string"}},
            },
        },
        {"type": "bash_20250124", "name": "bash"},
    ],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
}
CLAUDE_THINKING = {
    "anthropic_version": "bedrock-2023-05-31",
    "anthropic_beta": ["interleaved-thinking-2025-05-14"],
    "max_tokens": 20000,
    "thinking": {"type": "enabled", "budget_tokens": 16000},
    "system": "Think step by step.",
    "messages": [
        {"role": "user", "content": "Is 1009 prime?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Check divisors...", "signature": "EqQBCkYIAx"},
                {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
                {"type": "text", "text": "Yes."},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": PNG},
                    "title": "primes.pdf",
                    "citations": {"enabled": True},
                },
                {"type": "text", "text": "And per this table?"},
            ],
        },
    ],
}
CLAUDE_TEXT = {
    "prompt": "\n\nHuman: Write a haiku about rivers.\n\nAssistant:",
    "max_tokens_to_sample": 300,
    "temperature": 0.5,
    "top_k": 250,
    "top_p": 1,
    "stop_sequences": ["\n\nHuman:"],
    "anthropic_version": "bedrock-2023-05-31",
}
TITAN_TEXT = {
    "inputText": "User: Summarise the plot of Hamlet.\nBot:",
    "textGenerationConfig": {
        "maxTokenCount": 4096,
        "stopSequences": ["User:"],
        "temperature": 0,
        "topP": 1,
    },
}
TITAN_EMBED_V2 = {
    "inputText": "What is the capital of France?",
    "dimensions": 512,
    "normalize": True,
    "embeddingTypes": ["float", "binary"],
}
TITAN_EMBED_IMAGE = {
    "inputText": "a red bicycle",
    "inputImage": PNG,
    "embeddingConfig": {"outputEmbeddingLength": 384},
}
TITAN_IMAGE = {
    "taskType": "TEXT_IMAGE",
    "textToImageParams": {"text": "A lighthouse on a cliff at sunset", "negativeText": "people"},
    "imageGenerationConfig": {
        "numberOfImages": 1,
        "height": 1024,
        "width": 1024,
        "cfgScale": 8.0,
        "seed": 0,
        "quality": "premium",
    },
}
NOVA = {
    "schemaVersion": "messages-v1",
    "system": [{"text": "Answer in one sentence."}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"text": "Describe this picture."},
                {"image": {"format": "png", "source": {"bytes": PNG}}},
            ],
        }
    ],
    "inferenceConfig": {"maxTokens": 500, "topP": 0.9, "topK": 20, "temperature": 0.7},
}
NOVA_TOOLS = {
    "system": [{"text": "Use the tools."}, {"cachePoint": {"type": "default"}}],
    "messages": [
        {"role": "user", "content": [{"text": "Top song on WZPZ?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "toolUse": {
                        "toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                        "name": "top_song",
                        "input": {"sign": "WZPZ"},
                    }
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "toolResult": {
                        "toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                        "content": [{"json": {"song": "Elemental Hotel"}}],
                        "status": "success",
                    }
                },
                {
                    "video": {
                        "format": "mp4",
                        "source": {"s3Location": {"uri": "s3://bucket/clip.mp4"}},
                    }
                },
            ],
        },
    ],
    "inferenceConfig": {"max_new_tokens": 300, "top_p": 0.9, "top_k": 50, "stopSequences": ["##"]},
    "toolConfig": {
        "tools": [
            {
                "toolSpec": {
                    "name": "top_song",
                    "description": "Most popular song on a radio station.",
                    "inputSchema": {
                        "json": {
                            "type": "object",
                            "properties": {"sign": {"type": "string"}},
                            "required": ["sign"],
                        }
                    },
                }
            }
        ],
        "toolChoice": {"auto": {}},
    },
}
NOVA_EMBED = {
    "schemaVersion": "nova-multimodal-embed-v1",
    "taskType": "SINGLE_EMBEDDING",
    "singleEmbeddingParams": {
        "embeddingPurpose": "GENERIC_INDEX",
        "embeddingDimension": 3072,
        "text": {"truncationMode": "END", "value": "Hello, World!"},
    },
}
LLAMA = {
    "prompt": (
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there"
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    ),
    "max_gen_len": 512,
    "temperature": 0.5,
    "top_p": 0.9,
}
MISTRAL_TEXT = {
    "prompt": "<s>[INST] What is your favourite condiment? [/INST]",
    "max_tokens": 400,
    "stop": ["</s>"],
    "temperature": 0.7,
    "top_p": 0.7,
    "top_k": 50,
}
MISTRAL_CHAT = {
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "bbc5b7ede",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "bbc5b7ede", "content": '{"temp": 18}'},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And in this picture?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ],
        },
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ],
    "tool_choice": "auto",
    "max_tokens": 512,
    "temperature": 0.7,
    "top_p": 1,
}
COHERE_COMMAND = {
    "prompt": "Write a LinkedIn post about moving to the cloud.",
    "max_tokens": 200,
    "temperature": 0.9,
    "p": 0.75,
    "k": 0,
    "stop_sequences": ["--"],
    "return_likelihoods": "NONE",
    "num_generations": 1,
    "logit_bias": {"1003": -10},
    "truncate": "END",
}
COHERE_R = {
    "message": "What about the Eiffel Tower?",
    "chat_history": [
        {"role": "USER", "message": "Who built the Statue of Liberty?"},
        {"role": "CHATBOT", "message": "Gustave Eiffel engineered its frame."},
    ],
    "documents": [{"title": "Eiffel Tower", "snippet": "Completed in 1889."}],
    "preamble": "You are a tour guide.",
    "max_tokens": 512,
    "temperature": 0.3,
    "p": 0.75,
    "k": 0,
    "prompt_truncation": "OFF",
    "frequency_penalty": 0.1,
    "presence_penalty": 0,
    "seed": 7,
    "tools": [
        {
            "name": "query_daily_sales_report",
            "description": "Sales for a day.",
            "parameter_definitions": {
                "day": {"description": "YYYY-MM-DD", "type": "str", "required": True}
            },
        }
    ],
    "stop_sequences": ["END"],
}
COHERE_EMBED_V3 = {
    "texts": ["Paris is the capital of France.", "Berlin is the capital of Germany."],
    "input_type": "search_document",
    "truncate": "END",
    "embedding_types": ["float", "int8"],
}
COHERE_EMBED_V4 = {
    "input_type": "search_document",
    "inputs": [
        {
            "content": [
                {"type": "text", "text": "Quarterly report, page 3"},
                {"type": "image_url", "image_url": f"data:image/png;base64,{PNG}"},
            ]
        }
    ],
    "embedding_types": ["float", "ubinary"],
    "output_dimension": 1024,
    "max_tokens": 128000,
    "truncate": "RIGHT",
}
JAMBA = {
    "messages": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Name three rivers in Europe."},
    ],
    "max_tokens": 512,
    "temperature": 0.7,
    "top_p": 0.9,
    "n": 1,
    "stop": ["\n\n"],
}
DEEPSEEK = {
    "prompt": "<｜begin▁of▁sentence｜><｜User｜>Why is the sky blue?<｜Assistant｜><think>\n",
    "max_tokens": 512,
    "temperature": 0.5,
    "top_p": 0.9,
    "stop": ["<｜end▁of▁sentence｜>"],
}
OPENAI = {
    "messages": [
        {"role": "developer", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello!"},
    ],
    "max_completion_tokens": 150,
    "temperature": 0.7,
    "top_p": 0.9,
    "stream": False,
}
WRITER = {
    "messages": [{"role": "user", "content": {"text": "Summarise our Q3 results."}}],
    "max_tokens": 300,
    "min_tokens": 10,
    "temperature": 0.5,
    "stop": ["END"],
}
OPENAI_TOOLS = {
    "model": "openai.gpt-oss-120b-1:0",
    "messages": [
        {"role": "system", "content": "Use tools when needed."},
        {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo?"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ],
    "tool_choice": "auto",
    "reasoning_effort": "low",
    "max_tokens": 800,
    "stop": ["<|end|>"],
}
SD3 = {
    "prompt": "A cozy cabin in a snowy forest, golden hour",
    "negative_prompt": "blurry",
    "mode": "text-to-image",
    "aspect_ratio": "16:9",
    "seed": 42,
    "output_format": "png",
}
SDXL = {
    "text_prompts": [
        {"text": "A photograph of a fox in the snow", "weight": 1},
        {"text": "blurry, low quality", "weight": -1},
    ],
    "cfg_scale": 10,
    "seed": 0,
    "steps": 50,
    "width": 1024,
    "height": 1024,
    "samples": 1,
    "sampler": "K_DPMPP_2M",
    "style_preset": "photographic",
    "clip_guidance_preset": "FAST_BLUE",
}

VALID = [
    pytest.param("anthropic-messages", CLAUDE, id="claude-minimal"),
    pytest.param("anthropic-messages", CLAUDE_TOOLS, id="claude-tools-image-cache"),
    pytest.param("anthropic-messages", CLAUDE_THINKING, id="claude-thinking-document"),
    pytest.param("anthropic-text", CLAUDE_TEXT, id="claude-text"),
    pytest.param("titan-text", TITAN_TEXT, id="titan-text"),
    pytest.param("titan-text", {"inputText": "Hello"}, id="titan-text-minimal"),
    pytest.param("titan-embed-text-v1", {"inputText": "Hello world"}, id="titan-embed-v1"),
    pytest.param("titan-embed-text-v2", TITAN_EMBED_V2, id="titan-embed-v2"),
    pytest.param("titan-embed-image", TITAN_EMBED_IMAGE, id="titan-embed-image"),
    pytest.param("titan-embed-image", {"inputImage": JPEG}, id="titan-embed-image-only"),
    pytest.param("titan-image", TITAN_IMAGE, id="titan-image-text"),
    pytest.param(
        "titan-image",
        {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {
                "text": "A watercolor map of Lisbon",
                "conditionImage": PNG,
                "controlMode": "CANNY_EDGE",
                "controlStrength": 0.7,
                "style": "SOFT_DIGITAL_PAINTING",
            },
            "imageGenerationConfig": {"width": 1280, "height": 720, "seed": 858993459},
        },
        id="nova-canvas-conditioned",
    ),
    pytest.param(
        "titan-image",
        {
            "taskType": "INPAINTING",
            "inPaintingParams": {"image": PNG, "maskPrompt": "the cat", "text": "a dog"},
        },
        id="titan-image-inpainting",
    ),
    pytest.param(
        "titan-image",
        {
            "taskType": "OUTPAINTING",
            "outPaintingParams": {
                "image": PNG,
                "maskImage": PNG,
                "text": "a beach",
                "outPaintingMode": "PRECISE",
            },
        },
        id="titan-image-outpainting",
    ),
    pytest.param(
        "titan-image",
        {
            "taskType": "IMAGE_VARIATION",
            "imageVariationParams": {"images": [PNG], "similarityStrength": 0.7, "text": "x"},
            "imageGenerationConfig": {"numberOfImages": 3, "cfgScale": 1.1},
        },
        id="titan-image-variation",
    ),
    pytest.param(
        "titan-image",
        {
            "taskType": "COLOR_GUIDED_GENERATION",
            "colorGuidedGenerationParams": {"text": "a vase", "colors": ["#ff8080", "#FFFFFF"]},
        },
        id="titan-image-color",
    ),
    pytest.param(
        "titan-image",
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": PNG}},
        id="titan-image-background",
    ),
    pytest.param("nova", NOVA, id="nova-image"),
    pytest.param("nova", NOVA_TOOLS, id="nova-tools-video"),
    pytest.param("nova-embed", NOVA_EMBED, id="nova-embed-text"),
    pytest.param(
        "nova-embed",
        {
            "taskType": "SINGLE_EMBEDDING",
            "singleEmbeddingParams": {
                "embeddingPurpose": "IMAGE_RETRIEVAL",
                "image": {
                    "format": "png",
                    "detailLevel": "DOCUMENT_IMAGE",
                    "source": {"s3Location": {"uri": "s3://bucket/page.png"}},
                },
            },
        },
        id="nova-embed-image",
    ),
    pytest.param("llama", LLAMA, id="llama"),
    pytest.param("llama", with_(LLAMA, images=[PNG]), id="llama-vision"),
    pytest.param("mistral-text", MISTRAL_TEXT, id="mistral-text"),
    pytest.param("mistral-chat", MISTRAL_CHAT, id="mistral-chat"),
    pytest.param("cohere-command", COHERE_COMMAND, id="cohere-command"),
    pytest.param("cohere-command", {"prompt": "Hi", "stream": True}, id="cohere-command-stream"),
    pytest.param("cohere-command-r", COHERE_R, id="cohere-command-r"),
    pytest.param("cohere-embed-v3", COHERE_EMBED_V3, id="cohere-embed-v3"),
    pytest.param(
        "cohere-embed-v3",
        {"images": [f"data:image/png;base64,{PNG}"], "input_type": "image"},
        id="cohere-embed-v3-image",
    ),
    pytest.param("cohere-embed-v4", COHERE_EMBED_V4, id="cohere-embed-v4"),
    pytest.param(
        "cohere-embed-v4",
        {"texts": ["hello"], "input_type": "search_query"},
        id="cohere-embed-v4-texts",
    ),
    pytest.param("ai21-jamba", JAMBA, id="jamba"),
    pytest.param("deepseek", DEEPSEEK, id="deepseek"),
    pytest.param("openai-chat", OPENAI, id="openai"),
    pytest.param("openai-chat", OPENAI_TOOLS, id="openai-tools"),
    pytest.param("writer", WRITER, id="writer"),
    pytest.param("stability-sd3", SD3, id="sd3"),
    pytest.param(
        "stability-sd3",
        {
            "prompt": "Make it autumn",
            "mode": "image-to-image",
            "image": PNG,
            "strength": 0.75,
            "output_format": "jpeg",
        },
        id="sd3-image-to-image",
    ),
    pytest.param("stability-sdxl", SDXL, id="sdxl"),
    pytest.param(
        "stability-sdxl",
        {
            "text_prompts": [{"text": "winter"}],
            "init_image": PNG,
            "init_image_mode": "IMAGE_STRENGTH",
            "image_strength": 0.35,
        },
        id="sdxl-image-to-image",
    ),
]

# (schema, kind, body, violations): Bedrock's text between "Malformed input request: " and
# ", please reformat your input and try again.". Most schemas print every violation as
# "<pointer>: <text>", concatenated with no separator (list types such as Claude's string-or-array
# `content` report one violation per type, as everit does). The Titan "count" schemas print a
# single violation's text without its pointer and several as "N schema violations found".

CLAUDE_USER = {"role": "user", "content": "Hello"}
SD3_LONG = "x" * 10001

# fmt: off
INVALID = [
    # anthropic-messages
    ("anthropic-messages", "missing", with_(CLAUDE, max_tokens=DROP),
     "#: required key [max_tokens] not found"),
    ("anthropic-messages", "missing", with_(CLAUDE, messages=[{"content": "Hi"}]),
     "#/messages/0: required key [role] not found"),
    ("anthropic-messages", "extraneous", with_(CLAUDE, stream=True),
     "#: extraneous key [stream] is not permitted"),
    ("anthropic-messages", "extraneous", with_(CLAUDE, model="claude-3-haiku-20240307"),
     "#: extraneous key [model] is not permitted"),
    ("anthropic-messages", "extraneous",
     with_(CLAUDE, messages=[{"role": "user", "content": [{"type": "text", "text": "a", "x": 1}]}]),
     "#/messages/0/content: expected type: String, found: JSONArray"
     "#/messages/0/content/0: extraneous key [x] is not permitted"),
    ("anthropic-messages", "extraneous",
     with_(CLAUDE, system=[{"type": "text", "text": "Be brief", "cache_ctrl": {}}]),
     "#/system: expected type: String, found: JSONArray"
     "#/system/0: extraneous key [cache_ctrl] is not permitted"),
    ("anthropic-messages", "extraneous", with_(CLAUDE, messages=DROP, stream=True),
     "#: required key [messages] not found#: extraneous key [stream] is not permitted"),
    ("anthropic-messages", "type", with_(CLAUDE, temperature=None),
     "#/temperature: expected type: Number, found: Null"),
    ("anthropic-messages", "type", with_(CLAUDE, max_tokens="1024"),
     "#/max_tokens: expected type: Integer, found: String"),
    ("anthropic-messages", "type", with_(CLAUDE, system=42),
     "#/system: expected type: String, found: Integer"
     "#/system: expected type: JSONArray, found: Integer"),
    ("anthropic-messages", "type", with_(CLAUDE, tool_choice="auto"),
     "#/tool_choice: expected type: JSONObject, found: String"),
    ("anthropic-messages", "range", with_(CLAUDE, top_k=501),
     "#/top_k: 501 is not less or equal to 500"),
    ("anthropic-messages", "range", with_(CLAUDE, temperature=1.5),
     "#/temperature: 1.5 is not less or equal to 1"),
    ("anthropic-messages", "range", with_(CLAUDE, top_p=-0.5),
     "#/top_p: -0.5 is not greater or equal to 0"),
    ("anthropic-messages", "range",
     with_(CLAUDE, messages=[{"role": "system", "content": "Be brief"}]),
     "#/messages/0/role: system is not a valid enum value"),
    ("anthropic-messages", "range", with_(CLAUDE, anthropic_version="2023-06-01"),
     "#/anthropic_version: 2023-06-01 is not a valid enum value"),
    # anthropic-text
    # anthropic-text (no pointer, counted, as Bedrock reported for claude-v2)
    ("anthropic-text", "missing", with_(CLAUDE_TEXT, max_tokens_to_sample=DROP),
     "required key [max_tokens_to_sample] not found"),
    ("anthropic-text", "extraneous", with_(CLAUDE_TEXT, max_tokens=300),
     "extraneous key [max_tokens] is not permitted"),
    ("anthropic-text", "type", with_(CLAUDE_TEXT, prompt=42),
     "expected type: String, found: Integer"),
    ("anthropic-text", "range", with_(CLAUDE_TEXT, max_tokens_to_sample=8192),
     "8192 is not less or equal to 8191"),
    ("anthropic-text", "range", with_(CLAUDE_TEXT, top_k=-1, max_tokens_to_sample=9000),
     "2 schema violations found"),
    # titan-text (several violations print as a count)
    ("titan-text", "missing", {"textGenerationConfig": {"maxTokenCount": 512}},
     "required key [inputText] not found"),
    ("titan-text", "extraneous",
     with_(TITAN_TEXT, textGenerationConfig={"maxTokenCount": 512, "max_tokens": 100}),
     "extraneous key [max_tokens] is not permitted"),
    ("titan-text", "extraneous", {"prompt": "Hi", "max_tokens": 100},
     "3 schema violations found"),
    ("titan-text", "type", with_(TITAN_TEXT, textGenerationConfig={"temperature": "0.5"}),
     "expected type: Number, found: String"),
    ("titan-text", "range", with_(TITAN_TEXT, textGenerationConfig={"topP": 1.5}),
     "1.5 is not less or equal to 1"),
    ("titan-text", "range", with_(TITAN_TEXT, textGenerationConfig={"maxTokenCount": -1}),
     "-1 is not greater or equal to 0"),
    # titan-embed-text-v1
    ("titan-embed-text-v1", "missing", {}, "required key [inputText] not found"),
    ("titan-embed-text-v1", "extraneous",
     {"inputText": "Hi", "textGenerationConfig": {"maxTokenCount": 512}},
     "extraneous key [textGenerationConfig] is not permitted"),
    ("titan-embed-text-v1", "extraneous", {"texts": ["Hi"], "input_type": "search_query"},
     "3 schema violations found"),
    ("titan-embed-text-v1", "type", {"inputText": ["Hi"]},
     "expected type: String, found: JSONArray"),
    ("titan-embed-text-v1", "range", {"inputText": ""},
     "expected minLength: 1, actual: 0"),
    # titan-embed-text-v2
    ("titan-embed-text-v2", "missing", {"dimensions": 512},
     "required key [inputText] not found"),
    ("titan-embed-text-v2", "extraneous", with_(TITAN_EMBED_V2, normalise=True),
     "extraneous key [normalise] is not permitted"),
    ("titan-embed-text-v2", "type", with_(TITAN_EMBED_V2, normalize="yes"),
     "expected type: Boolean, found: String"),
    ("titan-embed-text-v2", "range", with_(TITAN_EMBED_V2, dimensions=768),
     "768 is not a valid enum value"),
    ("titan-embed-text-v2", "range", with_(TITAN_EMBED_V2, inputText="x" * 50001),
     "expected maxLength: 50000, actual: 50001"),
    ("titan-embed-text-v2", "range", with_(TITAN_EMBED_V2, embeddingTypes=["int8"]),
     "int8 is not a valid enum value"),
    ("titan-embed-text-v2", "range", with_(TITAN_EMBED_V2, dimensions=768, normalize="yes"),
     "2 schema violations found"),
    # titan-embed-image
    ("titan-embed-image", "missing", {}, "minimum size: [1], found: [0]"),
    ("titan-embed-image", "missing", {"embeddingConfig": {"outputEmbeddingLength": 256}},
     "#: no subschema matched out of the total 2 subschemas"),
    ("titan-embed-image", "extraneous", {"inputText": "a cat", "dimensions": 256},
     "extraneous key [dimensions] is not permitted"),
    ("titan-embed-image", "type", {"inputImage": 123},
     "expected type: String, found: Integer"),
    ("titan-embed-image", "range",
     with_(TITAN_EMBED_IMAGE, embeddingConfig={"outputEmbeddingLength": 512}),
     "512 is not a valid enum value"),
    ("titan-embed-image", "range", {"embeddingConfig": {"outputEmbeddingLength": 512}},
     "3 schema violations found"),
    # titan-image (Titan Image Generator and Nova Canvas)
    ("titan-image", "missing", with_(TITAN_IMAGE, taskType=DROP),
     "#: required key [taskType] not found"),
    ("titan-image", "missing", with_(TITAN_IMAGE, textToImageParams={"negativeText": "dogs"}),
     "#/textToImageParams: required key [text] not found"),
    ("titan-image", "extraneous",
     with_(TITAN_IMAGE, textToImageParams={"text": "a cat", "negativeTtext": "dogs"}),
     "#/textToImageParams: extraneous key [negativeTtext] is not permitted"),
    ("titan-image", "type",
     with_(TITAN_IMAGE, imageGenerationConfig={"numberOfImages": "1"}),
     "#/imageGenerationConfig/numberOfImages: expected type: Integer, found: String"),
    ("titan-image", "range", with_(TITAN_IMAGE, imageGenerationConfig={"cfgScale": 11}),
     "#/imageGenerationConfig/cfgScale: 11 is not less or equal to 10"),
    ("titan-image", "range", with_(TITAN_IMAGE, imageGenerationConfig={"cfgScale": 0.5}),
     "#/imageGenerationConfig/cfgScale: 0.5 is not greater or equal to 1.1"),
    ("titan-image", "range", with_(TITAN_IMAGE, imageGenerationConfig={"numberOfImages": 6}),
     "#/imageGenerationConfig/numberOfImages: 6 is not less or equal to 5"),
    ("titan-image", "range", with_(TITAN_IMAGE, taskType="TEXT_TO_IMAGE"),
     "#/taskType: TEXT_TO_IMAGE is not a valid enum value"),
    ("titan-image", "range", with_(TITAN_IMAGE, textToImageParams={"text": ""}),
     "#/textToImageParams/text: expected minLength: 1, actual: 0"),
    ("titan-image", "range",
     {"taskType": "COLOR_GUIDED_GENERATION",
      "colorGuidedGenerationParams": {"text": "a vase", "colors": ["#000000"] * 11}},
     "#/colorGuidedGenerationParams/colors: expected maximum item count: 10, found: 11"),
    ("titan-image", "range",
     {"taskType": "COLOR_GUIDED_GENERATION",
      "colorGuidedGenerationParams": {"text": "a vase", "colors": ["red"]}},
     "#/colorGuidedGenerationParams/colors/0: string [red] does not match pattern "
     "^#[0-9A-Fa-f]{6}$"),
    # nova
    ("nova", "missing", with_(NOVA, messages=DROP), "#: required key [messages] not found"),
    ("nova", "missing", with_(NOVA, messages=[{"content": [{"text": "Hi"}]}]),
     "#/messages/0: required key [role] not found"),
    ("nova", "extraneous",
     with_(NOVA, messages=[{"role": "user", "content": [{"text": "a"}, {"type": "text"}]}]),
     "#/messages/0/content/1: extraneous key [type] is not permitted"),
    ("nova", "extraneous", with_(NOVA, max_tokens=512),
     "#: extraneous key [max_tokens] is not permitted"),
    ("nova", "extraneous", with_(NOVA, inferenceConfig={"maxTokenCount": 512}),
     "#/inferenceConfig: extraneous key [maxTokenCount] is not permitted"),
    ("nova", "type", with_(NOVA, messages=[{"role": "user", "content": "Hello"}]),
     "#/messages/0/content: expected type: JSONArray, found: String"),
    ("nova", "type", with_(NOVA, system="Be brief"),
     "#/system: expected type: JSONArray, found: String"),
    ("nova", "range", with_(NOVA, inferenceConfig={"temperature": 1.5}),
     "#/inferenceConfig/temperature: 1.5 is not less or equal to 1"),
    ("nova", "range", with_(NOVA, inferenceConfig={"maxTokens": 0}),
     "#/inferenceConfig/maxTokens: 0 is not greater or equal to 1"),
    ("nova", "range",
     with_(NOVA, messages=[
         {"role": "user", "content": [{"image": {"format": "jpg", "source": {"bytes": JPEG}}}]}
     ]),
     "#/messages/0/content/0/image/format: jpg is not a valid enum value"),
    # nova-embed
    ("nova-embed", "missing", with_(NOVA_EMBED, taskType=DROP),
     "#: required key [taskType] not found"),
    ("nova-embed", "extraneous",
     with_(NOVA_EMBED, singleEmbeddingParams={"embeddingPurpose": "GENERIC_INDEX",
                                              "dimension": 1024, "text": {"value": "hi"}}),
     "#/singleEmbeddingParams: extraneous key [dimension] is not permitted"),
    ("nova-embed", "type",
     with_(NOVA_EMBED, singleEmbeddingParams={"embeddingPurpose": "GENERIC_INDEX",
                                              "text": {"value": 5}}),
     "#/singleEmbeddingParams/text/value: expected type: String, found: Integer"),
    ("nova-embed", "range",
     with_(NOVA_EMBED, singleEmbeddingParams={"embeddingPurpose": "GENERIC_INDEX",
                                              "embeddingDimension": 512,
                                              "text": {"value": "hi"}}),
     "#/singleEmbeddingParams/embeddingDimension: 512 is not a valid enum value"),
    # llama
    ("llama", "missing", with_(LLAMA, prompt=DROP), "#: required key [prompt] not found"),
    ("llama", "extraneous", {"messages": [CLAUDE_USER]},
     "#: required key [prompt] not found#: extraneous key [messages] is not permitted"),
    ("llama", "extraneous", with_(LLAMA, max_tokens=512),
     "#: extraneous key [max_tokens] is not permitted"),
    ("llama", "type", with_(LLAMA, max_gen_len="512"),
     "#/max_gen_len: expected type: Integer, found: String"),
    ("llama", "range", with_(LLAMA, max_gen_len=8192),
     "#/max_gen_len: 8192 is not less or equal to 2048"),
    ("llama", "range", with_(LLAMA, max_gen_len=0),
     "#/max_gen_len: 0 is not greater or equal to 1"),
    ("llama", "range", with_(LLAMA, top_p=2),
     "#/top_p: 2 is not less or equal to 1"),
    # mistral-text
    ("mistral-text", "missing", with_(MISTRAL_TEXT, prompt=DROP),
     "#: required key [prompt] not found"),
    ("mistral-text", "extraneous", with_(MISTRAL_TEXT, max_new_tokens=100),
     "#: extraneous key [max_new_tokens] is not permitted"),
    ("mistral-text", "type", with_(MISTRAL_TEXT, stop="</s>"),
     "#/stop: expected type: JSONArray, found: String"),
    ("mistral-text", "range", with_(MISTRAL_TEXT, top_k=0),
     "#/top_k: 0 is not greater or equal to 1"),
    ("mistral-text", "range", with_(MISTRAL_TEXT, top_k=201),
     "#/top_k: 201 is not less or equal to 200"),
    ("mistral-text", "range", with_(MISTRAL_TEXT, stop=[str(i) for i in range(11)]),
     "#/stop: expected maximum item count: 10, found: 11"),
    # mistral-chat
    ("mistral-chat", "missing", with_(MISTRAL_CHAT, messages=DROP),
     "#: required key [messages] not found"),
    ("mistral-chat", "missing", with_(MISTRAL_CHAT, messages=[{"content": "Hi"}]),
     "#/messages/0: required key [role] not found"),
    ("mistral-chat", "extraneous", with_(MISTRAL_CHAT, prompt="<s>[INST] Hi [/INST]"),
     "#: extraneous key [prompt] is not permitted"),
    ("mistral-chat", "type", with_(MISTRAL_CHAT, messages="Hello"),
     "#/messages: expected type: JSONArray, found: String"),
    ("mistral-chat", "range", with_(MISTRAL_CHAT, tool_choice="required"),
     "#/tool_choice: required is not a valid enum value"),
    ("mistral-chat", "range", with_(MISTRAL_CHAT, temperature=2),
     "#/temperature: 2 is not less or equal to 1"),
    # cohere-command
    ("cohere-command", "missing", with_(COHERE_COMMAND, prompt=DROP),
     "#: required key [prompt] not found"),
    ("cohere-command", "extraneous", with_(COHERE_COMMAND, message="Hi"),
     "#: extraneous key [message] is not permitted"),
    ("cohere-command", "type", with_(COHERE_COMMAND, stream="true"),
     "#/stream: expected type: Boolean, found: String"),
    ("cohere-command", "range", with_(COHERE_COMMAND, temperature=6),
     "#/temperature: 6 is not less or equal to 5"),
    ("cohere-command", "range", with_(COHERE_COMMAND, num_generations=6),
     "#/num_generations: 6 is not less or equal to 5"),
    ("cohere-command", "range", with_(COHERE_COMMAND, max_tokens=0),
     "#/max_tokens: 0 is not greater or equal to 1"),
    ("cohere-command", "range", with_(COHERE_COMMAND, stop_sequences=["a", "b", "c", "d", "e"]),
     "#/stop_sequences: expected maximum item count: 4, found: 5"),
    ("cohere-command", "range", with_(COHERE_COMMAND, return_likelihoods="SOME"),
     "#/return_likelihoods: SOME is not a valid enum value"),
    # cohere-command-r
    ("cohere-command-r", "missing", with_(COHERE_R, message=DROP),
     "#: required key [message] not found"),
    ("cohere-command-r", "extraneous", with_(COHERE_R, prompt="Hi"),
     "#: extraneous key [prompt] is not permitted"),
    ("cohere-command-r", "extraneous",
     with_(COHERE_R, chat_history=[{"role": "USER", "text": "Hi"}]),
     "#/chat_history/0: extraneous key [text] is not permitted"),
    ("cohere-command-r", "type", with_(COHERE_R, chat_history="USER: Hi"),
     "#/chat_history: expected type: JSONArray, found: String"),
    ("cohere-command-r", "range", with_(COHERE_R, p=1),
     "#/p: 1 is not less or equal to 0.99"),
    ("cohere-command-r", "range",
     with_(COHERE_R, chat_history=[{"role": "user", "message": "Hi"}]),
     "#/chat_history/0/role: user is not a valid enum value"),
    # cohere-embed-v3
    ("cohere-embed-v3", "missing", with_(COHERE_EMBED_V3, input_type=DROP),
     "#: required key [input_type] not found"),
    ("cohere-embed-v3", "extraneous", with_(COHERE_EMBED_V3, output_dimension=1024),
     "#: extraneous key [output_dimension] is not permitted"),
    ("cohere-embed-v3", "type", with_(COHERE_EMBED_V3, texts="Hello"),
     "#/texts: expected type: JSONArray, found: String"),
    ("cohere-embed-v3", "range", with_(COHERE_EMBED_V3, texts=["a" * 4680]),
     "#/texts/0: expected maxLength: 2048, actual: 4680"),
    ("cohere-embed-v3", "range", with_(COHERE_EMBED_V3, texts=["a"] * 97),
     "#/texts: expected maximum item count: 96, found: 97"),
    ("cohere-embed-v3", "range", with_(COHERE_EMBED_V3, input_type="search"),
     "#/input_type: search is not a valid enum value"),
    ("cohere-embed-v3", "range", with_(COHERE_EMBED_V3, truncate="LEFT"),
     "#/truncate: LEFT is not a valid enum value"),
    # cohere-embed-v4
    ("cohere-embed-v4", "missing", with_(COHERE_EMBED_V4, input_type=DROP),
     "#: required key [input_type] not found"),
    ("cohere-embed-v4", "extraneous",
     with_(COHERE_EMBED_V4, inputs=[{"content": [{"type": "text", "text": "a", "image": PNG}]}]),
     "#/inputs/0/content/0: extraneous key [image] is not permitted"),
    ("cohere-embed-v4", "type", with_(COHERE_EMBED_V4, max_tokens="512"),
     "#/max_tokens: expected type: Integer, found: String"),
    ("cohere-embed-v4", "type", with_(COHERE_EMBED_V4, embedding_types="float"),
     "#/embedding_types: expected type: JSONArray, found: String"),
    ("cohere-embed-v4", "range", with_(COHERE_EMBED_V4, output_dimension="1024"),
     "#/output_dimension: 1024 is not a valid enum value"),
    ("cohere-embed-v4", "range", with_(COHERE_EMBED_V4, output_dimension=768),
     "#/output_dimension: 768 is not a valid enum value"),
    ("cohere-embed-v4", "range", with_(COHERE_EMBED_V4, truncate="END"),
     "#/truncate: END is not a valid enum value"),
    ("cohere-embed-v4", "range", with_(COHERE_EMBED_V4, max_tokens=128001),
     "#/max_tokens: 128001 is not less or equal to 128000"),
    # ai21-jamba
    ("ai21-jamba", "missing", with_(JAMBA, messages=DROP),
     "#: required key [messages] not found"),
    ("ai21-jamba", "extraneous", {"prompt": "Hi", "maxTokens": 200},
     "#: required key [messages] not found#: extraneous key [maxTokens] is not permitted"
     "#: extraneous key [prompt] is not permitted"),
    ("ai21-jamba", "type", with_(JAMBA, n="2"), "#/n: expected type: Integer, found: String"),
    ("ai21-jamba", "range", with_(JAMBA, n=17), "#/n: 17 is not less or equal to 16"),
    ("ai21-jamba", "range", with_(JAMBA, temperature=2.5),
     "#/temperature: 2.5 is not less or equal to 2"),
    ("ai21-jamba", "range", with_(JAMBA, messages=[{"role": "bot", "content": "Hi"}]),
     "#/messages/0/role: bot is not a valid enum value"),
    # deepseek
    ("deepseek", "missing", with_(DEEPSEEK, prompt=DROP), "#: required key [prompt] not found"),
    ("deepseek", "extraneous", with_(DEEPSEEK, messages=[CLAUDE_USER]),
     "#: extraneous key [messages] is not permitted"),
    ("deepseek", "type", with_(DEEPSEEK, stop="\n"),
     "#/stop: expected type: JSONArray, found: String"),
    ("deepseek", "range", with_(DEEPSEEK, max_tokens=40000),
     "#/max_tokens: 40000 is not less or equal to 32768"),
    ("deepseek", "range", with_(DEEPSEEK, stop=[str(i) for i in range(11)]),
     "#/stop: expected maximum item count: 10, found: 11"),
    ("deepseek", "range", with_(DEEPSEEK, temperature=1.2),
     "#/temperature: 1.2 is not less or equal to 1"),
    # openai-chat
    ("openai-chat", "missing", with_(OPENAI, messages=DROP),
     "#: required key [messages] not found"),
    ("openai-chat", "missing", with_(OPENAI, messages=[{"content": "Hi"}]),
     "#/messages/0: required key [role] not found"),
    ("openai-chat", "extraneous", with_(OPENAI, max_new_tokens=100),
     "#: extraneous key [max_new_tokens] is not permitted"),
    ("openai-chat", "type", with_(OPENAI, max_completion_tokens="150"),
     "#/max_completion_tokens: expected type: Integer, found: String"),
    ("openai-chat", "range", with_(OPENAI, temperature=2.5),
     "#/temperature: 2.5 is not less or equal to 2"),
    ("openai-chat", "range", with_(OPENAI, reasoning_effort="extreme"),
     "#/reasoning_effort: extreme is not a valid enum value"),
    ("openai-chat", "range", with_(OPENAI, messages=[{"role": "function", "content": "x"}]),
     "#/messages/0/role: function is not a valid enum value"),
    # writer
    ("writer", "missing", with_(WRITER, messages=DROP), "#: required key [messages] not found"),
    ("writer", "extraneous", with_(WRITER, max_completion_tokens=100),
     "#: extraneous key [max_completion_tokens] is not permitted"),
    ("writer", "type", with_(WRITER, seed="7"), "#/seed: expected type: Integer, found: String"),
    ("writer", "range", with_(WRITER, max_tokens=9000),
     "#/max_tokens: 9000 is not less or equal to 8192"),
    ("writer", "range", with_(WRITER, stop=["a", "b", "c", "d", "e"]),
     "#/stop: expected maximum item count: 4, found: 5"),
    # stability-sd3
    ("stability-sd3", "missing", with_(SD3, prompt=DROP), "#: required key [prompt] not found"),
    ("stability-sd3", "extraneous", with_(SD3, cfg_scale=7),
     "#: extraneous key [cfg_scale] is not permitted"),
    ("stability-sd3", "extraneous", {"text_prompts": [{"text": "a fox"}]},
     "#: required key [prompt] not found#: extraneous key [text_prompts] is not permitted"),
    ("stability-sd3", "type", with_(SD3, seed="42"),
     "#/seed: expected type: Integer, found: String"),
    ("stability-sd3", "range", with_(SD3, aspect_ratio="4:3"),
     "#/aspect_ratio: 4:3 is not a valid enum value"),
    ("stability-sd3", "range", with_(SD3, seed=4294967295),
     "#/seed: 4294967295 is not less or equal to 4294967294"),
    ("stability-sd3", "range", with_(SD3, strength=1.5),
     "#/strength: 1.5 is not less or equal to 1"),
    ("stability-sd3", "range", with_(SD3, prompt=SD3_LONG),
     "#/prompt: expected maxLength: 10000, actual: 10001"),
    # stability-sdxl
    ("stability-sdxl", "missing", with_(SDXL, text_prompts=DROP),
     "#: required key [text_prompts] not found"),
    ("stability-sdxl", "missing", with_(SDXL, text_prompts=[{"weight": 1}]),
     "#/text_prompts/0: required key [text] not found"),
    ("stability-sdxl", "extraneous",
     with_(SDXL, text_prompts=[{"text": "a fox", "negative": True}]),
     "#/text_prompts/0: extraneous key [negative] is not permitted"),
    ("stability-sdxl", "type", with_(SDXL, text_prompts="a fox"),
     "#/text_prompts: expected type: JSONArray, found: String"),
    ("stability-sdxl", "range", with_(SDXL, steps=150),
     "#/steps: 150 is not less or equal to 50"),
    ("stability-sdxl", "range", with_(SDXL, cfg_scale=40),
     "#/cfg_scale: 40 is not less or equal to 35"),
    ("stability-sdxl", "range", with_(SDXL, width=512),
     "#/width: 512 is not greater or equal to 640"),
    ("stability-sdxl", "range", with_(SDXL, text_prompts=[]),
     "#/text_prompts: expected minimum item count: 1, found: 0"),
    ("stability-sdxl", "range", with_(SDXL, style_preset="watercolor"),
     "#/style_preset: watercolor is not a valid enum value"),
]
# fmt: on


def _id(case: tuple[str, str, Any, str]) -> str:
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize(("schema", "body"), VALID)
def test_realistic_body_passes(schema: str, body: dict[str, Any]) -> None:
    validate_body(schema, copy.deepcopy(body))


@pytest.mark.parametrize(("schema", "kind", "body", "violations"), INVALID, ids=map(_id, INVALID))
def test_bad_body_gets_bedrocks_message(
    schema: str, kind: str, body: dict[str, Any], violations: str
) -> None:
    with pytest.raises(ValidationException) as caught:
        validate_body(schema, body)
    assert caught.value.message == malformed(violations)


def test_full_message_literally() -> None:
    """The whole text, spelled out once, as Bedrock sends it for a Claude body with `stream`."""
    with pytest.raises(ValidationException) as caught:
        validate_body("anthropic-messages", with_(CLAUDE, stream=True))
    assert caught.value.message == (
        "Malformed input request: #: extraneous key [stream] is not permitted, "
        "please reformat your input and try again."
    )


def test_every_schema_has_each_kind_of_bad_body_and_a_good_one() -> None:
    valid = {param.values[0] for param in VALID}
    kinds: dict[str, set[str]] = {}
    for schema, kind, _, _ in INVALID:
        kinds.setdefault(schema, set()).add(kind)
    assert valid == set(SCHEMAS)
    assert {schema: sorted(found) for schema, found in kinds.items()} == {
        schema: sorted(KINDS) for schema in SCHEMAS
    }


def test_schema_files() -> None:
    """Exactly the named files ship; each is JSON, a valid draft-07 schema and loadable from the
    installed package, and says where its shape comes from and how violations are reported."""
    on_disk = sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))
    assert on_disk == sorted(SCHEMAS)
    package = importlib.resources.files("moto_bedrock_runtime.schemas")
    for name in SCHEMAS:
        text = package.joinpath(f"{name}.json").read_text(encoding="utf-8")
        assert text == (SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8")
        schema = json.loads(text)
        jsonschema.Draft7Validator.check_schema(schema)
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        assert schema["title"]
        assert "https://docs.aws.amazon.com/" in schema["description"]
        expected = "count" if name in COUNT_SCHEMAS else "concat"
        assert schema["x-bedrock-violations"] == expected, name
        assert schema["type"] == "object"
        assert schema.get("additionalProperties") is False, name


@pytest.mark.parametrize(("schema", "body"), VALID)
def test_good_bodies_are_also_valid_to_a_stock_validator(schema: str, body: dict[str, Any]) -> None:
    """Guards the schemas themselves against the emulator's validator being too lenient."""
    document = json.loads((SCHEMA_DIR / f"{schema}.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(document).validate(body)
