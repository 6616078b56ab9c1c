"""Marketo's change stream: the activity log, paged by Marketo paging tokens.

A cursor is ``{"token": <nextPageToken>}``. Marketo's activity log is append-only, so the token of the
last page starts the next run: a run with no changes costs exactly one call. ``{"since": <ISO time>}``
(what an initial load leaves, :mod:`connector.systems.marketo.initial`) starts at a paging token for
that time; no cursor starts ``backfill_days`` ago.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connector.errors import ConfigError
from connector.records import Activity, Cursor, Page, Record
from connector.systems.marketo.http import Envelope, MarketoClient

NEW_LEAD, CHANGE_DATA_VALUE, CHANGE_SCORE = 12, 13, 22
CHANGE_TYPE_IDS = (NEW_LEAD, CHANGE_DATA_VALUE, CHANGE_SCORE)
ACTIVITY_KINDS: Mapping[str, int] = {
    "page_view": 1,  # Visit Webpage: primaryAttributeValue is the page URL
    "form_fill": 2,  # Fill Out Form: the form name
    "link_click": 3,  # Click Link: the link URL
    "email_open": 10,  # Open Email: the email name
    "email_click": 11,  # Click Email: the email name
}
MAX_ACTIVITY_TYPES = 10
PAGE_SIZE = 300

LeadFetcher = Callable[[Sequence[str], Sequence[str]], list[Record]]
"""Reads the current state of leads by id with the given fields (at most one page of ids at a time)."""


def iso_utc(value: Any) -> str | None:
    """Marketo dates (``2023-01-16T23:32:19Z`` or ``2014-09-17T22:31:49+0000``) as ``...Z`` UTC text."""
    if value in (None, ""):
        return None
    text = str(value).strip().replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lead_record(row: Mapping[str, Any], fields: Sequence[str]) -> Record:
    """A lead as a Record: every requested field present (Marketo leaves nulls out), ``updatedAt`` as time."""
    if fields:
        values = {name: row.get(name) for name in fields}
    else:
        values = {name: value for name, value in row.items() if name != "id"}
    return Record(id=str(row["id"]), fields=values, modified_at=iso_utc(row.get("updatedAt")))


def read_fields(fields: Sequence[str]) -> str:
    """The ``fields`` parameter: the requested fields plus ``updatedAt`` (for ``modified_at``)."""
    return ",".join(dict.fromkeys([*fields, "updatedAt"])) if fields else ""


def activity_type_ids(kinds: Sequence[str]) -> tuple[tuple[int, ...], dict[int, str]]:
    """The type ids to page (changes plus the requested kinds) and the kind name of each requested id."""
    unknown = [kind for kind in kinds if kind not in ACTIVITY_KINDS]
    if unknown:
        raise ConfigError(
            f"marketo: unknown activity kind(s) {', '.join(map(repr, unknown))}; "
            f"known kinds: {', '.join(ACTIVITY_KINDS)}"
        )
    kind_by_type = {ACTIVITY_KINDS[kind]: kind for kind in kinds}
    type_ids = tuple(dict.fromkeys([*CHANGE_TYPE_IDS, *kind_by_type]))
    if len(type_ids) > MAX_ACTIVITY_TYPES:
        raise ConfigError(
            f"marketo: at most {MAX_ACTIVITY_TYPES} activity types per read, got {len(type_ids)}"
        )
    return type_ids, kind_by_type


def to_activity(row: Mapping[str, Any], kind: str) -> Activity:
    return Activity(
        record_id=str(row.get("leadId")),
        kind=kind,
        value=str(row.get("primaryAttributeValue") or ""),
        at=iso_utc(row.get("activityDate")) or "",
        id=str(row.get("marketoGUID") or row.get("id") or ""),
    )


class ChangeReader:
    """Pages one activity endpoint from a token and turns each page into a :class:`Page`."""

    def __init__(self, client: MarketoClient, fetch_leads: LeadFetcher, *, backfill_days: int) -> None:
        self.client = client
        self.fetch_leads = fetch_leads
        self.backfill_days = backfill_days

    def activities(
        self, cursor: Cursor | None, fields: Sequence[str], kinds: Sequence[str]
    ) -> Iterator[Page]:
        """New leads, data value and score changes, plus activities of ``kinds``."""
        type_ids, kind_by_type = activity_type_ids(kinds)
        params = {"activityTypeIds": ",".join(map(str, type_ids)), "batchSize": PAGE_SIZE}

        def page(rows: list[dict[str, Any]], cursor: Cursor) -> Page:
            records = self._leads_of(rows, fields)
            present = {
                record.id for record in records
            }  # a lead deleted since has no record: drop its activities
            activities = tuple(
                to_activity(row, kind_by_type[row["activityTypeId"]])
                for row in rows
                if row.get("activityTypeId") in kind_by_type and str(row.get("leadId")) in present
            )
            return Page(records, cursor, activities)

        return self._pages("activities", "activities.json", params, cursor, page)

    # ---- internals -------------------------------------------------------------------------------
    def _pages(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, Any],
        cursor: Cursor | None,
        to_page: Callable[[list[dict[str, Any]], Cursor], Page],
    ) -> Iterator[Page]:
        token = self._start_token(cursor)
        while True:
            body: Envelope = self.client.get(endpoint, path, {**params, "nextPageToken": token})
            rows = body.get("result") or []  # Marketo leaves `result` out when nothing matched
            token = body.get("nextPageToken") or token
            yield to_page(rows, {"token": token})
            if not body.get("moreResult"):
                return

    def _start_token(self, cursor: Cursor | None) -> str:
        if cursor is None:
            return self._token_since(datetime.now(UTC) - timedelta(days=self.backfill_days))
        token = cursor.get("token") if isinstance(cursor, Mapping) else None
        if isinstance(token, str) and token:
            return token
        since = cursor.get("since") if isinstance(cursor, Mapping) else None
        if isinstance(since, str) and since:
            return self._token_since(datetime.fromisoformat(since.replace("Z", "+00:00")))
        raise ConfigError(f"marketo: {cursor!r} is not a Marketo cursor (expected {{'token': ...}})")

    def _token_since(self, moment: datetime) -> str:
        """A paging token for the activity log from ``moment`` on (one call)."""
        body = self.client.get(
            "activities.pagingtoken",
            "activities/pagingtoken.json",
            {"sinceDatetime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        return str(body["nextPageToken"])

    def _leads_of(self, rows: list[dict[str, Any]], fields: Sequence[str]) -> tuple[Record, ...]:
        lead_ids = list(dict.fromkeys(str(row["leadId"]) for row in rows if row.get("leadId") is not None))
        return tuple(self.fetch_leads(lead_ids, fields)) if lead_ids else ()
