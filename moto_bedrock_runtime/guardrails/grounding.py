"""Contextual grounding and relevance scores, from the words the texts share.

A text's terms are the stems of its content words and its numbers (stop words left out, see
text.Analysis.stems), so "revenue grew 12%" and "revenue grew 15%" differ by a term.

* GROUNDING = the share of the answer's distinct terms found in the grounding source: 1.0 when
  every term of the answer is supported, 0.0 when none is (or when there is no source).
* RELEVANCE = the share of the query's distinct terms found in the answer: how much of what
  was asked the answer talks about (0.0 when there is no query).

An answer with no terms scores 1.0 on both: there is nothing in it to be unsupported or off
topic. Scores are rounded to two decimals; a filter detects when the score is below its
threshold.
"""

from __future__ import annotations

from collections.abc import Iterable

from .text import Analysis

GROUNDING, RELEVANCE = "GROUNDING", "RELEVANCE"


def terms(analyses: Iterable[Analysis]) -> set[str]:
    found: set[str] = set()
    for analysis in analyses:
        found.update(stem for stem in analysis.stems if stem is not None)
    return found


def _share(part: set[str], whole: set[str]) -> float:
    return round(len(part & whole) / len(part), 2) if part else 1.0


def score(kind: str, answer: set[str], source: set[str], query: set[str]) -> float:
    """The score of one filter type for an answer, its grounding source and its query."""
    if not answer:
        return 1.0
    if kind == GROUNDING:
        return _share(answer, source)
    return _share(query, answer) if query else 0.0
