"""Meta Llama 2/3/3.1/3.2/3.3/4: a raw chat-template `prompt` (plus base64 `images` for the
vision models) in, `generation` with Llama's token counts out."""

from __future__ import annotations

from collections.abc import Iterator

from ..catalog import ResolvedModel
from ..neutral import ChatRequest, ContentBlock, Message, Reply, StreamEvent
from ..tokens import count
from . import Body, Metrics, register
from .common import METRICS_KEY, decode_base64, length_or_stop, prompt_request, text_deltas, text_of

# Llama's documented default when max_gen_len is absent.
DEFAULT_MAX_GEN_LEN = 512
IMAGE_TOKEN = "<|image|>"
# Leading bytes of each image format Bedrock accepts, for the neutral block's `format`.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def image_format(data: bytes) -> str:
    """The image format, read from its leading bytes (Llama's body does not name it)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), "png")


def _image_blocks(images: list[str]) -> list[ContentBlock]:
    blocks = []
    for encoded in images:
        data = decode_base64(encoded, "#/images")
        blocks.append({"image": {"format": image_format(data), "source": {"bytes": data}}})
    return blocks


def _with_images(messages: list[Message], images: list[str]) -> list[Message]:
    """The images join the last user turn, ahead of its text, where `<|image|>` puts them."""
    if not images:
        return messages
    blocks = _image_blocks(images)
    for message in reversed(messages):
        if message.role == "user":
            message.content[:0] = blocks
            return messages
    return [Message(role="user", content=blocks), *messages]


@register("llama")
class Llama:
    kind = "chat"
    schema = "llama"

    def request(self, body: Body, model: ResolvedModel) -> ChatRequest:
        prompt = body["prompt"].replace(IMAGE_TOKEN, "")
        request = prompt_request(
            model, body, prompt, max_key="max_gen_len", default_max=DEFAULT_MAX_GEN_LEN
        )
        request.messages = _with_images(request.messages, list(body.get("images") or []))
        return request

    def response(self, reply: Reply, request: ChatRequest, body: Body) -> Body:
        return {
            "generation": text_of(reply),
            "prompt_token_count": reply.usage.input_tokens,
            "generation_token_count": reply.usage.output_tokens,
            "stop_reason": length_or_stop(reply.stop_reason),
        }

    def stream(
        self, events: Iterator[StreamEvent], request: ChatRequest, body: Body, metrics: Metrics
    ) -> Iterator[Body]:
        """One chunk per text piece with the running generation count (the first also has the
        prompt count), then an empty closing chunk with the stop reason and the metrics."""
        first, generated, prompt = True, 0, []
        for text, stop in text_deltas(events, prompt.append):
            if stop is None:
                if not text:
                    continue
                generated += count(text)
                yield {
                    "generation": text,
                    "prompt_token_count": prompt[0] if first else None,
                    "generation_token_count": generated,
                    "stop_reason": None,
                }
                first = False
            else:
                yield {
                    "generation": "",
                    "prompt_token_count": stop.usage.input_tokens if first else None,
                    "generation_token_count": stop.usage.output_tokens,
                    "stop_reason": length_or_stop(stop.stop_reason),
                    METRICS_KEY: metrics(stop.usage),
                }
