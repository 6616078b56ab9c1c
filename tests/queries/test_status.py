"""Each configured flow's status: state and pause reason, records waiting per stage, open errors, last run."""

from __future__ import annotations

from connector.queries.status import FlowStatus, flow_statuses
from connector.state import outbox, runs, sync_errors
from connector.state.sync_errors import ErrorReport


def _queue(engine, flow: str, stage: str, keys: list[str]) -> None:
    with engine.begin() as connection:
        outbox.enqueue(connection, flow, stage, [(key, {"id": key}, f"hash-{key}") for key in keys])


def test_a_store_with_nothing_in_it(engine, config) -> None:
    statuses = flow_statuses(engine, config)

    assert [status.flow for status in statuses] == ["handoff", "marketo_handoff", "feedback"]  # config order
    assert statuses[0] == FlowStatus(
        flow="handoff",
        source="hubspot",
        target="salesforce",
        schedule="every 10m",
        enabled=True,
        paused=None,
        waiting={},
        open_errors=0,
        last_run=None,
    )
    assert [status.state for status in statuses] == ["enabled", "enabled", "disabled"]


def test_waiting_records_per_stage_leave_parked_ones_out(engine, config) -> None:
    _queue(engine, "handoff", "write", ["1", "2", "3"])
    _queue(engine, "handoff", "writeback", ["1"])
    _queue(engine, "marketo_handoff", "task", ["9"])
    with engine.begin() as connection:
        outbox.park(connection, "handoff", "write", ["3"])

    waiting = {status.flow: status.waiting for status in flow_statuses(engine, config)}

    assert waiting == {
        "handoff": {"write": 2, "writeback": 1},
        "marketo_handoff": {"task": 1},
        "feedback": {},
    }


def test_open_errors_and_last_run(engine, config) -> None:
    with engine.begin() as connection:
        for key in ("1", "2"):
            report = ErrorReport("handoff", "write", key, "hubspot", "contacts", "record_reject", "X", "no")
            sync_errors.record(connection, report, run_id=None)
        sync_errors.resolve(connection, "handoff", "write", ["2"])
    first = runs.start_run(engine, "handoff", "w1", owner="test")
    runs.finish_run(engine, first, status="ok", counts={}, api_calls={})
    latest = runs.start_run(engine, "handoff", "w2", owner="test")
    runs.finish_run(engine, latest, status="record_errors", counts={"failed": 1}, api_calls={})

    handoff, marketo, _ = flow_statuses(engine, config)

    assert handoff.open_errors == 1
    assert (handoff.last_run["id"], handoff.last_run["status"]) == (latest, "record_errors")
    assert (marketo.open_errors, marketo.last_run) == (0, None)


def test_a_paused_flow_says_why_even_when_disabled(engine, config) -> None:
    with engine.begin() as connection:
        runs.set_paused(connection, "handoff", "schema drift: Lead.Rating")
        runs.set_paused(connection, "feedback", "maintenance")
        runs.set_paused(connection, "marketo_handoff", "a while")
        runs.set_paused(connection, "marketo_handoff", None)  # resumed

    statuses = {status.flow: status for status in flow_statuses(engine, config)}

    assert (statuses["handoff"].state, statuses["handoff"].paused) == ("paused", "schema drift: Lead.Rating")
    assert (statuses["feedback"].state, statuses["feedback"].paused) == ("paused", "maintenance")
    assert (statuses["marketo_handoff"].state, statuses["marketo_handoff"].paused) == ("enabled", None)
