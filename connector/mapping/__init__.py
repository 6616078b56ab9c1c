"""Declarative mappings: TOML files → validated specs → pure translation of records (no I/O).

The core every flow kind shares (``[source]``, ``[target]``, ``[fields]``, transforms, conflict rules)
lives here; a kind adds its sections with a subclass of :class:`MappingSpec` in its own package and
passes that class to the loader. Public API:

* :func:`load_mapping`, :func:`parse_mapping`, :func:`build_mapping` (each given the kind's spec)
  → :class:`Mapping`
* :func:`map_record`, :func:`map_section` → :class:`MappedRecord` | :class:`MappingFailure`
* :func:`compute_metrics`, :func:`describe_engagement`, :func:`required_source_fields`,
  :func:`names_needing_current`, :func:`payload_hash`
* :mod:`connector.mapping.check`: the pieces of a check against live schemas
"""

from connector.mapping.compiled import CompiledField, Mapping
from connector.mapping.conflicts import Conflicts
from connector.mapping.engine import (
    MappedRecord,
    MappingFailure,
    map_record,
    map_section,
    names_needing_current,
    payload_hash,
    required_source_fields,
)
from connector.mapping.load import build_mapping, load_mapping, parse_mapping, read_mapping_data
from connector.mapping.metrics import compute_metrics, describe_engagement
from connector.mapping.rules import RuleEvaluationError
from connector.mapping.spec import (
    ACTIVITY_KINDS,
    Conflict,
    Direction,
    FieldSection,
    MappingSpec,
    MetricSpec,
    Strict,
)

__all__ = [
    "ACTIVITY_KINDS",
    "CompiledField",
    "Conflict",
    "Conflicts",
    "Direction",
    "FieldSection",
    "MappedRecord",
    "Mapping",
    "MappingFailure",
    "MappingSpec",
    "MetricSpec",
    "RuleEvaluationError",
    "Strict",
    "build_mapping",
    "compute_metrics",
    "describe_engagement",
    "load_mapping",
    "map_record",
    "map_section",
    "names_needing_current",
    "parse_mapping",
    "payload_hash",
    "read_mapping_data",
    "required_source_fields",
]
