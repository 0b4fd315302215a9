"""Amazon's image generators: Titan Image Generator G1 (v1, v2) and Nova Canvas.

Both take the same body: a `taskType`, that task's parameters object and a shared
`imageGenerationConfig`; both answer `{"images": [base64 PNG…], "error": null}`. They differ in
which tasks they offer, their default seed and the output sizes they accept: Titan a fixed list,
Nova Canvas any multiple of 16 within bounds.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .. import images
from ..catalog import ResolvedModel
from ..errors import ValidationException
from ..neutral import ImageReply, ImageRequest
from . import Body, register
from .amazon_embed import decode_base64
from .validation import malformed, violation

INVALID_IMAGE = "Unable to read the image in {pointer}: provide a base64-encoded PNG or JPEG image."
DEFAULT_SIZE = 1024
# Each task's parameters object.
TASK_PARAMS = {
    "TEXT_IMAGE": "textToImageParams",
    "COLOR_GUIDED_GENERATION": "colorGuidedGenerationParams",
    "IMAGE_VARIATION": "imageVariationParams",
    "INPAINTING": "inPaintingParams",
    "OUTPAINTING": "outPaintingParams",
    "BACKGROUND_REMOVAL": "backgroundRemovalParams",
}
# Editing tasks answer at their source image's size; the others at the configured size.
_SOURCE_IMAGE = {
    "INPAINTING": "image",
    "OUTPAINTING": "image",
    "BACKGROUND_REMOVAL": "image",
}
# Other images a task may carry: decoded so a broken one is refused, never sized from.
_OTHER_IMAGES = ("conditionImage", "referenceImage", "maskImage")
TITAN_V1_TASKS = frozenset({"TEXT_IMAGE", "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION"})
TITAN_V2_TASKS = TITAN_V1_TASKS | {"COLOR_GUIDED_GENERATION", "BACKGROUND_REMOVAL"}
# Titan's own prompt limit; the family schema allows Nova Canvas's 1024.
TITAN_MAX_TEXT = 512
# The width x height pairs the Titan Image Generator user guide lists.
TITAN_SIZES = (
    (1024, 1024), (768, 768), (512, 512),
    (768, 1152), (384, 576), (1152, 768), (576, 384),
    (768, 1280), (384, 640), (1280, 768), (640, 384),
    (896, 1152), (448, 576), (1152, 896), (576, 448),
    (768, 1408), (384, 704), (1408, 768), (704, 384),
    (640, 1408), (320, 704), (1408, 640), (704, 320),
    (1152, 640), (1173, 640),
)  # fmt: skip
# Nova Canvas: each side a multiple of 16, aspect 1:4 to 4:1, under 4.19 megapixels.
NOVA_STEP = 16
NOVA_MAX_RATIO = 4
NOVA_MAX_PIXELS = 4_194_304
NOVA_MAX_SEED = 858_993_459


def read_image(data: str, pointer: str) -> tuple[bytes, tuple[int, int]]:
    """A base64 image's bytes and (width, height), or the error for one that is not an image."""
    raw = decode_base64(data, pointer)
    try:
        return raw, images.dimensions(raw)
    except ValueError as error:
        raise ValidationException(INVALID_IMAGE.format(pointer=pointer)) from error


def image_digest(data: bytes) -> str:
    """A short stable name for an input image, so edits of different images differ."""
    return hashlib.sha256(data).hexdigest()[:16]


class _AmazonImage:
    """The shared body; subclasses name their tasks, default seed and accepted sizes."""

    kind = "image"
    schema = "titan-image"
    default_seed: int

    def tasks(self, model: ResolvedModel) -> frozenset[str]:
        raise NotImplementedError

    def check_size(self, width: int, height: int) -> None:
        raise NotImplementedError

    def check_params(self, key: str, params: dict[str, Any], config: dict[str, Any]) -> None:
        """Limits of this model that are narrower than the family schema's."""

    def request(self, body: Body, model: ResolvedModel) -> ImageRequest:
        task = body["taskType"]
        if task not in self.tasks(model):
            raise malformed(violation("#/taskType", f"{task} is not a valid enum value"))
        key = TASK_PARAMS[task]
        if key not in body:
            raise malformed(violation("#", f"required key [{key}] not found"))
        params: dict[str, Any] = body[key]
        for name in _OTHER_IMAGES:
            if name in params:
                read_image(params[name], f"#/{key}/{name}")
        digests = [
            image_digest(read_image(data, f"#/{key}/images/{index}")[0])
            for index, data in enumerate(params.get("images", []))
        ]
        config = body.get("imageGenerationConfig") or {}
        self.check_params(key, params, config)
        if task in _SOURCE_IMAGE:
            name = _SOURCE_IMAGE[task]
            source, (width, height) = read_image(params[name], f"#/{key}/{name}")
            digests.append(image_digest(source))
        else:
            width = config.get("width", DEFAULT_SIZE)
            height = config.get("height", DEFAULT_SIZE)
            self.check_size(width, height)
        # Tasks without a prompt (background removal, variations) still answer per image.
        words = [params.get("text") or task.lower(), *params.get("colors", []), *digests]
        return ImageRequest(
            model=model,
            prompt=" ".join(words),
            width=width,
            height=height,
            count=1 if task == "BACKGROUND_REMOVAL" else config.get("numberOfImages", 1),
            seed=config.get("seed", self.default_seed),
            negative_prompt=params.get("negativeText", ""),
            output_format="png",
        )

    def response(self, reply: ImageReply, request: ImageRequest, body: Body) -> Body:
        encoded = [base64.b64encode(image).decode() for image in reply.images]
        return {"images": encoded, "error": None}


@register("titan-image")
class TitanImage(_AmazonImage):
    """Titan Image Generator G1: v1's four tasks, v2 adds colour guidance and background removal."""

    # Titan's documented default seed.
    default_seed = 42

    def tasks(self, model: ResolvedModel) -> frozenset[str]:
        if model.model.model_id.startswith("amazon.titan-image-generator-v1"):
            return TITAN_V1_TASKS
        return TITAN_V2_TASKS

    def check_params(self, key: str, params: dict[str, Any], config: dict[str, Any]) -> None:
        problems = [
            violation(f"#/{key}/{name}", f"expected maxLength: {TITAN_MAX_TEXT}, actual: {size}")
            for name in ("text", "negativeText")
            if (size := len(params.get(name, ""))) > TITAN_MAX_TEXT
        ]
        if "style" in params:
            problems.append(violation(f"#/{key}", "extraneous key [style] is not permitted"))
        if problems:
            raise malformed(*problems)

    def check_size(self, width: int, height: int) -> None:
        if (width, height) not in TITAN_SIZES:
            sizes = ", ".join(f"{w}x{h}" for w, h in TITAN_SIZES)
            raise malformed(
                violation(
                    "#/imageGenerationConfig",
                    f"{width}x{height} is not a supported image size (supported: {sizes})",
                )
            )


@register("nova-canvas")
class NovaCanvas(_AmazonImage):
    """Nova Canvas: Titan v2's tasks, at any size within its bounds."""

    # Nova Canvas's documented default seed.
    default_seed = 12

    def tasks(self, model: ResolvedModel) -> frozenset[str]:
        return TITAN_V2_TASKS

    def check_params(self, key: str, params: dict[str, Any], config: dict[str, Any]) -> None:
        seed = config.get("seed", self.default_seed)
        if seed > NOVA_MAX_SEED:
            raise malformed(
                violation(
                    "#/imageGenerationConfig/seed",
                    f"{seed} is not less or equal to {NOVA_MAX_SEED}",
                )
            )

    def check_size(self, width: int, height: int) -> None:
        # The family schema bounds each side to 320-4096; Nova Canvas adds the rest.
        problems = [
            violation(f"#/imageGenerationConfig/{name}", f"{side} is not a multiple of {NOVA_STEP}")
            for name, side in (("width", width), ("height", height))
            if side % NOVA_STEP
        ]
        if problems:
            raise malformed(*problems)
        if max(width, height) > NOVA_MAX_RATIO * min(width, height):
            raise malformed(
                violation(
                    "#/imageGenerationConfig",
                    f"aspect ratio {width}:{height} is outside the supported range 1:4 to 4:1",
                )
            )
        if width * height >= NOVA_MAX_PIXELS:
            raise malformed(
                violation(
                    "#/imageGenerationConfig",
                    f"{width}x{height} is {width * height} pixels, the maximum is "
                    f"{NOVA_MAX_PIXELS - 1}",
                )
            )
