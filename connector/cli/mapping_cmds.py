"""`revloop mappings check` and `revloop mappings preview`."""

from __future__ import annotations

import click
from rich.table import Table

from connector.cli import CliState
from connector.errors import ExitCode, MappingError
from connector.report.console import cli_console

console = cli_console()


@click.group("mappings")
def mappings_group() -> None:
    """Validate mappings against the live schemas and preview what a run would do."""


@mappings_group.command("check")
@click.argument("flows", nargs=-1)
@click.pass_obj
def mappings_check(state: CliState, flows: tuple[str, ...]) -> int:
    """Check FLOWS' mappings (default: all) against the systems' live schemas (describe / properties).

    Reports unknown fields, type mismatches, non-createable fields, picklist values the target
    refuses and required target fields left unmapped, each with its mapping file and key. Exit 2 on
    any problem.
    """
    from connector.flows import flow_class
    from connector.flows.runner import build_setup

    config = state.config()
    problems: list[str] = []
    for name in flows or tuple(config.flows):
        flow = config.flow(name)
        try:
            found = flow_class(config.flow_kind(name)).check_schemas(build_setup(config, name))
        except MappingError as exc:
            problems += exc.problems
            continue
        summary = "ok" if not found else f"{len(found)} problem(s)"
        console.print(f"{name}: {flow.mapping}: {summary}", soft_wrap=True)
        problems += found
    for problem in problems:  # one line each, however narrow the terminal, so they can be grepped
        console.print(f"  {problem}", soft_wrap=True)
    return ExitCode.USAGE if problems else ExitCode.OK


@mappings_group.command("preview")
@click.argument("flow")
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many changed records to show.",
)
@click.pass_obj
def mappings_preview(state: CliState, flow: str, limit: int) -> int:
    """Show, without writing anything, what the next run of FLOW would create or update.

    Reads the source from the flow's cursor, plans every write (matching, routing, mapping, conflict
    rules) and prints the field changes and the API calls the run would cost per system.
    """
    from connector.flows.runner import build_context, open_flow
    from connector.state import open_store

    config = state.config()
    result = open_flow(build_context(config, flow, open_store(config.state.engine_url()))).preview(limit)
    table = Table(title=f"{flow}: what the next run would do", title_justify="left")
    for column in ("source record", "action", "changes", "why"):
        table.add_column(column, overflow="fold")
    for item in result.items:
        changes = "\n".join(
            f"{name}: {before!r} → {after!r}" for name, (before, after) in item.changes.items()
        )
        table.add_row(item.source_id, item.action, changes, item.note)
    console.print(table if result.items else "nothing to do: no qualifying changes since the last run")
    if result.more:
        console.print(f"(more changes than --limit {limit}; showing the first {limit})")
    calls = ", ".join(f"{system} {count}" for system, count in sorted(result.estimated_calls.items()))
    read = ", ".join(f"{system} {count}" for system, count in sorted(result.read_calls.items()))
    console.print(f"API calls for these records: {calls} (the preview itself used {read})")
    return ExitCode.OK


COMMANDS = (mappings_group,)
