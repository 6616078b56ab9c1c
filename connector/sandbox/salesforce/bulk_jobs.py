"""Bulk API 2.0 jobs of the Salesforce fake and their CSV: job records, cell values, result files."""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass, field
from typing import Any

from connector.sandbox.salesforce.relations import Fetch, flat_value
from connector.sandbox.salesforce.schema import ObjectDef
from connector.sandbox.salesforce.soql_compile import CompiledQuery
from connector.sandbox.salesforce.store import Row
from connector.sandbox.salesforce.validate import RequestError, SaveError, coerce

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}


@dataclass
class IngestJob:
    id: str
    object: str
    operation: str
    external_id: str | None
    delimiter: str
    assignment_rule_id: str | None
    created: str
    state: str = "Open"
    uploads: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    successes: list[dict[str, str]] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    unprocessed: list[dict[str, str]] = field(default_factory=list)
    error_message: str = ""

    def info(self, version: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": "",
            "createdDate": self.created,
            "systemModstamp": self.created,
            "state": self.state,
            "externalIdFieldName": self.external_id,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version.lstrip("v")),
            "contentUrl": f"services/data/{version}/jobs/ingest/{self.id}/batches",
            "lineEnding": "LF",
            "columnDelimiter": next(k for k, v in DELIMITERS.items() if v == self.delimiter),
            "numberRecordsProcessed": len(self.successes) + len(self.failures),
            "numberRecordsFailed": len(self.failures),
            "errorMessage": self.error_message or None,
        }


@dataclass
class QueryJob:
    id: str
    query: CompiledQuery
    rows: list[Row]
    created: str
    operation: str = "query"

    def info(self, version: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "object": self.query.obj.name,
            "createdDate": self.created,
            "systemModstamp": self.created,
            "state": "JobComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version.lstrip("v")),
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
            "numberRecordsProcessed": len(self.rows),
        }


def bulk_value(obj: ObjectDef, name: str, raw: str) -> Any:
    """A CSV cell as a value: ``#N/A`` sets null; a cell of the wrong type is a per-record error."""
    if raw == "#N/A":
        return None
    try:
        return coerce(obj, name, raw)
    except RequestError:
        label = obj.fields[name].label
        raise SaveError(
            "INVALID_TYPE_ON_FIELD_IN_RECORD", f"{label}: value not of required type: {raw}", (name,)
        ) from None


def csv_row(query: CompiledQuery, row: Row, fetch: Fetch) -> dict[str, str]:
    """A result row as CSV cells; a relationship field (``Account.Name``) is one flat column."""
    out = {}
    for name in query.fields:
        path = query.paths.get(name)
        value = flat_value(row, path, fetch) if path else row.get(name)
        kind = path.field.type if path else query.obj.fields[name].type
        if value is None:
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif kind == "datetime":
            out[name] = value.replace("+0000", "Z")
        else:
            out[name] = str(value)
    return out


def csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns, quoting=csv.QUOTE_ALL, lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def decode_locator(locator: str) -> int:
    if not locator or locator == "null":
        return 0
    try:
        return int(base64.b64decode(locator).decode())
    except ValueError:
        raise RequestError("INVALIDLOCATOR", f"invalid locator: {locator}") from None
