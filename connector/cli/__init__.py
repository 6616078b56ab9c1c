"""The ``revloop`` command: a thin shell over library calls.

Exit codes: 0 ok; 1 finished with record errors; 2 bad config or usage (a state store in a folder
that does not exist included); 3 a system unreachable, auth refused or quota exhausted, or a state
store that cannot be opened or written, or whose server refuses. Each comes from the error's
``exit_code`` (connector.errors), mapped in :func:`main`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
from rich.markup import escape

from connector import __version__
from connector.config import Config
from connector.errors import ConfigError, ExitCode, RevloopError
from connector.flows.checks import load_checked_config
from connector.logs import redact, setup_logging
from connector.report.console import cli_console

stderr = cli_console(stderr=True, markup=True)


@dataclass
class CliState:
    config_path: Path
    log_level: str | None
    config_given: bool = True
    """False when config_path is the default (no --config, no REVLOOP_CONFIG)."""
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            if not self.config_path.exists():
                raise ConfigError(f"{self.config_path}: file not found; {self._how_to_point_at_a_config()}")
            self._config = load_checked_config(self.config_path)
            setup_logging(
                self.log_level or self._config.logging.level,
                json_format=self._config.logging.format == "json",
            )
        return self._config

    def _how_to_point_at_a_config(self) -> str:
        where = "" if self.config_given else f" (no config named, so revloop looked for {DEFAULT_CONFIG})"
        return (
            f"name the config file with --config FILE (before or after the command) or the "
            f"{CONFIG_ENV} environment variable{where}; config.example.toml documents every key, "
            "and `revloop demo` writes a working one to try"
        )


CONFIG_ENV = "REVLOOP_CONFIG"
DEFAULT_CONFIG = "config.toml"
LOG_LEVELS = click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "-c",
    "config_path",
    envvar=CONFIG_ENV,
    default=DEFAULT_CONFIG,
    show_default=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The config file (env REVLOOP_CONFIG).",
)
@click.option(
    "--log-level",
    type=LOG_LEVELS,
    help="Override [logging] level.",
)
@click.version_option(__version__, prog_name="revloop")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, log_level: str | None) -> None:
    """revloop: declarative sync between marketing automation, Salesforce and the CRM.

    Start with `revloop demo`: it runs every flow against a local sandbox of Salesforce, HubSpot
    and Marketo, with no account and no network.
    """
    given = ctx.get_parameter_source("config_path") is not click.core.ParameterSource.DEFAULT
    ctx.obj = CliState(config_path, log_level.upper() if log_level else None, config_given=given)
    if log_level:
        setup_logging(log_level.upper())


def _config_after_command(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        state = ctx.find_object(CliState)
        state.config_path, state.config_given = value, True


def _log_level_after_command(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_object(CliState).log_level = value.upper()
        setup_logging(value.upper())


def accept_global_options(command: click.Command) -> click.Command:
    """Let ``revloop status -c X`` mean ``revloop -c X status``: the group's --config/-c and --log-level
    on every command under ``command`` too (given after the command, they win)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_global_options(sub)
        return command
    command.params += [
        click.Option(
            ["--config", "-c", "config_after"],
            type=click.Path(path_type=Path, dir_okay=False),
            expose_value=False,
            callback=_config_after_command,
            help=f"The config file (also accepted before the command; env {CONFIG_ENV}).",
        ),
        click.Option(
            ["--log-level", "log_level_after"],
            type=LOG_LEVELS,
            expose_value=False,
            callback=_log_level_after_command,
            help="Override [logging] level.",
        ),
    ]
    return command


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
    from connector.cli import (
        admin_cmds,
        config_cmds,
        errors_cmds,
        mapping_cmds,
        review_cmds,
        run_cmds,
        sandbox_cmds,
    )

    for module in (config_cmds, run_cmds, admin_cmds, errors_cmds, review_cmds, mapping_cmds):
        for command in module.COMMANDS:
            cli.add_command(accept_global_options(command))
    for command in sandbox_cmds.COMMANDS:  # the sandbox and the demo write their own config
        cli.add_command(command)
    for name, command in config_cmds.ALIASES.items():  # already given the options above
        cli.add_command(command, name)


_register()
