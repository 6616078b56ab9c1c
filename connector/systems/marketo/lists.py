"""Marketo static lists: membership in batches of 300, members paged, list assets found or created."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connector.errors import ConfigError, ErrorCategory, RecordRejectedError
from connector.records import Outcome, Record, RecordError, WriteResult
from connector.systems.marketo.changes import PAGE_SIZE, lead_record, read_fields
from connector.systems.marketo.errors import record_error
from connector.systems.marketo.http import MarketoClient

MAX_IDS_PER_CALL = 300
NOT_IN_LIST = "1015"
_STATUS_OUTCOME = {"added": Outcome.CREATED, "removed": Outcome.UPDATED}


def _numeric(value: str | int, what: str) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"marketo: {what} must be a numeric Marketo id, got {text!r}")
    return int(text)


class StaticLists:
    """Static list calls of one Marketo instance (``lists/{id}/leads.json`` and the Asset API)."""

    def __init__(self, client: MarketoClient, *, folder: int | None) -> None:
        """``folder``: the id of the folder new lists are created in (None: lists are only found)."""
        self.client = client
        self.folder = folder

    def change(self, list_id: str | int, lead_ids: Sequence[str], *, add: bool) -> list[WriteResult]:
        """Add or remove leads, 300 ids per call; one result per given id, in the order given.

        ``added`` is CREATED and ``removed`` UPDATED; removing a lead that is not a member (1015) is
        UNCHANGED, because the wanted state holds; other skips (1004 lead not found) are FAILED.
        """
        numeric_list = _numeric(list_id, "list_id")
        unique = list(dict.fromkeys(str(_numeric(lead_id, "lead id")) for lead_id in lead_ids))
        answers: dict[str, Mapping[str, Any]] = {}
        for start in range(0, len(unique), MAX_IDS_PER_CALL):
            chunk = unique[start : start + MAX_IDS_PER_CALL]
            body = {"input": [{"id": int(lead_id)} for lead_id in chunk]}
            envelope = self.client.call(
                "lists.add" if add else "lists.remove",
                "POST" if add else "DELETE",
                f"{self.client.rest_url}lists/{numeric_list}/leads.json",
                body=body,
            )
            answers.update({str(row.get("id")): row for row in envelope.get("result") or []})
        return [_membership_result(str(_numeric(lead_id, "lead id")), answers) for lead_id in lead_ids]

    def members(self, list_id: str | int, fields: Sequence[str]) -> Iterator[Record]:
        """Every member of the list with ``fields`` (Marketo's defaults when empty), 300 per call."""
        return (lead_record(row, fields) for row in self._member_rows(list_id, read_fields(fields)))

    def member_ids(self, list_id: str | int) -> Iterator[str]:
        """The lead id of every member, 300 per call."""
        return (str(row["id"]) for row in self._member_rows(list_id, "id"))

    def member_page(
        self, list_id: str | int, fields: Sequence[str], token: str | None
    ) -> tuple[list[Record], str | None]:
        """One page (≤ 300) of members from ``token`` (None: the first page), and the next page's token
        (None when this page was the last): one call, for readers that keep their place between runs."""
        rows, token = self._page(list_id, read_fields(fields), token)
        return [lead_record(row, fields) for row in rows], token

    def _member_rows(self, list_id: str | int, fields: str) -> Iterator[Mapping[str, Any]]:
        """The raw member rows, following ``nextPageToken``."""
        token = None
        while True:
            rows, token = self._page(list_id, fields, token)
            yield from rows
            if token is None:
                return

    def _page(self, list_id: str | int, fields: str, token: str | None) -> tuple[list[Any], str | None]:
        params: dict[str, Any] = {"batchSize": PAGE_SIZE} | ({"fields": fields} if fields else {})
        if token:
            params["nextPageToken"] = token
        path = f"lists/{_numeric(list_id, 'list_id')}/leads.json"
        envelope = self.client.get("lists.members", path, params)
        rows = envelope.get("result") or []
        return rows, (envelope.get("nextPageToken") or None) if rows else None

    def find_or_create(self, name: str) -> str:
        """The id of the static list named ``name``, created in ``folder`` when missing.

        A create whose answer was lost, or that lost a race, is found by name rather than made twice
        (list names are unique in an instance).
        """
        found = self.find(name)
        if found is not None:
            return found
        if self.folder is None:
            raise ConfigError(
                f"marketo: static list {name!r} does not exist and cannot be created: "
                "set marketo.list_folder to the id of the folder new lists go in"
            )
        try:
            return self.create(name, self.folder)
        except RecordRejectedError:  # 709: the name exists by now
            found = self.find(name)
            if found is None:
                raise
            return found

    def find(self, name: str) -> str | None:
        """The id of the static list named exactly ``name``, or None."""
        envelope = self.client.get("lists.byname", "staticList/byName.json", {"name": name}, asset=True)
        rows = envelope.get("result") or []
        return str(rows[0]["id"]) if rows else None

    def create(self, name: str, folder: int) -> str:
        """Create a static list in folder ``folder`` (a folder id); returns the new list's id."""
        form = {"name": name, "folder": json.dumps({"id": folder, "type": "Folder"})}
        envelope = self.client.call(
            "lists.create", "POST", f"{self.client.asset_url}staticLists.json", data=form, idempotent=False
        )
        return str(envelope["result"][0]["id"])


def _membership_result(lead_id: str, answers: Mapping[str, Mapping[str, Any]]) -> WriteResult:
    row = answers.get(lead_id)
    if row is None:
        error = RecordError(
            ErrorCategory.RECORD_REJECT, "missing", "Marketo returned no status for this lead"
        )
        return WriteResult(key=lead_id, outcome=Outcome.FAILED, error=error)
    status = row.get("status")
    if status in _STATUS_OUTCOME:
        return WriteResult(key=lead_id, outcome=_STATUS_OUTCOME[status], id=lead_id)
    reasons = row.get("reasons") or []
    if any(str(reason.get("code")) == NOT_IN_LIST for reason in reasons):
        return WriteResult(key=lead_id, outcome=Outcome.UNCHANGED, id=lead_id)
    return WriteResult(key=lead_id, outcome=Outcome.FAILED, error=record_error(reasons))
