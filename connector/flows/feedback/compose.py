"""What to write to one person's MA record: pure functions over a snapshot, in two steps.

:func:`compose` needs nothing of the MA. It maps ``[fields]``, then ``[opportunity.fields]`` for a person
with an opportunity (they win; an ordered field takes the further value), then ``[nurture.fields]`` for
a disqualified person (they win, and may move an ordered field back: that is their point). A blank value
is never written (the MA keeps its own), and a value whose sources are revloop's own echo keeps what
revloop last wrote. Its payload hash says whether anything changed since the last write.

:func:`finish` needs the MA's current values of the fields that depend on them (:func:`needs_current`):
it withholds what a conflict rule protects, what would move an ordered field backwards, and values the
MA already holds. A record left with nothing to send costs no call.
"""

from __future__ import annotations

from collections.abc import Mapping as Values
from dataclasses import dataclass, replace
from typing import Any

from connector.flows.feedback.mapping import FeedbackMapping
from connector.mapping import (
    CompiledField,
    Conflicts,
    MappedRecord,
    MappingFailure,
    map_section,
    payload_hash,
)
from connector.mapping.conflicts import WritePolicy, same_value
from connector.mapping.echoes import ECHO, hold, sources_of
from connector.mapping.transforms import is_blank

BLANK = "blank in Salesforce: the MA keeps its value"
SECTIONS = ("fields", "opportunity.fields", "nurture.fields")


@dataclass(frozen=True)
class Composed:
    """A person's MA payload before the MA-dependent rules, and which field of the mapping produced each
    value. ``backwards``: ordered fields this write may move back (set by [nurture])."""

    mapped: MappedRecord
    producers: Values[str, CompiledField]
    backwards: frozenset[str]


def compose(
    mapping: FeedbackMapping,
    item: Values[str, Any],
    *,
    key: str,
    owner: tuple[str | None, str | None] | None = None,
    last_written: Values[str, Any] | None,
) -> Composed | MappingFailure:
    """The payload for the MA record keyed ``key`` (its id) from one person's snapshot ``item``;
    ``owner``: the owner's email and MA owner id, when the mapping writes them."""
    owner_email, ma_owner_id = owner or (None, None)
    values = {**item["values"], "owner_email": owner_email, "ma_owner_id": ma_owner_id}
    target = mapping.spec.target
    record = (target.object, target.upsert_key, key)
    chosen: dict[str, tuple[Any, CompiledField]] = {}
    backwards: set[str] = set()
    for key_path in _sections(mapping, values):
        mapped = map_section(mapping, key_path, record, values, values, conflicts=Conflicts(True, None, None))
        if isinstance(mapped, MappingFailure):
            return mapped
        for compiled in mapping.section(key_path):
            if compiled.name in mapped.payload:
                _choose(mapping, chosen, compiled, mapped.payload[compiled.name], key_path, backwards)
    payload = {name: value for name, (value, _) in chosen.items()}
    producers = {name: compiled for name, (_, compiled) in chosen.items()}
    full = MappedRecord(target.object, target.upsert_key, key, dict(payload), payload,
                        payload_hash(target.object, payload))  # fmt: skip
    reasons = {name: BLANK for name, value in payload.items() if is_blank(value)}
    unchanged = frozenset(item.get("echoes", ()))
    for name, compiled in producers.items():
        if name not in reasons and (sources := sources_of(compiled)) and sources <= unchanged:
            reasons[name] = ECHO
    return Composed(hold(full, reasons, last_written), producers, frozenset(backwards))


def _sections(mapping: FeedbackMapping, values: Values[str, Any]) -> list[str]:
    applies = {
        "fields": True,
        "opportunity.fields": values.get("opportunity_id") is not None,
        "nurture.fields": bool(values.get("disqualified")),
    }
    return [path for path in SECTIONS if applies[path] and mapping.section(path)]


def _choose(
    mapping: FeedbackMapping,
    chosen: dict[str, tuple[Any, CompiledField]],
    compiled: CompiledField,
    value: Any,
    key_path: str,
    backwards: set[str],
) -> None:
    """A later table's value wins over an earlier one unless it is blank; for an ordered field the
    opportunity's value only wins when it is further."""
    name, earlier = compiled.name, chosen.get(compiled.name)
    if earlier is not None and is_blank(value):
        return
    order = mapping.spec.order.get(name)
    further_first = earlier is not None and order is not None and key_path == "opportunity.fields"
    if further_first and _position(order.values, value) < _position(order.values, earlier[0]):
        return
    if key_path == "nurture.fields":
        backwards.add(name)
    chosen[name] = (value, compiled)


def _position(values: tuple[str, ...], value: Any) -> int:
    return values.index(str(value)) if str(value) in values else -1


def needs_current(mapping: FeedbackMapping) -> tuple[str, ...]:
    """The MA fields whose current value decides whether they are written: conflict rules that keep the
    MA's edits, and ordered fields that may only move forward."""
    protected = {
        compiled.name
        for key_path in SECTIONS
        for compiled in mapping.section(key_path)
        if compiled.policy in (WritePolicy.UNLESS_CHANGED, WritePolicy.ONLY_IF_BLANK)
    }
    protected |= {
        name for name, order in mapping.spec.order.items() if not order.backwards or order.clear_to_move_back
    }
    return tuple(sorted(protected))


def finish(
    mapping: FeedbackMapping,
    composed: Composed,
    current: Values[str, Any],
    last_written: Values[str, Any] | None,
) -> MappedRecord:
    """``composed`` with only what may and must be sent, given the MA's ``current`` values (those of
    :func:`needs_current`, and any others read). The payload and its hash stay: they are the intent."""
    mapped, reasons = composed.mapped, {}
    for name, value in mapped.fields.items():
        reason = _withhold_reason(mapping, composed, name, value, current, last_written or {})
        if reason is not None:
            reasons[name] = reason
    if not reasons:
        return mapped
    fields = {name: value for name, value in mapped.fields.items() if name not in reasons}
    return replace(mapped, fields=fields, withheld={**mapped.withheld, **reasons})


def _withhold_reason(
    mapping: FeedbackMapping,
    composed: Composed,
    name: str,
    value: Any,
    current: Values[str, Any],
    last: Values[str, Any],
) -> str | None:
    if name in current and same_value(current[name], value):
        return "the MA holds this value already"
    compiled = composed.producers[name]
    rule = compiled.spec.conflict
    if compiled.policy is WritePolicy.ONLY_IF_BLANK and not is_blank(current.get(name)):
        return f"the MA has a value ({rule})"
    if compiled.policy is WritePolicy.UNLESS_CHANGED:
        before = last.get(name) if name in last else None  # never written: only a blank may be filled
        if not same_value(current.get(name), before):
            return f"changed in the MA since revloop wrote it ({rule})"
    order = mapping.spec.order.get(name)
    if order is not None and not order.backwards and name not in composed.backwards:
        now = current.get(name)
        if _position(order.values, value) < _position(order.values, now):
            return f"forward-only: the MA is at {now!r}, after {value!r}"
    return None


def moving_back(
    mapping: FeedbackMapping, fields: Values[str, Any], current: Values[str, Any]
) -> tuple[str, ...]:
    """The ordered fields this write moves back that must be cleared first (``clear_to_move_back``)."""
    return tuple(
        name
        for name, order in mapping.spec.order.items()
        if order.clear_to_move_back
        and name in fields
        and not is_blank(current.get(name))
        and _position(order.values, fields[name]) < _position(order.values, current.get(name))
    )
