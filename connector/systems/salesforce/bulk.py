"""Bulk API 2.0 query jobs, for first loads too large for SOQL pages (e.g. every Lead of an org).

simple-salesforce's ``bulk2`` helpers poll and sleep inside one call, which would hide requests from the
call guard; this module sends each Bulk 2.0 request itself (through simple-salesforce's
``call_salesforce`` and the adapter's pinned session) so that every request is one guarded, counted call.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests
from simple_salesforce import Salesforce
from simple_salesforce.util import call_salesforce

from connector.errors import SchemaDriftError, TransientError
from connector.logs import redact
from connector.records import Page, Record
from connector.systems.salesforce.errors import SYSTEM
from connector.systems.salesforce.soql import ChangeWindow

Call = Callable[..., Any]
"""``call(endpoint, action)``: run ``action(sf)`` as one guarded request."""

RESULTS_PAGE = 50_000


def bulk_request(sf: Salesforce, method: str, path: str, *, accept: str, **kwargs: Any) -> requests.Response:
    """One Bulk 2.0 request under ``.../jobs/`` with the session's current token."""
    headers = {**sf.headers, "Content-Type": "application/json", "Accept": accept}
    return call_salesforce(
        url=sf.bulk2_url + path, method=method, session=sf.session, headers=headers, **kwargs
    )


class BulkQuery:
    """Runs query jobs; ``call`` is the adapter's guarded call, ``sleep`` waits between polls.

    Every request of a query job can be sent again safely: a re-sent create only starts another job.
    """

    def __init__(
        self, call: Call, *, sleep: Callable[[float], None] = time.sleep, poll_timeout_s: float = 3600.0
    ) -> None:
        self.call = call
        self.sleep = sleep
        self.poll_timeout_s = poll_timeout_s

    def request(
        self, endpoint: str, method: str, path: str, *, accept: str = "application/json", **kwargs: Any
    ) -> requests.Response:
        """One guarded Bulk 2.0 request."""
        return self.call(endpoint, lambda sf: bulk_request(sf, method, path, accept=accept, **kwargs))

    def rows(self, soql: str, *, poll_s: float) -> Iterator[Record]:
        """Run ``soql`` as a query job and stream its rows (empty cells become None)."""
        body = {"operation": "query", "query": soql, "lineEnding": "LF", "columnDelimiter": "COMMA"}
        job_id = self.request("bulk.create", "POST", "query", json=body).json()["id"]
        self._wait(job_id, poll_s)
        locator = ""
        while True:
            params = {"maxRecords": RESULTS_PAGE, **({"locator": locator} if locator else {})}
            response = self.request(
                "bulk.results", "GET", f"query/{job_id}/results", params=params, accept="text/csv"
            )
            for row in csv.DictReader(io.StringIO(response.text)):
                values = {name: (value if value != "" else None) for name, value in row.items()}
                yield Record(
                    id=str(values.get("Id")), fields=values, modified_at=values.get("SystemModstamp")
                )
            locator = response.headers.get("Sforce-Locator", "null")
            if locator in ("", "null"):
                return

    def _wait(self, job_id: str, poll_s: float) -> None:
        deadline = time.monotonic() + self.poll_timeout_s
        while True:
            info = self.request("bulk.job", "GET", f"query/{job_id}").json()
            state = info.get("state")
            if state == "JobComplete":
                return
            if state in ("Failed", "Aborted"):
                message = redact(info.get("errorMessage") or state)
                raise SchemaDriftError(
                    f"bulk query job {job_id} {state}: {message}", system=SYSTEM, code=state
                )
            if time.monotonic() >= deadline:
                raise TransientError(f"bulk query job {job_id} still {state} after polling", system=SYSTEM)
            self.sleep(poll_s)


def paged(records: Iterable[Record], window: ChangeWindow, *, size: int, lag_s: float) -> Iterator[Page]:
    """A query job's rows (read in SystemModstamp, Id order) as change pages of ``size``: each page's
    cursor resumes right after it, the last one's starts the next run (``lag_s`` of overlap)."""
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            window = window.after(chunk)
            yield Page(tuple(chunk), window.resume_cursor())
            chunk = []
    window = window.after(chunk)
    yield Page(tuple(chunk), window.next_run_cursor(lag_s))
