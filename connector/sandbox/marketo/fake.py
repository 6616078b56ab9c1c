"""A stateful fake of Marketo's REST API (identity, leads, activities, static lists, bulk lead extract).

Every answer is HTTP 200 with the Marketo envelope ``{requestId, success, result, errors, warnings,
nextPageToken?, moreResult?}`` and quoted error codes; only the URI limit (414) and bad client
credentials (401 from the identity endpoint) use HTTP status codes. Knobs beyond the framework's:
``max_concurrent`` (default 10, answered with 615) and the export limits (``export_daily_bytes``,
``export_hold``, ``export_filters``; see :mod:`connector.sandbox.marketo.exports`). Seed shape::

    {"leads": [{"email": ..., "createdAt"?: ..., "updatedAt"?: ...}],
     "activities": [{"leadId", "activityTypeId", "primaryAttributeValue", "activityDate"?, "attributes"?}],
     "lists": [{"id"?, "name"}], "list_members": {"<listId>": [leadIds]},
     "smart_lists": [{"id", "name", "members": [leadIds]}]}

A lead seeded with an old ``createdAt`` has its New Lead activity at that date, and the activity log
stays in date order as Marketo's does, so a lead older than a read's ``sinceDatetime`` and untouched
since never shows up in the activity log: only a list or a bulk extract finds it.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import FakeService, Knobs, json_response
from connector.sandbox.marketo.activities import ActivityLog, parse_time
from connector.sandbox.marketo.bulk import ROUTES as BULK_ROUTES
from connector.sandbox.marketo.bulk import ExportEndpoints
from connector.sandbox.marketo.exports import ExportJobs, ExportLimits
from connector.sandbox.marketo.leads import LeadStore
from connector.sandbox.marketo.lists import ListEndpoints, ListStore, seed_lists
from connector.sandbox.marketo.rest import LeadEndpoints
from connector.sandbox.marketo.schema import MAX_URI_BYTES
from connector.sandbox.marketo.wire import EnvelopeError, envelope, failure

_API_USER = "revloop-sync@sandbox.marketo.test"
_ROUTES = (
    ("/identity/oauth/token", "identity_token", ["GET", "POST"]),
    ("/rest/v1/leads.json", "leads", ["GET", "POST"]),
    ("/rest/v1/leads/describe.json", "leads_describe", ["GET", "POST"]),
    ("/rest/v1/leads/describe2.json", "leads_describe2", ["GET", "POST"]),
    ("/rest/v1/activities/types.json", "activity_types", ["GET", "POST"]),
    ("/rest/v1/activities/pagingtoken.json", "paging_token", ["GET", "POST"]),
    ("/rest/v1/activities.json", "activities", ["GET", "POST"]),
    ("/rest/v1/activities/leadchanges.json", "lead_changes", ["GET", "POST"]),
    ("/rest/v1/activities/deletedleads.json", "deleted_leads", ["GET", "POST"]),
    ("/rest/v1/lists.json", "lists_index", ["GET", "POST"]),
    ("/rest/v1/lists/<int:list_id>/leads.json", "list_leads", ["GET", "POST", "DELETE"]),
    ("/rest/v1/lists/<int:list_id>/leads/ismember.json", "list_ismember", ["GET", "POST"]),
    ("/rest/v1/stats/usage.json", "stats_usage", ["GET", "POST"]),
    ("/rest/asset/v1/staticLists.json", "asset_static_lists", ["GET", "POST"]),
    ("/rest/asset/v1/staticList/byName.json", "asset_static_list_by_name", ["GET", "POST"]),
    *BULK_ROUTES,
)


@dataclass
class MarketoKnobs(ExportLimits, Knobs):
    max_concurrent: int = 10
    """Calls served at once; one more is answered with 615 (Marketo allows 10 per instance)."""


class MarketoFake(LeadEndpoints, ListEndpoints, ExportEndpoints, FakeService):
    """The Marketo sandbox. ``client_id``/``client_secret`` are generated per instance."""

    name = "marketo"

    def __init__(self) -> None:
        super().__init__()
        self.client_id = str(uuid.uuid4())
        self.client_secret = secrets.token_urlsafe(24)
        self.knobs = MarketoKnobs()
        self._in_flight = 0
        self._reset_counters()
        self._reset_data()

    def routes(self) -> Iterable[Rule]:
        return [Rule(path, endpoint=endpoint, methods=methods) for path, endpoint, methods in _ROUTES]

    def public_endpoints(self) -> frozenset[str]:
        return frozenset({"identity_token"})

    def issue_credentials(self) -> dict[str, str]:
        return {"client_id": self.client_id, "client_secret": self.client_secret}

    # ---- auth, limits and the envelope -----------------------------------------------------------
    def identity_token(self, request: Request) -> Response:
        """Client credentials from the query string (documented GET) or a form body (POST)."""
        params = request.args.to_dict() | request.form.to_dict()
        if params.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, status=400)
        if not (
            secrets.compare_digest(params.get("client_id", ""), self.client_id)
            and secrets.compare_digest(params.get("client_secret", ""), self.client_secret)
        ):
            return json_response(
                {"error": "unauthorized", "error_description": "Bad client credentials"}, 401
            )
        with self.lock:
            token, remaining = self._valid_token()
        return json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": int(remaining), "scope": _API_USER}
        )

    def _valid_token(self) -> tuple[str, float]:
        """The current token while it lives (Marketo answers it again with its remaining lifetime)."""
        now = time.time()
        expiry = self.tokens.get(self._current_token or "", 0.0)
        if self._current_token is not None and expiry > now:
            return self._current_token, expiry - now
        self._current_token = f"{uuid.uuid4()}:sb"
        self.tokens[self._current_token] = now + self.knobs.token_ttl_s
        return self._current_token, self.knobs.token_ttl_s

    def unauthorized(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header[:7].lower() == "bearer " else ""
        if not token:
            return failure("600", "Access token not specified")
        if token in self.tokens:
            return failure("602", "Access token expired")
        return failure("601", "Access token invalid")

    def throttled(self, request: Request, reason: str) -> Response:
        self.throttled_answers[reason] += 1
        if reason == "daily":
            return failure("607", "Daily quota reached")
        limit = self.knobs.rate_limit
        calls, seconds = (limit.calls, limit.per_seconds) if limit else (100, 20)
        return failure("606", f"Max rate limit '{calls}' exceeded with in '{seconds:g}' secs")

    def dispatch(self, request: Request) -> Response:
        """Adds what the framework does not know: the 8 KB URI limit, 615 and the error envelope."""
        if request.path.startswith("/__sandbox__/"):
            return super().dispatch(request)
        uri = request.environ.get("PATH_INFO", "") + "?" + request.environ.get("QUERY_STRING", "")
        if len(uri.encode()) > MAX_URI_BYTES:
            self.uri_refusals += 1
            return Response("<h1>414 Request-URI Too Large</h1>", status=414, mimetype="text/html")
        with self.lock:
            if self._in_flight >= self.knobs.max_concurrent:
                self.concurrency_refusals += 1
                return failure("615", "Concurrent access limit reached")
            self._in_flight += 1
        try:
            return super().dispatch(request)
        except EnvelopeError as error:
            return failure(error.code, error.message)
        finally:
            with self.lock:
                self._in_flight -= 1

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def stats_usage(self, request: Request) -> Response:
        today = datetime.now(UTC).strftime("%Y-%m-%d")
        with self.lock:
            total = self.day_calls
        return envelope([{"date": today, "total": total, "users": [{"userId": _API_USER, "count": total}]}])

    # ---- state for tests, demos and checkers -----------------------------------------------------
    def seed(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            lead_ids = [self.store.seed_lead(row) for row in data.get("leads", [])]
            activities = sorted(
                data.get("activities", []), key=lambda row: parse_time(row.get("activityDate") or _now())
            )
            activity_ids = [self._seed_activity(row) for row in activities]
            self.log.sort_by_date()
            seed_lists(self.lists, self.store, data.get("lists", []), data.get("list_members", {}))
            self.exports.seed_smart_lists(data.get("smart_lists", []))
            return {"leads": lead_ids, "activities": activity_ids, "lists": sorted(self.lists.lists)}

    def _seed_activity(self, row: Mapping[str, Any]) -> int:
        attributes = row.get("attributes") or {}
        if isinstance(attributes, list):
            attributes = {item["name"]: item["value"] for item in attributes}
        return self.add_activity(
            int(row["leadId"]),
            int(row["activityTypeId"]),
            str(row.get("primaryAttributeValue", "")),
            activity_date=row.get("activityDate"),
            attributes=attributes,
        )

    def add_activity(
        self,
        lead_id: int,
        activity_type_id: int,
        primary_attribute_value: str,
        *,
        activity_date: str | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> int:
        """Log an activity (a web visit, form fill, link click ...) of an existing lead; returns its id."""
        with self.lock:
            if lead_id not in self.store.leads:
                raise ValueError(f"lead {lead_id} does not exist")
            at = parse_time(activity_date) if activity_date else None
            entry = self.log.append(
                lead_id,
                activity_type_id,
                primary_attribute_value,
                at=at,
                attributes=(attributes or {}).items(),
            )
            return entry.id

    def touch(self, lead_id: int, fields: Mapping[str, Any]) -> list[str]:
        """A marketer edits a lead in the Marketo UI: fields change and activities are logged."""
        with self.lock:
            values, problem = self.store.validate(fields, allow_id=False)
            if problem is not None:
                raise ValueError(f"touch: {problem['code']} {problem['message']}")
            return self.store.update(lead_id, values, source="Marketo user")

    def delete_lead(self, lead_id: int) -> None:
        """Delete a lead, logging the Delete Lead activity that ``deletedleads.json`` reports."""
        with self.lock:
            self.store.delete(lead_id)

    @property
    def creates_per_email(self) -> Counter[str]:
        """How many leads the API created per (lower-cased) email: more than one is a duplicate."""
        return self.store.creates_per_email

    def dump_state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "leads": [dict(lead) for lead in self.store.leads.values()],
                "lists": list(self.lists.lists.values()),
                "list_members": {str(k): self.lists.sorted_members(k) for k in self.lists.members},
                "activity_count": len(self.log),
                "creates_per_email": dict(self.store.creates_per_email),
            }

    def reset(self) -> None:
        """Forget all data, tokens, knobs and counters (the client credentials stay)."""
        with self.lock:
            self._reset_data()
            self.knobs = MarketoKnobs()
            self.reset_calls()
            self._reset_counters()
            self._window = deque()
            self.tokens = {self.static_token: float("inf")}

    def _reset_counters(self) -> None:
        self.day_calls = 0
        self.concurrency_refusals = 0
        self.uri_refusals = 0
        self.throttled_answers: Counter[str] = Counter()

    def _reset_data(self) -> None:
        self.log = ActivityLog()
        self.store = LeadStore(self.log)
        self.lists = ListStore()
        self.exports = ExportJobs(self.store, self.lists, lambda: self.knobs)
        self._current_token: str | None = None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
