"""`revloop sandbox` and `revloop demo`: try revloop without any account."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.table import Table

from connector.errors import ExitCode
from connector.logs import setup_logging
from connector.report.console import cli_console

console = cli_console()


@click.command("sandbox")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=".revloop/sandbox",
    show_default=True,
    help="Where the CA bundle, secrets and config are written.",
)
@click.option("--seed/--no-seed", default=True, show_default=True, help="Load the demo data set.")
@click.option("--write-config", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a ready-to-use config here (default: <dir>/config.toml).")  # fmt: skip
@click.option(
    "--port", "ports", multiple=True, metavar="SYSTEM=PORT", help="Fix a fake's port, e.g. hubspot=8443."
)
def sandbox_command(directory: Path, seed: bool, write_config: Path | None, ports: tuple[str, ...]) -> int:
    """Run local HTTPS fakes of Salesforce, HubSpot and Marketo until Ctrl-C.

    They speak the real wire formats (paths, paging, batch limits, error bodies, rate limits), so
    mappings can be tried safely before revloop is pointed at real orgs. Knobs (latency, rate limits,
    fault plans, call counters) are under /__sandbox__/ on each base URL.
    """
    from connector.demo.sandbox_config import write_sandbox_config
    from connector.demo.seed import build_demo_data, seed_sandbox
    from connector.sandbox.server import start_sandbox

    setup_logging("WARNING")
    sandbox = start_sandbox(directory, ports=_ports(ports))
    try:
        if seed:
            seed_sandbox(sandbox, build_demo_data())
        config_path = write_sandbox_config(sandbox, write_config or directory / "config.toml")
        table = Table(title="revloop sandbox", title_justify="left")
        for column in ("system", "base URL", "knobs and counters"):
            table.add_column(column)
        for name in sandbox.fakes:
            table.add_row(name, sandbox.url(name), f"{sandbox.url(name)}/__sandbox__/calls")
        console.print(table)
        console.print(
            f"CA bundle: {sandbox.ca_bundle}\nsecrets: {config_path.parent / 'secrets'} (0600 files)"
        )
        console.print(
            f"config: {config_path}\ntry: revloop --config {config_path} run handoff\nCtrl-C stops."
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return ExitCode.OK
    finally:
        sandbox.stop()


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(path_type=Path, file_okay=False), default=".revloop/demo",
              show_default=True, help="Where the demo's config, secrets and state store go.")  # fmt: skip
@click.option("--keep-running", is_flag=True, help="Keep the sandbox up after the demo run.")
def demo_command(directory: Path, keep_running: bool) -> int:
    """Start the sandbox, seed realistic data, run every flow once and show what moved where.

    Needs no account and no network. It leaves a state store the report commands can read
    (`revloop --config <dir>/config.toml errors list`). Some records fail, as the demo data intends:
    they are listed with their reasons, and the exit code is still 0 when every flow ran.
    """
    from connector.demo.run import run_demo

    setup_logging("WARNING")
    return run_demo(directory, console, keep_running=keep_running).exit_code


def _ports(values: tuple[str, ...]) -> dict[str, int]:
    ports = {}
    for value in values:
        name, _, port = value.partition("=")
        if not port.isdigit():
            raise click.BadParameter(f"{value!r}: expected SYSTEM=PORT", param_hint="--port")
        ports[name] = int(port)
    return ports


COMMANDS = (sandbox_command, demo_command)
