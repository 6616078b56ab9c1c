"""`revloop errors`: review sync errors, then retry or ignore them, seeing first what will change."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click
from sqlalchemy import Engine

from connector.cli import CliState
from connector.cli.confirm import confirm, confirmation_options
from connector.errors import ErrorCategory, ExitCode
from connector.queries import errors
from connector.report.console import cli_console, json_default
from connector.report.render import errors_table, summary_table
from connector.state import open_store

console = cli_console()


@click.group("errors")
def errors_group() -> None:
    """Review sync errors and retry or ignore them."""


@errors_group.command("list")
@click.option("--flow", help="Only this flow.")
@click.option("--category", type=click.Choice([c.value for c in ErrorCategory]), help="Only this category.")
@click.option("--all", "show_all", is_flag=True, help="Include resolved and ignored errors.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_obj
def errors_list(state: CliState, flow, category, show_all: bool, limit: int, as_json: bool) -> int:
    """Open sync errors, newest first (payloads are redacted)."""
    config = state.config()
    if flow is not None:
        config.flow(flow)  # a typo is a usage error, not "no sync errors"
    engine = open_store(config.state.engine_url())
    rows = errors.list_errors(engine, flow=flow, category=category, include_closed=show_all, limit=limit)
    summary = errors.summary(engine, flow)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=json_default, ensure_ascii=False))
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
    engine = open_store(state.config().state.engine_url())
    row = errors.get_error(engine, error_id)
    if row is None:
        raise click.BadParameter(f"no sync error with id {error_id}", param_hint="ERROR_ID")
    click.echo(json.dumps(row, default=json_default, ensure_ascii=False, indent=2))
    return ExitCode.OK


@errors_group.command("retry")
@click.argument("error_ids", nargs=-1, type=int)
@click.option("--flow", help="Retry every open error of this flow (not the ones an admin ignored).")
@confirmation_options
@click.pass_obj
def errors_retry(
    state: CliState, error_ids: tuple[int, ...], flow: str | None, yes: bool, dry_run: bool
) -> int:
    """Make the records behind these errors due now; the next run of their flow tries them again.

    Given by id, an ignored error is retried too (undoing the ignore); --flow selects only open ones.
    Retrying more than one record asks first (or takes --yes).
    """
    engine, selection = _select(state, errors.RETRY, error_ids, flow)
    if not _confirmed(selection, flow, yes=yes, dry_run=dry_run, ask_from=2):
        return ExitCode.OK
    rows = errors.apply(engine, selection)
    console.print(f"{len(rows)} record(s) will be retried on the next run")
    return ExitCode.OK


@errors_group.command("ignore")
@click.argument("error_ids", nargs=-1, type=int)
@click.option("--flow", help="Ignore every open error of this flow.")
@confirmation_options
@click.pass_obj
def errors_ignore(
    state: CliState, error_ids: tuple[int, ...], flow: str | None, yes: bool, dry_run: bool
) -> int:
    """Stop trying these records until their source changes again (asks first, or takes --yes)."""
    engine, selection = _select(state, errors.IGNORE, error_ids, flow)
    if not _confirmed(selection, flow, yes=yes, dry_run=dry_run, ask_from=1):
        return ExitCode.OK
    rows = errors.apply(engine, selection)
    console.print(f"{len(rows)} record(s) ignored")
    return ExitCode.OK


def _select(
    state: CliState, action: errors.ErrorAction, ids: tuple[int, ...], flow: str | None
) -> tuple[Engine, errors.Selection]:
    """The store and what ``action`` would change; exit 2 (usage) for a flow or an id that is not there."""
    if not ids and not flow:
        raise click.UsageError(f"give error ids, or --flow to {action.name} all its open errors")
    if ids and flow:  # ids of another flow must not pass under a --flow the admin typed
        raise click.UsageError("give error ids or --flow, not both; nothing changed")
    config = state.config()
    if flow:
        config.flow(flow)  # an unknown flow is a usage error naming the configured ones
    engine = open_store(config.state.engine_url())
    selection = errors.preview(engine, action, ids, flow)
    if selection.missing:
        missing = ", ".join(map(str, selection.missing))
        raise click.BadParameter(f"no sync error with id {missing}; nothing changed", param_hint="ERROR_IDS")
    return engine, selection


def _confirmed(
    selection: errors.Selection, flow: str | None, *, yes: bool, dry_run: bool, ask_from: int
) -> bool:
    """Show what the action changes; True when it should go ahead (asked first from ``ask_from`` rows)."""
    name = selection.action.name
    for row in selection.unchanged:
        console.print(f"error {row['id']} is {row['status']}: left as it is")
    if not selection.rows:
        scope = (
            f"flow {flow} has no open errors" if flow and not selection.unchanged else "no error to change"
        )
        console.print(f"nothing to {name}: {scope}; nothing changed")
        return False
    console.print(f"{name} {len(selection.rows)} error(s):")
    for row in selection.rows:
        console.print(f"  {_describe(row)}")
    if dry_run:
        console.print("dry run: nothing changed")
        return False
    if len(selection.rows) >= ask_from:
        confirm(f"{name.capitalize()} these {len(selection.rows)} error(s)?", yes=yes)
    return True


def _describe(row: Mapping[str, Any]) -> str:
    return (
        f"error {row['id']}  flow {row['flow']}  stage {row['stage']}  "
        f"record {row['system']} {row['object']} {row['record_key']}  "
        f"{row['category']} {row['code']}  ({row['status']})"
    )


COMMANDS = (errors_group,)
