"""Bulk Lead Extract: export jobs for the initial load, each file read back as lead records.

A job is created with the fields wanted and one filter, enqueued, polled every ``poll_s`` seconds until
it is Completed (Marketo updates a job's status once a minute), and its file is downloaded, checked
against the SHA-256 the status reports, and read as CSV (``null`` is an empty field; numbers and
booleans are typed from the lead schema, so a lead read here equals the same lead read over REST).

Limits (shared by every bulk job of the instance): 2 jobs processing and 10 queued, 31 days per date
filter, 500 MB of files a day by default. revloop runs one job at a time. A full queue (1029 "Too many
jobs in queue") is waited out; a used-up daily allocation (1029 "Export daily quota exceeded") and a
job still running after ``MAX_POLLS`` polls pause the load: :class:`LoadPaused` ends this run's reading,
and the next run goes on with the same job. A failed, canceled or expired job is :class:`JobLost`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from connector.errors import ConfigError, RecordRejectedError, RemoteError, TransientError
from connector.records import Record
from connector.systems.marketo.changes import lead_record
from connector.systems.marketo.errors import ExportLimitError, next_quota_reset
from connector.systems.marketo.http import MarketoClient

log = logging.getLogger(__name__)

MAX_POLLS = 30
"""Status polls of one job in one run (30 minutes at the default interval) before the run moves on."""
LOST = frozenset({"Failed", "Canceled", "Cancelled"})  # Marketo's docs spell the canceled state both ways
JOB_GONE_CODES = frozenset({"1003", "610"})
"""Codes of a status answer for a job Marketo no longer knows (its status is kept 30 days)."""


class LoadPaused(Exception):
    """The initial load cannot go on in this run; the message says why. The next run resumes it."""


class JobLost(Exception):
    """The export job failed, was canceled, or its file expired: its filter needs a new job."""


class BulkExtract:
    """Bulk lead export jobs of one Marketo instance (``/bulk/v1/leads/export``)."""

    def __init__(
        self,
        client: MarketoClient,
        field_types: Callable[[], Mapping[str, str]],
        *,
        poll_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``field_types``: each lead field's Marketo data type, asked once, when the first file is read."""
        self.client = client
        self.poll_s = poll_s
        self.sleep = sleep
        self._field_types = field_types
        self._types: Mapping[str, str] | None = None

    def create(self, export_filter: Mapping[str, Any], fields: Sequence[str]) -> str:
        """Create a job (not yet enqueued) for ``export_filter``; returns its export id."""
        body = {"fields": export_fields(fields), "format": "CSV", "filter": dict(export_filter)}
        try:
            answer = self._call("leads.export.create", "POST", "create.json", body=body, idempotent=False)
        except ExportLimitError as error:
            raise LoadPaused(_limit_reason(error)) from None
        except RemoteError as error:
            if error.code == "1035":
                raise ConfigError(
                    f"marketo: this subscription does not offer the bulk export filter "
                    f'{", ".join(export_filter)} (1035): set marketo.initial_load_filter = "createdAt", '
                    'or use a static list (initial_list_type = "static")'
                ) from None
            raise
        return str(answer["exportId"])

    def wait_for_file(self, export_id: str, *, fresh: bool) -> IO[bytes]:
        """The job's file once it is Completed, enqueueing the job if it is only created.

        ``fresh``: the job was created just now (its status is known without asking). Raises LoadPaused
        when it is still running after MAX_POLLS polls, JobLost when it failed or is gone.
        """
        status = {"status": "Created"} if fresh else self._status(export_id)
        for _ in range(MAX_POLLS):
            state = status.get("status")
            if state == "Completed":
                return self._download(export_id, status)
            if state in LOST:
                raise JobLost(f"export job {export_id} is {state}")
            if state == "Created":
                self._enqueue(export_id)
            self.sleep(self.poll_s)
            status = self._status(export_id)
        raise LoadPaused(f"export job {export_id} is still {status.get('status')} after {MAX_POLLS} polls")

    def records(self, file: IO[bytes], fields: Sequence[str], *, skip: int = 0) -> Iterator[Record]:
        """The leads of an export file, from its ``skip``-th data row on, with ``fields``."""
        types = self._lead_types()
        with io.TextIOWrapper(file, encoding="utf-8", newline="") as text:
            reader = csv.reader(text)
            header = next(reader, None) or []
            for index, values in enumerate(reader):
                if index < skip or not values:
                    continue
                row = {
                    name: typed(raw, types.get(name, "string"))
                    for name, raw in zip(header, values, strict=True)
                }
                yield lead_record(row, fields)

    # ---- internals -------------------------------------------------------------------------------
    def _enqueue(self, export_id: str) -> None:
        """Enqueue the job; a full queue is waited out (other jobs finish), up to MAX_POLLS times."""
        for _ in range(MAX_POLLS):
            try:
                self._call("leads.export.enqueue", "POST", f"{export_id}/enqueue.json")
                return
            except ExportLimitError as error:
                reason = str(error).lower()
                if "already queued" in reason:
                    return
                if "quota" in reason:
                    raise LoadPaused(_limit_reason(error)) from None
                self.sleep(self.poll_s)
        raise LoadPaused(
            f"the instance's export queue stayed full ({MAX_POLLS} tries to enqueue {export_id})"
        )

    def _status(self, export_id: str) -> Mapping[str, Any]:
        try:
            answer = self._call("leads.export.status", "GET", f"{export_id}/status.json")
        except (RecordRejectedError, RemoteError) as error:
            if error.code in JOB_GONE_CODES or error.status == 404:
                raise JobLost(f"export job {export_id} is unknown to Marketo ({error.code})") from None
            raise
        return answer

    def _download(self, export_id: str, status: Mapping[str, Any]) -> IO[bytes]:
        """The file, checked against the job's checksum; a corrupt download is fetched once more."""
        url = f"{self.client.bulk_url}leads/export/{export_id}/file.json"
        expected = str(status.get("fileChecksum") or "").removeprefix("sha256:")
        for _ in range(2):
            try:
                file = self.client.download("leads.export.file", url)
            except RemoteError as error:
                if error.status == 404:
                    raise JobLost(f"the file of export job {export_id} is gone (kept 7 days)") from None
                raise
            if not expected or _sha256(file) == expected:
                return file
            log.warning(
                "marketo: export %s: the file does not match its checksum; downloading it again", export_id
            )
        raise TransientError(
            f"leads.export.file: export {export_id} twice failed its checksum", system="marketo"
        )

    def _call(self, endpoint: str, method: str, path: str, **keywords: Any) -> Mapping[str, Any]:
        envelope = self.client.call(
            endpoint, method, f"{self.client.bulk_url}leads/export/{path}", **keywords
        )
        return (envelope.get("result") or [{}])[0]

    def _lead_types(self) -> Mapping[str, str]:
        if self._types is None:
            self._types = self._field_types()
        return self._types


def export_fields(fields: Sequence[str]) -> list[str]:
    """What a job exports: the id, the fields wanted and ``updatedAt`` (a record's modified time)."""
    return list(dict.fromkeys(["id", *fields, "updatedAt"]))


def typed(raw: str, data_type: str) -> Any:
    """A CSV cell as the REST API would give it: None for ``null`` or empty, numbers and booleans typed."""
    if raw in ("", "null"):
        return None
    try:
        if data_type == "integer":
            return int(raw)
        if data_type in ("float", "currency"):
            return float(raw)
    except ValueError:
        return raw
    if data_type == "boolean":
        return raw.lower() == "true"
    return raw


def _sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(64 * 1024), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _limit_reason(error: ExportLimitError) -> str:
    if "quota" in str(error).lower():
        return (
            "the instance's daily bulk export allocation is used up (500 MB unless more was bought); "
            f"the initial load goes on after it resets at {next_quota_reset()}"
        )
    return str(error)
