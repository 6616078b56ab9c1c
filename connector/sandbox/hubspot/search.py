"""CRM search for the HubSpot fake: filter groups, one sort, offset paging capped at 10,000 results.

Queries that filter only on ``hs_object_id``, the modified date and the create date, sorted by id (the
incremental-read pattern), run over the table's sorted columns: a bisect for the id bound, then one
list pass per filter, with no per-record function calls. Everything else goes through compiled predicates.
"""

from __future__ import annotations

import bisect
import fnmatch
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.sandbox.hubspot.store import ObjectTable, StoredObject, to_ms

MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 6, 18
_COMPARE = {
    "EQ": operator.eq,
    "NEQ": operator.ne,
    "GT": operator.gt,
    "GTE": operator.ge,
    "LT": operator.lt,
    "LTE": operator.le,
}
_TOKEN = re.compile(r"[\w.@+-]+")
Predicate = Callable[[StoredObject], bool]


class SearchError(ValueError):
    """The search request is one HubSpot answers with 400."""


@dataclass(frozen=True)
class SearchQuery:
    groups: tuple[tuple[Mapping[str, Any], ...], ...]
    sort_property: str
    descending: bool
    properties: tuple[str, ...]
    limit: int
    after: int
    text: str


def parse_query(body: Mapping[str, Any]) -> SearchQuery:
    """Read a search body, enforcing HubSpot's limits on groups, filters, limit and paging."""
    groups = tuple(tuple(group.get("filters") or ()) for group in body.get("filterGroups") or ())
    if len(groups) > MAX_GROUPS or any(len(group) > MAX_FILTERS_PER_GROUP for group in groups):
        raise SearchError(f"Too many filters: at most {MAX_GROUPS} groups of {MAX_FILTERS_PER_GROUP} filters")
    if sum(len(group) for group in groups) > MAX_FILTERS:
        raise SearchError(f"Too many filters: at most {MAX_FILTERS} in total")
    limit = int(body.get("limit") or 10)
    if not 0 < limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    after = int(body.get("after") or 0)
    if after >= MAX_RESULTS:
        raise SearchError(
            f"Search results are limited to {MAX_RESULTS} per query; paging past them is not supported. "
            "Narrow the query instead."
        )
    sort_property, descending = _first_sort(body.get("sorts") or ())
    return SearchQuery(
        groups=groups,
        sort_property=sort_property,
        descending=descending,
        properties=tuple(body.get("properties") or ()),
        limit=limit,
        after=after,
        text=str(body.get("query") or "").strip().lower(),
    )


def _first_sort(sorts: Sequence[Any]) -> tuple[str, bool]:
    """Only the first sort is honoured; objects {propertyName, direction} or strings ("-name" descends)."""
    if not sorts:
        return "hs_object_id", False
    first = sorts[0]
    if isinstance(first, str):
        return first.lstrip("-"), first.startswith("-")
    return first.get("propertyName", "hs_object_id"), first.get("direction", "ASCENDING") == "DESCENDING"


def run_search(table: ObjectTable, query: SearchQuery) -> tuple[list[StoredObject], int]:
    """The page of matching records and the total number of matches."""
    for group in query.groups:
        for search_filter in group:
            if search_filter.get("propertyName") not in table.definitions:
                raise SearchError(f"Unable to search on property {search_filter.get('propertyName')!r}")
    fast = _column_search(table, query)
    if fast is not None:
        positions, total = fast
        page = positions[query.after : query.after + query.limit]
        return [table.records[table.ids[position]] for position in page], total
    matches = list(filter(_compile(table, query), table.scan()))
    if query.sort_property != "hs_object_id" or query.descending:
        key = _sort_key(table, query.sort_property)
        present = [record for record in matches if key(record) is not None]
        present.sort(key=key, reverse=query.descending)
        matches = present + [record for record in matches if key(record) is None]
    return matches[query.after : query.after + query.limit], len(matches)


def _columns(table: ObjectTable) -> dict[str, list[int]]:
    return {"hs_object_id": table.ids, table.modified_property: table.modified, "createdate": table.created}


def _column_search(table: ObjectTable, query: SearchQuery) -> tuple[list[int], int] | None:
    columns = _columns(table)
    if len(query.groups) > 1 or query.text or query.sort_property != "hs_object_id":
        return None
    filters = query.groups[0] if query.groups else ()
    if any(
        f.get("propertyName") not in columns or f.get("operator") not in (*_COMPARE, "BETWEEN")
        for f in filters
    ):
        return None
    bounds = [_number(f) for f in filters]
    if any(bound is None for bound in bounds):
        return None
    start = 0
    for search_filter, bound in zip(filters, bounds, strict=True):
        if search_filter["propertyName"] == "hs_object_id" and search_filter["operator"] in ("GT", "GTE"):
            find = bisect.bisect_right if search_filter["operator"] == "GT" else bisect.bisect_left
            start = max(start, find(table.ids, bound[0]))
    positions: list[int] = list(range(start, len(table.ids)))
    for search_filter, (low, high) in zip(filters, bounds, strict=True):
        column = columns[search_filter["propertyName"]]
        if search_filter["operator"] == "BETWEEN":
            positions = [p for p in positions if low <= column[p] <= high]
        else:
            compare = _COMPARE[search_filter["operator"]]
            positions = [p for p in positions if compare(column[p], low)]
    if query.descending:
        positions.reverse()
    return positions, len(positions)


def _number(search_filter: Mapping[str, Any]) -> tuple[int, int] | None:
    low = to_ms(str(search_filter.get("value", "")))
    high = (
        to_ms(str(search_filter.get("highValue", ""))) if search_filter.get("operator") == "BETWEEN" else low
    )
    return None if low is None or high is None else (low, high)


def _compile(table: ObjectTable, query: SearchQuery) -> Predicate:
    """One predicate for the whole query; filter values are converted once, not once per record."""
    groups = [[_compile_filter(table, f) for f in group] for group in query.groups]
    text = query.text

    def matches(record: StoredObject) -> bool:
        if text and not any(text in value.lower() for value in record.properties.values()):
            return False
        return not groups or any(all(test(record) for test in group) for group in groups)

    return matches


def _as_number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _as_ms(raw: str | None) -> int | None:
    return to_ms(raw) if raw else None


def _as_text(raw: str | None) -> str | None:
    return raw.lower() if raw else None


def _converter(table: ObjectTable, name: str) -> Callable[[str | None], Any]:
    """How HubSpot compares a property: numbers and dates numerically, text case-insensitively."""
    kind = table.definitions[name]["type"]
    if kind == "number":
        return _as_number
    if kind in ("datetime", "date"):
        return _as_ms
    return _as_text


def _typed(table: ObjectTable, name: str, raw: str | None) -> Any:
    return _converter(table, name)(raw)


def _sort_key(table: ObjectTable, name: str) -> Callable[[StoredObject], Any]:
    convert = _converter(table, name)
    return lambda record: convert(record.properties.get(name))


def _compile_filter(table: ObjectTable, search_filter: Mapping[str, Any]) -> Predicate:
    name, op = search_filter["propertyName"], search_filter["operator"]
    value_of = _sort_key(table, name)
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        present = op == "HAS_PROPERTY"
        return lambda record: (record.properties.get(name) not in (None, "")) == present
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern, wanted = str(search_filter.get("value", "")).lower(), op == "CONTAINS_TOKEN"
        return lambda record: (
            wanted
            == any(
                fnmatch.fnmatchcase(token, pattern)
                for token in _TOKEN.findall((record.properties.get(name) or "").lower())
            )
        )
    if op in ("IN", "NOT_IN"):
        values, wanted = {_typed(table, name, str(v)) for v in search_filter.get("values") or ()}, op == "IN"
        return lambda record: (value_of(record) in values) == wanted
    target = _typed(table, name, str(search_filter.get("value", "")))
    if op == "BETWEEN":
        high = _typed(table, name, str(search_filter.get("highValue", "")))
        return lambda record: _between(value_of(record), target, high)
    if op == "NEQ":
        return lambda record: value_of(record) != target
    compare = _COMPARE[op]
    return lambda record: _compared(compare, value_of(record), target)


def _between(value: Any, low: Any, high: Any) -> bool:
    return value is not None and low is not None and high is not None and low <= value <= high


def _compared(compare: Callable[[Any, Any], bool], value: Any, target: Any) -> bool:
    return value is not None and target is not None and compare(value, target)
