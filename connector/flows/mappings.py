"""Load a mapping file as the flow kind it is for: the kind's mapping spec comes from the flow registry.

A version 2 file names its kind (``kind = "handoff"``); a version 1 file predates kinds and is a
handoff mapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connector.errors import MappingError, RuleError
from connector.flows import flow_class, known_kinds
from connector.mapping import Mapping, MappingSpec, build_mapping, read_mapping_data

VERSION_1_KIND = "handoff"
"""The kind of every version 1 file: the handoff was the only flow when version 2 added ``kind``."""


def mapping_spec(kind: str) -> type[MappingSpec]:
    """The mapping spec class the flow kind ``kind`` declares."""
    return flow_class(kind).mapping_spec


def load_flow_mapping(path: str | Path, expected_kind: str | None = None) -> Mapping:
    """Load ``path`` with the spec of ``expected_kind`` (the flow's), or of the kind the file names.

    A file that names another kind than ``expected_kind`` is refused (``kind: ...``), as is a kind no
    flow is registered for. Raises MappingError or RuleError listing every problem (ConfigError from
    the registry when ``expected_kind`` itself is unknown).
    """
    source = str(path)
    data = read_mapping_data(path)
    kind = expected_kind or _named_kind(data, source)
    return build_mapping(data, source=source, spec=mapping_spec(kind))


def load_all_mappings(root: str | Path) -> dict[str, Mapping]:
    """Load every ``*.toml`` under ``root``, keyed by path; one MappingError lists every file's problems."""
    mappings: dict[str, Mapping] = {}
    problems: list[str] = []
    for path in sorted(Path(root).rglob("*.toml")):
        try:
            mappings[str(path)] = load_flow_mapping(path)
        except (MappingError, RuleError) as exc:
            problems.extend(exc.problems)
    if problems:
        raise MappingError(problems[0], problems=problems)
    return mappings


def _named_kind(data: Any, source: str) -> str:
    """The kind ``data`` names (a version 1 file: the handoff); MappingError when it names none known."""
    table = data if isinstance(data, dict) else {}
    kind = table.get("kind")
    if kind is None and table.get("version") == 1:
        return VERSION_1_KIND
    if kind is None:
        raise MappingError(
            f"{source}: kind: required key is missing; the flow kind this mapping is for: "
            f"{', '.join(known_kinds())}"
        )
    if kind not in known_kinds():
        raise MappingError(
            f"{source}: kind: unknown flow kind {kind!r}; known flows: {', '.join(known_kinds())}"
        )
    return kind
