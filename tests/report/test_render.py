"""Renderings of plain data: counters in the order the caller gives, then the rest alphabetically."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.table import Table

from connector.queries.runs import RunOutcome
from connector.queries.status import FlowStatus
from connector.report.render import outcome_table, runs_table, status_table


def text(table: Table) -> str:
    console = Console(width=300, record=True, highlight=False)
    console.print(table)
    return console.export_text()


def test_counters_follow_the_given_order_then_the_rest_alphabetically() -> None:
    outcome = RunOutcome(
        "handoff",
        "ok",
        {"zeta": 1, "created": 2, "alpha": 3, "read": 4, "skipped": 0},
        {"salesforce": {"query": 2, "describe": 1}, "hubspot": {"search": 1}},
    )

    rendered = text(outcome_table([outcome], ("read", "created")))

    assert "read 4, created 2, alpha 3, zeta 1 " in rendered  # zero counters are left out
    assert "hubspot 1, salesforce 3" in rendered
    assert "alpha 3, created 2, read 4, zeta 1" in text(outcome_table([outcome], ()))


def test_a_run_row_without_counts_or_calls() -> None:
    started = datetime(2026, 11, 25, 10, 0, 0)
    row = {
        "id": 7,
        "flow": "handoff",
        "status": "crashed",
        "started_at": started,
        "finished_at": None,
        "counts": {},
        "api_calls": None,
        "message": None,
    }

    line = next(line for line in text(runs_table([row], ("read",))).splitlines() if "crashed" in line)

    cells = [cell.strip() for cell in line.split("│")[1:-1]]
    assert cells == ["7", "handoff", "crashed", "2026-11-25 10:00:00", "-", "-", "-", ""]


def test_status_shows_why_a_flow_is_paused() -> None:
    last = {"status": "ok", "started_at": datetime(2026, 11, 25, 10, 5)}
    paused = FlowStatus("handoff", "hubspot", "salesforce", "every 5m", True, "drift", {"write": 2}, 1, last)
    idle = FlowStatus("feedback", "salesforce", "hubspot", "every 5m", False, None, {}, 0, None)

    rendered = text(status_table([paused, idle]))

    assert "paused: drift" in rendered and "write 2" in rendered and "ok at 2026-11-25 10:05" in rendered
    assert "disabled" in rendered and "never" in rendered
