"""Follow-up Tasks for sales: one per person revloop hands off, assigned to the record's owner.

Configured by a mapping's ``[task]`` section. The owner is only known once Salesforce's assignment
rule has run, so a batch of Tasks first reads the owners of its records (one query per 200), then
upserts the Tasks keyed by an external id (``<flow>:<source id>``), so a retry never creates two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from connector.flows.base import RunContext
from connector.flows.handoff.sections import map_task
from connector.flows.pipeline import ErrorReporter, SendStage
from connector.mapping import Mapping as MappingFile
from connector.mapping import MappingFailure
from connector.records import Outgoing, WriteResult
from connector.state import outbox
from connector.state.db import utcnow
from connector.state.outbox import OutboxRow

STAGE = "task"


class FollowUpTasks(SendStage):
    name = STAGE

    def __init__(self, ctx: RunContext, errors: ErrorReporter, mapping: MappingFile) -> None:
        super().__init__(ctx, errors)
        self.mapping = mapping
        self.spec = mapping.spec.task

    @property
    def batch_size(self) -> int:
        return self.ctx.target.max_write_batch

    def wanted(self, link_status: str) -> bool:
        """Whether a person newly linked with ``link_status`` (created, linked) gets a Task."""
        return self.spec is not None and self.spec.on in (link_status, "both")

    def enqueue(
        self, connection, people: Iterable[tuple[str, str, str, Mapping[str, Any], Mapping[str, Any]]]
    ) -> None:
        """Queue a Task for each (source id, target object, target id, source fields, context)."""
        rows = []
        for source_id, obj, target_id, fields, context in people:
            mapped = map_task(self.mapping, fields, {**context, "source_id": source_id})
            if isinstance(mapped, MappingFailure):
                self.errors.record(connection, STAGE, source_id, mapped.record_error(), None)
                continue
            due = (utcnow() + timedelta(days=self.spec.due_in_days)).date().isoformat()
            payload = {"fields": dict(mapped.fields), "who": [obj, target_id], "due": due}
            rows.append((source_id, payload, mapped.payload_hash))
        outbox.enqueue(connection, self.ctx.flow, STAGE, rows)

    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        owners = self._owners(rows)
        key = f"{self.ctx.flow}:{{}}"
        tasks = [
            Outgoing(
                key.format(row.record_key),
                {
                    **row.payload["fields"],
                    "WhoId": row.payload["who"][1],
                    "OwnerId": owners.get(row.payload["who"][1]),
                    "ActivityDate": row.payload["due"],
                },
            )
            for row in rows
        ]
        results = self.ctx.target.upsert(self.spec.object, self.spec.upsert_key, tasks)
        self.ctx.counts["tasks"] += sum(1 for result in results if result.ok)
        return dict(zip((row.record_key for row in rows), results, strict=True))

    def _owners(self, rows: Sequence[OutboxRow]) -> dict[str, str]:
        by_object: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            obj, target_id = row.payload["who"]
            by_object[obj].append(target_id)
        owners = {}
        for obj, ids in by_object.items():
            for record in self.ctx.target.read_by_keys(obj, "Id", ids, ["OwnerId"]):
                owners[record.id] = record.fields.get("OwnerId")
        return owners
