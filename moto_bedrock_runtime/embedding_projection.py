"""Backend embeddings brought to a Bedrock model's dimensions, keeping their similarities.

Code sized its vector index for the Bedrock model (Titan v2: 1024, Cohere v3: 1024…), while a
local embedding model has its own width (all-MiniLM: 384, nomic-embed-text: 768). A vector of
d entries becomes one of D entries by a fixed, seeded transform chosen per (d, D):

- D >= d (widening): the vector is zero-padded to D, its entries sign-flipped and permuted, then
  passed through three Householder reflections. Every step is orthogonal, so dot products and
  cosine similarities are exactly the backend's; the reflections spread the vector over all D
  entries instead of leaving D - d zeros.
- D < d (narrowing): a subsampled randomized Hadamard transform, a Johnson-Lindenstrauss
  projection: sign flips, a fast Walsh-Hadamard transform over the vector zero-padded to a
  power of two, then D of its entries. Cosine similarities are kept approximately (the error
  shrinks as D grows; at D = 256 typical deviations are a few hundredths).

Results are L2-normalized, as the vendor codecs expect (Titan's `normalize: false` magnitude is
applied by its codec afterwards). The transforms cost O(D) and O(d log d) per vector.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_REFLECTIONS = 3


@dataclass(frozen=True)
class _Widen:
    signs: tuple[float, ...]
    order: tuple[int, ...]  # entry i of the padded vector goes to position order[i]
    reflections: tuple[tuple[float, ...], ...]  # unit vectors u: x -> x - 2u(u.x)


@dataclass(frozen=True)
class _Narrow:
    signs: tuple[float, ...]
    size: int  # the power of two the vector is padded to
    picks: tuple[int, ...]


def _rng(source: int, target: int) -> random.Random:
    # A str seed is hashed with SHA-512 by random.seed: the same on every machine and run.
    return random.Random(f"moto-bedrock projection {source}->{target}")


def _unit(values: list[float]) -> tuple[float, ...]:
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return tuple(v / norm for v in values)


@lru_cache(maxsize=64)
def _widen(source: int, target: int) -> _Widen:
    rng = _rng(source, target)
    signs = tuple(rng.choice((-1.0, 1.0)) for _ in range(target))
    order = list(range(target))
    rng.shuffle(order)
    reflections = tuple(
        _unit([rng.gauss(0.0, 1.0) for _ in range(target)]) for _ in range(_REFLECTIONS)
    )
    return _Widen(signs, tuple(order), reflections)


@lru_cache(maxsize=64)
def _narrow(source: int, target: int) -> _Narrow:
    rng = _rng(source, target)
    size = 1 << (source - 1).bit_length()
    signs = tuple(rng.choice((-1.0, 1.0)) for _ in range(source))
    return _Narrow(signs, size, tuple(sorted(rng.sample(range(size), target))))


def _hadamard(values: list[float]) -> list[float]:
    """The fast Walsh-Hadamard transform, in place (length a power of two)."""
    half = 1
    while half < len(values):
        for start in range(0, len(values), half * 2):
            for i in range(start, start + half):
                a, b = values[i], values[i + half]
                values[i], values[i + half] = a + b, a - b
        half *= 2
    return values


def _normalized(values: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else [0.0] * len(values)


def project(vector: Sequence[float], dimensions: int) -> list[float]:
    """The unit vector of `dimensions` entries standing for `vector`."""
    source = len(vector)
    if source == dimensions:
        return _normalized(vector)
    if dimensions > source:
        plan = _widen(source, dimensions)
        out = [0.0] * dimensions
        for i, value in enumerate(vector):
            out[plan.order[i]] = value * plan.signs[i]
        for u in plan.reflections:
            dot = 2.0 * sum(a * b for a, b in zip(u, out, strict=True))
            out = [a - dot * b for a, b in zip(out, u, strict=True)]
        return _normalized(out)
    narrow = _narrow(source, dimensions)
    padded = [value * sign for value, sign in zip(vector, narrow.signs, strict=True)]
    padded += [0.0] * (narrow.size - source)
    mixed = _hadamard(padded)
    return _normalized([mixed[i] for i in narrow.picks])
