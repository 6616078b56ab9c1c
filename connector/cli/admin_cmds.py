"""What admins do between runs: see status and errors, retry or ignore records, pause and resume flows."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from connector.cli import CliState
from connector.errors import ExitCode
from connector.report.render import errors_table, runs_table, summary_table
from connector.state import open_store, outbox, runs, sync_errors

console = Console(highlight=False, markup=False)

# Error stages whose records wait in the outbox under the same stage name.
_OUTBOX_STAGE = {"map": "write", "match": "write", "write": "write", "writeback": "writeback"}


@click.command("status")
@click.pass_obj
def status_command(state: CliState) -> int:
    """Each flow: enabled, paused, records waiting, open errors, last run."""
    config = state.config()
    engine = open_store(config.state.url)
    table = Table(title="flows", title_justify="left")
    for column in ("flow", "source → target", "schedule", "state", "waiting", "open errors", "last run"):
        table.add_column(column, overflow="fold")
    with engine.begin() as connection:
        open_errors = {}
        for flow, _stage, _category, count in sync_errors.summary(connection):
            open_errors[flow] = open_errors.get(flow, 0) + count
        for name, flow in config.flows.items():
            paused = runs.pause_reason(connection, name)
            waiting = outbox.counts(connection, name)
            last = runs.recent_runs(engine, name, limit=1)
            table.add_row(
                name,
                f"{flow.source} → {flow.target}",
                flow.schedule,
                f"paused: {paused}" if paused else ("enabled" if flow.enabled else "disabled"),
                ", ".join(f"{stage} {count}" for stage, count in sorted(waiting.items())) or "0",
                str(open_errors.get(name, 0)),
                f"{last[0]['status']} at {last[0]['started_at']:%Y-%m-%d %H:%M}" if last else "never",
            )
    console.print(table)
    return ExitCode.OK


@click.command("runs")
@click.option("--flow", help="Only this flow.")
@click.option("--limit", default=20, show_default=True)
@click.pass_obj
def runs_command(state: CliState, flow: str | None, limit: int) -> int:
    """Recent runs with their counts, API calls and messages."""
    engine = open_store(state.config().state.url)
    console.print(runs_table(runs.recent_runs(engine, flow, limit)))
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
    statuses = () if show_all else sync_errors.OPEN_STATUSES
    with engine.begin() as connection:
        rows = sync_errors.query(connection, flow=flow, statuses=statuses, category=category, limit=limit)
        summary = sync_errors.summary(connection, flow)
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
    with engine.begin() as connection:
        rows = sync_errors.query(connection, ids=[error_id], statuses=())
    if not rows:
        raise click.BadParameter(f"no sync error with id {error_id}", param_hint="ERROR_ID")
    click.echo(json.dumps(rows[0], default=str, ensure_ascii=False, indent=2))
    return ExitCode.OK


def _change(state: CliState, ids: tuple[int, ...], flow: str | None, status: str) -> list[dict]:
    engine = open_store(state.config().state.url)
    with engine.begin() as connection:
        if not ids:
            if not flow:
                raise click.UsageError("give error ids, or --flow to act on all its open errors")
            ids = tuple(row["id"] for row in sync_errors.query(connection, flow=flow, limit=100_000))
        rows = sync_errors.set_status(connection, list(ids), status)
        for row in rows:
            stage = _OUTBOX_STAGE.get(row["stage"], row["stage"])
            if status == "retrying":
                outbox.make_due(connection, row["flow"], stage, [row["record_key"]])
            else:
                outbox.park(connection, row["flow"], stage, [row["record_key"]])
    return rows


@errors_group.command("retry")
@click.argument("error_ids", nargs=-1, type=int)
@click.option("--flow", help="Retry every open error of this flow.")
@click.pass_obj
def errors_retry(state: CliState, error_ids: tuple[int, ...], flow: str | None) -> int:
    """Make the records behind these errors due now; the next run of their flow tries them again."""
    rows = _change(state, error_ids, flow, "retrying")
    console.print(f"{len(rows)} record(s) will be retried on the next run")
    return ExitCode.OK


@errors_group.command("ignore")
@click.argument("error_ids", nargs=-1, type=int)
@click.option("--flow", help="Ignore every open error of this flow.")
@click.pass_obj
def errors_ignore(state: CliState, error_ids: tuple[int, ...], flow: str | None) -> int:
    """Stop trying these records until their source changes again."""
    rows = _change(state, error_ids, flow, "ignored")
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
