"""The handoff's own mapping sections at work: qualify a record (``[qualify]``), map ``[writeback]`` and
``[task]``, and check every table of fields against the systems' live schemas.

Pure functions over a :class:`~connector.flows.handoff.mapping.HandoffMapping`, like the mapping engine.
"""

from __future__ import annotations

from collections.abc import Mapping as Values
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from connector.flows.handoff.mapping import HandoffMapping
from connector.mapping import Conflicts, MappedRecord, MappingFailure, map_section, names_needing_current
from connector.mapping.check import (
    key_field_problems,
    section_problems,
    source_problems,
    target_problems,
    written_back_problems,
)
from connector.mapping.rules import parse_number
from connector.mapping.template import render_text
from connector.mapping.transforms import is_blank
from connector.records import ObjectSchema

_EMPTY: Values[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Qualification:
    """Whether a record qualifies, and why (kept with the record so sales can read it)."""

    qualified: bool
    reason: str


def qualify(
    mapping: HandoffMapping,
    record_fields: Values[str, Any],
    metrics: Values[str, Any],
    *,
    context: Values[str, Any] | None = None,
) -> Qualification:
    """Whether the record qualifies: score ≥ threshold OR the rule holds. No ``[qualify]``: always.

    ``metrics`` come from :func:`connector.mapping.compute_metrics`; ``context`` is only needed
    when the rule reads a context name. Raises RuleEvaluationError when the rule cannot be decided.
    """
    spec = mapping.spec.qualify
    if spec is None:
        return Qualification(True, "no [qualify] section: every record qualifies")
    met: list[str] = []
    missed: list[str] = []
    if spec.score_field is not None and spec.threshold is not None:
        ok, text = _score(record_fields.get(spec.score_field), spec.threshold)
        (met if ok else missed).append(text)
    if mapping.rule is not None:
        ok = mapping.rule.evaluate(metrics, context or _EMPTY, record_fields)
        (met if ok else missed).append(
            f"rule: {mapping.rule.source}" if ok else f"rule not met: {mapping.rule.source}"
        )
    return Qualification(bool(met), "; ".join(met or missed))


def _score(raw: Any, threshold: float) -> tuple[bool, str]:
    score = parse_number(raw)
    if score is None:
        return False, "no score" if is_blank(raw) else f"score {render_text(raw)!r} is not a number"
    if score >= threshold:
        return True, f"score {render_text(score)} ≥ {render_text(threshold)}"
    return False, f"score {render_text(score)} < {render_text(threshold)}"


def map_writeback(
    mapping: HandoffMapping,
    context: Values[str, Any],
    *,
    source_schema: ObjectSchema | None = None,
    source_current: Values[str, Any] | None = None,
    last_written: Values[str, Any] | None = None,
    first_write: bool,
) -> MappedRecord | MappingFailure:
    """Map ``[writeback]`` (target → source) for one record after a successful target write.

    The values come from ``context`` (``target_id``, ``link_status``, ...). The record to update is the
    source record ``context["source_id"]``, keyed by ``writeback.key``. ``first_write`` is True the
    first time revloop writes back for this link (conflict ``source_wins`` writes then, later only while
    the MA still holds what revloop wrote). Raises ValueError when the mapping has no ``[writeback]``.
    """
    writeback = mapping.spec.writeback
    if writeback is None:
        raise ValueError(f"{mapping.path} has no [writeback] section")
    key = render_text(context.get("source_id"))
    if not key.strip():
        return MappingFailure(writeback.key, None, "the context has no source_id", "writeback.key")
    record = (mapping.spec.source.object, writeback.key, key)
    conflicts = Conflicts(first_write, source_current, last_written)
    return map_section(
        mapping, "writeback.fields", record, _EMPTY, context, schema=source_schema, conflicts=conflicts
    )


def map_task(
    mapping: HandoffMapping, source_fields: Values[str, Any], context: Values[str, Any]
) -> MappedRecord | MappingFailure:
    """Map ``[task]`` for one person: the follow-up Task's fields (the flow adds WhoId, OwnerId, due date).

    The Task is keyed by ``task.upsert_key`` = ``context["source_id"]``. Raises ValueError when the
    mapping has no ``[task]`` section.
    """
    task = mapping.spec.task
    if task is None:
        raise ValueError(f"{mapping.path} has no [task] section")
    record = (task.object, task.upsert_key, render_text(context.get("source_id")))
    return map_section(
        mapping, "task.fields", record, source_fields, context, conflicts=Conflicts(True, None, None)
    )


def fields_needing_current(mapping: HandoffMapping, *, writeback: bool = False) -> tuple[str, ...]:
    """``[fields]`` (or ``[writeback]``) fields whose conflict rule needs the written system's current
    value: read them before updates."""
    return names_needing_current(mapping.writeback_fields if writeback else mapping.fields)


def check_against_schema(
    mapping: HandoffMapping,
    target_schema: ObjectSchema | None,
    source_schema: ObjectSchema | None,
    writeback_schema: ObjectSchema | None,
    *,
    task_schema: ObjectSchema | None = None,
) -> list[str]:
    """Every way ``mapping`` does not fit the schemas; a schema given as None is not checked."""
    problems: list[str] = []
    if target_schema is not None:
        problems += target_problems(mapping, target_schema, source_schema)
    task = mapping.spec.task
    if task_schema is not None and task is not None:
        problems += key_field_problems("task.upsert_key", task.upsert_key, task_schema)
        problems += section_problems(mapping.task_fields, task_schema, source_schema)
    if source_schema is not None:
        problems += source_problems(mapping, source_schema)
    writeback = mapping.spec.writeback
    if writeback_schema is not None and writeback is not None:
        if writeback_schema.field(writeback.key) is None:
            problems.append(f"writeback.key: {writeback_schema.object} has no field {writeback.key!r}")
        problems += written_back_problems(mapping.writeback_fields, writeback_schema)
    return [f"{mapping.path}: {problem}" for problem in problems]
