"""Stability AI on Bedrock: SD3 / SD3.5 Large and Stable Image Core and Ultra (one `prompt`,
an aspect ratio, `{seeds, finish_reasons, images}` back) and SDXL 1.0 (weighted `text_prompts`,
explicit sizes, `{result, artifacts}` back)."""

from __future__ import annotations

import base64
import hashlib

from ..catalog import ResolvedModel
from ..errors import ValidationException
from ..neutral import ImageReply, ImageRequest
from . import Body, register
from .amazon_image import image_digest, read_image
from .validation import malformed, violation

# SD3's output size for each aspect ratio: about one megapixel, sides multiples of 64.
SD3_SIZES = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "21:9": (1536, 640),
    "2:3": (832, 1216),
    "3:2": (1216, 832),
    "4:5": (896, 1152),
    "5:4": (1152, 896),
    "9:16": (768, 1344),
    "9:21": (640, 1536),
}
SD3_DEFAULT_RATIO = "1:1"
NO_WEBP = "moto-bedrock cannot render webp images yet: ask for png or jpeg."
# SDXL 1.0 accepts only these sizes; Stability's own error lists them.
SDXL_SIZES = (
    (1024, 1024), (1152, 896), (1216, 832), (1344, 768), (1536, 640),
    (640, 1536), (768, 1344), (832, 1216), (896, 1152),
)  # fmt: skip
SDXL_DEFAULT_SIZE = (1024, 1024)
SDXL_SIZE_ERROR = (
    "for stable-diffusion-xl-1024-v0-9 and stable-diffusion-xl-1024-v1-0 the allowed dimensions "
    "are {allowed}, but we received {width}x{height}"
)
# Seeds are unsigned 32-bit; 0 (the default) asks the model to pick one.
_SEED_RANGE = 4_294_967_295


def pick_seed(seed: int, *prompt: str) -> int:
    """The seed as given, or for 0 one derived from the prompt: what a caller sees as "random"
    stays the same from run to run."""
    if seed:
        return seed
    digest = hashlib.sha256("\x1f".join(prompt).encode()).digest()
    return int.from_bytes(digest[:8], "big") % _SEED_RANGE or 1


@register("stability-sd3")
class StabilitySD3:
    """SD3 Large, SD3.5 Large, Stable Image Core and Ultra: text-to-image by aspect ratio, or
    image-to-image at the input image's size."""

    kind = "image"
    schema = "stability-sd3"

    def request(self, body: Body, model: ResolvedModel) -> ImageRequest:
        prompt = body["prompt"]
        negative = body.get("negative_prompt", "")
        output_format = body.get("output_format", "png")
        if output_format == "webp":
            raise ValidationException(NO_WEBP)
        mode = body.get("mode")
        if mode == "image-to-image":
            missing = [key for key in ("image", "strength") if key not in body]
            extra = [key for key in ("aspect_ratio",) if key in body]
            if missing or extra:
                raise malformed(
                    *(violation("#", f"required key [{key}] not found") for key in missing),
                    *(violation("#", f"extraneous key [{key}] is not permitted") for key in extra),
                )
        # Stable Image Ultra takes an `image` without a `mode`.
        if mode == "image-to-image" or (mode is None and "image" in body):
            source, (width, height) = read_image(body["image"], "#/image")
            prompt_key = (prompt, image_digest(source))
        else:
            width, height = SD3_SIZES[body.get("aspect_ratio", SD3_DEFAULT_RATIO)]
            prompt_key = (prompt,)
        return ImageRequest(
            model=model,
            prompt=" ".join(prompt_key),
            width=width,
            height=height,
            seed=pick_seed(body.get("seed", 0), *prompt_key, negative),
            negative_prompt=negative,
            output_format=output_format,
        )

    def response(self, reply: ImageReply, request: ImageRequest, body: Body) -> Body:
        return {
            "seeds": reply.seeds,
            "finish_reasons": [None] * len(reply.images),
            "images": [base64.b64encode(image).decode() for image in reply.images],
        }


@register("stability-sdxl")
class StabilitySDXL:
    """SDXL 1.0: prompts with weights (negative weights make the negative prompt), one of nine
    sizes, or the init image's size for image-to-image."""

    kind = "image"
    schema = "stability-sdxl"

    def request(self, body: Body, model: ResolvedModel) -> ImageRequest:
        prompts = body["text_prompts"]
        positive = " ".join(p["text"] for p in prompts if p.get("weight", 1) >= 0)
        negative = " ".join(p["text"] for p in prompts if p.get("weight", 1) < 0)
        words = [positive]
        if "init_image" in body:
            source, (width, height) = read_image(body["init_image"], "#/init_image")
            words.append(image_digest(source))
        else:
            width = body.get("width", SDXL_DEFAULT_SIZE[0])
            height = body.get("height", SDXL_DEFAULT_SIZE[1])
            if (width, height) not in SDXL_SIZES:
                allowed = ", ".join(f"{w}x{h}" for w, h in SDXL_SIZES)
                raise ValidationException(
                    SDXL_SIZE_ERROR.format(allowed=allowed, width=width, height=height)
                )
        return ImageRequest(
            model=model,
            prompt=" ".join(words),
            width=width,
            height=height,
            seed=pick_seed(body.get("seed", 0), *words, negative),
            negative_prompt=negative,
            output_format="png",
        )

    def response(self, reply: ImageReply, request: ImageRequest, body: Body) -> Body:
        artifacts = [
            {"seed": seed, "base64": base64.b64encode(image).decode(), "finishReason": "SUCCESS"}
            for seed, image in zip(reply.seeds, reply.images, strict=True)
        ]
        return {"result": "success", "artifacts": artifacts}
