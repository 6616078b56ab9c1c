"""The Salesforce adapter: simple-salesforce over a pinned session, every request through the call guard.

Reads are SOQL pages ordered by (SystemModstamp, Id) with a resumable cursor (:mod:`.soql`); writes
are sObject Collections upserts keyed by an external id (200 per call, idempotent, one result per
record); large first loads read with Bulk API 2.0 query jobs (:mod:`.bulk`). Failures are classified in
:mod:`.errors`. The adapter logs in lazily with OAuth client credentials (or uses a given access token)
and refreshes the token once when a call answers 401.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit

import requests
from simple_salesforce import Salesforce

from connector.errors import AuthError, ConfigError
from connector.logs import redact, register_secret
from connector.records import Cursor, FieldSchema, ObjectSchema, Outcome, Outgoing, Page, Record, WriteResult
from connector.systems.guard import CallGuard
from connector.systems.http import PinnedSession
from connector.systems.salesforce.bulk import BulkQuery, paged
from connector.systems.salesforce.errors import SYSTEM, SalesforceClassifier, first_error, record_error
from connector.systems.salesforce.settings import SalesforceSettings
from connector.systems.salesforce.soql import ChangeWindow, key_queries, soql_name, to_record

T = TypeVar("T")
ASSIGNMENT_HEADERS = {"default": "TRUE", "none": "FALSE"}
"""options["assignment_rule"] → Sforce-Auto-Assign; an AssignmentRule id is sent as is."""
RULE_ID = re.compile(r"^01Q[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")


class SalesforceSystem:
    """Salesforce as a revloop System (see :class:`connector.systems.base.System`)."""

    kind: ClassVar[str] = "salesforce"
    name: str = "salesforce"  # the config table's name; build_system sets it for [systems.<name>] tables
    max_write_batch: ClassVar[int] = 200
    max_read_page: ClassVar[int] = 2000

    def __init__(
        self,
        settings: SalesforceSettings,
        guard: CallGuard,
        *,
        lag_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.guard = guard
        self.lag_s = lag_s
        self.classify = SalesforceClassifier()
        self.session = PinnedSession.for_system(settings, name=guard.system, kind=self.kind)
        self.session.hooks["response"].append(self._observe)
        self.bulk = BulkQuery(self._call, sleep=sleep)
        self._sf: Salesforce | None = None
        self._login_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SalesforceSystem(instance_url={self.settings.instance_url!r}, auth={self.settings.auth!r})"

    # ---- System ----------------------------------------------------------------------------------------
    def check(self) -> None:
        """GET limits/: proves the credentials work and records the daily calls left."""
        limits = self._call("limits", lambda sf: sf.limits())
        daily = limits.get("DailyApiRequests") or {}
        if "Remaining" in daily:
            self.guard.observe_vendor_remaining(int(daily["Remaining"]))

    def read_changes(
        self,
        obj: str,
        cursor: Cursor | None,
        fields: Sequence[str],
        *,
        activities: Sequence[str] = (),
        dry_run: bool = False,
    ) -> Iterator[Page]:
        """One Page per SOQL page (≤ 2,000 records); Salesforce reports no marketing activities.

        Queries start no job, so ``dry_run`` changes nothing."""
        window = ChangeWindow.from_cursor(cursor)
        return self._change_pages(window, self._pages(window.query(obj, fields)))

    def read_changes_with_deleted(
        self, obj: str, cursor: Cursor | None, fields: Sequence[str]
    ) -> Iterator[Page]:
        """As :meth:`read_changes` through queryAll: deleted records too (``IsDeleted`` true), stamped
        with their deletion."""
        window = ChangeWindow.from_cursor(cursor)
        soql = window.query(obj, [*fields, "IsDeleted"])
        return self._change_pages(window, self._pages(soql, include_deleted=True))

    def read_all(
        self, obj: str, fields: Sequence[str], *, bulk_above: int, dry_run: bool = False
    ) -> Iterator[Page]:
        """Every record of ``obj`` (a first load: no cursor yet), in pages like :meth:`read_changes`.

        The first SOQL page says how many records there are (``totalSize``). Up to ``bulk_above`` (and
        always with ``dry_run``: a preview starts no job) the rest follows in SOQL pages; beyond, one Bulk
        API 2.0 query job reads them all (a few calls instead of one per 2,000 records) and they are
        handed out in pages of 2,000, each carrying its resume cursor, so a crash resumes with SOQL right
        after the last page accepted.
        """
        window = ChangeWindow(since=None)
        soql = window.query(obj, fields)
        first = self._call("query", lambda sf: sf.query(soql))
        if dry_run or first.get("done", True) or int(first.get("totalSize") or 0) <= bulk_above:
            yield from self._change_pages(window, self._pages(soql, first=first))
            return
        yield from paged(self.bulk_query(soql), window, size=self.max_read_page, lag_s=self.lag_s)

    def _change_pages(self, window: ChangeWindow, answers: Iterator[Mapping[str, Any]]) -> Iterator[Page]:
        for answer in answers:
            records = tuple(to_record(raw) for raw in answer["records"])
            window = window.after(records)
            last = answer.get("done", True)
            yield Page(records, window.next_run_cursor(self.lag_s) if last else window.resume_cursor())

    def read_by_keys(
        self, obj: str, key_field: str, keys: Sequence[str], fields: Sequence[str]
    ) -> Iterator[Record]:
        """Records whose ``key_field`` is in ``keys`` (several per key possible), in URL-sized chunks."""
        base_url = self._client().base_url + "query/"
        for soql in key_queries(obj, key_field, [key for key in keys if key], fields, base_url):
            yield from self.query(soql)

    def query(self, soql: str) -> Iterator[Record]:
        """Every record of a SOQL query (built with ``format_soql``), one guarded call per page."""
        for answer in self._pages(soql):
            yield from (to_record(raw) for raw in answer["records"])

    def _pages(
        self, soql: str, *, first: Mapping[str, Any] | None = None, include_deleted: bool = False
    ) -> Iterator[Mapping[str, Any]]:
        """The answers of a query (queryAll when ``include_deleted``): the first page (``first`` when
        already read), then each nextRecordsUrl (which names queryAll itself) until ``done``."""
        endpoint = "query.all" if include_deleted else "query"
        answer = first
        if answer is None:
            answer = self._call(endpoint, lambda sf: sf.query(soql, include_deleted=include_deleted))
        yield answer
        while not answer.get("done", True):
            next_url = answer["nextRecordsUrl"]
            answer = self._call(
                "query.more", lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True)
            )
            yield answer

    def upsert(
        self,
        obj: str,
        key_field: str,
        batch: Sequence[Outgoing],
        *,
        options: Mapping[str, str] | None = None,
    ) -> list[WriteResult]:
        """One sObject Collections call (allOrNone false): upsert by external id, or update when key is Id."""
        if len(batch) > self.max_write_batch:
            raise ValueError(f"{len(batch)} records: a Salesforce collection call takes at most 200")
        if not batch:
            return []
        kind = {"type": soql_name(obj)}
        if key_field == "Id":
            path = "composite/sobjects"
            records = [
                {"attributes": kind, **_without(record.fields, "Id"), "id": record.key} for record in batch
            ]
        else:
            path = f"composite/sobjects/{obj}/{soql_name(key_field)}"
            records = [{"attributes": kind, **record.fields, key_field: record.key} for record in batch]
        payload, headers = {"allOrNone": False, "records": records}, _assignment_headers(options)
        answers = self._call(
            "composite.sobjects",
            lambda sf: sf.restful(path, method="PATCH", json=payload, headers=headers),
            idempotent=True,  # keyed by an external id or record id: a re-send updates, never duplicates
        )
        return [_write_result(record, answer) for record, answer in zip(batch, answers, strict=True)]

    def describe(self, obj: str) -> ObjectSchema:
        answer = self._call("describe", lambda sf: sf.restful(f"sobjects/{soql_name(obj)}/describe"))
        fields = {raw["name"]: _field_schema(raw) for raw in answer["fields"]}
        return ObjectSchema(system=SYSTEM, object=obj, fields=fields)

    # ---- Bulk API 2.0 ----------------------------------------------------------------------------------
    def bulk_query(self, soql: str, *, poll_s: float = 2.0) -> Iterator[Record]:
        """Stream the rows of a Bulk API 2.0 query job (values as text, empty cells as None)."""
        return self.bulk.rows(soql, poll_s=poll_s)

    # ---- calls, auth and usage -------------------------------------------------------------------------
    def _call(self, endpoint: str, action: Callable[[Salesforce], T], *, idempotent: bool = True) -> T:
        self._client()
        refresh = self._login if self.settings.auth == "client_credentials" else None
        return self.guard.call(
            endpoint,
            lambda: action(self._client()),
            classify=self.classify,
            idempotent=idempotent,
            refresh_auth=refresh,
        )

    def _client(self) -> Salesforce:
        with self._login_lock:
            if self._sf is None:
                self._sf = self._connect()
            return self._sf

    def _login(self) -> None:
        """Fetch a new token (the guard calls this once when a call answers 401)."""
        fresh = self._connect()
        with self._login_lock:
            self._sf = fresh

    def _connect(self) -> Salesforce:
        if self.settings.auth == "access_token":
            token, instance_url = self.settings.secret("access_token"), self.settings.instance_url
        else:
            answer = self.guard.call("oauth.token", self._request_token, classify=self.classify)
            token, instance_url = answer["access_token"], answer["instance_url"]
        register_secret(token)
        return Salesforce(
            instance_url=instance_url,
            session_id=token,
            session=self.session,
            version=self.settings.api_version,
        )

    def _request_token(self) -> dict[str, Any]:
        url = self.settings.token_url or f"{self.settings.instance_url.rstrip('/')}/services/oauth2/token"
        credentials = (self.settings.secret("client_id"), self.settings.secret("client_secret"))
        response = self.session.post(url, data={"grant_type": "client_credentials"}, auth=credentials)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code in (400, 401):  # OAuth answers a refused client with 400 invalid_client
            code, message = first_error(body)
            raise AuthError(
                f"token request refused: {code or 'error'}: {redact(message)}",
                system=SYSTEM,
                status=response.status_code,
                code=code,
                endpoint="oauth.token",
            )
        if response.status_code != 200:
            raise self.classify.from_answer(response.status_code, body)
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("instance_url"):
            raise AuthError("the token answer has no access_token or instance_url", system=SYSTEM)
        if urlsplit(body["instance_url"]).scheme != "https":
            raise ConfigError(
                f"the token answer names a non-https instance_url: {redact(body['instance_url'])}"
            )
        return body

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """Session hook: read the daily usage (``Sforce-Limit-Info``) and Retry-After of every answer."""
        self.classify.remember(response)
        usage = Salesforce.parse_api_usage(response.headers.get("Sforce-Limit-Info", "")).get("api-usage")
        if usage is not None:
            self.guard.observe_vendor_remaining(usage.total - usage.used)
        return response


def _without(fields: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key != name}


def _assignment_headers(options: Mapping[str, str] | None) -> dict[str, str]:
    unknown = sorted(set(options or {}) - {"assignment_rule"})
    if unknown:
        raise ConfigError(f"salesforce upsert options: unknown {unknown}; known: ['assignment_rule']")
    rule = (options or {}).get("assignment_rule")
    if rule is None:
        return {}
    if rule not in ASSIGNMENT_HEADERS and not RULE_ID.match(rule):
        raise ConfigError(
            f"salesforce assignment_rule {rule!r}: expected 'default', 'none' or an AssignmentRule id"
        )
    return {"Sforce-Auto-Assign": ASSIGNMENT_HEADERS.get(rule, rule)}


def _write_result(record: Outgoing, answer: Mapping[str, Any]) -> WriteResult:
    if answer.get("success"):
        outcome = Outcome.CREATED if answer.get("created") else Outcome.UPDATED
        return WriteResult(record.key, outcome, id=answer.get("id"))
    errors = answer.get("errors") or [{"statusCode": "UNKNOWN_ERROR", "message": "refused without a reason"}]
    return WriteResult(record.key, Outcome.FAILED, id=answer.get("id"), error=record_error(errors[0]))


def _field_schema(raw: Mapping[str, Any]) -> FieldSchema:
    createable = bool(raw.get("createable"))
    required = createable and not raw.get("nillable") and not raw.get("defaultedOnCreate")
    return FieldSchema(
        name=raw["name"],
        type=str(raw.get("type", "")).lower(),
        label=raw.get("label", ""),
        required=required and raw.get("type") != "boolean",
        length=raw.get("length") or None,
        picklist=tuple(value["value"] for value in raw.get("picklistValues") or () if value.get("active")),
        restricted_picklist=bool(raw.get("restrictedPicklist")),
        createable=createable,
        updateable=bool(raw.get("updateable")),
        external_id=bool(raw.get("externalId")),
        reference_to=tuple(raw.get("referenceTo") or ()),
    )
