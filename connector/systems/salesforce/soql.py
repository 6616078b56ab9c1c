"""SOQL the Salesforce adapter sends, built only through ``format_soql``, and its change cursor.

The change cursor is ``{"since": W, "last": [stamp, id]}``: read records with ``SystemModstamp >= W``
that come after ``(stamp, id)`` in ``ORDER BY SystemModstamp, Id``. A page's cursor resumes right after
the page. The cursor for the next run drops ``last`` and moves ``since`` to the newest stamp read minus
a lag: Salesforce stamps have one-second precision and long transactions commit late, so the overlap
is re-read on purpose (the flow skips unchanged payloads by hash).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from simple_salesforce.format import format_soql, quote_soql_value

from connector.errors import ConfigError
from connector.records import Cursor, Record

STAMP = "SystemModstamp"
MAX_URL_CHARS = 12_000
"""Salesforce refuses request URIs of about 16 KB; key lists are chunked to stay well below."""
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$")


def soql_name(name: str) -> str:
    """An object or field name for SOQL text; anything else is a configuration mistake, never data."""
    if not _NAME.match(name):
        raise ConfigError(f"{name!r} is not a Salesforce object or field name")
    return name


def select_list(leading: Sequence[str], fields: Sequence[str]) -> str:
    """``leading`` then ``fields`` without repeats (Salesforce refuses a field selected twice)."""
    names: dict[str, str] = {}
    for name in (*leading, *fields):
        names.setdefault(soql_name(name).lower(), name)
    return ", ".join(names.values())


def parse_stamp(value: str) -> datetime:
    """A Salesforce datetime (``2024-05-01T12:00:00.000+0000`` or ISO 8601) as an aware datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ChangeWindow:
    """Where a change read stands: the run's lower bound and the last (stamp, id) read."""

    since: str | None
    last: tuple[str, str] | None = None

    @classmethod
    def from_cursor(cls, cursor: Cursor | None) -> ChangeWindow:
        if not cursor:
            return cls(since=None)
        last = cursor.get("last")
        return cls(since=cursor.get("since"), last=(str(last[0]), str(last[1])) if last else None)

    def query(self, obj: str, fields: Sequence[str]) -> str:
        soql = f"SELECT {select_list(['Id', STAMP], fields)} FROM {soql_name(obj)}"
        conditions = []
        if self.since is not None:
            conditions.append(format_soql(f"{STAMP} >= {{}}", parse_stamp(self.since)))
        if self.last is not None:
            stamp, record_id = parse_stamp(self.last[0]), self.last[1]
            conditions.append(
                format_soql(
                    f"({STAMP} > {{stamp}} OR ({STAMP} = {{stamp}} AND Id > {{record_id}}))",
                    stamp=stamp,
                    record_id=record_id,
                )
            )
        if conditions:
            soql += " WHERE " + " AND ".join(conditions)
        return soql + f" ORDER BY {STAMP}, Id"

    def after(self, records: Sequence[Record]) -> ChangeWindow:
        if not records:
            return self
        newest = records[-1]
        return ChangeWindow(self.since, (str(newest.modified_at), newest.id))

    def resume_cursor(self) -> dict[str, Any]:
        """Resume right after the last record read, within the same run's lower bound."""
        cursor: dict[str, Any] = {"since": self.since}
        if self.last is not None:
            cursor["last"] = list(self.last)
        return cursor

    def next_run_cursor(self, lag_s: float) -> dict[str, Any]:
        """Start the next run at the newest stamp read minus ``lag_s`` (never before this run's bound)."""
        if self.last is None:
            return {"since": self.since}
        since = parse_stamp(self.last[0]) - timedelta(seconds=lag_s)
        if self.since is not None:
            since = max(since, parse_stamp(self.since))
        return {"since": iso(since)}


def to_record(raw: Mapping[str, Any]) -> Record:
    """A query result row as a Record: fields without ``attributes``, modified_at from SystemModstamp.

    The id comes from ``Id``, or from the record url when the query did not select Id.
    """
    record_id = raw.get("Id") or str((raw.get("attributes") or {}).get("url", "")).rsplit("/", 1)[-1]
    return Record(id=str(record_id), fields=_without_attributes(raw), modified_at=raw.get(STAMP))


def _without_attributes(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: _without_attributes(value) if isinstance(value, Mapping) else value
        for name, value in raw.items()
        if name != "attributes"
    }


def key_queries(
    obj: str, key_field: str, keys: Sequence[str], fields: Sequence[str], base_url: str
) -> Iterator[str]:
    """``SELECT Id, key, fields FROM obj WHERE key IN (...)``, chunked so each GET URL stays short enough."""
    selected = select_list(["Id", key_field], fields)
    head = f"SELECT {selected} FROM {soql_name(obj)} WHERE {soql_name(key_field)} IN "
    fixed = len(base_url) + len("?q=") + len(urllib.parse.quote_plus(head + "()"))
    chunk: list[str] = []
    size = fixed
    for key in dict.fromkeys(keys):
        cost = len(urllib.parse.quote_plus(quote_soql_value(key))) + len("%2C")
        if chunk and size + cost > MAX_URL_CHARS:
            yield format_soql(head + "{}", chunk)
            chunk, size = [], fixed
        chunk.append(key)
        size += cost
    if chunk:
        yield format_soql(head + "{}", chunk)
