"""The policy engine: one guardrail version applied to content blocks from one source.

Which text is guarded: a text block without qualifiers, or qualified `guard_content`. Blocks
qualified only `grounding_source` or `query` are context for the contextual grounding check and
are not evaluated by the other policies. Images are counted; content filters with the IMAGE
modality guard them, with confidence NONE (moto-bedrock does not classify images).

What each policy reports (the GuardrailAssessment of botocore's model): with outputScope
INTERVENTIONS, every detection (`detected: true`), whatever its action; with FULL, also every
configured filter, topic, PII type, regex and custom word that detected nothing
(`detected: false`, action NONE, an empty `match` for PII types and regexes). Words of the
managed PROFANITY list are reported only when found.

The result intervenes (GUARDRAIL_INTERVENED) when a detection's action blocks or anonymizes:
"Guardrail blocked." wins over "Guardrail masked."; otherwise the action is NONE ("No
action."), even when detect-only (action NONE) items were detected.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from ..errors import ValidationException
from . import content, grounding, pii, words
from .policy import OUTPUT, Policy, ResolvedGuardrail
from .text import Analysis, outermost

INTERVENTIONS, FULL = "INTERVENTIONS", "FULL"
GUARD_CONTENT, GROUNDING_SOURCE, QUERY = "guard_content", "grounding_source", "query"
NONE, INTERVENED = "NONE", "GUARDRAIL_INTERVENED"
BLOCKED_REASON, MASKED_REASON, NO_ACTION = "Guardrail blocked.", "Guardrail masked.", "No action."
CHARACTERS_PER_UNIT = 1000
# The most characters the contextual grounding check reads, by role.
GROUNDING_LIMITS = {GROUNDING_SOURCE: 100_000, QUERY: 1_000, GUARD_CONTENT: 5_000}
TOO_LONG = "The {role} exceeds the maximum length of {limit} characters for contextual grounding."
_ROLES = {GROUNDING_SOURCE: "grounding source", QUERY: "query", GUARD_CONTENT: "content to guard"}
_ACTIONS = {"BLOCK": "BLOCKED", "ANONYMIZE": "ANONYMIZED", "NONE": "NONE"}


@dataclass(frozen=True)
class TextBlock:
    """A text to evaluate, with ApplyGuardrail's qualifiers."""

    text: str
    qualifiers: tuple[str, ...] = ()

    @property
    def guarded(self) -> bool:
        return not self.qualifiers or GUARD_CONTENT in self.qualifiers


@dataclass(frozen=True)
class ImageBlock:
    """An image to evaluate (`format` png or jpeg)."""

    format: str
    data: bytes


Block = TextBlock | ImageBlock


@dataclass(frozen=True)
class Evaluation:
    """The outcome of applying a guardrail; `response()` is ApplyGuardrail's body.

    `texts` has one entry per block given: a text block's text with anonymized spans replaced
    (`{EMAIL}`, `{NAME}`, `{regexName}`), None for an image. `outputs` is what ApplyGuardrail
    returns: the blocked messaging when blocked, the guarded texts when only masked, nothing
    otherwise. `assessment` is one GuardrailAssessment (invocation metrics and applied
    guardrail details included), exactly as botocore models it.
    """

    action: str
    action_reason: str
    blocked: bool
    masked: bool
    texts: tuple[str | None, ...]
    outputs: tuple[str, ...]
    assessment: dict[str, Any]
    usage: dict[str, int]
    coverage: dict[str, Any]

    def response(self) -> dict[str, Any]:
        return {
            "usage": self.usage,
            "action": self.action,
            "actionReason": self.action_reason,
            "outputs": [{"text": text} for text in self.outputs],
            "assessments": [self.assessment],
            "guardrailCoverage": self.coverage,
        }


def _action(action: str, detected: bool) -> str:
    return _ACTIONS[action] if detected else "NONE"


@dataclass
class _Run:
    """One evaluation in progress: the blocks, their lazily built analyses, what intervened."""

    policy: Policy
    source: str
    full: bool
    blocks: Sequence[Block]
    guarded: list[int]
    analyses: dict[int, Analysis] = field(default_factory=dict)
    replacements: dict[int, list[tuple[int, int, str]]] = field(default_factory=dict)
    actions: set[str] = field(default_factory=set)

    def text(self, index: int) -> str:
        """The text of a text block (callers pass indexes of text blocks only)."""
        return cast(TextBlock, self.blocks[index]).text

    def analysis(self, index: int) -> Analysis:
        if index not in self.analyses:
            self.analyses[index] = Analysis(self.text(index))
        return self.analyses[index]

    def guarded_analyses(self) -> list[Analysis]:
        return [self.analysis(index) for index in self.guarded]

    def report(self, action: str, detected: bool) -> str:
        reported = _action(action, detected)
        self.actions.add(reported)
        return reported

    def keep(self, detected: bool) -> bool:
        return detected or self.full


def _topics(run: _Run) -> dict[str, Any] | None:
    rules = [(i, r) for i, r in enumerate(run.policy.topics) if r.modes[run.source].enabled]
    if not rules or run.policy.topic_matcher is None:
        return None
    matched = run.policy.topic_matcher.matched(run.guarded_analyses())
    topics = [
        {
            "name": rule.key,
            "type": "DENY",
            "action": run.report(rule.modes[run.source].action, i in matched),
            "detected": i in matched,
        }
        for i, rule in rules
        if run.keep(i in matched)
    ]
    return {"topics": topics} if topics else None


def _content_rules(run: _Run, images: int) -> list[Any]:
    source = run.source
    return [
        rule
        for rule in run.policy.content
        if rule.modes[source].enabled
        and rule.strengths[source] != "NONE"
        and ("TEXT" in rule.modalities[source] or ("IMAGE" in rule.modalities[source] and images))
    ]


def _content(run: _Run, images: int) -> dict[str, Any] | None:
    rules = _content_rules(run, images)
    if not rules:
        return None
    confidences = content.confidences(run.guarded_analyses())
    filters = []
    for rule in rules:
        strength = rule.strengths[run.source]
        confidence = confidences[rule.key] if "TEXT" in rule.modalities[run.source] else "NONE"
        detected = content.caught(confidence, strength)
        if run.keep(detected):
            filters.append(
                {
                    "type": rule.key,
                    "confidence": confidence,
                    "filterStrength": strength,
                    "action": run.report(rule.modes[run.source].action, detected),
                    "detected": detected,
                }
            )
    return {"filters": filters} if filters else None


def _words(run: _Run) -> dict[str, Any] | None:
    policy, source = run.policy, run.source
    custom: list[dict[str, Any]] = []
    managed: list[dict[str, Any]] = []
    found: set[int] = set()
    enabled = [rule for rule in policy.words if rule.modes[source].enabled]
    lists = [rule for rule in policy.managed_words if rule.modes[source].enabled]
    if not enabled and not lists:
        return None
    for index in run.guarded:
        analysis = run.analysis(index)
        if enabled and policy.word_index is not None:
            matches = policy.word_index.find(analysis)
            on = (m for m in matches if policy.words[m.label].modes[source].enabled)
            for match in outermost(on):
                found.add(match.label)
                action = policy.words[match.label].modes[source].action
                custom.append(
                    {
                        "match": analysis.text[match.start : match.end],
                        "action": run.report(action, True),
                        "detected": True,
                    }
                )
        for match in outermost(words.profanity().find(analysis)) if lists else ():
            managed.extend(
                {
                    "match": analysis.text[match.start : match.end],
                    "type": rule.key,
                    "action": run.report(rule.modes[source].action, True),
                    "detected": True,
                }
                for rule in lists
            )
    if run.full:
        custom.extend(
            {"match": rule.key, "action": "NONE", "detected": False}
            for position, rule in enumerate(policy.words)
            if rule.modes[source].enabled and position not in found
        )
    return {"customWords": custom, "managedWordLists": managed} if custom or managed else None


def _anonymize(run: _Run, index: int, start: int, end: int, label: str) -> None:
    run.replacements.setdefault(index, []).append((start, end, "{" + label + "}"))


def _sensitive(run: _Run) -> dict[str, Any] | None:
    source = run.source
    types = {rule.key: rule for rule in run.policy.pii if rule.modes[source].enabled}
    regexes = [rule for rule in run.policy.regexes if rule.modes[source].enabled]
    if not types and not regexes:
        return None
    entities: list[dict[str, Any]] = []
    matches: list[dict[str, Any]] = []
    seen_types: set[str] = set()
    seen_regexes: set[str] = set()
    for index in run.guarded:
        text = run.text(index)
        for entity in pii.find(text, types) if types else ():
            action = types[entity.type].modes[source].action
            seen_types.add(entity.type)
            entities.append(
                {
                    "match": entity.match,
                    "type": entity.type,
                    "action": run.report(action, True),
                    "detected": True,
                }
            )
            if action == "ANONYMIZE":
                _anonymize(run, index, entity.start, entity.end, entity.type)
        for rule in regexes:
            for found in rule.compiled.finditer(text):
                if found.end() == found.start():
                    continue
                action = rule.modes[source].action
                seen_regexes.add(rule.key)
                matches.append(
                    {
                        "name": rule.key,
                        "match": found.group(),
                        "regex": rule.pattern,
                        "action": run.report(action, True),
                        "detected": True,
                    }
                )
                if action == "ANONYMIZE":
                    _anonymize(run, index, found.start(), found.end(), rule.key)
    if run.full:
        entities.extend(
            {"match": "", "type": kind, "action": "NONE", "detected": False}
            for kind in types
            if kind not in seen_types
        )
        matches.extend(
            {"name": r.key, "match": "", "regex": r.pattern, "action": "NONE", "detected": False}
            for r in regexes
            if r.key not in seen_regexes
        )
    if not entities and not matches:
        return None
    return {"piiEntities": entities, "regexes": matches}


def _qualified(run: _Run, qualifier: str) -> list[int]:
    return [
        index
        for index, block in enumerate(run.blocks)
        if isinstance(block, TextBlock) and qualifier in block.qualifiers
    ]


def _grounding(run: _Run) -> tuple[dict[str, Any] | None, int]:
    """The contextual grounding assessment and the characters it processed (answers, sources
    and queries); it runs on model output only, within AWS's length limits."""
    rules = [rule for rule in run.policy.grounding if rule.modes[run.source].enabled]
    if run.source != OUTPUT or not rules:
        return None, 0
    sources, queries = _qualified(run, GROUNDING_SOURCE), _qualified(run, QUERY)
    for role, indexes in (
        (GROUNDING_SOURCE, sources),
        (QUERY, queries),
        (GUARD_CONTENT, run.guarded),
    ):
        if sum(len(run.text(index)) for index in indexes) > GROUNDING_LIMITS[role]:
            limit = GROUNDING_LIMITS[role]
            raise ValidationException(TOO_LONG.format(role=_ROLES[role], limit=limit))
    answer = grounding.terms(run.guarded_analyses())
    source = grounding.terms(run.analysis(index) for index in sources)
    query = grounding.terms(run.analysis(index) for index in queries)
    filters = []
    for rule in rules:
        score = grounding.score(rule.key, answer, source, query)
        detected = score < rule.threshold
        if run.keep(detected):
            filters.append(
                {
                    "type": rule.key,
                    "threshold": rule.threshold,
                    "score": score,
                    "action": run.report(rule.modes[run.source].action, detected),
                    "detected": detected,
                }
            )
    processed = {*run.guarded, *sources, *queries}
    characters = sum(len(run.text(index)) for index in processed)
    return ({"filters": filters} if filters else None), characters


def _units(characters: int) -> int:
    return math.ceil(characters / CHARACTERS_PER_UNIT)


def _usage(run: _Run, guarded_chars: int, grounding_chars: int, images: int) -> dict[str, int]:
    """Text units (1,000 characters or part of) of the guarded text, for each policy that ran on
    this source; regexes are the free sensitive-information units."""
    policy, source = run.policy, run.source
    units = _units(guarded_chars)

    def ran(rules: Sequence[Any], extra: Callable[[Any], bool] = lambda _: True) -> int:
        return units if any(r.modes[source].enabled and extra(r) for r in rules) else 0

    usage = {
        "topicPolicyUnits": ran(policy.topics),
        "contentPolicyUnits": ran(
            policy.content,
            lambda r: r.strengths[source] != "NONE" and "TEXT" in r.modalities[source],
        ),
        "wordPolicyUnits": ran([*policy.words, *policy.managed_words]),
        "sensitiveInformationPolicyUnits": ran(policy.pii),
        "sensitiveInformationPolicyFreeUnits": ran(policy.regexes),
        "contextualGroundingPolicyUnits": _units(grounding_chars),
        "contentPolicyImageUnits": images,
    }
    if policy.reasoning_policies:
        usage["automatedReasoningPolicyUnits"] = units
        usage["automatedReasoningPolicies"] = policy.reasoning_policies
    return usage


def _final_text(run: _Run, index: int) -> str | None:
    """A block's text as the guardrail leaves it (anonymized spans replaced); None for images."""
    block = run.blocks[index]
    if not isinstance(block, TextBlock):
        return None
    spans = run.replacements.get(index)
    return _replaced(block.text, spans) if spans else block.text


def _replaced(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The text with each span replaced; of overlapping spans the first (then longest) wins."""
    parts, position = [], 0
    for start, end, replacement in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if start < position:
            continue
        parts += [text[position:start], replacement]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def evaluate(
    guardrail: ResolvedGuardrail,
    source: str,
    blocks: Sequence[Block],
    output_scope: str = INTERVENTIONS,
    origin: str = "REQUEST",
) -> Evaluation:
    """Apply one guardrail version to content from `source` (INPUT or OUTPUT)."""
    started = time.perf_counter()
    guarded = [i for i, b in enumerate(blocks) if isinstance(b, TextBlock) and b.guarded]
    run = _Run(guardrail.policy, source, output_scope == FULL, blocks, guarded)
    images = [b for b in blocks if isinstance(b, ImageBlock)]
    guarded_images = len(images) if _images_guarded(run, len(images)) else 0
    assessment: dict[str, Any] = {}
    for key, policy in (
        ("topicPolicy", _topics(run)),
        ("contentPolicy", _content(run, len(images))),
        ("wordPolicy", _words(run)),
        ("sensitiveInformationPolicy", _sensitive(run)),
    ):
        if policy is not None:
            assessment[key] = policy
    grounded, grounding_chars = _grounding(run)
    if grounded is not None:
        assessment["contextualGroundingPolicy"] = grounded
    texts = tuple(_final_text(run, i) for i in range(len(blocks)))
    guarded_chars = sum(len(run.text(i)) for i in guarded)
    total_chars = sum(len(b.text) for b in blocks if isinstance(b, TextBlock))
    coverage: dict[str, Any] = {"textCharacters": {"guarded": guarded_chars, "total": total_chars}}
    if images:
        coverage["images"] = {"guarded": guarded_images, "total": len(images)}
    usage = _usage(run, guarded_chars, grounding_chars, guarded_images)
    blocked, masked = "BLOCKED" in run.actions, "ANONYMIZED" in run.actions
    if blocked:
        outputs: tuple[str, ...] = (guardrail.blocked_messaging(source),)
    elif masked:
        outputs = tuple(text for i, text in enumerate(texts) if i in guarded and text is not None)
    else:
        outputs = ()
    assessment["invocationMetrics"] = {
        "guardrailProcessingLatency": max(1, round((time.perf_counter() - started) * 1000)),
        "usage": usage,
        "guardrailCoverage": coverage,
    }
    assessment["appliedGuardrailDetails"] = {
        "guardrailId": guardrail.guardrail_id,
        "guardrailVersion": guardrail.version,
        "guardrailArn": guardrail.arn,
        "guardrailOrigin": [origin],
        "guardrailOwnership": "SELF",
    }
    return Evaluation(
        action=INTERVENED if blocked or masked else NONE,
        action_reason=BLOCKED_REASON if blocked else MASKED_REASON if masked else NO_ACTION,
        blocked=blocked,
        masked=masked,
        texts=texts,
        outputs=outputs,
        assessment=assessment,
        usage=usage,
        coverage=coverage,
    )


def _images_guarded(run: _Run, images: int) -> bool:
    source = run.source
    return bool(images) and any(
        r.modes[source].enabled
        and r.strengths[source] != "NONE"
        and "IMAGE" in r.modalities[source]
        for r in run.policy.content
    )
