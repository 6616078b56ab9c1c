"""Admin commands that change what revloop does never act on more than they name, and say so first.

`errors retry`, `errors ignore` and `flows resume` on a typo'd name, an unknown id or an empty
selection change nothing; the destructive ones list what they will change and go on only with --yes
or a "y" at a terminal; --dry-run lists and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.cli import main as revloop_main
from connector.queries import errors
from connector.state import outbox, runs, sync_errors
from connector.state.sync_errors import ErrorReport
from connector.state.tables import outbox as outbox_table
from connector.state.tables import sync_errors as errors_table

FlowEnv = Any  # tests/flows/conftest.py's FlowEnv (conftest modules are not importable by name)


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


def fail(env: FlowEnv, flow: str, key: str, stage: str = "write") -> int:
    """An error row as a flow records it, its record waiting in the outbox; returns the error id."""
    report = ErrorReport(flow, stage, key, "hubspot", "contacts", "record_reject", "INVALID", f"{key} failed")
    with env.engine.begin() as connection:
        outbox.enqueue(connection, flow, stage, [(key, {"id": key}, f"hash-{key}")])
        sync_errors.record(connection, report, run_id=None)
        where = (errors_table.c.flow == flow, errors_table.c.record_key == key)
        return connection.execute(select(errors_table.c.id).where(*where)).scalar_one()


def snapshot(env: FlowEnv) -> dict[str, Any]:
    """Everything retry, ignore and resume could change."""
    with env.engine.connect() as connection:
        return {
            "errors": connection.execute(
                select(errors_table.c.id, errors_table.c.status, errors_table.c.next_attempt_at)
            ).all(),
            "outbox": connection.execute(
                select(outbox_table.c.record_key, outbox_table.c.state, outbox_table.c.next_attempt_at)
            ).all(),
            "paused": runs.pause_reason(connection, "handoff"),
        }


def consistent(env: FlowEnv) -> bool:
    """An ignored error's record is parked; an open one's is not."""
    with env.engine.connect() as connection:
        statuses = dict(connection.execute(select(errors_table.c.record_key, errors_table.c.status)).all())
        states = dict(connection.execute(select(outbox_table.c.record_key, outbox_table.c.state)).all())
    return all((status == "ignored") == (states[key] == outbox.PARKED) for key, status in statuses.items())


def at_terminal(env: FlowEnv, monkeypatch, answer: str, *args: str) -> CliResult:
    """``revloop ARGS`` as a person at a terminal who answers ``answer``."""
    monkeypatch.setattr("connector.cli.confirm.stdin_is_terminal", lambda: True)
    runner = CliRunner()
    with runner.isolation(input=answer, env={"COLUMNS": "200"}) as (stdout, stderr, _):
        try:
            revloop_main(["--config", str(env.config_path), *args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        return CliResult(code, stdout.getvalue().decode(), stderr.getvalue().decode())


@pytest.fixture
def world(sqlite_env: FlowEnv) -> FlowEnv:
    """Two open errors of the handoff; the Marketo handoff has none."""
    fail(sqlite_env, "handoff", "101")
    fail(sqlite_env, "handoff", "102")
    return sqlite_env


@pytest.mark.parametrize("action", ["retry", "ignore"])
def test_an_unknown_flow_is_a_usage_error_naming_the_configured_flows(world, action) -> None:
    before = snapshot(world)

    result = world.cli("errors", action, "--flow", "handof", "--yes")

    assert result.code == 2, result
    assert ", ".join(sorted(world.config.flows)) in " ".join(result.stderr.split())  # every configured flow
    assert snapshot(world) == before


@pytest.mark.parametrize("action", ["retry", "ignore"])
def test_ids_with_a_flow_are_a_usage_error_not_a_wider_selection(world, action) -> None:
    """An id of the handoff under --flow marketo_handoff must not be changed behind the admin's filter."""
    before = snapshot(world)
    handoff_error = str(world.errors()[0]["id"])

    result = world.cli("errors", action, handoff_error, "--flow", "marketo_handoff", "--yes")

    assert result.code == 2, result
    assert "not both" in result.stderr and snapshot(world) == before


def test_pausing_a_paused_flow_keeps_the_reason_resume_shows(world) -> None:
    assert world.cli("flows", "pause", "handoff", "--reason", "schema drift: Lead.Status removed").code == 0

    again = world.cli("flows", "pause", "handoff")

    assert again.code == 0 and "already paused" in again.stdout and "nothing changed" in again.stdout
    shown = world.cli("flows", "resume", "handoff", "--dry-run")
    assert "schema drift: Lead.Status removed" in shown.stdout


def test_a_mistyped_error_category_is_a_usage_error(world) -> None:
    result = world.cli("errors", "list", "--category", "record_rejcet")

    assert result.code == 2 and "record_reject" in result.stderr  # the valid choices are named


@pytest.mark.parametrize("flow", ["handof", ""])
@pytest.mark.parametrize("command", [("errors", "list"), ("runs",), ("review", "list")])
def test_a_mistyped_flow_in_a_listing_is_a_usage_error_not_an_empty_list(world, command, flow) -> None:
    result = world.cli(*command, "--flow", flow)

    assert result.code == 2, result
    assert "no such flow" in result.stderr and "no sync errors" not in result.stdout


@pytest.mark.parametrize("action", ["retry", "ignore"])
def test_a_flow_without_open_errors_changes_nothing_and_says_so(world, action) -> None:
    before = snapshot(world)

    result = world.cli("errors", action, "--flow", "marketo_handoff", "--yes")

    assert result.code == 0, result
    assert f"nothing to {action}" in result.stdout and "nothing changed" in result.stdout
    assert snapshot(world) == before


@pytest.mark.parametrize("action", ["retry", "ignore"])
def test_an_unknown_error_id_is_a_usage_error(world, action) -> None:
    before = snapshot(world)

    result = world.cli("errors", action, "999999", "--yes")

    assert result.code == 2, result
    assert "no sync error with id 999999" in result.stderr
    assert snapshot(world) == before


def test_retry_by_flow_never_revives_what_an_admin_ignored(world) -> None:
    errors.apply(world.engine, errors.preview(world.engine, errors.IGNORE, flow="handoff"))
    before = snapshot(world)

    result = world.cli("errors", "retry", "--flow", "handoff", "--yes")

    assert result.code == 0 and "nothing to retry" in result.stdout, result
    assert snapshot(world) == before
    assert consistent(world)


def test_retry_by_flow_takes_only_the_open_errors(world) -> None:
    ignored = fail(world, "handoff", "103")
    errors.apply(world.engine, errors.preview(world.engine, errors.IGNORE, [ignored]))

    result = world.cli("errors", "retry", "--flow", "handoff", "--yes")

    assert result.code == 0 and "2 record(s) will be retried" in result.stdout, result
    statuses = {row["record_key"]: row["status"] for row in world.errors()}
    assert statuses == {"101": "retrying", "102": "retrying", "103": "ignored"}
    assert consistent(world)


def test_ignore_by_flow_keeps_every_error_and_its_record_in_step(world) -> None:
    fail(world, "marketo_handoff", "9")

    result = world.cli("errors", "ignore", "--flow", "handoff", "--yes")

    assert result.code == 0 and "2 record(s) ignored" in result.stdout, result
    statuses = {row["record_key"]: row["status"] for row in world.errors()}
    assert statuses == {"101": "ignored", "102": "ignored", "9": "open"}
    assert consistent(world)


def test_an_error_already_ignored_or_resolved_is_named_and_left_alone(world) -> None:
    first, second = (row["id"] for row in world.errors())
    errors.apply(world.engine, errors.preview(world.engine, errors.IGNORE, [first]))
    with world.engine.begin() as connection:
        sync_errors.resolve(connection, "handoff", "write", ["102"])
    before = snapshot(world)

    result = world.cli("errors", "ignore", str(first), str(second), "--yes")

    assert result.code == 0, result
    assert f"error {first} is ignored" in result.stdout and f"error {second} is resolved" in result.stdout
    assert "nothing changed" in result.stdout
    assert snapshot(world) == before


def pause(env: FlowEnv) -> None:
    with env.engine.begin() as connection:
        runs.set_paused(connection, "handoff", "schema drift: Lead.Rating")


DESTRUCTIVE = {
    "ignore one": ("errors", "ignore", "{first}"),
    "ignore a flow": ("errors", "ignore", "--flow", "handoff"),
    "retry two": ("errors", "retry", "{first}", "{second}"),
    "retry a flow": ("errors", "retry", "--flow", "handoff"),
    "resume": ("flows", "resume", "handoff"),
}


def command(env: FlowEnv, name: str) -> list[str]:
    first, second = (str(row["id"]) for row in env.errors())
    return [part.format(first=first, second=second) for part in DESTRUCTIVE[name]]


@pytest.mark.parametrize("name", DESTRUCTIVE)
def test_without_a_terminal_or_yes_nothing_changes(world, name) -> None:
    pause(world)
    before = snapshot(world)

    result = world.cli(*command(world, name))

    assert result.code == 2, result
    assert "pass --yes" in " ".join(result.stderr.split())
    assert snapshot(world) == before


@pytest.mark.parametrize("name", DESTRUCTIVE)
def test_dry_run_lists_the_change_and_changes_nothing(world, name) -> None:
    pause(world)
    before = snapshot(world)

    result = world.cli(*command(world, name), "--dry-run")

    assert result.code == 0, result
    assert "dry run: nothing changed" in result.stdout
    assert "handoff" in result.stdout
    if name != "resume":
        assert "stage write" in result.stdout and "record hubspot contacts 101" in result.stdout
    else:
        assert "schema drift: Lead.Rating" in result.stdout and "write 2" in result.stdout
    assert snapshot(world) == before


@pytest.mark.parametrize("name", DESTRUCTIVE)
def test_yes_or_a_yes_at_the_terminal_applies_it_and_no_aborts(world, name, monkeypatch) -> None:
    pause(world)
    before = snapshot(world)

    declined = at_terminal(world, monkeypatch, "n\n", *command(world, name))

    assert declined.code == 130 and "aborted" in declined.stderr, declined
    assert snapshot(world) == before

    accepted = at_terminal(world, monkeypatch, "y\n", *command(world, name))

    assert accepted.code == 0, accepted
    assert snapshot(world) != before
    assert consistent(world)


def test_retrying_one_record_asks_nothing(world) -> None:
    first = str(world.errors()[0]["id"])

    result = world.cli("errors", "retry", first)

    assert result.code == 0 and "1 record(s) will be retried" in result.stdout, result


def test_resume_of_an_unknown_or_running_flow_changes_nothing(world) -> None:
    before = snapshot(world)

    typo = world.cli("flows", "resume", "handof", "--yes")
    running = world.cli("flows", "resume", "handoff", "--yes")

    assert typo.code == 2 and ", ".join(sorted(world.config.flows)) in " ".join(typo.stderr.split()), typo
    assert running.code == 0 and "handoff is not paused; nothing changed" in running.stdout, running
    assert snapshot(world) == before
