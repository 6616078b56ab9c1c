"""Binds a parsed SOQL query to the fake's schema: typed predicate, sort order and an index plan.

Comparison follows Salesforce: text compares case-insensitively, ids exactly, datetimes as instants; a
literal of the wrong type for its field (a quoted datetime, an unquoted string) is a MALFORMED_QUERY.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from connector.sandbox.salesforce.relations import Path, resolve
from connector.sandbox.salesforce.schema import ID_TYPES, NUMBER_TYPES, TEXT_TYPES, FieldDef, ObjectDef
from connector.sandbox.salesforce.soql import BoolOp, Condition, Literal, Not, Query, SoqlSyntaxError, parse

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]

STAMP = "SystemModstamp"
_LITERAL_KINDS = {"datetime": "datetime", "date": "date", "boolean": "boolean"}
_TYPE_WORDS = {
    "datetime": "dateTime",
    "date": "date",
    "boolean": "boolean",
    "number": "number",
    "string": "string",
}


class SoqlFieldError(SoqlSyntaxError):
    code = "INVALID_FIELD"


class SoqlTypeError(SoqlSyntaxError):
    code = "INVALID_TYPE"


@lru_cache(maxsize=65536)  # stamps repeat (many records per second); parsing dominates big scans
def to_epoch(value: str) -> float:
    """A Salesforce datetime (``2024-05-01T12:00:00.000+0000``, ``...Z``, ``...+09:00``) as epoch seconds."""
    return datetime.fromisoformat(value).timestamp()


def _converter(field: FieldDef) -> Callable[[Any], Any]:
    if field.type == "datetime":
        return to_epoch
    if field.type in TEXT_TYPES:
        return lambda value: str(value).casefold()
    if field.type in NUMBER_TYPES:
        return float
    return lambda value: value


def _literal_kind(field: FieldDef) -> str:
    if field.type in NUMBER_TYPES:
        return "number"
    return _LITERAL_KINDS.get(field.type, "string")


@dataclass(frozen=True)
class CompiledQuery:
    """A query ready to run: which rows match, in which order, and how an index can narrow the scan."""

    obj: ObjectDef
    fields: tuple[str, ...]
    predicate: Predicate
    order: tuple[tuple[FieldDef, bool, bool], ...]
    limit: int | None
    offset: int
    stamp_floor: float | None
    """A lower bound on SystemModstamp implied by the WHERE clause (a scan can start there)."""
    stamp_ordered: bool
    """ORDER BY SystemModstamp[, Id] ascending: the (stamp, id) index already yields the answer order."""
    lookup: tuple[str, tuple[str, ...]] | None
    """An equality or IN condition on an indexed field (Id, external ids, Email) that must hold."""
    paths: Mapping[str, Path]
    """The selected relationship fields (``Account.Name``) by their name in ``fields``."""
    count: bool = False
    """``SELECT COUNT()``: answer the number of matching rows, no records."""

    def sort(self, rows: list[Row]) -> None:
        for field, descending, nulls_first in reversed(self.order):
            convert, name = _converter(field), field.name
            null_rank = 0 if nulls_first != descending else 2

            def key(row: Row, convert=convert, name=name, null_rank=null_rank) -> tuple[int, Any]:
                value = row.get(name)
                return (null_rank, 0) if value is None else (1, convert(value))

            rows.sort(key=key, reverse=descending)


def compile_query(
    text: str, objects: Mapping[str, ObjectDef], indexed: Mapping[str, tuple[str, ...]]
) -> CompiledQuery:
    """Parse and bind ``text``; raise SoqlSyntaxError (or a subclass) carrying Salesforce's errorCode."""
    query = parse(text)
    obj = _resolve_object(query, objects)
    paths = {path.name: path for path in _paths(query, obj, objects)}
    fields = _select_list(query, obj, paths)
    predicate = _predicate(query.where, obj) if query.where is not None else (lambda row: True)
    order = tuple(
        (_field(obj, item.field, item.position), item.descending, item.nulls_first) for item in query.order_by
    )
    conjuncts = _conjuncts(query.where)
    return CompiledQuery(
        obj=obj,
        fields=fields,
        predicate=predicate,
        order=order,
        limit=query.limit,
        offset=query.offset,
        stamp_floor=_stamp_floor(conjuncts),
        stamp_ordered=[(f.name, d) for f, d, _ in order]
        in ([(STAMP, False)], [(STAMP, False), ("Id", False)]),
        lookup=_lookup(conjuncts, ("Id", *indexed.get(obj.name, ()))),
        paths=paths,
        count=query.count,
    )


def _resolve_object(query: Query, objects: Mapping[str, ObjectDef]) -> ObjectDef:
    for name, obj in objects.items():
        if name.lower() == query.sobject.lower():
            return obj
    raise SoqlTypeError(
        f"sObject type '{query.sobject}' is not supported. If you are attempting to use a custom object, be "
        "sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for "
        "the appropriate names.",
        query.sobject_position,
    )


_LOWER_NAMES: dict[str, dict[str, str]] = {}


def _field(obj: ObjectDef, name: str, position: int) -> FieldDef:
    names = _LOWER_NAMES.setdefault(obj.name, {n.lower(): n for n in obj.fields})
    canonical = names.get(name.lower())
    if canonical is None:
        raise SoqlFieldError(
            f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a custom field, "
            "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
            "describe call for the appropriate names.",
            position,
        )
    return obj.fields[canonical]


def _paths(query: Query, obj: ObjectDef, objects: Mapping[str, ObjectDef]) -> list[Path]:
    """The selected relationship fields, resolved; an unknown relationship or field is INVALID_FIELD."""
    paths = []
    for name, position in query.fields:
        if "." in name:
            path = resolve(obj, name, objects)
            if path is None:
                raise SoqlFieldError(
                    f"Didn't understand relationship '{name.rsplit('.', 1)[0]}' in field path. If you are "
                    "attempting to use a custom relationship, be sure to append the '__r' after the custom "
                    "relationship name. Please reference your WSDL or the describe call for the appropriate "
                    "names.",
                    position,
                )
            paths.append(path)
    return paths


def _select_list(query: Query, obj: ObjectDef, paths: Mapping[str, Path]) -> tuple[str, ...]:
    by_lower = {name.lower(): name for name in paths}
    names: list[str] = []
    for name, position in query.fields:
        canonical = by_lower[name.lower()] if "." in name else _field(obj, name, position).name
        if canonical in names:
            raise SoqlFieldError(f"duplicate field selected: {name}", position)
        names.append(canonical)
    return tuple(names)


def _predicate(node: Condition | BoolOp | Not, obj: ObjectDef) -> Predicate:
    if isinstance(node, Not):
        inner = _predicate(node.part, obj)
        return lambda row: not inner(row)
    if isinstance(node, BoolOp):
        parts = tuple(_predicate(part, obj) for part in node.parts)
        if node.op == "AND":
            return lambda row: all(part(row) for part in parts)
        return lambda row: any(part(row) for part in parts)
    return _condition(node, obj)


def _condition(node: Condition, obj: ObjectDef) -> Predicate:
    field = _field(obj, node.field, node.position)
    name, convert = field.name, _converter(field)
    if node.op == "LIKE":
        pattern = _like_pattern(field, node)
        return lambda row: (value := row.get(name)) is not None and pattern.fullmatch(str(value)) is not None
    if node.op in ("IN", "NOTIN"):
        assert isinstance(node.value, tuple)
        members = frozenset(_operand(field, literal, node.position) for literal in node.value)
        if node.op == "IN":
            return lambda row: _maybe(convert, row.get(name)) in members
        return lambda row: _maybe(convert, row.get(name)) not in members
    assert isinstance(node.value, Literal)
    return _comparison(name, convert, node.op, _operand(field, node.value, node.position))


def _comparison(name: str, convert: Callable[[Any], Any], op: str, target: Any) -> Predicate:
    if op == "=":
        return lambda row: _maybe(convert, row.get(name)) == target
    if op == "!=":
        return lambda row: _maybe(convert, row.get(name)) != target
    compare = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op]
    if target is None:
        return lambda row: False
    return lambda row: (value := row.get(name)) is not None and compare(convert(value), target)


def _maybe(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)


def _operand(field: FieldDef, literal: Literal, position: int) -> Any:
    if literal.kind == "null":
        return None
    expected = _literal_kind(field)
    if literal.kind != expected:
        quoting = (
            "should be enclosed in quotes" if expected == "string" else "should not be enclosed in quotes"
        )
        raise SoqlSyntaxError(
            f"value of filter criterion for field '{field.name}' must be of type {_TYPE_WORDS[expected]} and "
            f"{quoting}",
            position,
        )
    return _converter(field)(literal.value)


def _like_pattern(field: FieldDef, node: Condition) -> re.Pattern[str]:
    if (
        not isinstance(node.value, Literal)
        or node.value.kind != "string"
        or field.type not in TEXT_TYPES | ID_TYPES
    ):
        raise SoqlSyntaxError(f"invalid operator on field '{field.name}': LIKE", node.position)
    raw, parts, i = node.value.text[1:-1], [], 0
    while i < len(raw):
        char = raw[i]
        if char == "\\" and i + 1 < len(raw):
            parts.append(re.escape(parse_escape(raw[i + 1])))
            i += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def parse_escape(char: str) -> str:
    return {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}.get(char, char)


def _conjuncts(where: Condition | BoolOp | Not | None) -> list[Condition]:
    if isinstance(where, Condition):
        return [where]
    if isinstance(where, BoolOp) and where.op == "AND":
        return [part for part in where.parts if isinstance(part, Condition)]
    return []


def _stamp_floor(conjuncts: list[Condition]) -> float | None:
    for condition in conjuncts:
        if condition.field.lower() == STAMP.lower() and condition.op in (">", ">="):
            assert isinstance(condition.value, Literal)
            if condition.value.kind == "datetime":
                return to_epoch(condition.value.text)
    return None


def _lookup(conjuncts: list[Condition], indexed: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    wanted = {name.lower(): name for name in indexed}
    for condition in conjuncts:
        name = wanted.get(condition.field.lower())
        if name is None or condition.op not in ("=", "IN"):
            continue
        literals = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        if all(literal.kind == "string" for literal in literals):
            return name, tuple(literal.value for literal in literals)
    return None
