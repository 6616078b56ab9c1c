"""What admins do between runs: see status and runs, pause and resume flows (errors: errors_cmds)."""

from __future__ import annotations

import click

from connector.cli import CliState
from connector.cli.confirm import confirm, confirmation_options
from connector.errors import ExitCode
from connector.flows import counter_order
from connector.queries import status, usage
from connector.queries.runs import recent_runs
from connector.report.console import cli_console
from connector.report.render import runs_table, status_table, usage_table
from connector.state import open_store, outbox, runs

console = cli_console()


@click.command("status")
@click.pass_obj
def status_command(state: CliState) -> int:
    """Each flow: enabled, paused, records waiting, open errors, last run; then API calls per day."""
    config = state.config()
    engine = open_store(config.state.engine_url())
    console.print(status_table(status.flow_statuses(engine, config)))
    calls = usage.api_usage_by_day(engine)
    if calls:
        console.print(usage_table(calls))
    return ExitCode.OK


@click.command("runs")
@click.option("--flow", help="Only this flow.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.pass_obj
def runs_command(state: CliState, flow: str | None, limit: int) -> int:
    """Recent runs with their counts, API calls and messages."""
    config = state.config()
    if flow is not None:
        config.flow(flow)  # a typo is a usage error, not an empty list
    engine = open_store(config.state.engine_url())
    console.print(runs_table(recent_runs(engine, flow, limit), counter_order()))
    return ExitCode.OK


@click.group("flows")
def flows_group() -> None:
    """Pause and resume flows."""


@flows_group.command("pause")
@click.argument("flow")
@click.option("--reason", default="paused by an admin", show_default=True)
@click.pass_obj
def flows_pause(state: CliState, flow: str, reason: str) -> int:
    """Stop running FLOW (scheduled and manual runs) until it is resumed."""
    config = state.config()
    config.flow(flow)
    with open_store(config.state.engine_url()).begin() as connection:
        paused = runs.pause_reason(connection, flow)
        if paused is not None:  # keep the reason resume will show (schema drift names what to fix)
            console.print(f"{flow} is already paused: {paused}; nothing changed")
            return ExitCode.OK
        runs.set_paused(connection, flow, reason)
    console.print(f"{flow} paused")
    return ExitCode.OK


@flows_group.command("resume")
@click.argument("flow")
@confirmation_options
@click.pass_obj
def flows_resume(state: CliState, flow: str, yes: bool, dry_run: bool) -> int:
    """Resume FLOW, e.g. after fixing the mapping that schema drift paused it for.

    Shows why FLOW was paused and what waits to be written, then asks (or takes --yes).
    """
    config = state.config()
    config.flow(flow)  # an unknown flow is a usage error naming the configured ones
    engine = open_store(config.state.engine_url())
    with engine.connect() as connection:
        reason = runs.pause_reason(connection, flow)
        waiting = outbox.counts(connection, flow)
    if reason is None:
        console.print(f"{flow} is not paused; nothing changed")
        return ExitCode.OK
    records = ", ".join(f"{stage} {count}" for stage, count in sorted(waiting.items())) or "none"
    console.print(f"resume {flow}, paused: {reason}\n  its runs start again; records waiting: {records}")
    if dry_run:
        console.print("dry run: nothing changed")
        return ExitCode.OK
    confirm(f"Resume {flow}?", yes=yes)
    with engine.begin() as connection:
        runs.set_paused(connection, flow, None)
    console.print(f"{flow} resumed")
    return ExitCode.OK


COMMANDS = (status_command, runs_command, flows_group)
