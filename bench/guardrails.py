"""ApplyGuardrail's cost against text length (`python -m bench --only guardrails`).

One guardrail with every policy at its most expensive (30 denied topics, all six content
filters, 1,000 custom words and the profanity list, all 31 PII types anonymized, a regex) is
applied in-process to texts of 1 KB to 100 KB: realistic prose with names, e-mail addresses,
phone and card numbers, addresses and the odd denied word. For each size it reports the whole
boto3 call and the engine alone (`guardrails.evaluate`), and the engine's cost per KB, which
must stay flat as the text grows: scanning is linear, no regex backtracks catastrophically.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

SIZES_KB = (1, 2, 5, 10, 20, 50, 100)
FLAT_ENOUGH = 1.5  # largest per-KB cost at most this many times the 10 KB one
SENTENCES = (
    "Dear John Smith, thank you for the quarterly report you sent last week.",
    "Please call me at (202) 555-0143 or write to jane.doe@example.com before Friday.",
    "The meeting moved to 123 Main Street, Springfield, IL 62701 on the second floor.",
    "Revenue grew 12% year over year, driven by strong demand in the northern region.",
    "The card 4111 1111 1111 1111 expires 09/27, so billing will continue as usual.",
    "Maria thinks the new onboarding flow is clearer than the old one.",
    "Our server at 192.168.0.1 restarted twice overnight after the patch.",
    "We should not recommend any particular stocks to customers in the newsletter.",
    "Claim CLM-2608 was approved and the payment is on its way to the account.",
    "Nothing in this paragraph needs any filtering at all, which is the common case.",
)


def _policies() -> dict[str, Any]:
    from moto_bedrock_runtime.guardrails.content import CATEGORIES
    from moto_bedrock_runtime.guardrails.pii import PII_TYPES

    topic = {
        "definition": "Recommendations about buying or selling stocks, bonds or funds.",
        "examples": ["Which stocks should I buy?", "Is this fund a good investment?"],
        "type": "DENY",
    }
    return {
        "topicPolicyConfig": {
            "topicsConfig": [{"name": f"Investment advice {i}", **topic} for i in range(30)]
        },
        "contentPolicyConfig": {
            "filtersConfig": [
                {
                    "type": kind,
                    "inputStrength": "HIGH",
                    "outputStrength": "NONE" if kind == "PROMPT_ATTACK" else "HIGH",
                    "inputAction": "NONE",
                }
                for kind in CATEGORIES
            ]
        },
        "wordPolicyConfig": {
            "wordsConfig": [{"text": f"codename {i}", "inputAction": "NONE"} for i in range(1000)],
            "managedWordListsConfig": [{"type": "PROFANITY", "inputAction": "NONE"}],
        },
        "sensitiveInformationPolicyConfig": {
            "piiEntitiesConfig": [{"type": kind, "action": "ANONYMIZE"} for kind in PII_TYPES],
            "regexesConfig": [{"name": "claim", "pattern": "CLM-[0-9]{4}", "action": "ANONYMIZE"}],
        },
    }


def _text(kilobytes: int) -> str:
    size = kilobytes * 1024
    text = " ".join(itertools.islice(itertools.cycle(SENTENCES), size // 40 + 1))
    return text[:size]


# Texts built to make backtracking regexes or quadratic bookkeeping show: long runs of one
# kind of character, and thousands of overlapping candidates.
ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "one long number": lambda size: "1" * size,
    "digit groups": lambda size: ("1234 " * size)[:size],
    "dashed digits": lambda size: ("1-" * size)[:size],
    "dots and at signs": lambda size: ("a.b@c." * size)[:size],
    "hex and colons": lambda size: ("ab:" * size)[:size],
    "given names": lambda size: ("John " * size)[:size],
    "keywords, no values": lambda size: ("password is exp 12/ " * size)[:size],
    "one long word": lambda size: "a" * size,
}


def _latencies(call: Callable[[], Any], times: int) -> list[float]:
    latencies = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def run(n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Per size: the boto3 call's p50/p90/mean (ms), the engine's p50 (ms) and µs per KB."""
    import boto3
    from moto import mock_aws

    import moto_bedrock_runtime
    from moto_bedrock_runtime.guardrails import TextBlock, evaluate, resolve

    moto_bedrock_runtime.activate()
    results: dict[str, dict[str, float]] = {}
    with mock_aws():
        bedrock = boto3.client("bedrock", region_name="us-east-1")
        runtime = boto3.client("bedrock-runtime", region_name="us-east-1")
        created = bedrock.create_guardrail(
            name="bench",
            blockedInputMessaging="blocked",
            blockedOutputsMessaging="blocked",
            **_policies(),
        )
        guardrail = resolve("123456789012", "us-east-1", created["guardrailId"], "DRAFT")
        for kilobytes in SIZES_KB:
            text = _text(kilobytes)
            times = max(3, n // kilobytes // 10)

            def call(text: str = text) -> None:
                runtime.apply_guardrail(
                    guardrailIdentifier=created["guardrailId"],
                    guardrailVersion="DRAFT",
                    source="INPUT",
                    content=[{"text": {"text": text}}],
                )

            def engine(text: str = text) -> None:
                evaluate(guardrail, "INPUT", [TextBlock(text)])

            call()
            calls = [ms for _ in range(rounds) for ms in _latencies(call, times)]
            engine_ms = statistics.median(
                statistics.median(_latencies(engine, times)) for _ in range(rounds)
            )
            results[f"{kilobytes} KB"] = {
                "p50_ms": statistics.median(calls),
                "p90_ms": statistics.quantiles(calls, n=10)[-1],
                "mean_ms": statistics.fmean(calls),
                "engine_ms": engine_ms,
                "engine_us_per_kb": engine_ms * 1000 / kilobytes,
            }
        adversarial = {
            name: [_engine_us_per_kb(guardrail, make(kb * 1024), kb, rounds) for kb in (10, 100)]
            for name, make in ADVERSARIAL.items()
        }
    print(_growth(results), end="\n\n")
    print(_adversarial(adversarial), end="\n\n")
    return results


def _engine_us_per_kb(guardrail: Any, text: str, kilobytes: int, rounds: int) -> float:
    from moto_bedrock_runtime.guardrails import TextBlock, evaluate

    best = min(_latencies(lambda: evaluate(guardrail, "INPUT", [TextBlock(text)]), rounds))
    return best * 1000 / kilobytes


def _adversarial(rows: dict[str, list[float]]) -> str:
    lines = [
        "| adversarial text | engine µs/KB at 10 KB | at 100 KB | ratio |",
        "|---|---|---|---|",
    ]
    for name, (small, large) in rows.items():
        lines.append(f"| {name} | {small:.0f} | {large:.0f} | {large / small:.2f}x |")
    return "\n".join(lines)


def _growth(results: dict[str, dict[str, float]]) -> str:
    """The engine's cost per KB at each size, against the 10 KB one."""
    reference = results["10 KB"]["engine_us_per_kb"]
    lines = [
        "| text | ApplyGuardrail p50 ms | engine p50 ms | engine µs/KB | µs/KB vs 10 KB |",
        "|---|---|---|---|---|",
    ]
    for size, row in results.items():
        per_kb = row["engine_us_per_kb"]
        lines.append(
            f"| {size} | {row['p50_ms']:.2f} | {row['engine_ms']:.2f} | {per_kb:.0f} "
            f"| {per_kb / reference:.2f}x |"
        )
    worst = max(row["engine_us_per_kb"] for row in results.values() if row is not results["1 KB"])
    verdict = "linear" if worst <= FLAT_ENOUGH * reference else "NOT LINEAR"
    lines.append(f"\nengine cost per KB from 2 KB to 100 KB: {verdict}")
    return "\n".join(lines)
