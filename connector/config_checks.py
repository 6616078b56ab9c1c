"""Config checks beyond one table's types: cross references, secrets and key collisions."""

from __future__ import annotations

import os
from pathlib import Path

from connector.config import SYSTEM_KINDS, Config, SystemSettings, read_file_secret
from connector.errors import ConfigError
from connector.flows import FLOW_KINDS as FLOWS
from connector.flows.mappings import load_flow_mapping


def check_references(config: Config, path: Path) -> list[str]:
    """Problems a single table cannot show: files that must exist, flows' systems, secrets, keys."""
    problems = []
    for name, flow in config.flows.items():
        kind = flow.kind or name
        if kind not in FLOWS:
            known = ", ".join(FLOWS)
            problems.append(f"{path}: flows.{name}.kind: unknown flow {kind!r}; known flows: {known}")
        if not flow.mapping.is_file():
            problems.append(f"{path}: flows.{name}.mapping: {flow.mapping} does not exist")
        for role in ("source", "target"):
            kind = getattr(flow, role)
            if getattr(config, kind) is None:
                problems.append(f"{path}: flows.{name}.{role}: {kind!r} has no [{kind}] table in the config")
    problems += _key_collisions(config, path)
    for kind in SYSTEM_KINDS:
        settings = getattr(config, kind)
        if settings is None:
            continue
        if settings.ca_bundle and not settings.ca_bundle.is_file():
            problems.append(f"{path}: {kind}.ca_bundle: {settings.ca_bundle} does not exist")
        problems += _secret_problems(kind, settings, path)
    return problems


def _key_collisions(config: Config, path: Path) -> list[str]:
    """Two flows from different sources upserting one target object on one key would share records.

    HubSpot contact 5000 and Marketo lead 5000 would become one Lead unless a ``key_prefix`` (or another
    key field) keeps their upsert keys apart.
    """
    owners: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    problems = []
    for name, flow in config.flows.items():
        try:
            target = load_flow_mapping(flow.mapping, flow.kind or name).spec.target
        except ConfigError:
            continue  # `revloop mappings check` reports broken mappings
        keys = [(target.object, target.upsert_key)]
        if target.contact_object and target.contact_upsert_key:
            keys.append((target.contact_object, target.contact_upsert_key))
        for obj, field in keys:
            key = (flow.target, obj, field, target.key_prefix)
            other = owners.setdefault(key, (name, flow.source))
            if other[1] != flow.source:
                problems.append(
                    f"{path}: flows.{name}: upserts {flow.target} {obj} on {field} like flows.{other[0]} "
                    f"({other[1]}), so ids from {flow.source} and {other[1]} would collide; set a different "
                    "[target] key_prefix in one of the mappings"
                )
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
