"""Terminal renderings (rich tables) of plain data: run outcomes and rows, sync errors, review cases, flow
status.

Counters are listed in the order the caller gives (the flow kinds' ``counters``), then any others
alphabetically, so this module knows no flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.table import Table

from connector.queries.errors import ErrorGroup
from connector.queries.moves import Move
from connector.queries.runs import RunOutcome
from connector.queries.status import FlowStatus
from connector.queries.usage import DailyUsage


def _table(title: str, columns: Sequence[str], *, fold: bool = False) -> Table:
    """A table titled on the left; ``fold`` wraps long cells instead of cutting them."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold" if fold else "ellipsis")  # rich's default is ellipsis
    return table


def _counts_text(counts: Mapping[str, int], counter_order: Sequence[str]) -> str:
    ordered = [key for key in counter_order if counts.get(key)]
    ordered += sorted(key for key in counts if key not in counter_order and counts[key])
    return ", ".join(f"{key} {counts[key]}" for key in ordered) or "-"


def _calls_text(api_calls: Mapping[str, Mapping[str, int]]) -> str:
    return ", ".join(f"{system} {sum(calls.values())}" for system, calls in sorted(api_calls.items())) or "-"


def outcome_table(
    outcomes: Iterable[RunOutcome], counter_order: Sequence[str], *, title: str = "runs"
) -> Table:
    table = _table(title, ("flow", "status", "records", "API calls"))
    for outcome in outcomes:
        table.add_row(
            outcome.flow,
            outcome.status,
            _counts_text(outcome.counts, counter_order),
            _calls_text(outcome.api_calls),
        )
    return table


def endpoint_calls_table(outcomes: Iterable[RunOutcome]) -> Table:
    table = _table("API calls by endpoint", ("flow", "system", "endpoint", "calls"))
    for outcome in outcomes:
        for system, calls in sorted(outcome.api_calls.items()):
            for endpoint, count in sorted(calls.items()):
                table.add_row(outcome.flow, system, endpoint, str(count))
    return table


def runs_table(rows: Sequence[Mapping[str, Any]], counter_order: Sequence[str]) -> Table:
    columns = ("id", "flow", "status", "started (UTC)", "seconds", "records", "API calls", "message")
    table = _table("recent runs", columns, fold=True)
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
            _counts_text(row["counts"] or {}, counter_order),
            _calls_text(row["api_calls"] or {}),
            row["message"] or "",
        )
    return table


def errors_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    columns = (
        "id",
        "flow",
        "stage",
        "record",
        "category",
        "code",
        "message",
        "tries",
        "last seen (UTC)",
        "status",
    )
    table = _table("sync errors", columns, fold=True)
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


def summary_table(groups: Sequence[ErrorGroup]) -> Table:
    table = _table("open sync errors by kind", ("flow", "stage", "category", "records"))
    for group in groups:
        table.add_row(group.flow, group.stage, group.category, str(group.records))
    return table


def status_table(statuses: Sequence[FlowStatus]) -> Table:
    columns = (
        "flow", "source → target", "schedule", "state", "waiting", "open errors", "review", "last run (UTC)",
    )  # fmt: skip
    table = _table("flows", columns, fold=True)
    for status in statuses:
        last = status.last_run
        table.add_row(
            status.flow,
            f"{status.source} → {status.target}",
            status.schedule,
            f"paused: {status.paused}" if status.paused else status.state,
            ", ".join(f"{stage} {count}" for stage, count in sorted(status.waiting.items())) or "0",
            str(status.open_errors),
            str(status.open_reviews),
            f"{last['status']} at {last['started_at']:%Y-%m-%d %H:%M}" if last else "never",
        )
    return table


def review_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """Review cases, one a row: the source record, the records proposed, why, and the decision."""
    columns = ("id", "flow", "record", "code", "proposed", "status", "since (UTC)")
    table = _table("review cases", columns, fold=True)
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["flow"],
            f"{row['source_system']} {row['source_object']} {row['source_key']}",
            row["code"],
            ", ".join(f"{c['object']} {c['record_id']}" for c in row["candidates"]) or "-",
            _decision_text(row),
            row["created_at"].strftime("%Y-%m-%d %H:%M"),
        )
    return table


def review_case_table(row: Mapping[str, Any]) -> Table:
    """One case's proposed records and the evidence for each."""
    table = _table(f"review case {row['id']}: {_decision_text(row)}", ("record", "code", "why"), fold=True)
    for proposed in row["candidates"]:
        table.add_row(f"{proposed['object']} {proposed['record_id']}", proposed["code"], proposed["reason"])
    return table


def _decision_text(row: Mapping[str, Any]) -> str:
    """open; linked to Lead 00Q… by alice; created by revloop (not yet written: the next run does it)."""
    if row["status"] == "open":
        return "open"
    target = f" to {row['target_object']} {row['target_id']}" if row["target_id"] else ""
    pending = "" if row["applied_at"] else ", the next run writes it"
    return f"{row['status']}{target} by {row['decided_by']}{pending}"


def moves_table(moves: Iterable[Move]) -> Table:
    table = _table("what moved where", ("flow", "route", "how", "records"))
    for move in moves:
        route = f"{move.source} → {move.target} {move.target_object}"
        table.add_row(move.flow, route, move.how, str(move.people))
    return table


def usage_table(usage: Iterable[DailyUsage]) -> Table:
    table = _table("API calls per day (UTC)", ("system", "day", "calls"))
    for day in usage:
        table.add_row(day.system, day.day, str(day.calls))
    return table
