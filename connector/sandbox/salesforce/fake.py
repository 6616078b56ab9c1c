"""A stateful fake of Salesforce: REST API, sObject Collections and Bulk API 2.0 (api-facts.md §1, §5).

Any API version is served under ``/services/data/vXX.X/``; trailing slashes are optional. Every answer
carries ``Sforce-Limit-Info: api-usage=N/M``; refusals use Salesforce's error arrays (401
INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED). Routes live in :mod:`.rest`, :mod:`.composite` and
:mod:`.bulk`; records, validation and writes in the other modules of this package.

Seed shape (``seed()`` or ``POST /__sandbox__/seed``): ``{"User": [{...}], "Lead": [{...}], ...}`` with
Salesforce field names; ``Id`` and ``SystemModstamp`` are optional. Sandbox extras (Python and HTTP):

    POST /__sandbox__/salesforce/convert   {"lead_id": "00Q...", "account_id": null,
                                            "opportunity_name": null}  convert a Lead
    POST /__sandbox__/salesforce/touch     {"object": "Lead", "id": "00Q...", "fields": {...}}  a user's edit
    GET  /__sandbox__/salesforce/creates?object=Lead&field=Revloop_MA_Id__c  creates per external id
    POST /__sandbox__/salesforce/clock     {"advance_s": 120}  move the org's clock forward
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, ClassVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import FakeService, Knobs, json_response
from connector.sandbox.salesforce.bulk import BulkMixin
from connector.sandbox.salesforce.composite import CollectionsMixin
from connector.sandbox.salesforce.controls import ControlMixin
from connector.sandbox.salesforce.convert import convert_lead
from connector.sandbox.salesforce.objects import OBJECTS
from connector.sandbox.salesforce.rest import RestMixin
from connector.sandbox.salesforce.store import Org, Row, format_stamp, normalize_id
from connector.sandbox.salesforce.validate import coerce
from connector.sandbox.salesforce.wire import row_json
from connector.sandbox.salesforce.writes import WriteOptions, Writer, derive, normalized

DEFAULT_DAILY_QUOTA = 100_000
SEED_ORDER = ("User", "Account", "Contact", "Lead", "Product2", "PricebookEntry", "Opportunity")
_API = "/services/data/<version>"
_ROUTES = (
    ("/services/oauth2/token", "oauth_token", ["POST"]),
    (f"{_API}/limits/", "limits", ["GET"]),
    (f"{_API}/query/", "query", ["GET"]),
    (f"{_API}/query/<locator>", "query_more", ["GET"]),
    (f"{_API}/queryAll/", "query_all", ["GET"]),
    (f"{_API}/queryAll/<locator>", "query_more", ["GET"]),
    (f"{_API}/sobjects/<obj>/describe/", "describe", ["GET"]),
    (f"{_API}/sobjects/<obj>/", "sobject_create", ["POST"]),
    (f"{_API}/sobjects/<obj>/<record_id>", "sobject_get", ["GET"]),
    (f"{_API}/sobjects/<obj>/<record_id>", "sobject_update", ["PATCH"]),
    (f"{_API}/sobjects/<obj>/<record_id>", "sobject_delete", ["DELETE"]),
    (f"{_API}/sobjects/<obj>/<field>/<path:value>", "sobject_by_key", ["GET"]),
    (f"{_API}/sobjects/<obj>/<field>/<path:value>", "sobject_upsert", ["PATCH"]),
    (f"{_API}/composite/sobjects/", "collections_create", ["POST"]),
    (f"{_API}/composite/sobjects/", "collections_update", ["PATCH"]),
    (f"{_API}/composite/sobjects/<obj>/<field>/", "collections_upsert", ["PATCH"]),
    (f"{_API}/jobs/ingest/", "bulk_ingest_create", ["POST"]),
    (f"{_API}/jobs/ingest/<job_id>/batches/", "bulk_ingest_upload", ["PUT"]),
    (f"{_API}/jobs/ingest/<job_id>/", "bulk_ingest_state", ["PATCH"]),
    (f"{_API}/jobs/ingest/<job_id>/", "bulk_ingest_info", ["GET"]),
    (f"{_API}/jobs/ingest/<job_id>/<kind>/", "bulk_ingest_results", ["GET"]),
    (f"{_API}/jobs/query/", "bulk_query_create", ["POST"]),
    (f"{_API}/jobs/query/<job_id>/", "bulk_query_info", ["GET"]),
    (f"{_API}/jobs/query/<job_id>/results/", "bulk_query_results", ["GET"]),
    ("/__sandbox__/salesforce/convert", "control_sf_convert", ["POST"]),
    ("/__sandbox__/salesforce/touch", "control_sf_touch", ["POST"]),
    ("/__sandbox__/salesforce/creates", "control_sf_creates", ["GET"]),
    ("/__sandbox__/salesforce/clock", "control_sf_clock", ["POST"]),
)


class SalesforceFake(RestMixin, CollectionsMixin, BulkMixin, ControlMixin, FakeService):
    """One Salesforce org in memory, thread-safe behind ``self.lock``."""

    name: ClassVar[str] = "salesforce"

    def __init__(self) -> None:
        super().__init__()
        self.client_credentials: tuple[str, str] | None = None
        """(client_id, client_secret) the token endpoint accepts; None accepts any non-empty pair."""
        self._new_org()

    def reset(self) -> None:
        """An empty org again: default knobs, zeroed counters, only the static token valid."""
        with self.lock:
            self.knobs = Knobs()
            self.tokens = {self.static_token: float("inf")}
            self.reset_calls()
            self.day_calls = 0
            self.client_credentials = None
            self._new_org()

    def _new_org(self) -> None:
        self.knobs.daily_quota = DEFAULT_DAILY_QUOTA
        self.cursors = OrderedDict()
        self.ingest_jobs = {}
        self.query_jobs = {}
        self.org = Org()
        self.org_id = self.org.ids.new("00D")
        self.api_user_id = self.org.ids.new("005")
        self._seed_rows(
            "User",
            [{"Id": self.api_user_id, "LastName": "Integration User", "Email": "integration@example.com"}],
        )
        self.assignment_rule_id = self.org.ids.new("01Q")
        self.writer = Writer(self.org, self.api_user_id, self.assignment_rule_id)

    # ---- FakeService hooks ---------------------------------------------------------------------------
    def routes(self) -> Iterable[Rule]:
        return [Rule(path, endpoint=endpoint, methods=methods) for path, endpoint, methods in _ROUTES]

    def public_endpoints(self) -> frozenset[str]:
        return frozenset({"oauth_token"})

    def unauthorized(self, request: Request) -> Response:
        body = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        return json_response(body, status=401, headers=self.extra_headers("unauthorized"))

    def throttled(self, request: Request, reason: str) -> Response:
        message = (
            "TotalRequests Limit exceeded."
            if reason == "daily"
            else "ConcurrentPerOrgLongTxn Limit exceeded."
        )
        body = [{"message": message, "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        return json_response(body, status=403, headers=self.extra_headers("throttled"))

    def server_error(self, request: Request, status: int) -> Response:
        if status == 503:
            body = [{"message": "Server is temporarily unavailable", "errorCode": "SERVER_UNAVAILABLE"}]
        else:
            message = (
                "An unexpected error occurred. Please include this ErrorId if you contact support: 1234-5678"
            )
            body = [{"message": message, "errorCode": "UNKNOWN_EXCEPTION"}]
        return json_response(body, status=status, headers=self.extra_headers("server_error"))

    def extra_headers(self, endpoint: str) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.day_calls}/{self.daily_quota}"}

    def issue_credentials(self) -> dict[str, str]:
        """A new client id and secret; from now on the token endpoint accepts only this pair."""
        client_id, client_secret = "sandbox-sf-" + secrets.token_hex(6), secrets.token_hex(16)
        self.client_credentials = (client_id, client_secret)
        return {"client_id": client_id, "client_secret": client_secret}

    @property
    def daily_quota(self) -> int:
        return self.knobs.daily_quota if self.knobs.daily_quota is not None else DEFAULT_DAILY_QUOTA

    # ---- auth and limits -----------------------------------------------------------------------------
    def oauth_token(self, request: Request) -> Response:
        if request.form.get("grant_type") != "client_credentials":
            return json_response(
                {"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400
            )
        auth = request.authorization
        client_id = (auth.username if auth else None) or request.form.get("client_id")
        secret = (auth.password if auth else None) or request.form.get("client_secret")
        expected = self.client_credentials
        if not client_id or not secret or (expected is not None and (client_id, secret) != expected):
            return json_response(
                {"error": "invalid_client", "error_description": "invalid client credentials"}, 400
            )
        token, _ = self.issue_token()
        instance_url = request.host_url.rstrip("/")
        issued_at = str(int(time.time() * 1000))
        signature = base64.b64encode(hashlib.sha256(f"{instance_url}{issued_at}".encode()).digest()).decode()
        return json_response(
            {
                "access_token": token,
                "instance_url": instance_url,
                "id": f"{instance_url}/id/{self.org_id}/{self.api_user_id}",
                "token_type": "Bearer",
                "issued_at": issued_at,
                "signature": signature,
                "scope": "api",
                "token_format": "opaque",
            }
        )

    def limits(self, request: Request, version: str) -> Response:
        with self.lock:
            used = self.day_calls
            jobs = len(self.query_jobs)
            batches = len(self.ingest_jobs)
        return json_response(
            {
                "DailyApiRequests": {"Max": self.daily_quota, "Remaining": max(0, self.daily_quota - used)},
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": max(0, 15000 - batches)},
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": max(0, 10000 - jobs)},
                "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
                "ConcurrentAsyncGetReportInstances": {"Max": 200, "Remaining": 200},
            }
        )

    # ---- seeding and state ---------------------------------------------------------------------------
    def seed(self, data: dict[str, Any]) -> dict[str, Any]:
        """Load records as they are (no validation, no assignment); returns the new ids per object."""
        unknown = sorted(set(data) - set(OBJECTS))
        if unknown:
            raise ValueError(f"seed: unknown objects {unknown}; known: {sorted(OBJECTS)}")
        order = [name for name in SEED_ORDER if name in data] + [
            name for name in data if name not in SEED_ORDER
        ]
        with self.lock:
            return {name: self._seed_rows(name, data[name]) for name in order}

    def _seed_rows(self, obj: str, rows: list[dict[str, Any]]) -> list[str]:
        definition, ids = OBJECTS[obj], []
        for given in rows:
            values = {name: coerce(definition, name, value) for name, value in given.items()}
            row = {name: field.default for name, field in definition.fields.items()}
            row.update(normalized(definition, values))
            stamp = row.get("SystemModstamp") or format_stamp(self.org.clock.now())
            row.update(
                Id=normalize_id(row.get("Id")) or self.org.ids.new(definition.key_prefix),
                IsDeleted=False,
                SystemModstamp=stamp,
                CreatedDate=row.get("CreatedDate") or stamp,
                LastModifiedDate=row.get("LastModifiedDate") or stamp,
                CreatedById=row.get("CreatedById") or self.api_user_id,
                LastModifiedById=row.get("LastModifiedById") or self.api_user_id,
            )
            if "OwnerId" in definition.fields and not row.get("OwnerId"):
                row["OwnerId"] = self.api_user_id
            derive(obj, row, self.org)
            self.org.put(obj, row, defer_sort=True)
            ids.append(row["Id"])
        self.org.sort_stamps(obj)
        return ids

    def dump_state(self) -> dict[str, Any]:
        """Every record by object (non-empty objects only), for checkers."""
        with self.lock:
            return {
                obj: [row_json(obj, row, None, "v62.0") for row in table.values()]
                for obj, table in self.org.records.items()
                if table
            }

    # ---- sandbox extras (Python) ---------------------------------------------------------------------
    def convert_lead(
        self, lead_id: str, account_id: str | None = None, opportunity_name: str | None = None
    ) -> dict[str, str]:
        """Convert a Lead: a new Contact (and Account unless ``account_id``; an Opportunity with the Contact
        as primary contact role when ``opportunity_name``); the Lead is marked converted."""
        with self.lock:
            return convert_lead(self.writer, lead_id, account_id, opportunity_name)

    def add(self, obj: str, fields: dict[str, Any], *, actor: str | None = None) -> str:
        """Create a record as a user would in the UI (validated, stamped, no assignment; a line item rolls
        its opportunity's Amount up); returns its id."""
        definition = OBJECTS[obj]
        with self.lock:
            values = {name: coerce(definition, name, value) for name, value in fields.items()}
            return self.writer.create(definition, values, WriteOptions(auto_assign="FALSE", actor=actor))

    def touch(self, obj: str, record_id: str, fields: dict[str, Any]) -> Row:
        """Edit a record as its owner would in the UI (validated, stamped, no assignment); returns the row."""
        definition = OBJECTS[obj]
        with self.lock:
            owner = (self.org.get(obj, normalize_id(record_id) or "") or {}).get("OwnerId")
            values = {name: coerce(definition, name, value) for name, value in fields.items()}
            record = self.writer.update(
                definition, record_id, values, WriteOptions(auto_assign="FALSE", actor=owner)
            )
            return self.org.get(obj, record)  # type: ignore[return-value]

    def delete(self, obj: str, record_id: str) -> None:
        """Delete a record as a user would in the UI (a line item's opportunity rolls its Amount up)."""
        with self.lock:
            self.writer.delete(OBJECTS[obj], record_id)

    def lock_record(self, record_id: str, *, failures: int | None = None) -> None:
        """Hold a record's row lock: its next ``failures`` writes (None: all, until unlocked) fail with
        UNABLE_TO_LOCK_ROW, as when a user's save or a trigger holds it on a real org."""
        with self.lock:
            self.writer.locks[normalize_id(record_id) or record_id] = failures

    def unlock_record(self, record_id: str) -> None:
        with self.lock:
            self.writer.locks.pop(normalize_id(record_id) or record_id, None)

    def creates_by_key(self, obj: str, field: str) -> dict[str, int]:
        """How many records were ever created per external-id value (duplicates show as counts above 1)."""
        with self.lock:
            return self.org.creates_by_key(obj, field)

    def advance_clock(self, seconds: float) -> None:
        """Move the org's clock forward (timestamps of later writes jump ahead)."""
        with self.lock:
            self.org.clock.offset_s += seconds
