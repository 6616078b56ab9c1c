"""`revloop run`, `revloop daemon` and `revloop health`."""

from __future__ import annotations

import click

from connector.cli import CliState
from connector.errors import ExitCode
from connector.flows import counter_order
from connector.flows.runner import run_flow
from connector.report.console import cli_console
from connector.report.render import outcome_table

console = cli_console()


@click.command("run")
@click.argument("flows", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every enabled flow once, in config order.")
@click.pass_obj
def run_command(state: CliState, flows: tuple[str, ...], run_all: bool) -> int:
    """Run one cycle of FLOWS now (applies migrations first).

    Exit 0 when everything synced, 1 when some records failed (see `revloop errors list`), 3 when a
    system was unreachable, refused the credentials or its quota ran out.
    """
    config = state.config()
    if run_all:
        flows = tuple(name for name, flow in config.flows.items() if flow.enabled)
    if not flows:
        raise click.UsageError("name at least one flow, or pass --all")
    outcomes = [run_flow(config, flow) for flow in flows]
    console.print(outcome_table(outcomes, counter_order()))
    for outcome in outcomes:
        if outcome.message:
            console.print(f"{outcome.flow}: {outcome.message}")
    return max((outcome.exit_code for outcome in outcomes), default=ExitCode.OK)


@click.command("daemon")
@click.pass_obj
def daemon_command(state: CliState) -> int:
    """Run every enabled flow on its schedule until stopped (SIGTERM/SIGINT).

    Several replicas may run against one PostgreSQL state store: each schedule slot runs once.
    """
    from connector.daemon import serve

    serve(state.config())
    return ExitCode.OK


@click.command("health")
@click.option(
    "--max-age",
    default=120,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds since the daemon's last heartbeat.",
)
@click.pass_obj
def health_command(state: CliState, max_age: int) -> int:
    """Exit 0 when the daemon of this config beat its heart in the last --max-age seconds.

    For container health checks. The heartbeat file is found from the config without loading it:
    [daemon] heartbeat_file, else beside the SQLite store, else revloop-daemon.heartbeat here
    (REVLOOP_HEARTBEAT_FILE overrides). `python -m connector.heartbeat` is the same check, cheaper.
    """
    from connector import heartbeat

    path = heartbeat.locate_for_config_file(state.config_path)
    if heartbeat.fresh(path, max_age):
        return ExitCode.OK
    click.echo(f"no daemon heartbeat in {path} in the last {max_age}s", err=True)
    return ExitCode.RECORD_ERRORS


COMMANDS = (run_command, daemon_command, health_command)
