"""`revloop config check` and `revloop db ...`."""

from __future__ import annotations

import json

import click
from rich.syntax import Syntax

from connector.cli import CliState
from connector.errors import ConfigError, ExitCode
from connector.flows.checks import check_mappings
from connector.report.console import cli_console
from connector.state import db

console = cli_console()


@click.group("config")
def config_group() -> None:
    """Inspect the config file."""


@config_group.command("check")
@click.pass_obj
def config_check(state: CliState) -> int:
    """Validate the config and every flow's mapping offline; print the config, secrets redacted.

    Everything that needs no API call: config keys and values, secret references, files, and each
    mapping's TOML, keys, transforms, templates and CEL rules (syntax, names, limits). Every problem is
    listed with its file and key (exit 2 on any); `revloop mappings check` then compares the mappings
    with the live schemas. Secret values are never printed, only where they come from. `revloop check`
    is the same command.
    """
    config = state.config()
    problems = check_mappings(config)
    if problems:
        raise ConfigError(problems[0], problems=problems)
    rendered = json.dumps(config.redacted(), indent=2, ensure_ascii=False, default=str)
    console.print(f"{config.path}: ok")
    for warning in config.state.warnings():
        console.print(f"warning: {config.path}: {warning}")
    console.print(Syntax(rendered, "json", theme="ansi_dark", background_color="default"))
    return ExitCode.OK


@click.group("db")
def db_group() -> None:
    """Manage the state store (SQLite or PostgreSQL)."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(state: CliState) -> int:
    """Apply pending migrations to the state store ([state] url)."""
    config = state.config()
    engine = db.open_engine(config.state.engine_url())
    revision = db.upgrade(engine)
    console.print(f"state store at revision {revision}")
    return ExitCode.OK


@db_group.command("status")
@click.pass_obj
def db_status(state: CliState) -> int:
    """Show the state store's migration revision and whether it is current."""
    config = state.config()
    engine = db.open_engine(config.state.engine_url())
    current, head = db.current_revision(engine), db.head_revision()
    console.print(
        f"revision {current or 'none'} (latest {head}){'' if current == head else ': run revloop db upgrade'}"
    )
    return ExitCode.OK if current == head else ExitCode.RECORD_ERRORS


COMMANDS = (config_group, db_group)
ALIASES = {"check": config_check}
"""Top-level names for subcommands people reach for first (`revloop check`)."""
