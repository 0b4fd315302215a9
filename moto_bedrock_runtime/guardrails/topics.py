"""Denied topics: a deterministic matcher built from a topic's name, definition and examples.

The topic's vocabulary is the stems (text.stem) of the content words of its name (split on
spaces, `_`, `-` and camelCase), its examples and its definition, stop words and generic words
(data/guardrails_language.json: "advice", "information", "questions"…) left out. A stem from
the name weighs 2, one only from the examples or the definition weighs 1.

A text is on the topic when one of its sentences (split at `.`, `!`, `?` and line breaks)
either contains one of the topic's examples word for word (punctuation aside), or contains
distinct vocabulary stems weighing 2 or more, at least one of them from the name or the
examples: definition words alone never decide, so a definition's general wording does not
catch unrelated text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .text import Analysis, PhraseIndex, content_words, generic_words, tokenize

_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
NAME_WEIGHT, OTHER_WEIGHT, NEEDED = 2, 1, 2


def _vocabulary(text: str) -> set[str]:
    generic = generic_words()
    return {word for word in content_words(tokenize(text)) if word not in generic}


class TopicMatcher:
    """Several topics, matched against a text in one pass over its tokens."""

    def __init__(self, topics: Sequence[tuple[str, str, Sequence[str]]]) -> None:
        """`topics`: (name, definition, examples) of each topic, in configuration order."""
        self._stems: dict[str, list[tuple[int, int, bool]]] = {}
        examples = []
        for position, (name, definition, topic_examples) in enumerate(topics):
            named = _vocabulary(" ".join(_NAME_WORDS.findall(name)))
            shown: set[str] = set()
            for example in topic_examples:
                shown |= _vocabulary(example)
                words = " ".join(token for token in tokenize(example) if token[0].isalnum())
                examples.append((words, position))
            for stem in named | shown | _vocabulary(definition):
                weight = NAME_WEIGHT if stem in named else OTHER_WEIGHT
                entry = (position, weight, stem in named or stem in shown)
                self._stems.setdefault(stem, []).append(entry)
        self._examples = PhraseIndex(examples)

    def matched(self, analyses: Iterable[Analysis]) -> set[int]:
        """The positions of the topics the texts are on."""
        found: set[int] = set()
        for analysis in analyses:
            found |= {match.label for match in self._examples.find(analysis)}
            found |= self._by_vocabulary(analysis)
        return found

    def _by_vocabulary(self, analysis: Analysis) -> set[int]:
        found: set[int] = set()
        sentence = -1
        seen: set[str] = set()
        score: dict[int, int] = {}
        strong: set[int] = set()
        for stem, token_sentence in zip(analysis.stems, analysis.sentences, strict=True):
            if token_sentence != sentence:
                sentence, seen, score, strong = token_sentence, set(), {}, set()
            if stem is None or stem in seen or stem not in self._stems:
                continue
            seen.add(stem)
            for position, weight, is_strong in self._stems[stem]:
                score[position] = score.get(position, 0) + weight
                if is_strong:
                    strong.add(position)
                if score[position] >= NEEDED and position in strong:
                    found.add(position)
        return found
