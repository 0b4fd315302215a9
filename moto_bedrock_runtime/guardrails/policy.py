"""A guardrail's policies: checked and completed as AWS reports them (GetGuardrail's
`topicPolicy`, `contentPolicy`, … with the defaults filled in), then compiled once per version
into the `Policy` the engine applies.

Defaults, as GetGuardrail reports them: every item's input and output actions are BLOCK (a PII
entity's or regex's default to its `action`) and both directions are enabled; content filters
guard TEXT in both directions; topic and content policies are in the CLASSIC tier.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationException
from .text import PhraseIndex
from .topics import TopicMatcher
from .words import custom_words

INPUT, OUTPUT = "INPUT", "OUTPUT"
SOURCES = (INPUT, OUTPUT)
MAX_THRESHOLD = 0.99

PROMPT_ATTACK_OUTPUT = "The outputStrength for PROMPT_ATTACK filter must be NONE."
STANDARD_NEEDS_PROFILE = (
    "The STANDARD tier requires cross-region inference to be configured for this guardrail."
)
DUPLICATE = "The {what} {value} appears more than once in {where}."
THRESHOLD_RANGE = "The threshold of the {type} filter must be between 0 and 0.99."
BAD_REGEX = "The pattern of the regex {name} is not a valid regular expression: {reason}."


@dataclass(frozen=True)
class Mode:
    """How one rule acts on one source: whether it runs, and its action when it detects."""

    enabled: bool
    action: str


Modes = dict[str, Mode]


@dataclass(frozen=True)
class Rule:
    """One configured item: its identity (topic or word text, filter, entity or regex name) and
    what it does on input and on output."""

    key: str
    modes: Modes


@dataclass(frozen=True)
class ContentRule(Rule):
    strengths: dict[str, str]
    modalities: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class RegexRule(Rule):
    pattern: str
    compiled: re.Pattern[str]


@dataclass(frozen=True)
class GroundingRule(Rule):
    threshold: float


@dataclass(frozen=True, eq=False)
class Policy:
    """Everything the engine applies for one guardrail version."""

    topics: tuple[Rule, ...] = ()
    topic_matcher: TopicMatcher | None = None
    content: tuple[ContentRule, ...] = ()
    words: tuple[Rule, ...] = ()
    word_index: PhraseIndex[int] | None = None
    managed_words: tuple[Rule, ...] = ()
    pii: tuple[Rule, ...] = ()
    regexes: tuple[RegexRule, ...] = ()
    grounding: tuple[GroundingRule, ...] = ()
    reasoning_policies: int = 0


@dataclass(frozen=True, eq=False)
class ResolvedGuardrail:
    """One version of a guardrail, as the runtime applies it."""

    guardrail_id: str
    arn: str
    version: str
    blocked_input_messaging: str
    blocked_outputs_messaging: str
    policy: Policy

    def blocked_messaging(self, source: str) -> str:
        return self.blocked_input_messaging if source == INPUT else self.blocked_outputs_messaging


# Request → stored configuration


def _directed(item: dict[str, Any], action: str = "BLOCK") -> dict[str, Any]:
    return {
        "inputAction": item.get("inputAction", action),
        "outputAction": item.get("outputAction", action),
        "inputEnabled": item.get("inputEnabled", True),
        "outputEnabled": item.get("outputEnabled", True),
    }


def _unique(items: list[dict[str, Any]], key: str, what: str, where: str) -> None:
    seen: set[str] = set()
    for item in items:
        value = item[key]
        if value in seen:
            raise ValidationException(DUPLICATE.format(what=what, value=value, where=where))
        seen.add(value)


def _tier(config: dict[str, Any], default: str | None = "CLASSIC") -> dict[str, Any]:
    tier = config.get("tierConfig", {}).get("tierName", default)
    return {"tier": {"tierName": tier}} if tier else {}


def _topics(config: dict[str, Any]) -> dict[str, Any]:
    items = config["topicsConfig"]
    _unique(items, "name", "topic name", "topicsConfig")
    topics = []
    for item in items:
        topic = {"name": item["name"], "definition": item["definition"]}
        if "examples" in item:
            topic["examples"] = item["examples"]
        topics.append({**topic, "type": item["type"], **_directed(item)})
    return {"topics": topics, **_tier(config)}


def _content(config: dict[str, Any]) -> dict[str, Any]:
    items = config["filtersConfig"]
    _unique(items, "type", "content filter type", "filtersConfig")
    filters = []
    for item in items:
        if item["type"] == "PROMPT_ATTACK" and item["outputStrength"] != "NONE":
            raise ValidationException(PROMPT_ATTACK_OUTPUT)
        filters.append(
            {
                "type": item["type"],
                "inputStrength": item["inputStrength"],
                "outputStrength": item["outputStrength"],
                "inputModalities": item.get("inputModalities", ["TEXT"]),
                "outputModalities": item.get("outputModalities", ["TEXT"]),
                **_directed(item),
            }
        )
    return {"filters": filters, **_tier(config)}


def _words(config: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    if "wordsConfig" in config:
        policy["words"] = [{"text": i["text"], **_directed(i)} for i in config["wordsConfig"]]
    if "managedWordListsConfig" in config:
        lists = config["managedWordListsConfig"]
        _unique(lists, "type", "managed word list type", "managedWordListsConfig")
        policy["managedWordLists"] = [{"type": i["type"], **_directed(i)} for i in lists]
    return policy


def _sensitive(config: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    if "piiEntitiesConfig" in config:
        items = config["piiEntitiesConfig"]
        _unique(items, "type", "PII entity type", "piiEntitiesConfig")
        policy["piiEntities"] = [
            {"type": i["type"], "action": i["action"], **_directed(i, i["action"])} for i in items
        ]
    if "regexesConfig" in config:
        items = config["regexesConfig"]
        _unique(items, "name", "regex name", "regexesConfig")
        regexes = []
        for item in items:
            _compile_regex(item["name"], item["pattern"])
            regex = {"name": item["name"]}
            if "description" in item:
                regex["description"] = item["description"]
            regex.update(pattern=item["pattern"], action=item["action"])
            regexes.append({**regex, **_directed(item, item["action"])})
        policy["regexes"] = regexes
    return policy


def _grounding(config: dict[str, Any]) -> dict[str, Any]:
    items = config["filtersConfig"]
    _unique(items, "type", "contextual grounding filter type", "filtersConfig")
    filters = []
    for item in items:
        if not 0 <= item["threshold"] <= MAX_THRESHOLD:
            raise ValidationException(THRESHOLD_RANGE.format(type=item["type"]))
        filters.append(
            {
                "type": item["type"],
                "threshold": item["threshold"],
                "action": item.get("action", "BLOCK"),
                "enabled": item.get("enabled", True),
            }
        )
    return {"filters": filters, **_tier(config, None)}


def _reasoning(config: dict[str, Any]) -> dict[str, Any]:
    return dict(config)


# request member: (GetGuardrail member, how to convert it)
_POLICIES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "topicPolicyConfig": ("topicPolicy", _topics),
    "contentPolicyConfig": ("contentPolicy", _content),
    "wordPolicyConfig": ("wordPolicy", _words),
    "sensitiveInformationPolicyConfig": ("sensitiveInformationPolicy", _sensitive),
    "contextualGroundingPolicyConfig": ("contextualGroundingPolicy", _grounding),
    "automatedReasoningPolicyConfig": ("automatedReasoningPolicy", _reasoning),
}


def configuration(params: dict[str, Any], cross_region: bool) -> dict[str, Any]:
    """The policies of a CreateGuardrail/UpdateGuardrail request as GetGuardrail reports them,
    after the checks botocore's model cannot express (raises ValidationException)."""
    policies = {}
    for request_member, (member, convert) in _POLICIES.items():
        if request_member in params:
            policies[member] = convert(params[request_member])
    tiers = [policy.get("tier", {}).get("tierName") for policy in policies.values()]
    if "STANDARD" in tiers and not cross_region:
        raise ValidationException(STANDARD_NEEDS_PROFILE)
    return policies


# Stored configuration → Policy


def _compile_regex(name: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValidationException(BAD_REGEX.format(name=name, reason=exc)) from exc


def _modes(item: dict[str, Any]) -> Modes:
    return {
        INPUT: Mode(item["inputEnabled"], item["inputAction"]),
        OUTPUT: Mode(item["outputEnabled"], item["outputAction"]),
    }


def compile_policy(policies: dict[str, Any]) -> Policy:
    """The engine's form of a stored configuration (regexes compiled, phrase indexes built)."""
    parts: dict[str, Any] = {}
    if "topicPolicy" in policies:
        topics = policies["topicPolicy"]["topics"]
        parts["topics"] = tuple(Rule(t["name"], _modes(t)) for t in topics)
        parts["topic_matcher"] = TopicMatcher(
            [(t["name"], t["definition"], t.get("examples", [])) for t in topics]
        )
    if "contentPolicy" in policies:
        parts["content"] = tuple(
            ContentRule(
                f["type"],
                _modes(f),
                strengths={INPUT: f["inputStrength"], OUTPUT: f["outputStrength"]},
                modalities={
                    INPUT: tuple(f["inputModalities"]),
                    OUTPUT: tuple(f["outputModalities"]),
                },
            )
            for f in policies["contentPolicy"]["filters"]
        )
    words = policies.get("wordPolicy", {})
    if "words" in words:
        parts["words"] = tuple(Rule(w["text"], _modes(w)) for w in words["words"])
        parts["word_index"] = custom_words([w["text"] for w in words["words"]])
    parts["managed_words"] = tuple(
        Rule(m["type"], _modes(m)) for m in words.get("managedWordLists", [])
    )
    sensitive = policies.get("sensitiveInformationPolicy", {})
    parts["pii"] = tuple(Rule(p["type"], _modes(p)) for p in sensitive.get("piiEntities", []))
    parts["regexes"] = tuple(
        RegexRule(r["name"], _modes(r), r["pattern"], _compile_regex(r["name"], r["pattern"]))
        for r in sensitive.get("regexes", [])
    )
    if "contextualGroundingPolicy" in policies:
        parts["grounding"] = tuple(
            GroundingRule(
                f["type"], {s: Mode(f["enabled"], f["action"]) for s in SOURCES}, f["threshold"]
            )
            for f in policies["contextualGroundingPolicy"]["filters"]
        )
    if "automatedReasoningPolicy" in policies:
        parts["reasoning_policies"] = len(policies["automatedReasoningPolicy"]["policies"])
    return Policy(**parts)
