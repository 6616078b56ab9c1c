"""Marketo as a marketing-automation system, over its REST API with plain requests.

Changes come from the Activities API (New Lead, Change Data Value, Change Score and the requested
activity kinds) and the leads they mention are read by id, 300 at a time; a flow's first run can read
the leads that already exist first (a list or bulk export jobs, :mod:`connector.systems.marketo.initial`);
writes are Sync Leads
(``createOrUpdate`` keyed by a lookup field, 300 per call); static lists carry segments back.
Auth, the envelope and error classification live in :mod:`connector.systems.marketo.http` and
:mod:`connector.systems.marketo.errors`; every call goes through the system's CallGuard.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from connector.errors import ConfigError, ErrorCategory, RecordRejectedError
from connector.records import (
    Cursor,
    FieldSchema,
    ObjectSchema,
    Outcome,
    Outgoing,
    Page,
    Record,
    RecordError,
    WriteResult,
)
from connector.systems.guard import CallGuard
from connector.systems.marketo.bulk import BulkExtract
from connector.systems.marketo.changes import (
    PAGE_SIZE,
    ChangeReader,
    activity_type_ids,
    lead_record,
    read_fields,
)
from connector.systems.marketo.errors import PayloadTooLargeError, record_error
from connector.systems.marketo.http import MarketoClient
from connector.systems.marketo.initial import InitialLoad, LoadPlan
from connector.systems.marketo.lists import StaticLists
from connector.systems.marketo.settings import MarketoSettings

log = logging.getLogger(__name__)

OBJECT = "leads"
MAX_BATCH = 300
MAX_BODY_BYTES = 1_000_000
"""Marketo refuses bodies over 1 MB (413); bigger batches are split before they are sent."""
ACTIONS = ("createOnly", "updateOnly", "createOrUpdate", "createDuplicate")
UPSERT_OPTIONS = ("action", "partitionName")
_STATUS_OUTCOME = {"created": Outcome.CREATED, "updated": Outcome.UPDATED}


class MarketoSystem:
    """The Marketo adapter. Only the ``leads`` object exists; activities are reported with its pages."""

    kind: ClassVar[str] = "marketo"
    name: str = "marketo"  # the config table's name; build_system sets it for [systems.<name>] tables
    max_write_batch: ClassVar[int] = MAX_BATCH
    max_read_page: ClassVar[int] = PAGE_SIZE

    def __init__(
        self,
        settings: MarketoSettings,
        guard: CallGuard,
        *,
        backfill_days: int = 30,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``backfill_days``: how far back the first run (no cursor) reads the activity log; ``clock`` times
        token renewal; ``sleep`` waits between two status polls of a bulk export job."""
        self.guard = guard
        self.client = MarketoClient(settings, guard, clock=clock)
        self._changes = ChangeReader(self.client, self._leads_by_id, backfill_days=backfill_days)
        self._lists = StaticLists(self.client, folder=settings.list_folder)
        bulk = BulkExtract(self.client, self._field_types, poll_s=settings.initial_load_poll_s, sleep=sleep)
        plan = LoadPlan.from_settings(settings)
        self._initial = InitialLoad(plan, self._lists, bulk, backfill_days=backfill_days)

    def __repr__(self) -> str:
        return f"MarketoSystem(base_url={self.client.settings.base_url!r})"

    def check(self) -> None:
        """One cheap authenticated call (daily usage statistics)."""
        self.client.get("stats.usage", "stats/usage.json", {})

    # ---- reads -----------------------------------------------------------------------------------
    def read_changes(
        self,
        obj: str,
        cursor: Cursor | None,
        fields: Sequence[str],
        *,
        activities: Sequence[str] = (),
        dry_run: bool = False,
    ) -> Iterator[Page]:
        """Leads created or changed since ``cursor`` (Activities API), plus activities of ``activities``.

        One page per activities page (≤ 300 activities); its records are the current state of the leads
        it mentions. The last page's cursor starts the next run; a run with no changes is one call.
        A first run (no cursor) with an ``initial_load`` configured, or a cursor in that load, first reads
        the load's pages (≤ 300 leads, no activities) and then the activity log from ``backfill_days``
        before the load started; a load that must wait for a later run ends the pages early.
        ``dry_run`` (a preview) never starts the load's export jobs or list reads: it reads the activity
        log only, and says so.
        """
        _check_object(obj)
        activity_type_ids(activities)  # an unknown kind is a ConfigError before any call
        if not self._initial.pending(cursor):
            return self._changes.activities(cursor, fields, activities)
        if dry_run:
            log.warning(
                "marketo: the first run also loads the leads that already exist (initial_load = %s); "
                "a preview shows only the activity log's changes",
                self._initial.plan.key if self._initial.plan else "activities",
            )
            since = None if cursor is None else {"since": cursor["since"]}
            return self._changes.activities(since, fields, activities)
        return self._load_then_changes(cursor, fields, activities)

    def _load_then_changes(
        self, cursor: Cursor | None, fields: Sequence[str], activities: Sequence[str]
    ) -> Iterator[Page]:
        last = cursor
        for page in self._initial.pages(cursor, fields):
            yield page
            last = page.cursor
        if not self._initial.pending(last):
            yield from self._changes.activities(last, fields, activities)

    def read_by_keys(
        self, obj: str, key_field: str, keys: Sequence[str], fields: Sequence[str]
    ) -> Iterator[Record]:
        """Leads whose ``key_field`` (a searchable field) is one of ``keys``, 300 keys per call.

        Keys that contain a comma cannot be expressed in Marketo's ``filterValues`` and never match.
        """
        _check_object(obj)
        wanted = list(dict.fromkeys(str(key).strip() for key in keys))
        wanted = [key for key in wanted if key and "," not in key]
        for start in range(0, len(wanted), MAX_BATCH):
            yield from self._filter(key_field, wanted[start : start + MAX_BATCH], fields)

    def _filter(self, key_field: str, values: Sequence[str], fields: Sequence[str]) -> Iterator[Record]:
        params: dict[str, Any] = {
            "filterType": key_field,
            "filterValues": ",".join(values),
            "batchSize": MAX_BATCH,
        }
        if fields:
            params["fields"] = read_fields(fields)
        token = None
        while True:
            page_params = {**params, "nextPageToken": token} if token else params
            envelope = self.client.get("leads.read", "leads.json", page_params)
            for row in envelope.get("result") or []:
                yield lead_record(row, fields)
            token = envelope.get("nextPageToken")
            if not token or not envelope.get("result"):
                return

    def _leads_by_id(self, lead_ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        return list(self.read_by_keys(OBJECT, "id", lead_ids, fields))

    def _field_types(self) -> dict[str, str]:
        return {name: field.type for name, field in self.describe(OBJECT).fields.items()}

    # ---- writes ----------------------------------------------------------------------------------
    def upsert(
        self,
        obj: str,
        key_field: str,
        batch: Sequence[Outgoing],
        *,
        options: Mapping[str, str] | None = None,
    ) -> list[WriteResult]:
        """Sync Leads keyed by ``key_field`` (``createOrUpdate``; ``updateOnly`` when keyed by ``id``).

        ``options``: ``action`` (one of Marketo's four) and ``partitionName``. Results come in input
        order; a skipped record is FAILED with its reasons (1006 unknown field is schema drift).
        """
        _check_object(obj)
        if len(batch) > MAX_BATCH:
            raise ValueError(f"marketo: at most {MAX_BATCH} leads per upsert, got {len(batch)}")
        if not batch:
            return []
        request = _sync_request(key_field, options or {})
        results: list[WriteResult | None] = [None] * len(batch)
        sendable = []
        for index, outgoing in enumerate(batch):
            record = _input_record(key_field, outgoing)
            if isinstance(record, WriteResult):
                results[index] = record
            else:
                sendable.append((index, record))
        answers = self._sync(request, [record for _, record in sendable])
        for (index, _), answer in zip(sendable, answers, strict=True):
            results[index] = _write_result(batch[index].key, answer)
        return [result for result in results if result is not None]

    def _sync(self, request: Mapping[str, Any], records: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
        """Send ``records``; returns one answer per record, splitting bodies over Marketo's 1 MB limit."""
        if not records:
            return []
        body = {**request, "input": records}
        if len(records) > 1 and len(json.dumps(body).encode()) > MAX_BODY_BYTES:
            return self._split(request, records)
        idempotent = request["action"] in ("createOrUpdate", "updateOnly")
        try:
            url = f"{self.client.rest_url}leads.json"
            envelope = self.client.call("leads.write", "POST", url, body=body, idempotent=idempotent)
        except PayloadTooLargeError:
            if len(records) == 1:
                return [_refused("413", "the lead is larger than Marketo's 1 MB request limit")]
            return self._split(request, records)
        except RecordRejectedError as error:
            return [_refused(error.code or "refused", str(error))] * len(records)
        answers = envelope.get("result") or []
        if len(answers) != len(records):
            raise RecordRejectedError(
                f"leads.write: {len(answers)} results for {len(records)} leads", system="marketo"
            )
        return answers

    def _split(self, request: Mapping[str, Any], records: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
        middle = len(records) // 2
        return self._sync(request, records[:middle]) + self._sync(request, records[middle:])

    def describe(self, obj: str) -> ObjectSchema:
        """Lead fields from ``leads/describe2.json``; searchable fields are marked as usable upsert keys."""
        _check_object(obj)
        envelope = self.client.get("leads.describe", "leads/describe2.json", {})
        described = (envelope.get("result") or [{}])[0]
        searchable = {group[0] for group in described.get("searchableFields", []) if len(group) == 1}
        fields = {}
        for row in described.get("fields", []):
            updateable = bool(row.get("updateable", True))
            fields[row["name"]] = FieldSchema(
                name=row["name"],
                type=str(row.get("dataType", "string")).lower(),
                label=row.get("displayName", ""),
                length=row.get("length"),
                createable=updateable,
                updateable=updateable,
                external_id=row["name"] in searchable,
            )
        return ObjectSchema(system=self.kind, object=OBJECT, fields=fields)

    # ---- capability: Lists (see connector.systems.base) ------------------------------------------
    def find_or_create_list(self, name: str) -> str:
        """The static list called ``name``; a missing one is created in the ``list_folder`` folder."""
        return self._lists.find_or_create(name)

    def list_members(self, list_id: str) -> Iterator[str]:
        """The ids of the list's leads, 300 per call."""
        return self._lists.member_ids(list_id)

    def add_to_list(self, list_id: str, lead_ids: Sequence[str]) -> list[WriteResult]:
        """Add leads to a static list (300 per call); one result per id, CREATED when added (Marketo
        reports a lead that was already a member as added too)."""
        return self._lists.change(list_id, lead_ids, add=True)

    def remove_from_list(self, list_id: str, lead_ids: Sequence[str]) -> list[WriteResult]:
        """Remove leads from a static list; UPDATED when removed, UNCHANGED when not a member."""
        return self._lists.change(list_id, lead_ids, add=False)

    def read_list(self, list_id: str, fields: Sequence[str]) -> Iterator[Record]:
        """Every lead of a static list with ``fields``, 300 per call: a first load of the leads a list
        selects, whatever their activity."""
        return self._lists.members(list_id, fields)


def _check_object(obj: str) -> None:
    if obj != OBJECT:
        raise ConfigError(f"marketo: unknown object {obj!r}; the Marketo adapter knows only {OBJECT!r}")


def _sync_request(key_field: str, options: Mapping[str, str]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(UPSERT_OPTIONS))
    if unknown:
        raise ConfigError(f"marketo: unknown upsert option(s) {unknown}; known: {', '.join(UPSERT_OPTIONS)}")
    action = options.get("action") or ("updateOnly" if key_field == "id" else "createOrUpdate")
    if action not in ACTIONS:
        raise ConfigError(f"marketo: upsert action {action!r} is not one of {', '.join(ACTIONS)}")
    request: dict[str, Any] = {"action": action, "lookupField": key_field}
    if options.get("partitionName"):
        request["partitionName"] = options["partitionName"]
    return request


def _input_record(key_field: str, outgoing: Outgoing) -> dict[str, Any] | WriteResult:
    record = dict(outgoing.fields)
    if key_field != "id":
        record[key_field] = outgoing.key
        return record
    if not str(outgoing.key).isdigit():
        error = RecordError(ErrorCategory.RECORD_REJECT, "invalid_id", "a Marketo lead id must be numeric")
        return WriteResult(key=outgoing.key, outcome=Outcome.FAILED, error=error)
    record["id"] = int(outgoing.key)
    return record


def _refused(code: str, message: str) -> dict[str, Any]:
    return {"status": "skipped", "reasons": [{"code": code, "message": message}]}


def _write_result(key: str, answer: Mapping[str, Any]) -> WriteResult:
    outcome = _STATUS_OUTCOME.get(str(answer.get("status")))
    if outcome is not None and answer.get("id") is not None:
        return WriteResult(key=key, outcome=outcome, id=str(answer["id"]))
    return WriteResult(key=key, outcome=Outcome.FAILED, error=record_error(answer.get("reasons") or []))
