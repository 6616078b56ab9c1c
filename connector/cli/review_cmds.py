"""`revloop review`: identity matches (名寄せ) revloop would not decide alone — list, show, then decide.

A case holds a source record whose match was plausible but not conclusive; the record waits, unwritten,
until an admin links it to one of the proposed records, has a new record created, or rejects the
proposals (never proposed again; the engine decides again without them). Decisions change what revloop
writes, so like the other admin commands they show what changes first, then ask (or take --yes), and
--dry-run changes nothing. The next run of the case's flow writes the decision.
"""

from __future__ import annotations

import getpass
import json

import click
from sqlalchemy import Engine

from connector.cli import CliState
from connector.cli.confirm import confirm, confirmation_options
from connector.errors import ExitCode
from connector.queries import review
from connector.report.console import cli_console, json_default
from connector.report.render import review_case_table, review_table
from connector.state import open_store

console = cli_console()


@click.group("review")
def review_group() -> None:
    """Identity matches waiting for an admin: list them, then link, create or reject."""


@review_group.command("list")
@click.option("--flow", help="Only this flow.")
@click.option("--all", "show_all", is_flag=True, help="Include decided cases.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@click.pass_obj
def review_list(state: CliState, flow: str | None, show_all: bool, limit: int, as_json: bool) -> int:
    """Open review cases, newest first: the record, the records proposed and why."""
    config = state.config()
    if flow is not None:
        config.flow(flow)  # an unknown flow is a usage error naming the configured ones
    engine = open_store(config.state.engine_url())
    rows = review.list_cases(engine, flow=flow, include_closed=show_all, limit=limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, default=json_default, ensure_ascii=False))
        return ExitCode.OK
    if not rows:
        scope = f" for flow {flow}" if flow else ""
        console.print(f"no {'' if show_all else 'open '}review cases{scope}")
        return ExitCode.OK
    console.print(review_table(rows))
    if not show_all:
        console.print("decide with: revloop review link ID TARGET_ID | review create ID | review reject ID")
    return ExitCode.OK


@review_group.command("show")
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the case as JSON.")
@click.pass_obj
def review_show(state: CliState, case_id: int, as_json: bool) -> int:
    """One case in full: each proposed record and the evidence for it."""
    case = review.get_case(_store(state), case_id)
    if case is None:
        raise click.BadParameter(f"no review case with id {case_id}", param_hint="CASE_ID")
    if as_json:
        click.echo(json.dumps(case, default=json_default, ensure_ascii=False, indent=2))
        return ExitCode.OK
    record = f"{case['source_system']} {case['source_object']} {case['source_key']}"
    opened = f"{case['created_at']:%Y-%m-%d %H:%M} UTC"
    console.print(f"case {case['id']}  flow {case['flow']}  record {record}  opened {opened}")
    console.print(case["reason"])
    console.print(review_case_table(case))
    return ExitCode.OK


@review_group.command("link")
@click.argument("case_id", type=int)
@click.argument("target_id")
@click.option("--force", is_flag=True, help="Link to a record the case does not propose.")
@confirmation_options
@click.pass_obj
def review_link(state: CliState, case_id: int, target_id: str, force: bool, yes: bool, dry_run: bool) -> int:
    """The record is the person TARGET_ID (one the case proposes): link them on the next run."""
    return _decide(state, review.LINK, case_id, target_id, force=force, yes=yes, dry_run=dry_run)


@review_group.command("create")
@click.argument("case_id", type=int)
@confirmation_options
@click.pass_obj
def review_create(state: CliState, case_id: int, yes: bool, dry_run: bool) -> int:
    """The record is none of the proposed people: create a new record for it on the next run."""
    return _decide(state, review.CREATE, case_id, yes=yes, dry_run=dry_run)


@review_group.command("reject")
@click.argument("case_id", type=int)
@confirmation_options
@click.pass_obj
def review_reject(state: CliState, case_id: int, yes: bool, dry_run: bool) -> int:
    """None of the proposed records is the person: never propose them again, and decide again."""
    return _decide(state, review.REJECT, case_id, yes=yes, dry_run=dry_run)


def _decide(
    state: CliState,
    action: review.ReviewAction,
    case_id: int,
    target_id: str | None = None,
    *,
    force: bool = False,
    yes: bool,
    dry_run: bool,
) -> int:
    """Show what the decision changes, then ask and store it; exit 2 for a case or target that is wrong."""
    engine = _store(state)
    try:
        proposal = review.propose(engine, action, case_id, target_id, force=force)
    except review.ReviewRefused as exc:
        raise click.UsageError(f"{exc}; nothing changed") from None
    console.print(f"{action.name} 1 case:\n  {proposal.describe()}")
    if dry_run:
        console.print("dry run: nothing changed")
        return ExitCode.OK
    confirm(f"{action.name.capitalize()} case {case_id}?", yes=yes)
    try:
        decided = review.apply(engine, proposal, by=_admin())
    except review.ReviewRefused as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"case {case_id} {decided['status']}; the next run of {decided['flow']} writes it")
    return ExitCode.OK


def _store(state: CliState) -> Engine:
    return open_store(state.config().state.engine_url())


def _admin() -> str:
    """Who decided, as the operating system names them (a container may have no name for its user)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "admin"


COMMANDS = (review_group,)
