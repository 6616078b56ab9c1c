"""Declarative mappings: TOML files → validated specs → pure translation of records (no I/O).

Public API (everything a flow needs):

* :func:`load_mapping`, :func:`load_all`, :func:`parse_mapping` → :class:`Mapping`
* :func:`compute_metrics`, :func:`describe_engagement`, :func:`qualify` → :class:`Qualification`
* :func:`map_record`, :func:`map_writeback`, :func:`map_task`
  → :class:`MappedRecord` | :class:`MappingFailure`
* :func:`required_source_fields`, :func:`fields_needing_current`, :func:`check_against_schema`
"""

from connector.mapping.check import check_against_schema
from connector.mapping.engine import (
    MappedRecord,
    MappingFailure,
    Qualification,
    fields_needing_current,
    map_record,
    map_task,
    map_writeback,
    payload_hash,
    qualify,
    required_source_fields,
)
from connector.mapping.load import Mapping, build_mapping, load_all, load_mapping, parse_mapping
from connector.mapping.metrics import compute_metrics, describe_engagement
from connector.mapping.rules import RuleEvaluationError
from connector.mapping.spec import ACTIVITY_KINDS, CONTEXT_NAMES, MATCH_RULES

__all__ = [
    "ACTIVITY_KINDS",
    "CONTEXT_NAMES",
    "MATCH_RULES",
    "MappedRecord",
    "Mapping",
    "MappingFailure",
    "Qualification",
    "RuleEvaluationError",
    "build_mapping",
    "check_against_schema",
    "compute_metrics",
    "describe_engagement",
    "fields_needing_current",
    "load_all",
    "load_mapping",
    "map_record",
    "map_task",
    "map_writeback",
    "parse_mapping",
    "payload_hash",
    "qualify",
    "required_source_fields",
]
