"""Benchmark: identity matching (名寄せ) on the labelled identity set, per category and overall.

    python benchmarks/identity.py [--json] [--cases tests/data/identity_cases.toml] [--show-misses]

Runs every case of the labelled set (tests/data/identity_cases.toml) through the evidence-based engine
exactly as the handoff planner does: the case's Salesforce world is written to a throwaway SQLite
state store through the identity mirror, candidates come from the index lookups, the engine decides.
It measures outcomes, not time. Per category and overall:

- cases
- wrong_merges: links to a record of another person (a `different` case linked at all is one); target 0
- auto_recall: `auto` cases linked to the right record; target >= 0.95
- review_recall: `review` cases sent to review (neither linked nor created) with the right record
  among the proposed ones; target >= 0.90
- create_recall: `different` cases created
- precision: of all links made, the fraction to the same person
A rate is null where the category has no case of its kind. Cases marked `unsolved` in the set count
like any other.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests/ holds the set
from connector.state import open_store
from tests.matching.identity_set import CASES, failures, load_cases, run_cases, score

COLUMNS = ("cases", "wrong_merges", "auto_recall", "review_recall", "create_recall", "precision")


def benchmark(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The scores of the set at ``path``, and one line per case whose outcome is not its label's."""
    with tempfile.TemporaryDirectory(prefix="revloop-identity-") as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'state.db'}")
        try:
            results = run_cases(engine, load_cases(path))
        finally:
            engine.dispose()
    misses = [
        f"{r.case.id} [{r.case.category}] {r.case.label} -> {r.decision.kind.value}"
        + (" (unsolved)" if r.case.unsolved else "")
        + f": {r.decision.explanation}"
        for r in failures(results)
    ]
    return score(results), misses


def table(scores: dict[str, Any]) -> str:
    rows = [("category", *COLUMNS)]
    for name, values in [*scores["categories"].items(), ("overall", scores["overall"])]:
        rows.append((name, *(_cell(values[column]) for column in COLUMNS)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cases", type=Path, default=CASES, help="the labelled set (TOML)")
    parser.add_argument("--show-misses", action="store_true", help="list the cases whose outcome is wrong")
    args = parser.parse_args()
    scores, misses = benchmark(args.cases)
    if args.json:
        print(json.dumps({**scores, "misses": misses} if args.show_misses else scores, ensure_ascii=False))
        return
    print(table(scores))
    if args.show_misses:
        print("\n".join(["", *misses]))


if __name__ == "__main__":
    main()
