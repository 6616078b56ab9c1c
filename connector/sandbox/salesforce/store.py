"""The Salesforce fake's org: records, ids, the clock and the indexes that keep big orgs fast.

Records are plain dicts that are never mutated once stored: a write stores a new dict. That makes a query
snapshot free (it keeps references) and an all-or-none rollback simple (put the old dicts back).

Indexes: a sorted (SystemModstamp, Id) list per object for incremental reads, and case-insensitive value
indexes for external ids and Email (upsert matching and the duplicate rule), so a 200-record write or a
2,000-record page never scans the whole org.

A deleted record goes to the recycle bin, stamped with its deletion (``IsDeleted`` true, SystemModstamp
moved), where only queryAll sees it, as on a real org.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from connector.sandbox.salesforce.objects import INDEXED_FIELDS, OBJECTS
from connector.sandbox.salesforce.soql_compile import STAMP, CompiledQuery, to_epoch

Row = dict[str, Any]
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_FIRST_COUNTER = 62**6 * 10  # ids look like 00Q8d00000A1b2CAAS rather than 00Q8d000000000001


def to_18(id15: str) -> str:
    """The case-safe 18-character form of a 15-character Salesforce id (the documented checksum)."""
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if "A" <= char <= "Z")
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def normalize_id(value: Any) -> str | None:
    """An 18-character id for a well-formed 15- or 18-character id, else None (MALFORMED_ID)."""
    if not isinstance(value, str) or not _ID.match(value):
        return None
    return to_18(value) if len(value) == 15 else value


def format_stamp(epoch: float) -> str:
    """Salesforce's datetime wire form: ``2024-05-01T12:00:00.000+0000``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class IdMaker:
    """Realistic, increasing 18-character ids per key prefix (3 prefix + 2 pod + 1 reserved + 9 counter)."""

    def __init__(self, pod: str = "8d") -> None:
        self.pod = pod
        self.counters: Counter[str] = Counter()

    def new(self, prefix: str) -> str:
        self.counters[prefix] += 1
        number, digits = _FIRST_COUNTER + self.counters[prefix], ""
        for _ in range(9):
            number, rest = divmod(number, 62)
            digits = _BASE62[rest] + digits
        return to_18(f"{prefix}{self.pod}0{digits}")


class Clock:
    """Whole-second timestamps that never go backwards (Salesforce stamps have one-second precision)."""

    def __init__(self) -> None:
        self.offset_s = 0.0
        self.last = 0.0

    def now(self) -> float:
        self.last = max(self.last, float(int(time.time() + self.offset_s)))
        return self.last


class Org:
    """Every record of the fake org, by object and id, with the indexes kept in step."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Row]] = {name: {} for name in OBJECTS}
        self.recycle_bin: dict[str, dict[str, Row]] = {name: {} for name in OBJECTS}
        self.by_stamp: dict[str, list[tuple[float, str]]] = {name: [] for name in OBJECTS}
        self.values: dict[tuple[str, str], dict[str, set[str]]] = {
            (obj, name): {} for obj, names in INDEXED_FIELDS.items() for name in names
        }
        self.creates: dict[tuple[str, str], Counter[str]] = {}
        self.clock = Clock()
        self.ids = IdMaker()
        self.journal: list[tuple[str, str, Row | None]] | None = None

    def get(self, obj: str, record_id: str) -> Row | None:
        return self.records[obj].get(record_id)

    def find(self, obj: str, field: str, value: Any) -> list[str]:
        """Ids of the records whose ``field`` equals ``value`` (case-insensitive), in id order."""
        if value is None:
            return []
        if field == "Id":
            record_id = normalize_id(value)
            return [record_id] if record_id in self.records[obj] else []
        index = self.values.get((obj, field))
        if index is not None:
            return sorted(index.get(str(value).casefold(), ()))
        wanted = str(value).casefold()
        return sorted(
            rid for rid, row in self.records[obj].items() if str(row.get(field, "")).casefold() == wanted
        )

    def put(self, obj: str, new: Row, *, defer_sort: bool = False) -> None:
        """Store ``new`` (a fresh dict) in place of the record with its Id, keeping indexes in step."""
        record_id = new["Id"]
        old = self.records[obj].get(record_id)
        if self.journal is not None:
            self.journal.append((obj, record_id, old))
        if old is not None:
            self._unindex(obj, old)
        else:
            self._count_create(obj, new, +1)
        self.records[obj][record_id] = new
        self._index(obj, new, defer_sort=defer_sort)

    def remove(self, obj: str, record_id: str) -> Row | None:
        """Delete a record into the recycle bin (creates stay counted: a deleted duplicate was still a
        duplicate)."""
        old = self.records[obj].pop(record_id, None)
        if old is not None:
            if self.journal is not None:
                self.journal.append((obj, record_id, old))
            self._unindex(obj, old)
            stamp = format_stamp(self.clock.now())
            self.recycle_bin[obj][record_id] = {**old, "IsDeleted": True, STAMP: stamp}
        return old

    def sort_stamps(self, obj: str) -> None:
        self.by_stamp[obj].sort()

    def begin(self) -> None:
        """Start recording writes so that :meth:`rollback` can undo them (allOrNone)."""
        self.journal = []

    def commit(self) -> None:
        self.journal = None

    def rollback(self) -> None:
        entries, self.journal = self.journal or [], None
        for obj, record_id, old in reversed(entries):
            current = self.records[obj].pop(record_id, None)  # None: the write was a delete
            if current is not None:
                self._unindex(obj, current)
            if old is None and current is not None:
                self._count_create(obj, current, -1)
            elif old is not None:
                self.recycle_bin[obj].pop(record_id, None)  # a delete undone
                self.records[obj][record_id] = old
                self._index(obj, old)

    def creates_by_key(self, obj: str, field: str) -> dict[str, int]:
        return dict(+self.creates.get((obj, field), Counter()))  # unary + drops rolled-back zeros

    def select(self, query: CompiledQuery, *, include_deleted: bool = False) -> list[Row]:
        """The rows ``query`` answers, in its order, after OFFSET and LIMIT; ``include_deleted`` (queryAll)
        adds the recycle bin's."""
        deleted = [row for row in self.recycle_bin[query.obj.name].values() if query.predicate(row)]
        if not include_deleted or not deleted:
            return self._select_live(query)
        rows = self._select_live(replace(query, offset=0, limit=None)) + deleted
        query.sort(rows)
        end = None if query.limit is None else query.offset + query.limit
        return rows[query.offset : end]

    def _select_live(self, query: CompiledQuery) -> list[Row]:
        table = self.records[query.obj.name]
        if query.lookup is not None:
            rows = [table[rid] for rid in self._lookup_ids(query.obj.name, *query.lookup)]
            rows = [row for row in rows if query.predicate(row)]
            query.sort(rows)
        elif query.stamp_ordered or query.stamp_floor is not None:
            rows = self._scan_stamps(query, table)
        else:
            rows = [row for row in table.values() if query.predicate(row)]
            query.sort(rows)
        end = None if query.limit is None else query.offset + query.limit
        return rows[query.offset : end]

    def _scan_stamps(self, query: CompiledQuery, table: dict[str, Row]) -> list[Row]:
        stamps = self.by_stamp[query.obj.name]
        start = 0 if query.stamp_floor is None else bisect_left(stamps, (query.stamp_floor,))
        enough = query.offset + query.limit if query.stamp_ordered and query.limit is not None else None
        candidates = (table[record_id] for _, record_id in islice(stamps, start, None))
        rows = list(islice(filter(query.predicate, candidates), enough))
        if not query.stamp_ordered:
            query.sort(rows)
        return rows

    def _lookup_ids(self, obj: str, field: str, values: Iterable[str]) -> list[str]:
        if field == "Id":
            ids = {normalize_id(value) for value in values}
            return sorted(rid for rid in ids if rid is not None and rid in self.records[obj])
        found: set[str] = set()
        for value in values:
            found.update(self.find(obj, field, value))
        return sorted(found)

    def _index(self, obj: str, row: Row, *, defer_sort: bool = False) -> None:
        entry = (to_epoch(row[STAMP]), row["Id"])
        if defer_sort:
            self.by_stamp[obj].append(entry)
        else:
            insort(self.by_stamp[obj], entry)
        for field in INDEXED_FIELDS[obj]:
            value = row.get(field)
            if value is not None:
                self.values[(obj, field)].setdefault(str(value).casefold(), set()).add(row["Id"])

    def _unindex(self, obj: str, row: Row) -> None:
        stamps, entry = self.by_stamp[obj], (to_epoch(row[STAMP]), row["Id"])
        position = bisect_left(stamps, entry)
        if position < len(stamps) and stamps[position] == entry:
            del stamps[position]
        for field in INDEXED_FIELDS[obj]:
            value = row.get(field)
            if value is not None:
                ids = self.values[(obj, field)].get(str(value).casefold())
                if ids is not None:
                    ids.discard(row["Id"])
                    if not ids:
                        del self.values[(obj, field)][str(value).casefold()]

    def _count_create(self, obj: str, row: Row, step: int) -> None:
        for field in OBJECTS[obj].external_ids():
            value = row.get(field)
            if value is not None:
                self.creates.setdefault((obj, field), Counter())[str(value)] += step
