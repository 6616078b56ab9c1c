"""Terminal renderings (rich tables) of runs, sync errors and flow status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.table import Table

from connector.flows.runner import RunOutcome

COUNT_ORDER = ("read", "qualified", "created", "updated", "linked", "unchanged", "written_back", "failed")


def _counts_text(counts: Mapping[str, int]) -> str:
    ordered = [key for key in COUNT_ORDER if counts.get(key)]
    ordered += sorted(key for key in counts if key not in COUNT_ORDER and counts[key])
    return ", ".join(f"{key} {counts[key]}" for key in ordered) or "-"


def _calls_text(api_calls: Mapping[str, Mapping[str, int]]) -> str:
    return ", ".join(f"{system} {sum(calls.values())}" for system, calls in sorted(api_calls.items())) or "-"


def outcome_table(outcomes: Iterable[RunOutcome]) -> Table:
    table = Table(title="runs", title_justify="left")
    for column in ("flow", "status", "records", "API calls"):
        table.add_column(column)
    for outcome in outcomes:
        table.add_row(
            outcome.flow, outcome.status, _counts_text(outcome.counts), _calls_text(outcome.api_calls)
        )
    return table


def runs_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="recent runs", title_justify="left")
    for column in ("id", "flow", "status", "started (UTC)", "seconds", "records", "API calls", "message"):
        table.add_column(column, overflow="fold")
    for row in rows:
        seconds = (
            f"{(row['finished_at'] - row['started_at']).total_seconds():.1f}"
            if row["finished_at"]
            else ("running" if row["status"] == "running" else "-")  # a crashed run never finished
        )
        table.add_row(
            str(row["id"]),
            row["flow"],
            row["status"],
            row["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
            seconds,
            _counts_text(row["counts"] or {}),
            _calls_text(row["api_calls"] or {}),
            row["message"] or "",
        )
    return table


def errors_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="sync errors", title_justify="left")
    for column in (
        "id",
        "flow",
        "stage",
        "record",
        "category",
        "code",
        "message",
        "tries",
        "last seen",
        "status",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["flow"],
            row["stage"],
            f"{row['system']} {row['object']} {row['record_key']}",
            row["category"],
            row["code"],
            row["message"],
            str(row["attempts"]),
            row["last_seen"].strftime("%Y-%m-%d %H:%M"),
            row["status"],
        )
    return table


def summary_table(rows: Sequence[tuple[str, str, str, int]]) -> Table:
    table = Table(title="open sync errors by kind", title_justify="left")
    for column in ("flow", "stage", "category", "records"):
        table.add_column(column)
    for flow, stage, category, count in rows:
        table.add_row(flow, stage, category, str(count))
    return table
