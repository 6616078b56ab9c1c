"""A mapping file compiled: every table of fields ready to apply, rules compiled, names resolved."""

from __future__ import annotations

from collections.abc import Mapping as Table
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spec.py names Mapping as the default compiled form, so import its types lazily
    from connector.mapping.conflicts import WritePolicy
    from connector.mapping.rules import Rule
    from connector.mapping.spec import FieldSpec, MappingSpec, MetricSpec
    from connector.mapping.template import Template
    from connector.mapping.transforms import Transform


@dataclass(frozen=True, slots=True)
class CompiledField:
    """One ``[fields.X]`` entry (or of another table of fields), ready to apply."""

    name: str
    spec: FieldSpec
    transforms: tuple[Transform, ...]
    template: Template | None
    policy: WritePolicy
    key_path: str  # e.g. "fields.Phone", for messages


@dataclass(frozen=True, slots=True)
class Mapping:
    """A loaded, validated mapping file. Immutable; share it freely between threads and records.

    ``sections`` and ``rules`` are keyed by the key paths the spec declares (``"fields"``,
    ``"qualify.rule"``); a table the file leaves out has no fields.
    """

    path: str
    spec: MappingSpec
    sections: Table[str, tuple[CompiledField, ...]]
    rules: Table[str, Rule]
    metrics: Table[str, MetricSpec]
    source_fields: frozenset[str]  # declared source fields: from names, templates, [source], keys
    context_names: frozenset[str]  # the kind's run-time names and every metric name

    @property
    def name(self) -> str:
        return Path(self.path).stem

    @property
    def fields(self) -> tuple[CompiledField, ...]:
        """``[fields]``: the fields written to the target."""
        return self.sections["fields"]

    @property
    def metric_names(self) -> frozenset[str]:
        return frozenset(self.metrics)

    def section(self, key_path: str) -> tuple[CompiledField, ...]:
        """The fields of the table at ``key_path`` (``"writeback.fields"``); empty when it is absent."""
        return self.sections.get(key_path, ())
