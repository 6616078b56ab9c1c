"""Reading HubSpot: incremental change windows over the search API, and reads by key.

A change window is every record whose modified date is at or after ``since``. It is read in pages sorted
by ``hs_object_id`` ascending (unique, so the order is total and stable), and every page is a fresh query
``modified >= since AND hs_object_id > last id read``. A query therefore never pages past HubSpot's
10,000-result cap, and any number of records sharing one timestamp is read exactly once per window.

Search is eventually consistent and a record modified during the read may sit behind the current id, so
the next window starts at ``min(latest modified date read, read start - lag)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from connector.errors import StateError
from connector.records import Cursor, Page, Record
from connector.systems.hubspot.transport import HubSpotTransport

CURSOR_VERSION = 1
SEARCH_PAGE = 200
BATCH_READ = 100
IN_VALUES = 100
ID_KEYS = ("hs_object_id", "id")


def modified_property(obj: str) -> str:
    """The modified-date property: ``lastmodifieddate`` on contacts, ``hs_lastmodifieddate`` elsewhere."""
    return "lastmodifieddate" if obj in ("contacts", "0-1") else "hs_lastmodifieddate"


def time_ms(value: str | None) -> int | None:
    """HubSpot's datetime values (ISO 8601 or ms epoch) in ms epoch."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    moment = datetime.fromisoformat(value)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


@dataclass(frozen=True)
class Window:
    """Where a change read stands. ``since`` None means a full read (no date filter)."""

    since: int | None
    read_started: int
    after_id: int | None = None
    max_seen: int | None = None

    @classmethod
    def resume(cls, cursor: Cursor | None, now_ms: int) -> Window:
        """The window a cursor continues: a page cursor keeps its window's read start; a final cursor
        (no ``after_id``) opens a new window read from now."""
        if cursor is None:
            return cls(since=None, read_started=now_ms)
        if cursor.get("version") != CURSOR_VERSION:
            raise StateError(
                f"hubspot: cursor version {cursor.get('version')!r} is not {CURSOR_VERSION}; "
                "reset the flow's cursor to read everything again"
            )
        if cursor.get("after_id") is None:
            return cls(since=cursor.get("since"), read_started=now_ms)
        return cls(
            since=cursor.get("since"),
            read_started=int(cursor["read_started"]),
            after_id=int(cursor["after_id"]),
            max_seen=cursor.get("max_seen"),
        )

    def past(self, records: Sequence[Record]) -> Window:
        """The window after ``records`` (ascending ids) were read."""
        if not records:
            return self
        seen = [ms for ms in (time_ms(r.modified_at) for r in records) if ms is not None]
        if self.max_seen is not None:
            seen.append(self.max_seen)
        return replace(self, after_id=int(records[-1].id), max_seen=max(seen, default=None))

    def page_cursor(self) -> dict[str, Any]:
        return {
            "version": CURSOR_VERSION,
            "since": self.since,
            "after_id": self.after_id,
            "read_started": self.read_started,
            "max_seen": self.max_seen,
        }

    def final_cursor(self, lag_ms: int) -> dict[str, Any]:
        """Opens the next run's window: never later than what this one read or could have missed.
        When nothing was read, ``since`` does not move forward."""
        latest = self.max_seen if self.max_seen is not None else self.since
        since = self.read_started - lag_ms if latest is None else min(latest, self.read_started - lag_ms)
        return {"version": CURSOR_VERSION, "since": since}

    def filters(self, modified: str) -> list[dict[str, str]]:
        filters = []
        if self.since is not None:
            filters.append({"propertyName": modified, "operator": "GTE", "value": str(self.since)})
        if self.after_id is not None:
            filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": str(self.after_id)})
        return filters


def search_body(filters: list[dict[str, Any]], properties: Sequence[str]) -> dict[str, Any]:
    """A search sorted by record id; ``after`` is always "0" because every page is a fresh keyset query."""
    return {
        "filterGroups": [{"filters": filters}] if filters else [],
        "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "properties": list(properties),
        "limit": SEARCH_PAGE,
        "after": "0",
    }


def to_record(result: Mapping[str, Any], modified: str) -> Record:
    properties = dict(result.get("properties") or {})
    return Record(id=str(result["id"]), fields=properties, modified_at=properties.get(modified))


class HubSpotReader:
    """Reads for one adapter; every call goes through the transport (and so the guard)."""

    def __init__(self, transport: HubSpotTransport, *, lag_ms: int) -> None:
        self.transport = transport
        self.lag_ms = lag_ms

    def changes(self, obj: str, cursor: Cursor | None, fields: Sequence[str], now_ms: int) -> Iterator[Page]:
        modified = modified_property(obj)
        properties = list(dict.fromkeys([*fields, modified, "hs_object_id"]))
        window = Window.resume(cursor, now_ms)
        while True:
            body = self._search(obj, search_body(window.filters(modified), properties))
            records = tuple(to_record(result, modified) for result in body.get("results") or ())
            window = window.past(records)
            if records and (body.get("paging") or {}).get("next"):
                yield Page(records, window.page_cursor())
                continue
            yield Page(records, window.final_cursor(self.lag_ms))
            return

    def by_ids(
        self, obj: str, id_property: str | None, keys: Sequence[str], fields: Sequence[str]
    ) -> Iterator[Record]:
        """Batch read by record id (``id_property`` None) or by a unique property, 100 keys a call."""
        modified = modified_property(obj)
        properties = list(dict.fromkeys([*fields, modified]))
        for start in range(0, len(keys), BATCH_READ):
            body: dict[str, Any] = {
                "inputs": [{"id": key} for key in keys[start : start + BATCH_READ]],
                "properties": properties,
                "propertiesWithHistory": [],
            }
            if id_property is not None:
                body["idProperty"] = id_property
            answer = self.transport.call(
                "batch.read", lambda b=body, **kw: self.transport.batch.read_with_http_info(obj, b, **kw)
            )
            for result in answer.body.get("results") or ():
                yield to_record(result, modified)

    def by_values(
        self, obj: str, key_field: str, keys: Sequence[str], fields: Sequence[str]
    ) -> Iterator[Record]:
        """Search with ``key_field IN (...)``, 100 values a filter, paged by record id."""
        modified = modified_property(obj)
        properties = list(dict.fromkeys([*fields, key_field, modified]))
        for start in range(0, len(keys), IN_VALUES):
            values = list(keys[start : start + IN_VALUES])
            after_id: int | None = None
            while True:
                filters: list[dict[str, Any]] = [
                    {"propertyName": key_field, "operator": "IN", "values": values}
                ]
                if after_id is not None:
                    filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": str(after_id)})
                body = self._search(obj, search_body(filters, properties))
                results = body.get("results") or []
                yield from (to_record(result, modified) for result in results)
                if not results or not (body.get("paging") or {}).get("next"):
                    break
                after_id = int(results[-1]["id"])

    def _search(self, obj: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.transport.call(
            "objects.search",
            lambda **kw: self.transport.search.do_search_with_http_info(obj, body, **kw),
            bucket="search",
        )
        return answer.body or {}
