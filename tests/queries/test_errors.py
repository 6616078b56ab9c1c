"""Sync errors for admins: list and filter, show, summary, and retry or ignore of a selection.

Retry and ignore act on the record waiting in the outbox under the error's own stage.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.queries import errors
from connector.queries.errors import ErrorGroup
from connector.state import outbox, sync_errors
from connector.state.sync_errors import ErrorReport
from connector.state.tables import outbox as outbox_table
from connector.state.tables import sync_errors as table


def _fail(engine, flow: str, stage: str, key: str, category: str = "record_reject") -> int:
    """An error row as a flow records it, with the record waiting in the outbox under ``stage``."""
    report = ErrorReport(flow, stage, key, "hubspot", "contacts", category, "CODE", f"{key} failed")
    with engine.begin() as connection:
        outbox.enqueue(connection, flow, stage, [(key, {"id": key}, f"hash-{key}")])
        sync_errors.record(connection, report, run_id=None)
        key_of_row = (table.c.flow == flow, table.c.stage == stage, table.c.record_key == key)
        return connection.execute(select(table.c.id).where(*key_of_row)).scalar_one()


def _waiting(engine) -> dict[tuple[str, str, str], str]:
    """Outbox state per (flow, stage, record key)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(outbox_table.c.flow, outbox_table.c.stage, outbox_table.c.record_key, outbox_table.c.state)
        )
        return {(flow, stage, key): state for flow, stage, key, state in rows}


def _statuses(engine) -> dict[str, str]:
    return {row["record_key"]: row["status"] for row in errors.list_errors(engine, include_closed=True)}


def test_list_filters_by_flow_category_and_status(engine) -> None:
    rejected = _fail(engine, "handoff", "write", "1")
    ambiguous = _fail(engine, "handoff", "write", "2", category="ambiguous_match")
    other = _fail(engine, "marketo_handoff", "writeback", "3")
    with engine.begin() as connection:
        sync_errors.resolve(connection, "handoff", "write", ["1"])

    assert [row["id"] for row in errors.list_errors(engine)] == [other, ambiguous]
    everything = errors.list_errors(engine, include_closed=True)  # resolving it made "1" the latest seen
    assert [row["id"] for row in everything] == [rejected, other, ambiguous]
    assert [row["id"] for row in errors.list_errors(engine, flow="handoff")] == [ambiguous]
    assert [row["id"] for row in errors.list_errors(engine, category="record_reject")] == [other]
    assert [row["id"] for row in errors.list_errors(engine, limit=1)] == [other]


def test_get_error_whatever_its_status(engine) -> None:
    error_id = _fail(engine, "handoff", "write", "1")
    with engine.begin() as connection:
        sync_errors.resolve(connection, "handoff", "write", ["1"])

    row = errors.get_error(engine, error_id)

    assert row is not None
    assert (row["record_key"], row["status"], row["message"]) == ("1", "resolved", "1 failed")
    assert errors.get_error(engine, error_id + 1000) is None


def test_summary_groups_open_errors_largest_first(engine) -> None:
    for key in ("1", "2", "3"):
        _fail(engine, "handoff", "write", key)
    _fail(engine, "handoff", "task", "1")
    _fail(engine, "marketo_handoff", "write", "9", category="mapping")
    with engine.begin() as connection:
        sync_errors.resolve(connection, "handoff", "write", ["3"])

    groups = errors.summary(engine)

    assert groups[0] == ErrorGroup("handoff", "write", "record_reject", 2)
    assert sorted(groups[1:]) == [
        ErrorGroup("handoff", "task", "record_reject", 1),
        ErrorGroup("marketo_handoff", "write", "mapping", 1),
    ]
    assert errors.summary(engine, "marketo_handoff") == [ErrorGroup("marketo_handoff", "write", "mapping", 1)]
    assert errors.open_counts(engine) == {"handoff": 3, "marketo_handoff": 1}


@pytest.mark.parametrize("stage", ["write", "writeback", "task"])
def test_ignore_parks_the_record_of_the_errors_stage_and_retry_makes_it_due(engine, stage) -> None:
    error_id = _fail(engine, "handoff", stage, "1")
    _fail(engine, "handoff", "write" if stage != "write" else "writeback", "1")  # same record, other stage

    ignored = errors.apply(engine, errors.preview(engine, errors.IGNORE, [error_id]))

    assert [(row["id"], row["status"]) for row in ignored] == [(error_id, "ignored")]
    assert ignored[0]["next_attempt_at"] is None
    waiting = _waiting(engine)
    assert waiting.pop(("handoff", stage, "1")) == outbox.PARKED
    assert set(waiting.values()) == {"pending"}  # the other stage's row is untouched

    retried = errors.apply(engine, errors.preview(engine, errors.RETRY, [error_id]))

    assert [(row["id"], row["status"]) for row in retried] == [(error_id, "retrying")]
    assert retried[0]["next_attempt_at"] is not None
    assert _waiting(engine)[("handoff", stage, "1")] == "pending"
    with engine.connect() as connection:
        assert outbox.due_count(connection, "handoff", stage) == 1


def test_an_error_without_a_waiting_record_changes_only_its_row(engine) -> None:
    report = ErrorReport("handoff", "qualify", "7", "hubspot", "contacts", "mapping", "RULE", "undecidable")
    with engine.begin() as connection:
        sync_errors.record(connection, report, run_id=None)
    error_id = errors.list_errors(engine)[0]["id"]

    retried = errors.apply(engine, errors.preview(engine, errors.RETRY, [error_id]))
    assert [row["status"] for row in retried] == ["retrying"]
    assert _waiting(engine) == {}


def test_a_flow_selects_its_open_errors_only(engine) -> None:
    _fail(engine, "handoff", "write", "1")
    _fail(engine, "handoff", "write", "2")
    _fail(engine, "handoff", "write", "3")
    _fail(engine, "marketo_handoff", "write", "9")
    with engine.begin() as connection:
        sync_errors.resolve(connection, "handoff", "write", ["3"])

    ignored = errors.apply(engine, errors.preview(engine, errors.IGNORE, flow="handoff"))

    assert sorted(row["record_key"] for row in ignored) == ["1", "2"]
    assert _statuses(engine) == {"1": "ignored", "2": "ignored", "3": "resolved", "9": "open"}
    assert _waiting(engine)[("marketo_handoff", "write", "9")] == "pending"


def test_ids_win_over_a_flow_and_a_selection_needs_one_of_them(engine) -> None:
    first = _fail(engine, "handoff", "write", "1")
    _fail(engine, "handoff", "write", "2")

    with engine.connect() as connection:
        assert errors.select(connection, errors.IGNORE, [first], "handoff").ids == [first]
        assert sorted(errors.select(connection, errors.IGNORE, [], "handoff").ids) == sorted(
            row["id"] for row in errors.list_errors(engine)
        )
        with pytest.raises(ValueError, match="by id or by flow"):
            errors.select(connection, errors.IGNORE, [], None)


@pytest.mark.parametrize("action", [errors.RETRY, errors.IGNORE])
def test_a_flow_without_open_errors_selects_nothing_and_changes_nothing(engine, action) -> None:
    def change(engine, flow):
        return errors.apply(engine, errors.preview(engine, action, flow=flow))

    _fail(engine, "handoff", "write", "1")
    _fail(engine, "handoff", "write", "2")
    errors.apply(engine, errors.preview(engine, errors.IGNORE, flow="handoff"))
    before = (_statuses(engine), _waiting(engine))

    assert change(engine, flow="marketo_handoff") == []
    assert change(engine, flow="handoff") == []  # every error of the flow is ignored: none is open
    assert (_statuses(engine), _waiting(engine)) == before


def test_an_error_resolved_after_it_was_selected_is_left_alone(engine) -> None:
    _fail(engine, "handoff", "write", "1")
    _fail(engine, "handoff", "write", "2")
    selection = errors.preview(engine, errors.IGNORE, flow="handoff")
    with engine.begin() as connection:
        sync_errors.resolve(connection, "handoff", "write", ["2"])

    changed = errors.apply(engine, selection)

    assert [row["record_key"] for row in changed] == ["1"]
    assert _statuses(engine) == {"1": "ignored", "2": "resolved"}
    assert _waiting(engine) == {
        ("handoff", "write", "1"): outbox.PARKED,
        ("handoff", "write", "2"): "pending",
    }


def test_ids_name_errors_in_any_status_and_the_action_says_which_it_changes(engine) -> None:
    first = _fail(engine, "handoff", "write", "1")
    second = _fail(engine, "handoff", "write", "2")
    errors.apply(engine, errors.preview(engine, errors.IGNORE, [second]))

    ignore = errors.preview(engine, errors.IGNORE, [first, second, 999_999])
    retry = errors.preview(engine, errors.RETRY, [first, second])

    assert (ignore.ids, [row["id"] for row in ignore.unchanged], ignore.missing) == (
        [first],
        [second],
        [999_999],
    )
    assert (retry.ids, retry.unchanged, retry.missing) == ([first, second], [], [])
