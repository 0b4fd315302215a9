"""InvokeModel for Amazon's and Stability's embedding and image models, read the way real
clients read them: vectors of the right size and range, real PNG/JPEG files of the asked size,
the token headers, and each model's own refusals."""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from moto_bedrock_runtime import images, tokens

TITAN_V1 = "amazon.titan-embed-text-v1"
TITAN_V2 = "amazon.titan-embed-text-v2:0"
TITAN_MM = "amazon.titan-embed-image-v1"
NOVA_EMBED = "amazon.nova-2-multimodal-embeddings-v1:0"
TITAN_IMAGE = "amazon.titan-image-generator-v2:0"
TITAN_IMAGE_V1 = "amazon.titan-image-generator-v1"
NOVA_CANVAS = "amazon.nova-canvas-v1:0"
SD35 = "stability.sd3-5-large-v1:0"
SDXL = "stability.stable-diffusion-xl-v1"
# A small real PNG (80x48), as a client would base64 it into a body.
PHOTO = images.render("a red bicycle", 5, 80, 48, "png")
PHOTO_B64 = base64.b64encode(PHOTO).decode()
CONVERSE_REFUSAL = (
    "This action doesn't support the model that you provided. Try again with a supported text "
    "or chat model."
)

SAMPLES: dict[str, dict[str, Any]] = {
    TITAN_V1: {"inputText": "The quick brown fox jumps over the lazy dog."},
    TITAN_V2: {
        "inputText": "Rivers of Europe flow into the sea.",
        "dimensions": 512,
        "normalize": True,
        "embeddingTypes": ["float", "binary"],
    },
    TITAN_MM: {
        "inputText": "a red bicycle leaning on a wall",
        "inputImage": PHOTO_B64,
        "embeddingConfig": {"outputEmbeddingLength": 384},
    },
    NOVA_EMBED: {
        "schemaVersion": "nova-multimodal-embed-v1",
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {
            "embeddingPurpose": "GENERIC_INDEX",
            "embeddingDimension": 1024,
            "text": {"truncationMode": "END", "value": "Nova embeds text, images and video."},
        },
    },
    TITAN_IMAGE: {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse at dusk", "negativeText": "people"},
        "imageGenerationConfig": {
            "numberOfImages": 2,
            "height": 512,
            "width": 512,
            "cfgScale": 8.0,
            "seed": 7,
            "quality": "standard",
        },
    },
    NOVA_CANVAS: {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a stylized steampunk robot"},
        "imageGenerationConfig": {
            "numberOfImages": 1,
            "height": 384,
            "width": 640,
            "cfgScale": 6.5,
            "seed": 12,
            "quality": "premium",
        },
    },
    SD35: {
        "prompt": "a watercolor fox in the snow",
        "negative_prompt": "blurry",
        "mode": "text-to-image",
        "aspect_ratio": "16:9",
        "seed": 1234,
        "output_format": "png",
    },
    SDXL: {
        "text_prompts": [
            {"text": "a castle on a hill", "weight": 1.0},
            {"text": "fog", "weight": -1},
        ],
        "cfg_scale": 7,
        "seed": 99,
        "steps": 30,
        "width": 1152,
        "height": 896,
        "style_preset": "photographic",
    },
}


def invoke(runtime: Any, model_id: str, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    response = runtime.invoke_model(
        modelId=model_id,
        body=json.dumps(body),
        contentType="application/json",
        accept="application/json",
    )
    return json.loads(response["body"].read()), response


def refusal(runtime: Any, model_id: str, body: dict[str, Any]) -> str:
    with pytest.raises(ClientError) as caught:
        invoke(runtime, model_id, body)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return caught.value.response["Error"]["Message"]


def norm(vector: list[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in vector))


def cosine(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True)) / (norm(a) * norm(b))


def header_tokens(response: Any) -> tuple[int, int, int]:
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    return (
        int(headers["x-amzn-bedrock-input-token-count"]),
        int(headers["x-amzn-bedrock-output-token-count"]),
        int(headers["x-amzn-bedrock-invocation-latency"]),
    )


def png_size(data: bytes) -> tuple[int, int]:
    """Walks every chunk (CRCs checked), inflates the pixels and checks they fill the frame."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks.setdefault(kind, b"")
        chunks[kind] += body
        pos += 12 + length
    names = list(chunks)
    assert names[0] == b"IHDR" and names[-1] == b"IEND"
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2)
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + 3 * width)
    return width, height


def jpeg_size(data: bytes) -> tuple[int, int]:
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    return images.dimensions(data)


# Embeddings


def test_titan_v1_returns_1536_unit_floats_and_token_counts(runtime: Any) -> None:
    body, response = invoke(runtime, TITAN_V1, SAMPLES[TITAN_V1])
    assert set(body) == {"embedding", "inputTextTokenCount"}
    assert len(body["embedding"]) == 1536
    assert all(isinstance(x, float) for x in body["embedding"])
    assert norm(body["embedding"]) == pytest.approx(1.0)
    count = tokens.count(SAMPLES[TITAN_V1]["inputText"])
    assert body["inputTextTokenCount"] == count
    assert header_tokens(response)[:2] == (count, 0)
    assert response["contentType"] == "application/json"


def test_titan_v2_dimensions_and_both_embedding_types(runtime: Any) -> None:
    body, response = invoke(runtime, TITAN_V2, SAMPLES[TITAN_V2])
    assert list(body) == ["embedding", "inputTextTokenCount", "embeddingsByType"]
    floats, binary = body["embeddingsByType"]["float"], body["embeddingsByType"]["binary"]
    assert len(body["embedding"]) == len(floats) == len(binary) == 512
    assert floats == body["embedding"]
    assert norm(floats) == pytest.approx(1.0)
    assert set(binary) <= {0, 1} and all(type(bit) is int for bit in binary)
    assert binary == [1 if x > 0 else 0 for x in floats]
    assert isinstance(body["inputTextTokenCount"], int) and body["inputTextTokenCount"] > 0
    assert header_tokens(response)[0] == body["inputTextTokenCount"]


def test_titan_v2_defaults_give_1024_floats_and_by_type_always_present(runtime: Any) -> None:
    body, _ = invoke(runtime, TITAN_V2, {"inputText": "hello world"})
    assert len(body["embedding"]) == 1024
    assert body["embeddingsByType"] == {"float": body["embedding"]}


def test_titan_v2_binary_only_still_returns_the_float_embedding(runtime: Any) -> None:
    body, _ = invoke(runtime, TITAN_V2, {"inputText": "hello", "embeddingTypes": ["binary"]})
    assert list(body["embeddingsByType"]) == ["binary"]
    assert len(body["embedding"]) == 1024 and norm(body["embedding"]) == pytest.approx(1.0)


def test_titan_v2_normalize_false_keeps_direction_but_not_unit_length(runtime: Any) -> None:
    text = {"inputText": "Unnormalized vectors carry a magnitude."}
    unit, _ = invoke(runtime, TITAN_V2, text)
    raw, _ = invoke(runtime, TITAN_V2, {**text, "normalize": False})
    assert 4 <= norm(raw["embedding"]) <= 16
    assert cosine(raw["embedding"], unit["embedding"]) == pytest.approx(1.0)
    again, _ = invoke(runtime, TITAN_V2, {**text, "normalize": False})
    assert again["embedding"] == raw["embedding"]


def test_texts_sharing_words_are_closer_than_unrelated_texts(runtime: Any) -> None:
    def vector(text: str) -> list[float]:
        return invoke(runtime, TITAN_V2, {"inputText": text})[0]["embedding"]

    anchor = vector("The river flows through the old city.")
    related = vector("An old city built along a river.")
    unrelated = vector("Quarterly revenue grew by nine percent.")
    assert cosine(anchor, related) > cosine(anchor, unrelated) + 0.2


def test_embeddings_are_deterministic(runtime: Any) -> None:
    for model_id in (TITAN_V1, TITAN_V2, TITAN_MM, NOVA_EMBED):
        first, _ = invoke(runtime, model_id, SAMPLES[model_id])
        second, _ = invoke(runtime, model_id, SAMPLES[model_id])
        assert first == second


def test_titan_v2_refuses_more_than_8192_tokens(runtime: Any) -> None:
    text = "a. " * 5000
    message = refusal(runtime, TITAN_V2, {"inputText": text})
    expected = tokens.count(text)
    assert expected > 8192
    assert message == (
        f"Too many input tokens. Max input tokens: 8192, request input token count: {expected}"
    )


def test_titan_multimodal_text_image_and_both(runtime: Any) -> None:
    both, response = invoke(runtime, TITAN_MM, SAMPLES[TITAN_MM])
    assert list(both) == ["embedding", "inputTextTokenCount", "message"]
    assert len(both["embedding"]) == 384 and both["message"] is None
    assert norm(both["embedding"]) == pytest.approx(1.0)
    assert header_tokens(response)[0] == both["inputTextTokenCount"] > 0
    config = SAMPLES[TITAN_MM]["embeddingConfig"]
    text, _ = invoke(
        runtime, TITAN_MM, {"inputText": SAMPLES[TITAN_MM]["inputText"], "embeddingConfig": config}
    )
    image, _ = invoke(runtime, TITAN_MM, {"inputImage": PHOTO_B64, "embeddingConfig": config})
    assert image["inputTextTokenCount"] == 0
    assert text["inputTextTokenCount"] == both["inputTextTokenCount"]
    # The combined vector lies between the text's and the image's.
    assert cosine(both["embedding"], text["embedding"]) > 0.5
    assert cosine(both["embedding"], image["embedding"]) > 0.5
    default, _ = invoke(runtime, TITAN_MM, {"inputImage": PHOTO_B64})
    assert len(default["embedding"]) == 1024


def test_titan_multimodal_refuses_an_image_that_is_not_base64(runtime: Any) -> None:
    message = refusal(runtime, TITAN_MM, {"inputImage": "not base64 at all!"})
    assert message == (
        "Unable to decode the image in #/inputImage: provide it as a base64-encoded string."
    )


def test_nova_text_embedding(runtime: Any) -> None:
    body, response = invoke(runtime, NOVA_EMBED, SAMPLES[NOVA_EMBED])
    assert list(body) == ["embeddings"]
    (item,) = body["embeddings"]
    assert item["embeddingType"] == "TEXT" and "truncatedCharLength" not in item
    assert len(item["embedding"]) == 1024 and norm(item["embedding"]) == pytest.approx(1.0)
    text = SAMPLES[NOVA_EMBED]["singleEmbeddingParams"]["text"]["value"]
    assert header_tokens(response)[:2] == (tokens.count(text), 0)


def nova_body(**params: Any) -> dict[str, Any]:
    return {
        "schemaVersion": "nova-multimodal-embed-v1",
        "taskType": "SINGLE_EMBEDDING",
        "singleEmbeddingParams": {"embeddingPurpose": "GENERIC_RETRIEVAL", **params},
    }


def test_nova_image_audio_and_video_embeddings(runtime: Any) -> None:
    source = {"bytes": PHOTO_B64}
    image, _ = invoke(runtime, NOVA_EMBED, nova_body(image={"format": "png", "source": source}))
    assert [e["embeddingType"] for e in image["embeddings"]] == ["IMAGE"]
    assert len(image["embeddings"][0]["embedding"]) == 3072
    audio, _ = invoke(runtime, NOVA_EMBED, nova_body(audio={"format": "mp3", "source": source}))
    assert [e["embeddingType"] for e in audio["embeddings"]] == ["AUDIO"]
    video = {"format": "mp4", "source": {"s3Location": {"uri": "s3://bucket/clip.mp4"}}}
    combined, _ = invoke(
        runtime, NOVA_EMBED, nova_body(video={**video, "embeddingMode": "AUDIO_VIDEO_COMBINED"})
    )
    assert [e["embeddingType"] for e in combined["embeddings"]] == ["AUDIO_VIDEO_COMBINED"]
    separate, _ = invoke(
        runtime, NOVA_EMBED, nova_body(video={**video, "embeddingMode": "AUDIO_VIDEO_SEPARATE"})
    )
    assert [e["embeddingType"] for e in separate["embeddings"]] == ["VIDEO", "AUDIO"]
    first, second = (e["embedding"] for e in separate["embeddings"])
    assert first != second


def test_nova_truncates_long_text_and_reports_where(runtime: Any) -> None:
    text = "word " * 9000
    end, _ = invoke(runtime, NOVA_EMBED, nova_body(text={"truncationMode": "END", "value": text}))
    (item,) = end["embeddings"]
    kept = "".join(tokens.pieces(text)[:8192])
    assert item["truncatedCharLength"] == len(kept)
    start, _ = invoke(
        runtime, NOVA_EMBED, nova_body(text={"truncationMode": "START", "value": text})
    )
    assert isinstance(start["embeddings"][0]["truncatedCharLength"], int)
    message = refusal(
        runtime, NOVA_EMBED, nova_body(text={"truncationMode": "NONE", "value": text})
    )
    assert message.startswith(f"The input text has {tokens.count(text)} tokens")


def test_nova_refuses_async_tasks_and_several_inputs(runtime: Any) -> None:
    segmented = {**nova_body(), "taskType": "SEGMENTED_EMBEDDING"}
    assert "SEGMENTED_EMBEDDING" in refusal(runtime, NOVA_EMBED, segmented)
    source = {"bytes": PHOTO_B64}
    both = nova_body(
        text={"truncationMode": "END", "value": "x"}, image={"format": "png", "source": source}
    )
    assert refusal(runtime, NOVA_EMBED, both) == (
        "Exactly one of text, image, audio or video must be provided in singleEmbeddingParams."
    )


@pytest.mark.parametrize("model_id", [TITAN_V1, TITAN_V2, TITAN_MM, NOVA_EMBED])
def test_converse_refuses_embedding_models(runtime: Any, model_id: str) -> None:
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId=model_id, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["Error"]["Message"] == CONVERSE_REFUSAL


def test_embedding_models_do_not_stream(runtime: Any) -> None:
    with pytest.raises(ClientError) as caught:
        runtime.invoke_model_with_response_stream(
            modelId=TITAN_V2, body=json.dumps(SAMPLES[TITAN_V2])
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"


# Images


def decoded(body: dict[str, Any], key: str = "images") -> list[bytes]:
    return [base64.b64decode(item, validate=True) for item in body[key]]


@pytest.mark.parametrize("model_id", [TITAN_IMAGE, NOVA_CANVAS])
def test_amazon_images_are_pngs_of_the_requested_size(runtime: Any, model_id: str) -> None:
    sample = SAMPLES[model_id]
    body, response = invoke(runtime, model_id, sample)
    assert body["error"] is None and list(body) == ["images", "error"]
    config = sample["imageGenerationConfig"]
    pictures = decoded(body)
    assert len(pictures) == config["numberOfImages"]
    for picture in pictures:
        assert png_size(picture) == (config["width"], config["height"])
    assert len(set(pictures)) == len(pictures)
    assert header_tokens(response)[:2] == (0, 0)


def test_amazon_images_depend_on_prompt_and_seed_only(runtime: Any) -> None:
    sample = SAMPLES[NOVA_CANVAS]
    first, _ = invoke(runtime, NOVA_CANVAS, sample)
    again, _ = invoke(runtime, NOVA_CANVAS, sample)
    assert first == again
    config = {**sample["imageGenerationConfig"], "seed": 13}
    reseeded, _ = invoke(runtime, NOVA_CANVAS, {**sample, "imageGenerationConfig": config})
    assert reseeded["images"] != first["images"]
    reworded = {**sample, "textToImageParams": {"text": "a stylized steampunk cat"}}
    other, _ = invoke(runtime, NOVA_CANVAS, reworded)
    assert other["images"] != first["images"]


def test_titan_image_defaults_to_one_1024_square(runtime: Any) -> None:
    body, _ = invoke(
        runtime, TITAN_IMAGE, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}}
    )
    (picture,) = decoded(body)
    assert png_size(picture) == (1024, 1024)


def test_titan_image_refuses_sizes_outside_its_list(runtime: Any) -> None:
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a cat"},
        "imageGenerationConfig": {"width": 1000, "height": 1000},
    }
    message = refusal(runtime, TITAN_IMAGE, body)
    assert message.startswith(
        "Malformed input request: #/imageGenerationConfig: 1000x1000 is not a supported image size"
    )
    assert "1173x640" in message
    # Nova Canvas takes any multiple of 16 within its bounds.
    body["imageGenerationConfig"] = {"width": 1008, "height": 1008}
    (picture,) = decoded(invoke(runtime, NOVA_CANVAS, body)[0])
    assert png_size(picture) == (1008, 1008)


def test_nova_canvas_size_rules(runtime: Any) -> None:
    def config(width: int, height: int) -> dict[str, Any]:
        return {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": "a cat"},
            "imageGenerationConfig": {"width": width, "height": height},
        }

    assert refusal(runtime, NOVA_CANVAS, config(1000, 1024)) == (
        "Malformed input request: #/imageGenerationConfig/width: 1000 is not a multiple of 16, "
        "please reformat your input and try again."
    )
    assert "aspect ratio 2048:320" in refusal(runtime, NOVA_CANVAS, config(2048, 320))
    assert "4194304 pixels" in refusal(runtime, NOVA_CANVAS, config(2048, 2048))


def test_titan_image_only_limits(runtime: Any) -> None:
    styled = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a cat", "style": "PHOTOREALISM"},
    }
    assert "extraneous key [style] is not permitted" in refusal(runtime, TITAN_IMAGE, styled)
    assert decoded(invoke(runtime, NOVA_CANVAS, styled)[0])
    removal = {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": PHOTO_B64}}
    assert "BACKGROUND_REMOVAL is not a valid enum value" in refusal(
        runtime, TITAN_IMAGE_V1, removal
    )


def test_image_edits_keep_the_source_size(runtime: Any) -> None:
    inpaint = {
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": PHOTO_B64, "text": "a blue bicycle", "maskPrompt": "bike"},
        "imageGenerationConfig": {"numberOfImages": 1},
    }
    (picture,) = decoded(invoke(runtime, TITAN_IMAGE, inpaint)[0])
    assert png_size(picture) == (80, 48)
    removal = {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": PHOTO_B64}}
    (picture,) = decoded(invoke(runtime, NOVA_CANVAS, removal)[0])
    assert png_size(picture) == (80, 48)
    variation = {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {"images": [PHOTO_B64], "similarityStrength": 0.7},
        "imageGenerationConfig": {"width": 512, "height": 512, "numberOfImages": 1},
    }
    (picture,) = decoded(invoke(runtime, TITAN_IMAGE, variation)[0])
    assert png_size(picture) == (512, 512)
    broken = {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": "aGVsbG8="}}
    assert refusal(runtime, NOVA_CANVAS, broken) == (
        "Unable to read the image in #/backgroundRemovalParams/image: provide a base64-encoded "
        "PNG or JPEG image."
    )


def test_amazon_image_task_without_its_parameters(runtime: Any) -> None:
    message = refusal(runtime, TITAN_IMAGE, {"taskType": "TEXT_IMAGE"})
    assert "#: required key [textToImageParams] not found" in message


def test_sd3_answer_shape_and_size(runtime: Any) -> None:
    body, response = invoke(runtime, SD35, SAMPLES[SD35])
    assert list(body) == ["seeds", "finish_reasons", "images"]
    assert body["seeds"] == [1234] and body["finish_reasons"] == [None]
    (picture,) = decoded(body)
    assert png_size(picture) == (1344, 768)
    assert header_tokens(response)[:2] == (0, 0)


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("1:1", (1024, 1024)),
        ("16:9", (1344, 768)),
        ("21:9", (1536, 640)),
        ("2:3", (832, 1216)),
        ("3:2", (1216, 832)),
        ("4:5", (896, 1152)),
        ("5:4", (1152, 896)),
        ("9:16", (768, 1344)),
        ("9:21", (640, 1536)),
    ],
)
def test_sd3_aspect_ratios(runtime: Any, ratio: str, size: tuple[int, int]) -> None:
    body, _ = invoke(runtime, SD35, {"prompt": "a fox", "aspect_ratio": ratio})
    (picture,) = decoded(body)
    assert png_size(picture) == size


def test_sd3_default_seed_is_stable_and_jpeg_output(runtime: Any) -> None:
    first, _ = invoke(runtime, SD35, {"prompt": "a fox"})
    again, _ = invoke(runtime, SD35, {"prompt": "a fox"})
    assert first == again
    (seed,) = first["seeds"]
    assert type(seed) is int and 0 < seed <= 4294967294
    (picture,) = decoded(first)
    assert png_size(picture) == (1024, 1024)
    jpeg, _ = invoke(runtime, SD35, {"prompt": "a fox", "output_format": "jpeg"})
    (picture,) = decoded(jpeg)
    assert jpeg_size(picture) == (1024, 1024)
    webp = refusal(runtime, SD35, {"prompt": "a fox", "output_format": "webp"})
    assert "webp" in webp


def test_sd3_image_to_image(runtime: Any) -> None:
    body = {"prompt": "in winter", "mode": "image-to-image", "image": PHOTO_B64, "strength": 0.6}
    (picture,) = decoded(invoke(runtime, SD35, body)[0])
    assert png_size(picture) == (80, 48)
    message = refusal(
        runtime, SD35, {"prompt": "x", "mode": "image-to-image", "aspect_ratio": "1:1"}
    )
    assert "#: required key [image] not found" in message
    assert "#: extraneous key [aspect_ratio] is not permitted" in message


def test_sdxl_artifacts(runtime: Any) -> None:
    body, _ = invoke(runtime, SDXL, SAMPLES[SDXL])
    assert body["result"] == "success"
    (artifact,) = body["artifacts"]
    assert set(artifact) == {"seed", "base64", "finishReason"}
    assert artifact["seed"] == 99 and artifact["finishReason"] == "SUCCESS"
    picture = base64.b64decode(artifact["base64"], validate=True)
    assert png_size(picture) == (1152, 896)
    again, _ = invoke(runtime, SDXL, SAMPLES[SDXL])
    assert again == body


def test_sdxl_refuses_sizes_it_does_not_support(runtime: Any) -> None:
    message = refusal(runtime, SDXL, {**SAMPLES[SDXL], "width": 1024, "height": 768})
    assert message == (
        "for stable-diffusion-xl-1024-v0-9 and stable-diffusion-xl-1024-v1-0 the allowed "
        "dimensions are 1024x1024, 1152x896, 1216x832, 1344x768, 1536x640, 640x1536, 768x1344, "
        "832x1216, 896x1152, but we received 1024x768"
    )


def test_sdxl_image_to_image_keeps_the_init_image_size(runtime: Any) -> None:
    body = {"text_prompts": [{"text": "at night"}], "init_image": PHOTO_B64, "image_strength": 0.4}
    (artifact,) = invoke(runtime, SDXL, body)[0]["artifacts"]
    assert png_size(base64.b64decode(artifact["base64"])) == (80, 48)


@pytest.mark.parametrize("model_id", [TITAN_IMAGE, NOVA_CANVAS, SD35, SDXL])
def test_converse_refuses_image_models(runtime: Any, model_id: str) -> None:
    with pytest.raises(ClientError) as caught:
        runtime.converse(modelId=model_id, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert caught.value.response["Error"]["Message"] == CONVERSE_REFUSAL
