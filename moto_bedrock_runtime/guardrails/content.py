"""Content filters (HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, PROMPT_ATTACK) from the curated
lexicons of data/guardrails_content.json.

A category's confidence is the highest level (LOW, MEDIUM, HIGH) among its phrases found in the
guarded text, one level higher (at most HIGH) when three or more distinct phrases of the
category are found; NONE when none is. A filter acts when that confidence reaches what its
strength catches, as AWS documents strengths: HIGH catches LOW, MEDIUM and HIGH confidence,
MEDIUM catches MEDIUM and HIGH, LOW catches HIGH only, NONE catches nothing.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable

from .text import Analysis, PhraseIndex, data, expand

CATEGORIES = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "PROMPT_ATTACK")
LEVELS = ("NONE", "LOW", "MEDIUM", "HIGH")
ESCALATION = 3  # distinct phrases that raise a category's confidence one level


@functools.cache
def lexicon() -> PhraseIndex[tuple[str, int]]:
    """Every category's phrases, templates expanded, labelled (category, level rank)."""
    raw = data("content")
    slots = raw["slots"]
    entries = []
    for category, groups in raw["categories"].items():
        for group in groups:
            rank = LEVELS.index(group["level"])
            for template in group["phrases"]:
                entries.extend((phrase, (category, rank)) for phrase in expand(template, slots))
    return PhraseIndex(entries)


def confidences(analyses: Iterable[Analysis]) -> dict[str, str]:
    """Each category's confidence over all the texts (categories with no match are NONE)."""
    best: dict[str, int] = defaultdict(int)
    distinct: dict[str, set[str]] = defaultdict(set)
    index = lexicon()
    for analysis in analyses:
        for found in index.find(analysis):
            category, rank = found.label
            best[category] = max(best[category], rank)
            distinct[category].add(analysis.text[found.start : found.end].casefold())
    result = {}
    for category in CATEGORIES:
        rank = best[category]
        if rank and len(distinct[category]) >= ESCALATION:
            rank = min(rank + 1, len(LEVELS) - 1)
        result[category] = LEVELS[rank]
    return result


def caught(confidence: str, strength: str) -> bool:
    """Whether a filter of this strength acts on text of this confidence."""
    if strength == "NONE" or confidence == "NONE":
        return False
    return LEVELS.index(confidence) >= len(LEVELS) - LEVELS.index(strength)
