"""People sales disqualified go back to nurture: a follow-up stage that adds them to the MA's static list
named by ``[nurture] list`` (the ``Lists`` capability; created when missing, found once per run).

Joining a list twice is harmless, so a re-send after a crash changes nothing. Fields to set on nurture
(``[nurture.fields]``) are part of the person's update in the write stage, not of this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection

from connector.errors import ConfigError
from connector.flows.base import RunContext
from connector.flows.feedback.mapping import FeedbackMapping
from connector.flows.pipeline import ErrorReporter, SendStage
from connector.records import WriteResult
from connector.state import outbox
from connector.state.outbox import OutboxRow
from connector.systems.base import Lists

STAGE = "nurture"


class NurtureList(SendStage):
    """Adds disqualified people to the nurture list; a no-op when the mapping names no list."""

    name = STAGE

    def __init__(self, ctx: RunContext, errors: ErrorReporter, mapping: FeedbackMapping) -> None:
        super().__init__(ctx, errors)
        nurture = mapping.spec.nurture
        self.list_name = nurture.list if nurture else None
        self._list_id: str | None = None

    @property
    def enabled(self) -> bool:
        return self.list_name is not None

    @property
    def batch_size(self) -> int:
        return self.ctx.target.max_write_batch

    def enqueue(self, connection: Connection, people: Iterable[tuple[str, str]]) -> int:
        """Queue (person key, MA record id) pairs to join the list."""
        if not self.enabled:
            return 0
        rows = [(key, {"record_id": record_id}, record_id) for key, record_id in people]
        return outbox.enqueue(connection, self.ctx.flow, STAGE, rows)

    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        target = self.ctx.target
        if not isinstance(target, Lists):
            raise ConfigError(f"{target.name} has no static lists: [nurture] list cannot be kept there")
        results = target.add_to_list(self._list(target), [row.payload["record_id"] for row in rows])
        self.ctx.counts["nurtured"] += sum(1 for result in results if result.ok)
        return dict(zip((row.record_key for row in rows), results, strict=True))

    def _list(self, target: Lists) -> str:
        if self._list_id is None:
            self._list_id = target.find_or_create_list(str(self.list_name))
        return self._list_id
