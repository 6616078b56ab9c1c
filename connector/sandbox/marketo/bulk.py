"""Bulk Lead Extract endpoints of the Marketo fake (``/bulk/v1/leads/export...``), wire-faithful.

Create, enqueue, status, cancel and the job list answer Marketo's HTTP 200 envelope; the file endpoint
answers the file itself (``text/csv``; ``Range: bytes=`` gives a 206 with ``Content-Range``), and a job
that is unknown, not completed or expired gets a 404 with a plain-text message, unlike every other
Marketo endpoint. Job states and limits live in :mod:`connector.sandbox.marketo.exports`.
"""

from __future__ import annotations

import re
import threading

from werkzeug.wrappers import Request, Response

from connector.sandbox.marketo.exports import ExportJobs
from connector.sandbox.marketo.wire import EnvelopeError, csv_values, envelope, json_body, query

ROUTES = (
    ("/bulk/v1/leads/export/create.json", "export_create", ["POST"]),
    ("/bulk/v1/leads/export/<export_id>/enqueue.json", "export_enqueue", ["POST"]),
    ("/bulk/v1/leads/export/<export_id>/status.json", "export_status", ["GET"]),
    ("/bulk/v1/leads/export/<export_id>/file.json", "export_file", ["GET"]),
    ("/bulk/v1/leads/export/<export_id>/cancel.json", "export_cancel", ["POST"]),
    ("/bulk/v1/leads/export.json", "export_jobs", ["GET"]),
)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CONTENT_TYPES = {"CSV": "text/csv", "TSV": "text/tab-separated-values", "SSV": "text/plain"}


class ExportEndpoints:
    """Handlers for bulk lead export jobs, mixed into the fake (which provides the lock and the jobs)."""

    lock: threading.RLock
    exports: ExportJobs

    def export_create(self, request: Request) -> Response:
        body = json_body(request)
        with self.lock:
            return envelope([self.exports.create(body).to_wire()])

    def export_enqueue(self, request: Request, export_id: str) -> Response:
        with self.lock:
            return envelope([self.exports.enqueue(export_id).to_wire()])

    def export_status(self, request: Request, export_id: str) -> Response:
        with self.lock:
            return envelope([self.exports.poll(export_id).to_wire()])

    def export_cancel(self, request: Request, export_id: str) -> Response:
        with self.lock:
            return envelope([self.exports.cancel(export_id).to_wire()])

    def export_jobs(self, request: Request) -> Response:
        statuses = csv_values(query(request).get("status"))
        with self.lock:
            return envelope(self.exports.listed(statuses))

    def export_file(self, request: Request, export_id: str) -> Response:
        with self.lock:
            data = self.exports.file(export_id)
            job = self.exports.jobs.get(export_id)
        if data is None or job is None:
            return Response("Export file not found", status=404, mimetype="text/plain")
        mimetype = _CONTENT_TYPES[job.format]
        wanted = request.headers.get("Range")
        if not wanted:
            return Response(data, mimetype=mimetype, headers={"Accept-Ranges": "bytes"})
        return _partial(data, wanted, mimetype)


def _partial(data: bytes, wanted: str, mimetype: str) -> Response:
    """A ``Range: bytes=a-b`` answer (RFC 7233): 206 with the slice, or 416 when it is unsatisfiable."""
    match = _RANGE.match(wanted.strip())
    size = len(data)
    if match is None or match.groups() == ("", ""):
        raise EnvelopeError("1003", f"Invalid Range header '{wanted}'")
    first, last = match.groups()
    start = int(first) if first else max(0, size - int(last))
    end = min(int(last), size - 1) if first and last else size - 1
    if start >= size or end < start:
        return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
    headers = {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{size}"}
    return Response(data[start : end + 1], status=206, mimetype=mimetype, headers=headers)
