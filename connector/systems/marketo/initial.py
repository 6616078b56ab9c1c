"""A flow's first run on Marketo: read every lead it should consider, then go on from the activity log.

The activity log only holds what happened lately, so a lead that existed before the first run and has
done nothing since would never be read. ``initial_load`` in [marketo] says what the first run reads:

- ``activities`` (default): nothing more; the activity log from ``backfill_days`` ago.
- ``list``: the members of ``initial_list_id``: a static list over REST, 300 leads a call; a smart list
  (``initial_list_type = "smart"``) by one bulk export job filtered by the list.
- ``bulk_extract``: bulk export jobs over 31-day windows of ``createdAt`` (or ``updatedAt``) from
  ``initial_load_since`` to the moment the load started.

Every page of the load is a :class:`Page` whose cursor resumes right after it, so a flow that accepts
each page with its cursor in one transaction resumes a killed load where it stopped. The cursor::

    {"since": "<ISO>",                    # where the activity log goes on after the load
     "initial": {"plan": "<what is read>", "until": "<ISO: the load's start>",
                 "job": n, "export": "<export id>" | None, "rows": n,   # bulk: job n of the plan
                 "token": "<nextPageToken>" | None}}                    # static list: the next page

``since`` is ``backfill_days`` before the load started: changes made while the load runs, and recent
engagement (activity metrics), are read from the activity log once the load is done. The load's last
page carries ``{"since": ...}`` alone. A cursor of another plan (the config changed) starts the new plan,
keeping ``since``; with ``initial_load = "activities"`` such a cursor goes on from ``since``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from connector.errors import RecordRejectedError
from connector.records import Cursor, Page, Record
from connector.systems.marketo.bulk import BulkExtract, JobLost, LoadPaused
from connector.systems.marketo.changes import PAGE_SIZE
from connector.systems.marketo.lists import StaticLists
from connector.systems.marketo.settings import MarketoSettings

log = logging.getLogger(__name__)

WINDOW = timedelta(days=31)
"""Marketo's longest date range for one bulk export filter."""
JOB_TRIES = 3
"""New jobs for one filter in one run when its jobs keep failing, before the run moves on."""


@dataclass(frozen=True)
class LoadPlan:
    """What an initial load reads, from the [marketo] settings."""

    mode: str  # "list" or "bulk_extract"
    list_id: int | None = None
    list_type: str = "static"
    since: date | None = None
    date_filter: str = "createdAt"

    @classmethod
    def from_settings(cls, settings: MarketoSettings) -> LoadPlan | None:
        if settings.initial_load == "list":
            return cls("list", list_id=settings.initial_list_id, list_type=settings.initial_list_type)
        if settings.initial_load == "bulk_extract":
            return cls(
                "bulk_extract", since=settings.initial_load_since, date_filter=settings.initial_load_filter
            )
        return None

    @property
    def key(self) -> str:
        """Names the plan in the cursor, so a changed config is noticed."""
        if self.mode == "list":
            return f"list:{self.list_type}:{self.list_id}"
        return f"bulk_extract:{self.date_filter}:{self.since}"

    @property
    def uses_rest(self) -> bool:
        return self.mode == "list" and self.list_type == "static"

    def export_filters(self, until: datetime) -> list[dict[str, Any]]:
        """The bulk export filters of the plan: one per 31-day window, or one for a smart list."""
        if self.mode == "list":
            return [{"smartListId": self.list_id}]
        assert self.since is not None  # the settings require it for bulk_extract
        start = datetime.combine(self.since, time(0), tzinfo=UTC)
        filters = []
        while start < until:
            end = min(start + WINDOW, until)  # windows share their edges: a lead created on one is read twice
            filters.append({self.date_filter: {"startAt": _iso(start), "endAt": _iso(end)}})
            start = end
        return filters


class InitialLoad:
    """Reads a flow's initial load page by page (see the module docstring)."""

    def __init__(
        self,
        plan: LoadPlan | None,
        lists: StaticLists,
        bulk: BulkExtract,
        *,
        backfill_days: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.plan = plan
        self.lists = lists
        self.bulk = bulk
        self.backfill = timedelta(days=backfill_days)
        self.now = now

    def pending(self, cursor: Cursor | None) -> bool:
        """Whether ``cursor`` is a first run that has a load to do, or a load under way."""
        if cursor is None:
            return self.plan is not None
        return isinstance(cursor, Mapping) and "initial" in cursor

    def pages(self, cursor: Cursor | None, fields: Sequence[str]) -> Iterator[Page]:
        """The load's pages from ``cursor``; the last carries ``{"since": ...}``. Ends early, with the
        cursor still in the load, when the load must wait for a later run (a log line says why)."""
        state = self._state(cursor)
        if self.plan is None:
            yield Page((), {"since": state["since"]})
            return
        try:
            if self.plan.uses_rest:
                yield from self._static_list(state, fields)
            else:
                yield from self._exports(state, fields)
        except LoadPaused as pause:
            log.warning("marketo: the initial load pauses until the next run: %s", pause)

    # ---- the cursor ------------------------------------------------------------------------------
    def _state(self, cursor: Cursor | None) -> dict[str, Any]:
        """The load's state from the cursor; a fresh one for a first run or another plan."""
        if cursor is None:
            started = self.now()
            return {"since": _iso(started - self.backfill), "initial": self._fresh(_iso(started))}
        state = {"since": cursor["since"], "initial": dict(cursor["initial"])}
        if self.plan is not None and state["initial"].get("plan") != self.plan.key:
            log.warning(
                "marketo: the initial load was %s and is now %s: starting the new one",
                state["initial"].get("plan"),
                self.plan.key,
            )
            state["initial"] = self._fresh(state["initial"]["until"])
        return state

    def _fresh(self, until: str) -> dict[str, Any]:
        assert self.plan is not None
        return {"plan": self.plan.key, "until": until, "job": 0, "export": None, "rows": 0, "token": None}

    @staticmethod
    def _at(state: Mapping[str, Any], **progress: Any) -> Cursor:
        return {"since": state["since"], "initial": {**state["initial"], **progress}}

    # ---- a static list over REST -----------------------------------------------------------------
    def _static_list(self, state: dict[str, Any], fields: Sequence[str]) -> Iterator[Page]:
        assert self.plan is not None and self.plan.list_id is not None
        token = state["initial"]["token"]
        while True:
            try:
                records, token = self.lists.member_page(self.plan.list_id, fields, token)
            except RecordRejectedError:
                if token is None:
                    raise
                log.warning("marketo: the list's paging token was refused; reading the list from the start")
                token = None
                continue
            if token is None:
                yield Page(tuple(records), {"since": state["since"]})
                return
            yield Page(tuple(records), self._at(state, token=token))

    # ---- bulk export jobs ------------------------------------------------------------------------
    def _exports(self, state: dict[str, Any], fields: Sequence[str]) -> Iterator[Page]:
        assert self.plan is not None
        progress = state["initial"]
        filters = self.plan.export_filters(datetime.fromisoformat(progress["until"].replace("Z", "+00:00")))
        for job in range(progress["job"], len(filters)):
            resume = (progress["export"], progress["rows"]) if job == progress["job"] else (None, 0)
            yield from self._job(state, job, filters[job], resume, fields)
            state = {**state, "initial": {**progress, "job": job + 1, "export": None, "rows": 0}}
        yield Page((), {"since": state["since"]})

    def _job(
        self,
        state: dict[str, Any],
        job: int,
        export_filter: Mapping[str, Any],
        resume: tuple[str | None, int],
        fields: Sequence[str],
    ) -> Iterator[Page]:
        """Every page of one filter's export, from ``resume`` (its export id and the rows accepted)."""
        export, rows = resume
        for _ in range(JOB_TRIES):
            fresh = export is None
            if export is None:
                export, rows = self.bulk.create(export_filter, fields), 0
                yield Page((), self._at(state, job=job, export=export, rows=0))  # remember the job at once
            try:
                file = self.bulk.wait_for_file(export, fresh=fresh)
            except JobLost as lost:
                log.warning("marketo: %s; creating a new job for %s", lost, export_filter)
                export = None
                continue
            yield from self._file_pages(state, job, export, self.bulk.records(file, fields, skip=rows), rows)
            return
        raise LoadPaused(f"export jobs for {export_filter} failed {JOB_TRIES} times")

    def _file_pages(
        self, state: dict[str, Any], job: int, export: str, records: Iterator[Record], rows: int
    ) -> Iterator[Page]:
        while chunk := tuple(islice(records, PAGE_SIZE)):
            rows += len(chunk)
            yield Page(chunk, self._at(state, job=job, export=export, rows=rows))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
