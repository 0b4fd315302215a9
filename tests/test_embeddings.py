"""Canned embeddings: deterministic, exact in size, and meaningful enough for retrieval tests."""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Sequence
from decimal import Decimal

import pytest

from moto_bedrock_runtime.embeddings import (
    combine,
    embed_image,
    embed_text,
    normalize,
    quantize,
    scale_unnormalized,
)

# Entries are rounded to 9 decimal places, which moves a unit vector's norm by up to
# sqrt(d) * 5e-10 (3e-8 at 3072 dimensions). Bedrock's own vectors are float32, whose norms are
# off 1 by up to about 1e-7: no user can expect tighter.
UNIT_NORM_TOLERANCE = 1e-7


def _cos(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True)) / (_norm(a) * _norm(b))


def _norm(v: Sequence[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in v))


def _fingerprint(v: Sequence[float]) -> str:
    return hashlib.sha256(struct.pack(f"<{len(v)}d", *v)).hexdigest()[:32]


def test_same_input_gives_the_same_vector() -> None:
    text = "Hello, world! Rivers of Europe."
    assert embed_text(text, 1024) == embed_text(text, 1024)
    # Pinned bit for bit: a change here changes every stored vector a user compares against.
    # (Last changed when entries began to be rounded to 9 decimal places: each new entry is
    # round(old, 9), the integer sums behind them unchanged.)
    assert _fingerprint(embed_text(text, 256)) == "b8aa82d8441055f7b9397ff25fe94530"
    assert _fingerprint(embed_image(b"\x89PNG fake", 256)) == "f65ea1b900b5b99033c6f180f3643c9a"


@pytest.mark.parametrize("dimensions", [256, 384, 512, 1024, 1536, 3072])
def test_exact_dimensions_and_unit_norm(dimensions: int) -> None:
    for vector in (
        embed_text("The quick brown fox jumps over the lazy dog.", dimensions),
        embed_image(b"GIF89a" + bytes(range(40)), dimensions),
    ):
        assert len(vector) == dimensions
        assert all(type(x) is float for x in vector)
        assert _norm(vector) == pytest.approx(1.0, abs=UNIT_NORM_TOLERANCE)


@pytest.mark.parametrize("text", ["", "   ", "?!", "the of and", "東京の天気"])
def test_degenerate_texts_still_give_unit_vectors(text: str) -> None:
    assert _norm(embed_text(text, 256)) == pytest.approx(1.0, abs=UNIT_NORM_TOLERANCE)
    assert embed_text(text, 256) != embed_text(text + "x", 256)


def test_smaller_dimensions_are_a_truncation_of_larger_ones() -> None:
    text = "Matryoshka embeddings keep their meaning when truncated"
    # Equal up to a few 9-decimal roundings (5e-10 each, the first one doubled by renormalizing
    # a quarter of the vector); absolutely, not relatively: an entry near zero has few digits.
    truncated = normalize(embed_text(text, 1024)[:256])
    assert truncated == pytest.approx(embed_text(text, 256), rel=0, abs=5e-9)


@pytest.mark.parametrize(
    ("text", "related", "unrelated"),
    [
        ("rivers of Europe", "the longest river in Europe", "chocolate cake recipe"),
        ("How do I reset my password?", "Password reset instructions", "Quarterly sales report"),
        ("Python list comprehension", "comprehensions of lists in python", "The Eiffel Tower"),
        ("cats sleeping", "a cat sleeps on the sofa", "stock market crashed"),
        ("the longest river in Europe", "the longest rivr in Europe", "chocolate cake recipe"),
    ],
)
def test_shared_words_are_closer_than_unrelated_text(
    text: str, related: str, unrelated: str
) -> None:
    for dimensions in (256, 1024):
        vec = embed_text(text, dimensions)
        near = _cos(vec, embed_text(related, dimensions))
        far = _cos(vec, embed_text(unrelated, dimensions))
        assert near > far + 0.2, (near, far)
        assert abs(far) < 0.25


def test_stemming_case_and_punctuation() -> None:
    assert _cos(embed_text("Rivers!", 512), embed_text("river", 512)) > 0.6
    assert embed_text("Hello World", 512) == embed_text("hello, world.", 512)


def test_retrieval_picks_the_expected_document() -> None:
    docs = [
        "The Danube flows through ten European countries and is the second longest river in "
        "Europe.",
        "To bake a chocolate cake, mix flour, sugar, cocoa, eggs and butter, then bake for 35 "
        "minutes.",
        "Amazon Bedrock is a managed service offering foundation models through an API.",
        "The Python interpreter reads source files and compiles them to bytecode.",
        "Mount Everest is the highest mountain on Earth, on the border of Nepal and China.",
    ]
    queries = {
        "Which river runs through many countries in Europe?": 0,
        "recipe for chocolate cake": 1,
        "What is the highest mountain?": 4,
    }
    for dimensions in (256, 1024):
        doc_vectors = [embed_text(doc, dimensions) for doc in docs]
        for query, expected in queries.items():
            q = embed_text(query, dimensions)
            scores = [_cos(q, d) for d in doc_vectors]
            assert max(range(len(docs)), key=scores.__getitem__) == expected, (query, scores)


def test_quantize_types_ranges_and_lengths() -> None:
    vector = embed_text("quantize me into every embedding type", 1024)
    assert quantize(vector, "float") == vector
    int8 = quantize(vector, "int8")
    uint8 = quantize(vector, "uint8")
    binary = quantize(vector, "binary")
    ubinary = quantize(vector, "ubinary")
    titan = quantize(vector, "titan-binary")
    for values, length, low, high in [
        (int8, 1024, -128, 127),
        (uint8, 1024, 0, 255),
        (binary, 128, -128, 127),
        (ubinary, 128, 0, 255),
        (titan, 1024, 0, 1),
    ]:
        assert len(values) == length
        assert all(type(x) is int and low <= x <= high for x in values)
    assert [u - 128 for u in uint8] == int8
    assert [u - 128 for u in ubinary] == binary
    assert titan == [1 if x > 0 else 0 for x in vector]
    # The int8 vector keeps the float vector's direction.
    assert _cos(int8, vector) > 0.99
    # The first entry lands in the high bit of the first byte, as numpy.packbits does.
    bits = "".join(str(b) for b in titan[:8])
    assert ubinary[0] == int(bits, 2)


def test_quantize_known_values() -> None:
    vector = [0.5, -0.5, 0.5, -0.5, 0.5, 0.5, -0.5, -0.5, 0.5]
    assert quantize(vector, "ubinary") == [0b10101100, 0b10000000]
    assert quantize(vector, "binary") == [0b10101100 - 128, 0]
    assert quantize(vector, "int8") == [32, -32, 32, -32, 32, 32, -32, -32, 32]
    assert quantize([100.0] + [0.0] * 99, "int8")[0] == 127  # 10 RMS, clipped
    with pytest.raises(ValueError, match="unknown embedding type"):
        quantize(vector, "int4")


def test_quantize_signs_of_zeros_and_tiny_entries() -> None:
    # Zero is not positive, whatever its sign; a positive subnormal is.
    vector = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 2.0, -2.0, 0, 3, -1e300]
    assert quantize(vector, "titan-binary") == [0, 0, 1, 0, 1, 1, 0, 0, 1, 0]
    assert quantize(vector, "ubinary") == [0b00101100, 0b10000000]
    assert quantize([], "ubinary") == [] and quantize([], "titan-binary") == []


def test_quantize_clips_both_ends() -> None:
    vector = [-100.0, 100.0] + [0.0] * 98
    assert quantize(vector, "int8")[:3] == [-128, 127, 0]
    assert quantize(vector, "uint8")[:3] == [0, 255, 128]
    assert all(type(x) is float for x in quantize([1, 2], "float"))


@pytest.mark.parametrize("dimensions", [256, 1024, 3072])
def test_entries_are_written_with_at_most_nine_decimals(dimensions: int) -> None:
    """Like Bedrock's float32 entries (`-0.013867398`), not 17-digit doubles: half the bytes."""
    text = "Short decimals make the JSON body smaller and cheaper to write."
    vectors = [
        embed_text(text, dimensions),
        embed_image(b"image bytes", dimensions),
        combine([embed_text(text, dimensions), embed_image(b"image bytes", dimensions)]),
        normalize([1.0, 2.0, 3.0]),
        scale_unnormalized(embed_text(text, dimensions), text),
    ]
    for vector in vectors:
        assert all(Decimal(repr(x)).as_tuple().exponent >= -9 for x in vector)
        assert json.loads(json.dumps(vector)) == vector


def test_image_embeddings_are_stable_and_differ_by_content() -> None:
    first = embed_image(b"\x89PNG\r\n\x1a\n" + b"a" * 100, 384)
    assert first == embed_image(b"\x89PNG\r\n\x1a\n" + b"a" * 100, 384)
    second = embed_image(b"\x89PNG\r\n\x1a\n" + b"b" * 100, 384)
    assert first != second
    assert abs(_cos(first, second)) < 0.3


def test_combine_is_the_normalized_mean() -> None:
    text = embed_text("a red bicycle", 1024)
    image = embed_image(b"bicycle.png bytes", 1024)
    both = combine([text, image])
    assert len(both) == 1024
    assert _norm(both) == pytest.approx(1.0, abs=UNIT_NORM_TOLERANCE)
    assert _cos(both, text) == pytest.approx(_cos(both, image))
    assert combine([text]) == pytest.approx(text)
    assert _cos(combine([text, image, text]), text) > _cos(both, text)
    with pytest.raises(ValueError):
        combine([text, image[:256]])
    with pytest.raises(ValueError):
        combine([])


def test_normalize_and_unnormalized_scale() -> None:
    assert normalize([3.0, 4.0]) == pytest.approx([0.6, 0.8])
    with pytest.raises(ValueError):
        normalize([0.0, 0.0])
    vector = embed_text("unnormalized output", 512)
    scaled = scale_unnormalized(vector, "unnormalized output")
    assert scaled == scale_unnormalized(vector, "unnormalized output")
    assert 4.0 <= _norm(scaled) < 16.0
    assert _cos(scaled, vector) == pytest.approx(1.0)
    norms = {round(_norm(scale_unnormalized(vector, f"text {i}")), 6) for i in range(5)}
    assert len(norms) == 5
