"""Config checks that need the flow kinds: every flow names a known kind, its mapping loads, and each
kind's own checks pass.

``load_checked_config`` is how commands load a config: the config's own checks and these, all
problems reported together.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from connector.config import Config, FlowSettings, load_config
from connector.errors import MappingError, RuleError
from connector.flows import FLOW_KINDS, flow_class
from connector.flows.mappings import load_flow_mapping


def check_flows(config: Config) -> list[str]:
    """Unknown flow kinds, then each kind's offline checks over its flows (run on every config load)."""
    problems = []
    by_kind: dict[str, dict[str, FlowSettings]] = defaultdict(dict)
    for name, flow in config.flows.items():
        kind = config.flow_kind(name)
        if kind in FLOW_KINDS:
            by_kind[kind][name] = flow
        else:
            known = ", ".join(FLOW_KINDS)
            problems.append(f"{config.path}: flows.{name}.kind: unknown flow {kind!r}; known flows: {known}")
    for kind, flows in by_kind.items():
        problems += flow_class(kind).check_config(config, flows)
    return problems


def check_mappings(config: Config) -> list[str]:
    """Every flow's mapping loaded as its kind: TOML, keys, transforms, templates, rules and the names
    they use — everything that needs no API call (`revloop config check`; a run checks its own).

    Not part of every config load: an admin must still see `status` and `errors` while one flow's
    mapping is broken.
    """
    problems = []
    for name, flow in config.flows.items():
        kind = config.flow_kind(name)
        if kind not in FLOW_KINDS or not flow.mapping.is_file():
            continue  # reported by the config's own checks
        try:
            load_flow_mapping(flow.mapping, kind)
        except (MappingError, RuleError) as exc:
            problems += exc.problems
    return problems


def load_checked_config(path: Path | str) -> Config:
    """Load, validate and cross-check ``path``; a ConfigError lists every problem found."""
    return load_config(path, checks=(check_flows,))
