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
    from connector.state_settings import StateSettings


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
        problems += _role_problems(config, name, flow.roles(), path)
    problems += _secret_problems("state", config.state, path)
    for system, settings in config.systems_configured().items():
        where = system if system in SYSTEMS else f"systems.{system}"
        if settings.ca_bundle and not settings.ca_bundle.is_file():
            problems.append(f"{path}: {where}.ca_bundle: {settings.ca_bundle} does not exist")
        problems += _secret_problems(where, settings, path)
    return problems


def _role_problems(config: Config, flow: str, roles: dict[str, str], path: Path) -> list[str]:
    configured = config.systems_configured()
    problems = []
    for role, system in roles.items():
        if system in configured:
            continue
        if system in SYSTEMS:
            problems.append(f"{path}: flows.{flow}.{role}: {system!r} has no [{system}] table in the config")
        else:
            known = ", ".join(map(repr, configured)) or "none"
            problems.append(
                f"{path}: flows.{flow}.{role}: {system!r} is not a configured system (configured: {known}; "
                f"known kinds: {', '.join(map(repr, SYSTEMS))}; add [systems.{system}] with kind = ...)"
            )
    return problems


def _secret_problems(kind: str, settings: SystemSettings | StateSettings, path: Path) -> list[str]:
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
