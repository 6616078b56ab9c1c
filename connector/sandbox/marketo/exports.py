"""Bulk Lead Extract jobs of the Marketo fake: their states, their files and the export limits.

A job is created (``Created``), enqueued (``Queued``), then, one step per status poll so a client sees
every state, ``Processing`` (its members are chosen and its file written then, as Marketo does when a job
begins processing) and ``Completed``. Limits as documented: at most 2 jobs processing (a third waits in
the queue), at most 10 queued including those processing (enqueue answers 1029 "Too many jobs in queue"),
a date-range filter of at most 31 days, and a daily export allocation in bytes (create and enqueue answer
1029 "Export daily quota exceeded" once the files completed today reach it). Not thread-safe: the fake
locks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.marketo.activities import format_time, parse_time
from connector.sandbox.marketo.leads import LeadStore
from connector.sandbox.marketo.lists import ListStore
from connector.sandbox.marketo.schema import FIELDS_BY_NAME
from connector.sandbox.marketo.wire import EnvelopeError

MAX_PROCESSING = 2
MAX_QUEUED = 10
MAX_RANGE_S = 31 * 24 * 3600
DATE_FILTERS = ("createdAt", "updatedAt")
LIST_FILTERS = ("staticListId", "staticListName", "smartListId", "smartListName")
FILTERS = (*DATE_FILTERS, *LIST_FILTERS)
DELIMITERS = {"CSV": ",", "TSV": "\t", "SSV": " "}
DEFAULT_DAILY_BYTES = 500 * 1024 * 1024


@dataclass
class ExportJob:
    id: str
    fields: tuple[str, ...]
    headers: tuple[str, ...]
    filter_type: str
    filter_value: Any
    format: str
    status: str = "Created"
    created_at: float = field(default_factory=time.time)
    queued_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    records: int = 0
    file: bytes | None = None

    def to_wire(self) -> dict[str, Any]:
        """The job as the create, enqueue, status and list endpoints describe it."""
        row: dict[str, Any] = {
            "exportId": self.id,
            "format": self.format,
            "status": self.status,
            "createdAt": format_time(self.created_at),
        }
        moments = {"queuedAt": self.queued_at, "startedAt": self.started_at, "finishedAt": self.finished_at}
        for key, moment in moments.items():
            if moment is not None:
                row[key] = format_time(moment)
        if self.status == "Completed":
            size = len(self.file) if self.file is not None else 0
            checksum = hashlib.sha256(self.file or b"").hexdigest()
            row.update(numberOfRecords=self.records, fileSize=size, fileChecksum=f"sha256:{checksum}")
        return row


@dataclass
class ExportLimits:
    """Knobs of the export limits (the fake's knobs include them; settable over ``/__sandbox__/knobs``)."""

    export_daily_bytes: int = DEFAULT_DAILY_BYTES
    """The subscription's daily export allocation (500 MB unless more was bought)."""
    export_hold: bool = False
    """Keep every queued job queued (other integrations' jobs hold the processing slots)."""
    export_filters: tuple[str, ...] = FILTERS
    """Filter types the subscription supports; others answer 1035 (updatedAt and smart lists are not
    rolled out to every subscription)."""


class ExportJobs:
    """Every export job of the instance, the smart lists a job may select, and today's exported bytes."""

    def __init__(self, store: LeadStore, lists: ListStore, limits: Callable[[], ExportLimits]) -> None:
        """``limits`` gives the limits in force (read on every call, so knob changes apply at once)."""
        self.store = store
        self.lists = lists
        self.limits = limits
        self.jobs: dict[str, ExportJob] = {}
        self.smart_lists: dict[int, dict[str, Any]] = {}
        self.bytes_today = 0

    # ---- the endpoints' logic --------------------------------------------------------------------
    def create(self, body: Mapping[str, Any]) -> ExportJob:
        self._check_quota()
        fields = _fields(body.get("fields"))
        headers = body.get("columnHeaderNames") or {}
        if not isinstance(headers, dict):
            raise EnvelopeError("1003", "columnHeaderNames must be an object")
        export_format = str(body.get("format") or "CSV").upper()
        if export_format not in DELIMITERS:
            raise EnvelopeError("1003", f"Invalid format '{export_format}'")
        filter_type, value = self._filter(body.get("filter"))
        columns = tuple(str(headers.get(name, name)) for name in fields)
        job = ExportJob(str(uuid.uuid4()), fields, columns, filter_type, value, export_format)
        self.jobs[job.id] = job
        return job

    def enqueue(self, export_id: str) -> ExportJob:
        job = self.get(export_id)
        if job.status in ("Queued", "Processing"):
            raise EnvelopeError("1029", "Job already queued")
        if job.status != "Created":
            raise EnvelopeError("1003", f"Job is {job.status}: only a created job can be enqueued")
        self._check_quota()
        if self._count("Queued", "Processing") >= MAX_QUEUED:
            raise EnvelopeError("1029", "Too many jobs in queue")
        job.status, job.queued_at = "Queued", time.time()
        return job

    def poll(self, export_id: str) -> ExportJob:
        """The job's status after moving it one step on (Queued → Processing → Completed)."""
        job = self.get(export_id)
        if job.status == "Processing":
            job.status, job.finished_at = "Completed", time.time()
            self.bytes_today += len(job.file or b"")
        elif (
            job.status == "Queued"
            and not self.limits().export_hold
            and self._count("Processing") < MAX_PROCESSING
        ):
            job.status, job.started_at = "Processing", time.time()
            members = self._members(job)
            job.records = len(members)
            job.file = render(job, [self.store.leads[lead_id] for lead_id in members])
        return job

    def cancel(self, export_id: str) -> ExportJob:
        job = self.get(export_id)
        if job.status in ("Created", "Queued", "Processing"):
            job.status, job.file = "Canceled", None
        return job

    def get(self, export_id: str) -> ExportJob:
        job = self.jobs.get(export_id)
        if job is None:
            raise EnvelopeError("1003", f"Export job '{export_id}' not found")
        return job

    def file(self, export_id: str) -> bytes | None:
        """The file of a completed job; None when the job is unknown, not completed or expired."""
        job = self.jobs.get(export_id)
        return job.file if job is not None and job.status == "Completed" else None

    def expire(self, export_id: str) -> None:
        """Marketo keeps files seven days: after that the file endpoint answers 404."""
        self.get(export_id).file = None

    def listed(self, statuses: Iterable[str]) -> list[dict[str, Any]]:
        wanted = set(statuses)
        return [job.to_wire() for job in self.jobs.values() if not wanted or job.status in wanted]

    def seed_smart_lists(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Load smart lists as their membership: ``{"id", "name", "members": [leadIds]}``. (A real smart
        list is a rule; the API only ever shows its members, so a fixed membership is all a client sees.)"""
        for row in rows:
            members = [int(lead_id) for lead_id in row.get("members", ())]
            unknown = [lead_id for lead_id in members if lead_id not in self.store.leads]
            if unknown:
                raise ValueError(f"seed: smart list {row['id']} names unknown leads {unknown}")
            self.smart_lists[int(row["id"])] = {"id": int(row["id"]), "name": row["name"], "members": members}

    # ---- internals -------------------------------------------------------------------------------
    def _count(self, *statuses: str) -> int:
        return sum(1 for job in self.jobs.values() if job.status in statuses)

    def _check_quota(self) -> None:
        if self.bytes_today >= self.limits().export_daily_bytes:
            raise EnvelopeError("1029", "Export daily quota exceeded")

    def _filter(self, raw: Any) -> tuple[str, Any]:
        if not isinstance(raw, dict) or len(raw) != 1:
            raise EnvelopeError("1003", "filter must name exactly one filter type")
        ((filter_type, value),) = raw.items()
        if filter_type not in FILTERS:
            raise EnvelopeError("1003", f"Invalid filter type '{filter_type}'")
        if filter_type not in self.limits().export_filters:
            raise EnvelopeError("1035", "Unsupported filter type for target subscription")
        if filter_type in DATE_FILTERS:
            return filter_type, _date_range(value)
        if filter_type.endswith("Id") and not str(value).isdigit():
            raise EnvelopeError("1003", f"{filter_type} must be an integer")
        return filter_type, value

    def _members(self, job: ExportJob) -> list[int]:
        """The ids of the leads the job's filter selects now, ascending."""
        kind, value, leads = job.filter_type, job.filter_value, self.store.leads
        if kind in DATE_FILTERS:
            start, end = value
            return sorted(i for i, lead in leads.items() if start <= parse_time(lead[kind]) <= end)
        if kind == "staticListName":
            found = self.lists.by_name(str(value))
            kind, value = "staticListId", found["id"] if found else -1
        if kind == "staticListId":
            return sorted(i for i in self.lists.members.get(int(value), ()) if i in leads)
        if kind == "smartListName":
            found = next((row for row in self.smart_lists.values() if row["name"] == value), None)
            value = found["id"] if found else -1
        members = self.smart_lists.get(int(value), {}).get("members", ())
        return sorted(i for i in members if i in leads)


def render(job: ExportJob, leads: Sequence[Mapping[str, Any]]) -> bytes:
    """The export file: a header of column names, then one row per lead; an empty field is ``null``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITERS[job.format], lineterminator="\n")
    writer.writerow(job.headers)
    for lead in leads:
        writer.writerow(["null" if lead.get(name) is None else lead[name] for name in job.fields])
    return out.getvalue().encode("utf-8")


def _fields(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(name, str) for name in raw):
        raise EnvelopeError("1003", "fields is required: a non-empty array of lead field names")
    for name in raw:
        if name not in FIELDS_BY_NAME:
            raise EnvelopeError("1006", f"Field '{name}' not found")
    return tuple(raw)


def _date_range(value: Any) -> tuple[float, float]:
    if not isinstance(value, dict) or not {"startAt", "endAt"} <= set(value):
        raise EnvelopeError("1003", "a date range filter needs startAt and endAt")
    try:
        start, end = parse_time(str(value["startAt"])), parse_time(str(value["endAt"]))
    except ValueError:
        raise EnvelopeError("1003", "Invalid date in filter: use ISO-8601 without milliseconds") from None
    if end < start:
        raise EnvelopeError("1003", "endAt is before startAt")
    if end - start > MAX_RANGE_S:
        raise EnvelopeError("1003", "Date range of the filter exceeds 31 days")
    return start, end
