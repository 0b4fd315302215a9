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
6. Entries are rounded to 9 decimal places (``-0.013867398``): Bedrock's models compute in
   float32 and write each entry with about 8 significant digits, and a double that is the
   nearest to a short decimal is written short by ``json.dumps`` too, which makes the response
   body half the size and much cheaper to encode than 17-digit doubles. The rounding error,
   at most 5e-10 an entry, is below float32's own for entries over 0.016 in magnitude, and
   moves a unit vector's norm by less than 1e-7.

The sum is exact integer arithmetic, which makes it both fast and identical everywhere. A
direction is a d-bit integer (bit 1 for +1), and weights are fixed-point integers. Features of
equal weight are counted per dimension with a bit-sliced counter (a few C-level operations on
d-bit integers per feature). Eight planes of a counter at a time are turned into a count per
dimension by an 8x8 bit-matrix transpose done on all dimensions at once, and the counts are
spread into one big integer with a 32-bit lane per dimension. A lane ends as the weighted count
``c`` of +1s out of the total weight ``W``, and the entry is ``2c - W``. Directions are cached
per (feature, dimensions) in a bounded LRU cache. On a 50-word text at 1024 dimensions this
takes well under a millisecond.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import operator
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
# Returned entries are multiples of 1e-9 (see step 6 above).
_GRID = 1e9
# x + 1.5 * 2**52 - 1.5 * 2**52 is x rounded to an integer (half to even, as round() does) for
# |x| < 2**51, in two float operations instead of a call per entry. Entries times 1e9 stay far
# below that: unit vectors, or Titan's unnormalized ones of norm 16 at most.
_ROUNDER = 6755399441055744.0

_WORD = re.compile(r"\w+")
_STOP_WORDS = frozenset(
    "a an and are as at be been but by can do does for from had has have he her his i if in "
    "into is it its me my no not of on or our she so than that the their them then there these "
    "they this those to was we were what when where which who why will with you your".split()
)
# The 8x8 bit-matrix transpose of each 64-bit word (Hacker's Delight 7-3), as delta swaps:
# bits at `mask` trade places with the bits `shift` above them.
_TRANSPOSE_8X8 = (
    (7, 0x00AA00AA00AA00AA),
    (14, 0x0000CCCC0000CCCC),
    (28, 0x00000000F0F0F0F0),
)
# Maps the top byte of a little-endian double to 1 if the double is positive (bytes.translate).
_POSITIVE = bytes(1 if 0 < b < 0x80 else 0 for b in range(256))
# Maps each 0/1 byte to the digit "0"/"1", for int(..., 2).
_DIGITS = bytes.maketrans(b"\0\1", b"01")


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
    if len({len(vector) for vector in vectors}) != 1:
        raise ValueError("vectors of different lengths")
    if len(vectors) == 2:
        # One rounding of an exact sum, as fsum gives, without a call per column.
        return normalize(list(map(operator.add, *vectors)))
    return normalize(list(map(math.fsum, zip(*vectors, strict=True))))


def normalize(vector: Sequence[float]) -> list[float]:
    """The vector scaled to unit L2 norm, rounded to 9 decimal places like every vector here."""
    return _rounded(vector, 1 / _norm(vector))


def scale_unnormalized(vector: Sequence[float], text: str) -> list[float]:
    """The vector with a stable norm between 4 and 16, as Titan v2 returns for normalize=false.

    Clients that skip normalization see realistic magnitudes, and the norm depends on the
    text only, so repeated calls agree.
    """
    fraction = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    norm = 4.0 + 12.0 * fraction / 2**64
    return _rounded(vector, norm / _norm(vector))


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
        return list(map(float, vector))
    if kind == "titan-binary":
        return list(_sign_bits(vector))
    if kind in ("int8", "uint8"):
        return _scalar_quantize(vector, 128 if kind == "uint8" else 0)
    if kind in ("binary", "ubinary"):
        packed = _pack_bits(vector)
        return [b - 128 for b in packed] if kind == "binary" else packed
    raise ValueError(f"unknown embedding type: {kind}")


def _norm(vector: Sequence[float]) -> float:
    """The L2 norm; fsum keeps it the same on every Python."""
    norm = math.sqrt(math.fsum(map(operator.mul, vector, vector)))
    if norm == 0:
        raise ValueError("cannot normalize a zero vector")
    return norm


def _rounded(values: Sequence[float], factor: float) -> list[float]:
    """Each value times `factor`, rounded to 9 decimal places.

    ``k / 1e9`` is the double nearest to the decimal k * 10**-9, so ``repr`` and ``json.dumps``
    write it in at most 9 decimals, the same on every machine.
    """
    scale = factor * _GRID
    return [(x * scale + _ROUNDER - _ROUNDER) / _GRID for x in values]


def _scalar_quantize(vector: Sequence[float], offset: int) -> list[int]:
    if not vector:
        return []
    rms = math.sqrt(math.fsum(map(operator.mul, vector, vector)) / len(vector)) or 1.0
    step = 128 / _INT8_CLIP_SIGMAS
    levels = [round(x / rms * step) for x in vector]
    if min(levels) < -128 or max(levels) > 127:
        levels = [max(-128, min(127, level)) for level in levels]
    return [level + offset for level in levels] if offset else levels


def _sign_bits(vector: Sequence[float]) -> bytes:
    """One byte per entry: 1 where it is > 0, else 0.

    Read from the top byte of each entry as a little-endian double (sign bit and high exponent
    bits): 0x01-0x7f is positive, 0x80 and up negative. A top byte of 0 is a zero, or a
    positive entry below 2**-1007, told apart one by one.
    """
    top = struct.pack(f"<{len(vector)}d", *vector)[7::8]
    bits = bytearray(top.translate(_POSITIVE))
    zero = top.find(0)
    while zero != -1:
        bits[zero] = vector[zero] > 0
        zero = top.find(0, zero + 1)
    return bytes(bits)


def _pack_bits(vector: Sequence[float]) -> list[int]:
    bits = _sign_bits(vector)
    size = (len(bits) + 7) // 8
    if not size:
        return []
    # The digits, zero-padded to whole bytes, read as one big-endian number.
    digits = bits.translate(_DIGITS) + b"0" * (8 * size - len(bits))
    return list(int(digits, 2).to_bytes(size, "big"))


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
    unigrams: list[str] = []
    # A stop word and a content word can stem alike ("her", "hers"): the last one seen sets the
    # unigram's weight.
    unigram_weights: dict[str, float] = {}
    content: list[str] = []
    trigrams: list[str] = []
    for word in words:
        if word in _STOP_WORDS:
            feature = "w:" + word
            unigram_weights[feature] = STOP_WORD_WEIGHT
        else:
            stem = _stem(word)
            content.append(stem)
            feature = "w:" + stem
            unigram_weights[feature] = UNIGRAM_WEIGHT
            padded = f"<{word}>"
            trigrams += ["c:" + padded[i : i + 3] for i in range(len(padded) - 2)]
        unigrams.append(feature)
    bigrams = [f"b:{first} {second}" for first, second in itertools.pairwise(content)]
    weighted: Counter[str] = Counter()
    for counts, weight in (
        (Counter(unigrams), None),
        (Counter(trigrams), TRIGRAM_WEIGHT),
        (Counter(bigrams), BIGRAM_WEIGHT),
    ):
        for feature, n in counts.items():
            base = unigram_weights[feature] if weight is None else weight
            weighted[feature] = base * (1 + math.log(n))
    return weighted


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
        fixed = round(weight * _WEIGHT_SCALE) or 1  # weights are positive: at least 1
        total += fixed
        planes = counters.get(fixed)
        if planes is None:
            planes = counters[fixed] = []
        _increment(planes, _direction(feature, dimensions))
    if total >= 1 << (_LANE_BITS - 1):  # millions of distinct words: no model takes so many
        raise ValueError("too many features to embed")
    lanes = 0
    for fixed, planes in counters.items():
        for start in range(0, len(planes), 8):
            lanes += (fixed << start) * _lane_counts(planes[start : start + 8], dimensions)
    # Lane j holds c; 2c - W + 2**31 lies in [0, 2**32), so no lane borrows from the next, and
    # flipping each lane's top bit leaves 2c - W in two's complement: signed 32-bit entries.
    ones = _lane_ones(dimensions)
    half = _LANE_BITS - 1
    lanes = ((lanes << 1) + ((1 << half) - total) * ones) ^ (ones << half)
    width = _LANE_BITS // 8
    entries = struct.unpack(f"<{dimensions}i", lanes.to_bytes(width * dimensions, "little"))
    # Exact integer sum of squares: the norm, like the entries, is the same on every machine.
    norm = math.sqrt(sum(map(operator.mul, entries, entries)))
    if norm == 0:
        raise ValueError("features cancelled out")
    return _rounded(entries, 1 / norm)


def _increment(planes: list[int], bits: int) -> None:
    """Add one to the bit-sliced counter in every dimension whose bit is set (ripple carry)."""
    carry = bits
    for i, plane in enumerate(planes):
        planes[i] = plane ^ carry
        carry &= plane
        if not carry:
            return
    planes.append(carry)


def _lane_counts(planes: Sequence[int], dimensions: int) -> int:
    """Up to eight planes of a bit-sliced counter as one big integer with the count of
    dimension j in 32-bit lane j.

    Byte i of each 64-bit word is byte m of plane i: an 8x8 bit matrix whose row i holds bit i
    of the counts of dimensions 8m..8m+7. Its transpose, done on every word at once, holds the
    count of dimension 8m+b in byte b, which lands in dimension order.
    """
    size = (dimensions + 7) // 8
    rows = bytearray(8 * size)
    for i, plane in enumerate(planes):
        rows[i::8] = plane.to_bytes(size, "little")
    matrix = int.from_bytes(rows, "little")
    for shift, mask in _transpose_masks(size):
        swap = (matrix ^ (matrix >> shift)) & mask
        matrix ^= swap ^ (swap << shift)
    lanes = bytearray(_LANE_BITS * size)
    lanes[:: _LANE_BITS // 8] = matrix.to_bytes(8 * size, "little")
    return int.from_bytes(lanes, "little")


@functools.lru_cache(maxsize=64)
def _transpose_masks(words: int) -> tuple[tuple[int, int], ...]:
    """The transpose's masks repeated over `words` 64-bit words."""
    return tuple(
        (shift, int.from_bytes(mask.to_bytes(8, "little") * words, "little"))
        for shift, mask in _TRANSPOSE_8X8
    )


@functools.lru_cache(maxsize=64)
def _lane_ones(dimensions: int) -> int:
    """1 in each of `dimensions` 32-bit lanes."""
    return int.from_bytes(b"\1".ljust(_LANE_BITS // 8, b"\0") * dimensions, "little")


@functools.lru_cache(maxsize=_DIRECTION_CACHE_SIZE)
def _direction(feature: str, dimensions: int) -> int:
    """The feature's ±1 direction as a d-bit integer (bit 1 stands for +1).

    SHAKE-256 output is a prefix of any longer output, so a direction at 256 dimensions is the
    start of the same feature's direction at 1024: smaller embeddings are truncations of larger
    ones before normalization, as with Matryoshka-trained models like Titan v2.
    """
    digest = hashlib.shake_256(feature.encode()).digest((dimensions + 7) // 8)
    return int.from_bytes(digest, "little") & ((1 << dimensions) - 1)
