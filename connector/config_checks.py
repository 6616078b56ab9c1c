"""Config checks beyond one table's types: cross references, secrets, key collisions, and the wording
of validation errors (file, key path, bad value, what was expected)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from connector import store_url
from connector.config import SYSTEM_KINDS, Config, SystemSettings, read_file_secret
from connector.errors import ConfigError


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
    for kind in SYSTEM_KINDS:
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


def describe_error(path: Path, error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{path}: {key}: unknown key; {_expected_keys(error['loc'])}"
    if error["type"] == "missing":
        return f"{path}: {key}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(error.get("input"), dict):  # a table-level check names its keys and values itself
        return f"{path}: {key}: {message}"
    return f"{path}: {key}: {message} (got {error.get('input')!r})"


def _expected_keys(loc: tuple[Any, ...]) -> str:
    """A did-you-mean hint, or the keys allowed in the table where an unknown key was found."""
    annotation: Any = Config
    for part in loc[:-1]:
        if get_origin(annotation) is dict:  # [flows.<name>]: any name, then the flow's table
            annotation = get_args(annotation)[1]
            continue
        model = _model_in(annotation)
        if model is None or part not in model.model_fields:
            return "check the spelling"
        annotation = model.model_fields[part].annotation
    model = _model_in(annotation)
    known = [name for name, field in (model.model_fields.items() if model else ()) if not field.exclude]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The config model inside ``X``, ``X | None`` or ``Annotated[X, ...]``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is dict:
        return None
    return next(filter(None, (_model_in(arg) for arg in get_args(annotation))), None)
