"""What admins do between runs: see status and errors, retry or ignore records, pause and resume flows."""

from __future__ import annotations

import json

import click
from rich.console import Console
from sqlalchemy import Engine

from connector.cli import CliState
from connector.errors import ExitCode
from connector.flows import counter_order
from connector.queries import errors, status, usage
from connector.queries.runs import recent_runs
from connector.report.render import errors_table, runs_table, status_table, summary_table, usage_table
from connector.state import open_store, runs

console = Console(highlight=False, markup=False)


@click.command("status")
@click.pass_obj
def status_command(state: CliState) -> int:
    """Each flow: enabled, paused, records waiting, open errors, last run; then API calls per day."""
    config = state.config()
    engine = open_store(config.state.url)
    console.print(status_table(status.flow_statuses(engine, config)))
    calls = usage.api_usage_by_day(engine)
    if calls:
        console.print(usage_table(calls))
    return ExitCode.OK


@click.command("runs")
@click.option("--flow", help="Only this flow.")
@click.option("--limit", default=20, show_default=True)
@click.pass_obj
def runs_command(state: CliState, flow: str | None, limit: int) -> int:
    """Recent runs with their counts, API calls and messages."""
    engine = open_store(state.config().state.url)
    console.print(runs_table(recent_runs(engine, flow, limit), counter_order()))
    return ExitCode.OK


@click.group("errors")
def errors_group() -> None:
    """Review sync errors and retry or ignore them."""


@errors_group.command("list")
@click.option("--flow", help="Only this flow.")
@click.option("--category", help="Only this category (record_reject, ambiguous_match, schema_drift, ...).")
@click.option("--all", "show_all", is_flag=True, help="Include resolved and ignored errors.")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_obj
def errors_list(state: CliState, flow, category, show_all: bool, limit: int, as_json: bool) -> int:
    """Open sync errors, newest first (payloads are redacted)."""
    engine = open_store(state.config().state.url)
    rows = errors.list_errors(engine, flow=flow, category=category, include_closed=show_all, limit=limit)
    summary = errors.summary(engine, flow)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=str, ensure_ascii=False))
        return ExitCode.OK
    if summary:
        console.print(summary_table(summary))
    console.print(errors_table(rows) if rows else "no sync errors")
    return ExitCode.OK


@errors_group.command("show")
@click.argument("error_id", type=int)
@click.pass_obj
def errors_show(state: CliState, error_id: int) -> int:
    """One error in full, with its redacted payload snapshot."""
    engine = open_store(state.config().state.url)
    row = errors.get_error(engine, error_id)
    if row is None:
        raise click.BadParameter(f"no sync error with id {error_id}", param_hint="ERROR_ID")
    click.echo(json.dumps(row, default=str, ensure_ascii=False, indent=2))
    return ExitCode.OK


def _store_for_selection(state: CliState, ids: tuple[int, ...], flow: str | None) -> Engine:
    """The state store, once the command names errors by id or by flow (a bare retry/ignore is refused)."""
    engine = open_store(state.config().state.url)
    if not ids and not flow:
        raise click.UsageError("give error ids, or --flow to act on all its open errors")
    return engine


@errors_group.command("retry")
@click.argument("error_ids", nargs=-1, type=int)
@click.option("--flow", help="Retry every open error of this flow.")
@click.pass_obj
def errors_retry(state: CliState, error_ids: tuple[int, ...], flow: str | None) -> int:
    """Make the records behind these errors due now; the next run of their flow tries them again."""
    rows = errors.retry_errors(_store_for_selection(state, error_ids, flow), error_ids, flow)
    console.print(f"{len(rows)} record(s) will be retried on the next run")
    return ExitCode.OK


@errors_group.command("ignore")
@click.argument("error_ids", nargs=-1, type=int)
@click.option("--flow", help="Ignore every open error of this flow.")
@click.pass_obj
def errors_ignore(state: CliState, error_ids: tuple[int, ...], flow: str | None) -> int:
    """Stop trying these records until their source changes again."""
    rows = errors.ignore_errors(_store_for_selection(state, error_ids, flow), error_ids, flow)
    console.print(f"{len(rows)} record(s) ignored")
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
    with open_store(config.state.url).begin() as connection:
        runs.set_paused(connection, flow, reason)
    console.print(f"{flow} paused")
    return ExitCode.OK


@flows_group.command("resume")
@click.argument("flow")
@click.pass_obj
def flows_resume(state: CliState, flow: str) -> int:
    """Resume FLOW, e.g. after fixing the mapping that schema drift paused it for."""
    config = state.config()
    config.flow(flow)
    with open_store(config.state.url).begin() as connection:
        runs.set_paused(connection, flow, None)
    console.print(f"{flow} resumed")
    return ExitCode.OK


COMMANDS = (status_command, runs_command, errors_group, flows_group)
