"""A stateful fake of HubSpot's CRM: objects v3, search, properties, pipelines, associations v4, lists v3,
owners v3.

Wire shapes follow HubSpot's published OpenAPI specs (``tests/data/hubspot_specs``; the conformance test
validates every exchange against them) and the quirks in shared/api-facts.md §2: exact success codes,
207 multi-status, whole-batch VALIDATION_ERROR, 409 on duplicate contacts, 10,000-result search cap,
429 bodies with ``policyName``, ``X-HubSpot-RateLimit-*`` headers on everything except search.

Seed shape (``POST /__sandbox__/seed`` or :meth:`HubSpotFake.seed`)::

    {"properties": {"contacts": [{"name": "x", "type": "string", "hasUniqueValue": true}]},
     "contacts": [{"properties": {...}, "id": "123", "updatedAt": "2024-05-01T00:00:00Z",
                   "createdAt": "2024-04-01T00:00:00Z"}],
     "companies": [...], "deals": [...], "line_items": [...], "products": [...],
     "associations": [{"fromObjectType": "contacts", "fromId": "1", "toObjectType": "companies",
                       "toId": "2", "typeId": 279, "category": "HUBSPOT_DEFINED"}],
     "lists": [{"name": "Upsell", "objectTypeId": "0-1", "processingType": "MANUAL", "members": ["1"]}],
     "owners": [{"email": "kenji.mori@example.com", "firstName": "Kenji", "lastName": "Mori"}]}
"""

from __future__ import annotations

import functools
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import FakeService, Knobs, RateLimit, json_response
from connector.sandbox.hubspot.associations import AssociationEndpoints, AssociationGraph, association_rules
from connector.sandbox.hubspot.lists import ListBook, ListEndpoints, list_rules
from connector.sandbox.hubspot.objects import ObjectEndpoints, object_rules
from connector.sandbox.hubspot.owners import OwnerBook, OwnerEndpoints, owner_rules
from connector.sandbox.hubspot.portal import Portal
from connector.sandbox.hubspot.schema import ASSOCIATION_TYPES, SEARCH_DEFAULT_PROPERTIES, deal_pipelines
from connector.sandbox.hubspot.search import SearchError, parse_query, run_search
from connector.sandbox.hubspot.store import ValidationFailed
from connector.sandbox.hubspot.wire import WireError, error_response, object_json, read_json

DEFAULT_DAILY_LIMIT = 1_000_000
DEFAULT_BURST = RateLimit(calls=190, per_seconds=10)
SEARCH_ENDPOINT = "search_objects"


def _answers_hubspot_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Run a handler under the fake's lock and turn WireError (and malformed input) into HubSpot errors."""

    @functools.wraps(handler)
    def wrapper(self: HubSpotFake, request: Request, **args: Any) -> Response:
        try:
            with self.lock:
                return handler(self, request, **args)
        except WireError as refused:
            return refused.response()
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return error_response(400, "VALIDATION_ERROR", f"Invalid input JSON: {type(exc).__name__}: {exc}")

    return wrapper


class HubSpotFake(ObjectEndpoints, AssociationEndpoints, ListEndpoints, OwnerEndpoints, FakeService):
    name = "hubspot"

    def __init__(self) -> None:
        self.portal = Portal()
        self.associations = AssociationGraph()
        self.list_book = ListBook()
        self.owner_book = OwnerBook()
        self.search_rate_limit: RateLimit | None = None
        """Search's own per-second limit (HubSpot: 5 a second per account); None means unlimited."""
        self._search_window: deque[float] = deque()
        super().__init__()

    def routes(self) -> Iterable[Rule]:
        return _rules()

    # ---- framework hooks -------------------------------------------------------------------------
    def unauthorized(self, request: Request) -> Response:
        message = (
            "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
            "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
        )
        return error_response(401, "INVALID_AUTHENTICATION", message)

    def throttled(self, request: Request, reason: str) -> Response:
        if reason == "daily":
            return _rate_limited("You have reached your daily limit.", "DAILY", retry_after=None)
        return _rate_limited("You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING")

    def server_error(self, request: Request, status: int) -> Response:
        return error_response(status, "INTERNAL_ERROR", "internal error (sandbox fault plan)")

    def extra_headers(self, endpoint: str) -> dict[str, str]:
        """Rate-limit headers reflecting the knobs; search answers carry none, as on HubSpot."""
        if endpoint == SEARCH_ENDPOINT:
            return {}
        with self.lock:
            daily = self.knobs.daily_quota if self.knobs.daily_quota is not None else DEFAULT_DAILY_LIMIT
            burst = self.knobs.rate_limit or DEFAULT_BURST
            used = len(self._window) if self.knobs.rate_limit else 0
            return {
                "X-HubSpot-RateLimit-Daily": str(daily),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(daily - self.day_calls, 0)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(burst.per_seconds * 1000)),
                "X-HubSpot-RateLimit-Max": str(burst.calls),
                "X-HubSpot-RateLimit-Remaining": str(max(burst.calls - used, 0)),
            }

    # ---- search, properties, pipelines -------------------------------------------------------------
    def search_objects(self, request: Request, object_type: str) -> Response:
        if self._search_throttled():
            return _rate_limited("You have reached your secondly limit.", "SECONDLY")
        table = self.portal.table(object_type)
        try:
            query = parse_query(read_json(request))
            records, total = run_search(table, query)
        except SearchError as refused:
            raise WireError(400, "VALIDATION_ERROR", str(refused)) from None
        names = query.properties or SEARCH_DEFAULT_PROPERTIES[table.name]
        body: dict[str, Any] = {"total": total, "results": [object_json(table, r, names) for r in records]}
        if query.after + query.limit < total:
            body["paging"] = {"next": {"after": str(query.after + query.limit)}}
        return json_response(body)

    def get_properties(self, request: Request, object_type: str) -> Response:
        table = self.portal.table(object_type)
        return json_response({"results": list(table.definitions.values())})

    def get_property(self, request: Request, object_type: str, property_name: str) -> Response:
        definition = self.portal.table(object_type).definitions.get(property_name)
        if definition is None:
            raise WireError(404, "OBJECT_NOT_FOUND", f"Unable to find property {property_name}")
        return json_response(definition)

    def get_pipelines(self, request: Request, object_type: str) -> Response:
        if self.portal.table(object_type).name != "deals":
            return json_response({"results": []})
        return json_response({"results": deal_pipelines()})

    # ---- Python API for tests and benchmarks -----------------------------------------------------
    def reset(self) -> None:
        """Forget all records, associations and lists; reset knobs, counters, tokens (not the static one)."""
        with self.lock:
            self.portal = Portal()
            self.associations = AssociationGraph()
            self.list_book = ListBook()
            self.owner_book = OwnerBook()
            self.knobs = Knobs()
            self.search_rate_limit = None
            self._search_window.clear()
            self._window.clear()
            self.day_calls = 0
            self.tokens = {self.static_token: float("inf")}
            self.reset_calls()

    def set_search_rate_limit(self, calls: int, per_seconds: float = 1.0) -> None:
        with self.lock:
            self.search_rate_limit = RateLimit(calls, per_seconds)
            self._search_window.clear()

    def touch(self, object_type: str, object_id: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Edit a record as a marketer would in HubSpot's UI: validated, and its modified date moves."""
        with self.lock:
            table = self.portal.table(object_type)
            record = table.find(None, str(object_id))
            if record is None:
                raise KeyError(f"{object_type} {object_id} does not exist")
            try:
                values = table.validate(properties)
            except ValidationFailed as failed:
                raise ValueError(str(failed)) from None
            self.portal.update(table, record, values)
            return object_json(table, record, values)

    def creates_per_key(self, object_type: str, property_name: str) -> dict[str, int]:
        """Records ever created per unique value: a value above 1 is a duplicate, even if one was archived."""
        with self.lock:
            return self.portal.creates_per_key(object_type, property_name)

    def seed(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            for object_type, definitions in (data.get("properties") or {}).items():
                self.portal.seed_properties(object_type, definitions)
            created: dict[str, Any] = {}
            if data.get("owners"):
                created["owners"] = [str(self.owner_book.add(o).id) for o in data["owners"]]
            for object_type in self.portal.tables:
                if data.get(object_type):
                    created[object_type] = self.portal.seed_records(object_type, data[object_type])
            for link in data.get("associations") or ():
                self._seed_association(link)
            lists = [self._seed_list(entry) for entry in data.get("lists") or ()]
            if lists:
                created["lists"] = lists
            return created

    def dump_state(self) -> dict[str, Any]:
        with self.lock:
            return {
                **self.portal.dump(),
                "associations": self.associations.dump(),
                "lists": self.list_book.dump(),
                "owners": self.owner_book.dump(),
                "creates": [
                    {"object": table, "property": name, "value": value, "count": count}
                    for (table, name, value), count in sorted(self.portal.creates.items())
                ],
            }

    def _seed_association(self, link: Mapping[str, Any]) -> None:
        source = self.portal.table(link["fromObjectType"])
        target = self.portal.table(link["toObjectType"])
        type_id = link.get("typeId") or ASSOCIATION_TYPES[(source.name, target.name)]
        kind = (link.get("category", "HUBSPOT_DEFINED"), int(type_id))
        self.associations.link(source.name, int(link["fromId"]), target.name, int(link["toId"]), kind)

    def _seed_list(self, entry: Mapping[str, Any]) -> str:
        stored = self.list_book.create(
            entry["name"], entry.get("objectTypeId", "0-1"), entry.get("processingType", "MANUAL")
        )
        now = int(time.time() * 1000)
        stored.members.update({str(member): now for member in entry.get("members") or ()})
        return stored.list_id

    def _search_throttled(self) -> bool:
        limit = self.search_rate_limit
        if limit is None:
            return False
        now = time.monotonic()
        while self._search_window and self._search_window[0] <= now - limit.per_seconds:
            self._search_window.popleft()
        if len(self._search_window) >= limit.calls:
            return True
        self._search_window.append(now)
        return False


def _rules() -> list[Rule]:
    return [
        Rule("/crm/v3/objects/<object_type>/search", endpoint=SEARCH_ENDPOINT, methods=["POST"]),
        *object_rules(),
        Rule("/crm/v3/properties/<object_type>", endpoint="get_properties", methods=["GET"]),
        Rule("/crm/v3/properties/<object_type>/<property_name>", endpoint="get_property", methods=["GET"]),
        Rule("/crm/v3/pipelines/<object_type>", endpoint="get_pipelines", methods=["GET"]),
        *association_rules(),
        *list_rules(),
        *owner_rules(),
    ]


def _rate_limited(message: str, policy: str, retry_after: int | None = 1) -> Response:
    """HubSpot's 429 body: unlike other errors it has errorType and policyName but no category."""
    body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
    }
    response = json_response(body, status=429)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _wrap_handlers() -> None:
    """Every HTTP handler answers HubSpot error bodies for WireError and runs under the lock."""
    for endpoint in {rule.endpoint for rule in _rules()}:
        setattr(HubSpotFake, endpoint, _answers_hubspot_errors(getattr(HubSpotFake, endpoint)))


_wrap_handlers()
