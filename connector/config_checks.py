"""Config checks beyond one table's types: cross references and secrets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from connector import store_url
from connector.errors import ConfigError
from connector.settings import SystemSettings, read_file_secret
from connector.systems import SYSTEMS

if TYPE_CHECKING:  # config.py calls these checks; a runtime import back would make a cycle
    from connector.config import Config


def check_references(config: Config, path: Path) -> list[str]:
    """Problems a single table cannot show: files that must exist, flows' systems, secrets."""
    problems = []
    if (folder := store_url.missing_directory(config.state.url)) is not None:
        problems.append(
            f"{path}: state.url: the folder {folder} of the SQLite store does not exist "
            "(create it, or set [state] url to a file in an existing folder)"
        )
    for name, flow in config.flows.items():
        if not flow.mapping.is_file():
            problems.append(f"{path}: flows.{name}.mapping: {flow.mapping} does not exist")
        for role in ("source", "target"):
            kind = getattr(flow, role)
            if getattr(config, kind) is None:
                problems.append(f"{path}: flows.{name}.{role}: {kind!r} has no [{kind}] table in the config")
    for kind in SYSTEMS:
        settings = getattr(config, kind)
        if settings is None:
            continue
        if settings.ca_bundle and not settings.ca_bundle.is_file():
            problems.append(f"{path}: {kind}.ca_bundle: {settings.ca_bundle} does not exist")
        problems += _secret_problems(kind, settings, path)
    return problems


def _secret_problems(kind: str, settings: SystemSettings, path: Path) -> list[str]:
    problems = []
    for name in settings.required_secrets():
        env, file = getattr(settings, f"{name}_env"), getattr(settings, f"{name}_file")
        if env and not os.environ.get(env, "").strip():
            problems.append(f"{path}: {kind}.{name}_env: environment variable {env} is not set")
        if file:
            try:
                read_file_secret(Path(file))
            except ConfigError as exc:
                problems.append(f"{path}: {kind}.{name}_file: {exc}")
    return problems
