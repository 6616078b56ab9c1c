"""Confirmation for admin commands that change what revloop will do: show first, then ask or take --yes.

A command lists what it will change, then goes on only with ``--yes`` or a person's "y" at a terminal.
Without a terminal (a script, cron, CI) and without ``--yes`` it refuses, exit 2, rather than wait for
an answer nobody can give; ``--dry-run`` shows the same list and changes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import click

Command = TypeVar("Command", bound=Callable[..., object])


def confirmation_options(command: Command) -> Command:
    """Add ``--yes`` and ``--dry-run`` to ``command``."""
    command = click.option("--dry-run", is_flag=True, help="Show what would change, and change nothing.")(
        command
    )
    return click.option(
        "--yes", "-y", is_flag=True, help="Change without asking (needed when stdin is not a terminal)."
    )(command)


def stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def confirm(question: str, *, yes: bool) -> None:
    """Return when ``--yes`` was given or the person at the terminal answers yes; raise otherwise.

    Raises click.UsageError (exit 2) without a terminal to ask on, click.Abort when the answer is no.
    """
    if yes:
        return
    if not stdin_is_terminal():
        raise click.UsageError(
            "nothing changed: stdin is not a terminal, so there is nobody to ask; "
            "pass --yes to make these changes (or --dry-run to only list them)"
        )
    if not click.confirm(question, default=False):
        raise click.Abort()
