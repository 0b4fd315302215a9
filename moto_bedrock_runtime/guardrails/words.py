"""Word filters: a guardrail's own words and phrases, and the managed PROFANITY list
(data/guardrails_profanity.json). Both match whole words, case-insensitively, anywhere in the
text (see text.py for what a word is)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from .text import PhraseIndex, data


@functools.cache
def profanity() -> PhraseIndex[str]:
    """The managed list, each phrase labelled with itself."""
    return PhraseIndex((word, word) for word in data("profanity")["words"])


def custom_words(texts: Sequence[str]) -> PhraseIndex[int]:
    """A guardrail's words, each labelled with its position in the configuration."""
    return PhraseIndex((text, index) for index, text in enumerate(texts))
