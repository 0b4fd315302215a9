"""Text analysis every detector shares, done once per text block in linear time.

A text is cut into tokens: runs of word characters (``\\w+``), single punctuation characters
and line breaks; whitespace only separates. Tokens are compared case-insensitively (casefolded,
with the typographic apostrophe read as ``'``), so a phrase matches "on word boundaries" by
construction: ``class`` is one token and never matches inside ``classic``.

Phrase lists (custom words, the profanity list, content lexicons, prompt-attack patterns) are
compiled into a token trie (`PhraseIndex`); finding every phrase in a text walks the trie from
each token, so the cost is the number of tokens times the longest phrase, never worse.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any, Generic, TypeVar

L = TypeVar("L")

_TOKEN = re.compile(r"\w+|[^\w\s]|\n")
_SLOT = re.compile(r"\{(\w+)\}")
_SENTENCE_ENDS = frozenset({".", "!", "?", "\n"})
_END = ""  # the trie key marking a phrase's end (no token is empty)


@functools.cache
def data(name: str) -> Any:
    """One of the packaged data files (moto_bedrock_runtime/data/guardrails_<name>.json)."""
    path = resources.files("moto_bedrock_runtime.data").joinpath(f"guardrails_{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def fold(token: str) -> str:
    return "'" if token == "\u2019" else token.casefold()


def tokenize(text: str) -> list[str]:
    """The folded tokens of a phrase, as `Analysis` cuts texts."""
    return [fold(token) for token in _TOKEN.findall(text) if token != "\n"]


def expand(phrase: str, slots: dict[str, list[str]]) -> Iterator[str]:
    """Every phrase a lexicon template stands for: each `{slot}` replaced by each of its values
    (an empty value drops the word)."""
    parts = _SLOT.split(phrase)
    choices = [
        slots[part] if index % 2 else [part]
        for index, part in enumerate(parts)
        if part or index % 2
    ]
    for combination in itertools.product(*choices):
        yield " ".join("".join(combination).split())


class Analysis:
    """One text's tokens (folded) and sentence numbers; character offsets and stems are worked
    out only if something asks for them."""

    def __init__(self, text: str) -> None:
        self.text = text
        raw = _TOKEN.findall(text)
        # the sentence of each token: how many sentence ends come before it (one extra value)
        before = itertools.accumulate((token in _SENTENCE_ENDS for token in raw), initial=0)
        kept = [(t, sentence) for t, sentence in zip(raw, before, strict=False) if t != "\n"]
        self.tokens = ["'" if token == "\u2019" else token.casefold() for token, _ in kept]
        self.sentences = [sentence for _, sentence in kept]
        self._spans: tuple[list[int], list[int]] | None = None
        self._stems: list[str | None] | None = None

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character offsets of tokens first..last (inclusive)."""
        if self._spans is None:
            matches = [m for m in _TOKEN.finditer(self.text) if m.group() != "\n"]
            self._spans = [m.start() for m in matches], [m.end() for m in matches]
        return self._spans[0][first], self._spans[1][last]

    @property
    def stems(self) -> list[str | None]:
        """Each token's stem when it is a content word (see content_words), else None."""
        if self._stems is None:
            stops = stopwords()
            self._stems = [
                stem(token) if token[0].isalnum() and token not in stops else None
                for token in self.tokens
            ]
        return self._stems


@dataclass(frozen=True)
class PhraseMatch(Generic[L]):
    start: int
    end: int
    label: L


class PhraseIndex(Generic[L]):
    """Phrases (token sequences) with a label each, found in a text in one pass."""

    def __init__(self, phrases: Iterable[tuple[str, L]]) -> None:
        self._root: dict[str, Any] = {}
        for phrase, label in phrases:
            tokens = tokenize(phrase)
            if not tokens:
                continue
            node = self._root
            for token in tokens:
                node = node.setdefault(token, {})
            node.setdefault(_END, []).append(label)

    def find(self, analysis: Analysis) -> Iterator[PhraseMatch[L]]:
        """Every occurrence of every phrase, overlapping ones included, in text order."""
        tokens, root = analysis.tokens, self._root
        count = len(tokens)
        for first in range(count):
            node = root.get(tokens[first])
            last = first
            while node is not None:
                for label in node.get(_END, ()):
                    start, end = analysis.span(first, last)
                    yield PhraseMatch(start, end, label)
                last += 1
                node = node.get(tokens[last]) if last < count else None


def outermost(matches: Iterable[PhraseMatch[L]]) -> list[PhraseMatch[L]]:
    """Matches that do not overlap, the earliest (then the longest) winning: "what the fuck"
    is one match, not also "fuck"."""
    kept: list[PhraseMatch[L]] = []
    for match in sorted(matches, key=lambda m: (m.start, m.start - m.end)):
        if not kept or match.start >= kept[-1].end:
            kept.append(match)
    return kept


# Words: stop words, stems


@functools.cache
def _language() -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    raw = data("language")
    return frozenset(raw["stopwords"]), frozenset(raw["generic"]), tuple(raw["suffixes"])


def stopwords() -> frozenset[str]:
    return _language()[0]


def generic_words() -> frozenset[str]:
    return _language()[1]


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A folded word without its first listed suffix, when at least three letters remain, so
    `investing`, `investment` and `invests` all read `invest`."""
    for suffix in _language()[2]:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def content_words(tokens: Iterable[str]) -> Iterator[str]:
    """The stems of the tokens that carry meaning: words and numbers, stop words left out."""
    stops = stopwords()
    for token in tokens:
        if token[0].isalnum() and token not in stops:
            yield stem(token)
