"""Associations (v4) and manual lists (v3) in HubSpot, 100 records a call."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connector.errors import ErrorCategory, RecordRejectedError
from connector.records import Outcome, RecordError, WriteResult
from connector.systems.hubspot.errors import RequestRefusedError, record_error_from
from connector.systems.hubspot.transport import HubSpotTransport

CHUNK = 100
MEMBERS_PAGE = 250

_NOT_ANSWERED = RecordError(
    category=ErrorCategory.TRANSIENT,
    code="NO_RESULT",
    message="hubspot: the association answer did not mention this pair; it will be sent again",
)

_NO_SUCH_RECORD = RecordError(
    category=ErrorCategory.RECORD_REJECT,
    code="NOT_FOUND",
    message="hubspot: no record with this id, so its list membership cannot change",
)


def pair_key(from_id: str, to_id: str) -> str:
    """The WriteResult key of an association: ``"<from id>:<to id>"``."""
    return f"{from_id}:{to_id}"


def _answered_pairs(results: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    pairs = set()
    for result in results:
        if "fromObjectId" in result:
            pairs.add((str(result["fromObjectId"]), str(result["toObjectId"])))
        else:
            pairs.add((str(result["from"]["id"]), str(result["to"]["id"])))
    return pairs


def _pair_results(chunk: Sequence[tuple[str, str]], body: Mapping[str, Any]) -> list[WriteResult]:
    """One result per pair: a pair fails when an error names its from or to id."""
    answered = _answered_pairs(body.get("results") or ())
    failed: dict[tuple[str, str], RecordError] = {}
    for detail in body.get("errors") or ():
        context = detail.get("context") or {}
        from_ids = {*map(str, context.get("fromObjectId") or ()), *map(str, context.get("ids") or ())}
        to_ids = {*map(str, context.get("toObjectId") or ()), *map(str, context.get("ids") or ())}
        for pair in chunk:
            if pair[0] in from_ids or pair[1] in to_ids:
                failed.setdefault(pair, record_error_from(detail))
    results = []
    for from_id, to_id in chunk:
        key = pair_key(from_id, to_id)
        if (from_id, to_id) in failed:
            results.append(WriteResult(key, Outcome.FAILED, error=failed[(from_id, to_id)]))
        elif (from_id, to_id) in answered:
            results.append(WriteResult(key, Outcome.CREATED))
        else:
            results.append(WriteResult(key, Outcome.FAILED, error=_NOT_ANSWERED))
    return results


def _membership_result(record_id: str, changed: set[str], missing: set[str], *, add: bool) -> WriteResult:
    if record_id in missing:
        return WriteResult(record_id, Outcome.FAILED, error=_NO_SUCH_RECORD)
    if record_id in changed:
        return WriteResult(record_id, Outcome.CREATED if add else Outcome.UPDATED, id=record_id)
    return WriteResult(record_id, Outcome.UNCHANGED, id=record_id)


class HubSpotLinks:
    """Associations and list memberships of one adapter; every call goes through the transport."""

    def __init__(self, transport: HubSpotTransport) -> None:
        self.transport = transport

    def associate(
        self,
        from_obj: str,
        to_obj: str,
        pairs: Sequence[tuple[str, str]],
        *,
        type_id: int | None = None,
        category: str = "HUBSPOT_DEFINED",
    ) -> list[WriteResult]:
        """Associate (from id, to id) pairs; the default unlabelled type when ``type_id`` is None."""
        api = self.transport.associations
        results = []
        for start in range(0, len(pairs), CHUNK):
            chunk = [(str(f), str(t)) for f, t in pairs[start : start + CHUNK]]
            inputs: list[dict[str, Any]] = [{"from": {"id": f}, "to": {"id": t}} for f, t in chunk]
            if type_id is None:
                body = {"inputs": inputs}
                answer = self.transport.call(
                    "associations.batch.default",
                    lambda b=body, **kw: api.create_default_with_http_info(from_obj, to_obj, b, **kw),
                )
            else:
                spec = {"associationCategory": category, "associationTypeId": type_id}
                body = {"inputs": [entry | {"types": [spec]} for entry in inputs]}
                answer = self.transport.call(
                    "associations.batch.create",
                    lambda b=body, **kw: api.create_with_http_info(from_obj, to_obj, b, **kw),
                )
            results.extend(_pair_results(chunk, answer.body or {}))
        return results

    def dissociate(self, from_obj: str, to_obj: str, pairs: Sequence[tuple[str, str]]) -> list[WriteResult]:
        """Archive the associations of (from id, to id) pairs, 100 a call (HubSpot answers 204)."""
        api = self.transport.associations
        results = []
        for start in range(0, len(pairs), CHUNK):
            chunk = [(str(f), str(t)) for f, t in pairs[start : start + CHUNK]]
            body = {"inputs": [{"from": {"id": f}, "to": [{"id": t}]} for f, t in chunk]}
            self.transport.call(
                "associations.batch.archive",
                lambda b=body, **kw: api.archive_with_http_info(from_obj, to_obj, b, **kw),
            )
            results += [WriteResult(pair_key(f, t), Outcome.UPDATED) for f, t in chunk]
        return results

    def find_or_create_list(self, name: str, object_type_id: str = "0-1") -> str:
        """The id of the MANUAL list called ``name``, created if missing. List names are unique in a portal,
        so a create whose answer was lost is found by name rather than created twice."""
        found = self._list_id(name, object_type_id)
        if found is not None:
            return found
        request = {"name": name, "objectTypeId": object_type_id, "processingType": "MANUAL"}
        try:
            answer = self.transport.call(
                "lists.create", lambda **kw: self.transport.lists.create_with_http_info(request, **kw)
            )
        except RequestRefusedError:
            found = self._list_id(name, object_type_id)
            if found is None:
                raise
            return found
        return str(answer.body["list"]["listId"])

    def members(self, list_id: str) -> Iterator[str]:
        """Record ids in the list, paged."""
        after: str | None = None
        while True:
            query: dict[str, Any] = {"limit": MEMBERS_PAGE} | ({"after": after} if after else {})
            answer = self.transport.call(
                "lists.memberships.get",
                lambda q=query, **kw: self.transport.memberships.get_page_with_http_info(list_id, **q, **kw),
            )
            body = answer.body or {}
            yield from (str(member["recordId"]) for member in body.get("results") or ())
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def change_members(self, list_id: str, ids: Sequence[str], *, add: bool) -> list[WriteResult]:
        """Add or remove records, 100 ids a call; one result per id, in the order given.

        Joining is CREATED and leaving UPDATED; an id already in (or already out of) the list is
        UNCHANGED; an id HubSpot reports missing is FAILED.
        """
        memberships = self.transport.memberships
        method = memberships.add_with_http_info if add else memberships.remove_with_http_info
        endpoint = "lists.memberships.add" if add else "lists.memberships.remove"
        changed_key = "recordsIdsAdded" if add else "recordIdsRemoved"  # sic: HubSpot spells it "records"
        results = []
        for start in range(0, len(ids), CHUNK):
            chunk = [str(record_id) for record_id in ids[start : start + CHUNK]]
            answer = self.transport.call(endpoint, lambda c=chunk, **kw: method(list_id, c, **kw))
            body = answer.body or {}
            changed = set(map(str, body.get(changed_key) or ()))
            missing = set(map(str, body.get("recordIdsMissing") or ()))
            results += [_membership_result(record_id, changed, missing, add=add) for record_id in chunk]
        return results

    def _list_id(self, name: str, object_type_id: str) -> str | None:
        try:
            answer = self.transport.call(
                "lists.get_by_name",
                lambda **kw: self.transport.lists.get_by_name_with_http_info(name, object_type_id, **kw),
            )
        except RecordRejectedError as missing:
            if missing.status == 404:
                return None
            raise
        return str(answer.body["list"]["listId"])
