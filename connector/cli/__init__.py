"""The ``revloop`` command: a thin shell over library calls.

Exit codes: 0 ok; 1 finished with record errors; 2 bad config or usage; 3 a system unreachable,
auth refused or quota exhausted.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
from rich.markup import escape

from connector import __version__
from connector.config import Config
from connector.errors import ExitCode, RevloopError
from connector.flows.checks import load_checked_config
from connector.logs import redact, setup_logging
from connector.report.console import cli_console

stderr = cli_console(stderr=True, markup=True)


@dataclass
class CliState:
    config_path: Path
    log_level: str | None
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            self._config = load_checked_config(self.config_path)
            setup_logging(
                self.log_level or self._config.logging.level,
                json_format=self._config.logging.format == "json",
            )
        return self._config


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "-c",
    "config_path",
    envvar="REVLOOP_CONFIG",
    default="config.toml",
    show_default=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file (env REVLOOP_CONFIG).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Override [logging] level.",
)
@click.version_option(__version__, prog_name="revloop")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, log_level: str | None) -> None:
    """revloop: declarative sync between marketing automation, Salesforce and the CRM.

    Start with `revloop demo`: it runs every flow against a local sandbox of Salesforce, HubSpot
    and Marketo, with no account and no network.
    """
    ctx.obj = CliState(config_path, log_level.upper() if log_level else None)
    if log_level:
        setup_logging(log_level.upper())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: maps errors to exit codes, never prints a secret."""
    try:
        code = cli.main(args=argv, prog_name="revloop", standalone_mode=False)
    except click.exceptions.Abort:
        stderr.print("aborted")
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except RevloopError as exc:
        stderr.print(f"[bold red]error:[/] {escape(redact(exc))}", markup=True)
        code = exc.exit_code
    sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _register() -> None:
    from connector.cli import admin_cmds, config_cmds, errors_cmds, mapping_cmds, run_cmds, sandbox_cmds

    for module in (config_cmds, run_cmds, admin_cmds, errors_cmds, mapping_cmds, sandbox_cmds):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
