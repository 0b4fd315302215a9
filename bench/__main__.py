"""`make bench` (python -m bench): moto-bedrock against baselines measured in the same run.

Scenarios alternate between the candidate and its baselines in rounds, so machine drift hits
all alike. Server scenarios report client-side latency percentiles and each server process's
CPU time per request (from /proc), because on two cores the client competes with the server.
Results print as tables and are written to bench/results/latest.json.

Scenarios (all by default; pick with --only):
  in-process   @mock_aws Converse/ConverseStream vs stock moto's InvokeModel stub
  server       every operation at c=1 and c=8 vs MiniStack, the floor and stock moto_server
  startup      start-up to first answer, memory when ready and after 10,000 mixed calls
  families     InvokeModel per model family in-process, and each codec's own cost
  backend      backend mode vs the same requests sent straight to llm-katan
  guardrails   ApplyGuardrail's cost against text length (1 KB … 100 KB)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
Results = dict[str, dict[str, float]]
KEYS = (
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "mean_ms",
    "server_cpu_ms",
    "codec_us",
    "added_p50_ms",
    "added_p99_ms",
    "startup_s",
    "rss_ready_mb",
    "rss_after_2000_mb",
    "rss_after_10000_mb",
)


def _cells(row: dict[str, float], columns: list[str]) -> str:
    return " | ".join(f"{row[c]:.2f}" if c in row else "" for c in columns)


def table(title: str, results: Results, baseline: str | None) -> str:
    """A markdown table; with a baseline row, each row's p50 as a ratio of the baseline's."""
    columns = [key for key in KEYS if any(key in row for row in results.values())]
    ratio = baseline is not None and "p50_ms" in columns
    header = f"| {title} | " + " | ".join(columns) + (" | p50 vs baseline |" if ratio else " |")
    lines = [header, "|" + "---|" * (len(columns) + 1 + ratio)]
    for name, row in results.items():
        tail = f" {row['p50_ms'] / results[baseline]['p50_ms']:.2f}x |" if ratio else ""
        lines.append(f"| {name} | {_cells(row, columns)} |{tail}")
    return "\n".join(lines)


def server_table(results: Results) -> str:
    """One line per operation, concurrency and server, with ratios to MiniStack and the floor
    for latency and server CPU."""
    lines = [
        "| operation | server | p50_ms | p90_ms | server_cpu_ms | p50 vs MiniStack "
        "| CPU vs MiniStack | CPU vs floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in results.items():
        operation, target = name.split(": ", 1)
        mini = results.get(f"{operation}: MiniStack", {})
        floor = results.get(f"{operation}: floor", {})
        ratios = [
            f"{row['p50_ms'] / mini['p50_ms']:.2f}x" if mini else "",
            f"{row['server_cpu_ms'] / mini['server_cpu_ms']:.2f}x" if mini else "",
            f"{row['server_cpu_ms'] / floor['server_cpu_ms']:.1f}x" if floor else "",
        ]
        cells = f"{row['p50_ms']:.2f} | {row['p90_ms']:.2f} | {row['server_cpu_ms']:.2f}"
        lines.append(f"| {operation} | {target} | {cells} | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def _scenarios() -> list[tuple[str, str, Callable[[int, int], Results], str | None]]:
    from . import backend, guardrails, in_process, servers

    return [
        ("in-process", "in-process (@mock_aws)", in_process.in_process,
         "stock moto InvokeModel stub"),
        ("server", "servers", servers.run, None),
        ("startup", "start-up and memory", servers.startup_and_memory, None),
        ("families", "InvokeModel per family, in-process", in_process.families,
         "stock moto InvokeModel stub"),
        ("backend", "backend mode (llm-katan)", backend.run, "direct chat/completions, c=1"),
        ("guardrails", "ApplyGuardrail vs text length, in-process", guardrails.run, "1 KB"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-n", type=int, default=300, help="calls per round and scenario (300)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    scenarios = _scenarios()
    parser.add_argument(
        "--only",
        default=",".join(key for key, *_ in scenarios),
        help="comma-separated scenarios (default: all)",
    )
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "n": args.n,
        "rounds": args.rounds,
    }
    for key, title, run, baseline in scenarios:
        if key in chosen:
            report[key] = run(args.n, args.rounds)
            shown = (
                server_table(report[key])
                if key == "server"
                else table(title, report[key], baseline)
            )
            print(shown, end="\n\n", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"\nwritten to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
