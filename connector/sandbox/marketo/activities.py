"""The Marketo fake's activity log: append-only, indexed by type, paged by opaque position tokens.

A paging token encodes a position in the log, so tokens never expire and paging costs a few bisections
and at most one page of work, whatever the size of the log (100,000 leads and their history stay fast).
"""

from __future__ import annotations

import base64
import heapq
import time
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice, pairwise
from typing import Any

_GUID_NAMESPACE = uuid.UUID("6f1f4c1e-3c5b-4f7e-9a55-7265766c6f6f")


@dataclass(slots=True)
class LoggedActivity:
    """One entry of the log. ``changed_field`` names the lead field of a data-value or score change."""

    id: int
    lead_id: int
    type_id: int
    at: float
    primary_value: str
    primary_value_id: int | None
    attributes: tuple[tuple[str, Any], ...]
    changed_field: str | None = None

    def attribute(self, name: str) -> Any:
        return next((value for key, value in self.attributes if key == name), None)

    def to_wire(self) -> dict[str, Any]:
        """The activity as ``activities.json`` returns it."""
        row: dict[str, Any] = {
            "id": self.id,
            "marketoGUID": str(uuid.uuid5(_GUID_NAMESPACE, str(self.id))),
            "leadId": self.lead_id,
            "activityDate": format_time(self.at),
            "activityTypeId": self.type_id,
        }
        if self.primary_value_id is not None:
            row["primaryAttributeValueId"] = self.primary_value_id
        row["primaryAttributeValue"] = self.primary_value
        row["attributes"] = [{"name": key, "value": value} for key, value in self.attributes]
        return row


def format_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> float:
    """Parse ``2024-05-01``, ``2024-05-01T10:00:00Z`` or ``...+0000``/``+00:00`` into epoch seconds."""
    text = value.strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def encode_token(kind: str, position: int) -> str:
    """An opaque, base32-looking token like Marketo's; ``kind`` keeps different cursors apart."""
    return base64.b32encode(f"{kind}:{position:010d}".encode()).decode().rstrip("=")


def decode_token(kind: str, token: str) -> int:
    """The position in ``token``; ValueError when it is not a token of ``kind``."""
    try:
        raw = base64.b32decode(token + "=" * (-len(token) % 8)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError("not a paging token") from None
    prefix, _, number = raw.partition(":")
    if prefix != kind or not number.isdigit():
        raise ValueError("not a paging token")
    return int(number)


def _tail(positions: list[int], start: int) -> Iterator[int]:
    return (positions[index] for index in range(start, len(positions)))


class ActivityLog:
    """Append-only log of activities with per-type position lists; not thread-safe (the fake locks)."""

    def __init__(self) -> None:
        self.entries: list[LoggedActivity] = []
        self._by_type: dict[int, list[int]] = {}
        self._latest_date: list[float] = []  # running maximum of activity dates, for date → position

    def __len__(self) -> int:
        return len(self.entries)

    def append(
        self,
        lead_id: int,
        type_id: int,
        primary_value: str,
        *,
        at: float | None = None,
        attributes: Sequence[tuple[str, Any]] = (),
        primary_value_id: int | None = None,
        changed_field: str | None = None,
    ) -> LoggedActivity:
        position = len(self.entries)
        when = time.time() if at is None else at
        entry = LoggedActivity(
            position + 1,
            lead_id,
            type_id,
            when,
            primary_value,
            primary_value_id,
            tuple(attributes),
            changed_field,
        )
        self.entries.append(entry)
        self._by_type.setdefault(type_id, []).append(position)
        previous = self._latest_date[-1] if self._latest_date else when
        self._latest_date.append(max(previous, when))
        return entry

    def sort_by_date(self) -> None:
        """Move backdated entries (history seeded after later activities) to where their date puts them
        in Marketo's date-ordered log. Entries keep their ids; positions after the first move shift."""
        if all(earlier.at <= later.at for earlier, later in pairwise(self.entries)):
            return
        entries = sorted(self.entries, key=lambda entry: (entry.at, entry.id))
        self.entries, self._by_type, self._latest_date = [], {}, []
        for entry in entries:
            self._by_type.setdefault(entry.type_id, []).append(len(self.entries))
            self.entries.append(entry)
            self._latest_date.append(max(self._latest_date[-1], entry.at) if self._latest_date else entry.at)

    def position_since(self, epoch: float) -> int:
        """The first position from which every later activity is dated at or after ``epoch``."""
        return bisect_left(self._latest_date, epoch)

    def page(
        self,
        position: int,
        type_ids: Sequence[int],
        batch_size: int,
        keep: Callable[[LoggedActivity], bool] | None = None,
    ) -> tuple[list[LoggedActivity], int, bool]:
        """Up to ``batch_size`` activities of ``type_ids`` from ``position`` on, in log order.

        Returns the activities, the position to resume from and whether more matching ones follow.
        """
        streams = []
        for type_id in set(type_ids):
            positions = self._by_type.get(type_id, [])
            streams.append(_tail(positions, bisect_left(positions, position)))
        matching = (index for index in heapq.merge(*streams) if keep is None or keep(self.entries[index]))
        taken = list(islice(matching, batch_size + 1))
        more = len(taken) > batch_size
        taken = taken[:batch_size]
        resume = taken[-1] + 1 if more else len(self.entries)
        return [self.entries[index] for index in taken], resume, more
