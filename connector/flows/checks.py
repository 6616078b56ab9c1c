"""Config checks that need the flow kinds: every flow names a known kind, and each kind's own checks.

``load_checked_config`` is how commands load a config: the config's own checks and these, all
problems reported together.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from connector.config import Config, FlowSettings, load_config
from connector.flows import FLOW_KINDS, flow_class


def check_flows(config: Config) -> list[str]:
    """Unknown flow kinds, then each kind's offline checks over its flows."""
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


def load_checked_config(path: Path | str) -> Config:
    """Load, validate and cross-check ``path``; a ConfigError lists every problem found."""
    return load_config(path, checks=(check_flows,))
