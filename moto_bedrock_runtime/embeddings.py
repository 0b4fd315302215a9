"""Deterministic embeddings that carry meaning, without a model.

Retrieval code tested against the emulator (RAG pipelines, vector stores, semantic caches) needs
vectors whose cosine similarity follows shared content, and that are the same on every machine
and Python version. Random vectors would make every retrieval test meaningless, so text vectors
are built by feature hashing with dense random directions:

1. The text is NFKC-normalized, case-folded and split into words (``\\w+``). A few suffix rules
   stem each word ("rivers" and "river" match, so do "cities"/"city", "walked"/"walk").
2. Features, with their weights:
   - word unigrams: 1.0, or 0.25 for a short list of English stop words;
   - bigrams of adjacent content words (stop words dropped, so "rivers of Europe" and "river in
     Europe" share "river europe"): 0.5;
   - character trigrams of each content word padded as "<word>": 0.2 each, so a typo still
     shares most of its trigrams with the right spelling.
3. A feature seen ``tf`` times weighs ``weight * (1 + ln tf)`` (sublinear term frequency).
4. Each feature gets a pseudo-random direction of ±1 entries drawn from SHAKE-256 of the
   feature's text (never Python's salted ``hash()``). Different features are nearly orthogonal,
   and a feature shared by two texts adds the same component to both.
5. The weighted directions are summed and L2-normalized.

The sum is exact integer arithmetic, which makes it both fast and identical everywhere. A
direction is a d-bit integer (bit 1 for +1), and weights are fixed-point integers. Features of
equal weight are counted per dimension with a bit-sliced counter (a few C-level operations on
d-bit integers per feature); the counters are then spread into one big integer with a 32-bit
lane per dimension. A lane ends as the weighted count ``c`` of +1s out of the total weight
``W``, and the entry is ``2c - W``. Directions are cached per (feature, dimensions) in a bounded
LRU cache. On a 50-word text at 1024 dimensions this takes about 1-2 ms.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import struct
import unicodedata
from collections import Counter
from collections.abc import Sequence

UNIGRAM_WEIGHT = 1.0
STOP_WORD_WEIGHT = 0.25
BIGRAM_WEIGHT = 0.5
TRIGRAM_WEIGHT = 0.2
# Fixed-point scale of the weights. The lanes are 32 bits wide and hold a sum of weights, so
# this leaves room for millions of features, far past the longest input any model accepts.
_WEIGHT_SCALE = 256
_LANE_BITS = 32
# A cached direction at 3072 dimensions takes well under 1 KiB: at most about 10 MiB in all.
_DIRECTION_CACHE_SIZE = 16384
# Quantized integers clip at this many standard deviations of a unit vector's entries.
_INT8_CLIP_SIGMAS = 4

_WORD = re.compile(r"\w+")
_STOP_WORDS = frozenset(
    "a an and are as at be been but by can do does for from had has have he her his i if in "
    "into is it its me my no not of on or our she so than that the their them then there these "
    "they this those to was we were what when where which who why will with you your".split()
)
# _BIT[j] maps a byte to its bit j, for bytes.translate.
_BIT = tuple(bytes((b >> j) & 1 for b in range(256)) for j in range(8))


def embed_text(text: str, dimensions: int) -> list[float]:
    """A unit vector of the text's weighted word, bigram and trigram features."""
    features = _text_features(text)
    if not features:
        # Punctuation or whitespace only: still a stable, distinct vector.
        features = Counter({"raw:" + text: UNIGRAM_WEIGHT})
    return _project(features, dimensions)


def embed_image(data: bytes, dimensions: int) -> list[float]:
    """A unit vector from the image's bytes: the same file always gives the same vector.

    Eight features of the content digest are summed so the entries spread like a real
    embedding's instead of all having the same magnitude.
    """
    digest = hashlib.sha256(data).hexdigest()
    return _project(Counter({f"image:{digest}:{k}": 1.0 for k in range(8)}), dimensions)


def combine(vectors: Sequence[Sequence[float]]) -> list[float]:
    """The normalized mean, as Titan Multimodal returns for a text and an image together."""
    if not vectors:
        raise ValueError("no vectors to combine")
    return normalize([math.fsum(column) for column in zip(*vectors, strict=True)])


def normalize(vector: Sequence[float]) -> list[float]:
    """The vector scaled to unit L2 norm; fsum keeps the norm the same on every Python."""
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if norm == 0:
        raise ValueError("cannot normalize a zero vector")
    return [x / norm for x in vector]


def scale_unnormalized(vector: Sequence[float], text: str) -> list[float]:
    """The vector with a stable norm between 4 and 16, as Titan v2 returns for normalize=false.

    Clients that skip normalization see realistic magnitudes, and the norm depends on the
    text only, so repeated calls agree.
    """
    fraction = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    norm = 4.0 + 12.0 * fraction / 2**64
    return [x * norm for x in normalize(vector)]


def quantize(vector: Sequence[float], kind: str) -> list[int] | list[float]:
    """The vector in one of the embedding types that Cohere and Titan v2 return.

    - ``float``: unchanged.
    - ``int8`` / ``uint8``: each entry divided by the vector's RMS, times 32, clipped at 4 RMS:
      a fixed calibration like Cohere's, so dot products stay comparable across vectors;
      ``uint8`` is ``int8 + 128``.
    - ``ubinary``: sign bits (1 for > 0) packed eight to a byte, first entry in the high bit;
      ``binary`` is each byte minus 128 (Cohere's signed form). Length ``ceil(d / 8)``.
    - ``titan-binary``: Titan v2's ``embeddingsByType.binary``, one 0/1 int per dimension.
    """
    if kind == "float":
        return [float(x) for x in vector]
    if kind == "titan-binary":
        return [1 if x > 0 else 0 for x in vector]
    if kind in ("int8", "uint8"):
        return _scalar_quantize(vector, 128 if kind == "uint8" else 0)
    if kind in ("binary", "ubinary"):
        packed = _pack_bits(vector)
        return [b - 128 for b in packed] if kind == "binary" else packed
    raise ValueError(f"unknown embedding type: {kind}")


def _scalar_quantize(vector: Sequence[float], offset: int) -> list[int]:
    if not vector:
        return []
    rms = math.sqrt(math.fsum(x * x for x in vector) / len(vector)) or 1.0
    step = 128 / _INT8_CLIP_SIGMAS
    return [max(-128, min(127, round(x / rms * step))) + offset for x in vector]


def _pack_bits(vector: Sequence[float]) -> list[int]:
    bits = "".join("1" if x > 0 else "0" for x in vector)
    bits += "0" * (-len(bits) % 8)
    return [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]


def _stem(word: str) -> str:
    """A few suffix rules: enough for plural and tense variants to meet, never a full stemmer."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _text_features(text: str) -> Counter[str]:
    """Feature name -> weighted sublinear term frequency."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    counts: Counter[str] = Counter()
    weights: dict[str, float] = {}

    def add(feature: str, weight: float) -> None:
        counts[feature] += 1
        weights[feature] = weight

    content: list[str] = []
    for word in words:
        if word in _STOP_WORDS:
            add("w:" + word, STOP_WORD_WEIGHT)
            continue
        stem = _stem(word)
        content.append(stem)
        add("w:" + stem, UNIGRAM_WEIGHT)
        padded = f"<{word}>"
        for i in range(len(padded) - 2):
            add("c:" + padded[i : i + 3], TRIGRAM_WEIGHT)
    for first, second in itertools.pairwise(content):
        add(f"b:{first} {second}", BIGRAM_WEIGHT)
    return Counter({f: weights[f] * (1 + math.log(n)) for f, n in counts.items()})


def _project(features: Counter[str], dimensions: int) -> list[float]:
    """Sum the weighted feature directions exactly, then normalize."""
    if dimensions <= 0:
        raise ValueError("dimensions must be positive")
    # Features are grouped by fixed-point weight. Each group keeps a bit-sliced counter: plane
    # i holds bit i of how many of its features have a 1 in each dimension, so adding a feature
    # costs about two C-level operations on d-bit integers, however many dimensions there are.
    counters: dict[int, list[int]] = {}
    total = 0
    for feature, weight in features.items():
        fixed = max(1, round(weight * _WEIGHT_SCALE))
        total += fixed
        _increment(counters.setdefault(fixed, []), _direction(feature, dimensions))
    lanes = 0
    for fixed, planes in counters.items():
        for i, plane in enumerate(planes):
            lanes += (fixed << i) * _spread(plane, dimensions)
    width = _LANE_BITS // 8
    counts = struct.unpack(f"<{dimensions}I", lanes.to_bytes(width * dimensions, "little"))
    entries = [2 * c - total for c in counts]
    # Exact integer sum of squares: the norm, like the entries, is the same on every machine.
    norm = math.sqrt(sum(e * e for e in entries))
    if norm == 0:
        raise ValueError("features cancelled out")
    return [e / norm for e in entries]


def _increment(planes: list[int], bits: int) -> None:
    """Add one to the bit-sliced counter in every dimension whose bit is set (ripple carry)."""
    carry = bits
    for i, plane in enumerate(planes):
        planes[i] = plane ^ carry
        carry &= plane
        if not carry:
            return
    planes.append(carry)


def _spread(bits: int, dimensions: int) -> int:
    """Move bit j of a d-bit integer to the low bit of 32-bit lane j."""
    packed = bits.to_bytes((dimensions + 7) // 8, "little")
    width = _LANE_BITS // 8
    lanes = bytearray(8 * width * len(packed))
    for j in range(8):
        lanes[width * j :: 8 * width] = packed.translate(_BIT[j])
    return int.from_bytes(lanes, "little")


@functools.lru_cache(maxsize=_DIRECTION_CACHE_SIZE)
def _direction(feature: str, dimensions: int) -> int:
    """The feature's ±1 direction as a d-bit integer (bit 1 stands for +1).

    SHAKE-256 output is a prefix of any longer output, so a direction at 256 dimensions is the
    start of the same feature's direction at 1024: smaller embeddings are truncations of larger
    ones before normalization, as with Matryoshka-trained models like Titan v2.
    """
    digest = hashlib.shake_256(feature.encode()).digest((dimensions + 7) // 8)
    return int.from_bytes(digest, "little") & ((1 << dimensions) - 1)
