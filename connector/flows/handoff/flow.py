"""MA → SFA: marketing leads that qualify become Salesforce Leads, with context, exactly once.

One run, on the flow pipeline (connector/flows/pipeline.py):
1. Return in-flight outbox rows of a crashed run to pending (this process holds the flow lock).
2. Read the MA's changes since the cursor, page by page (source.py). For each page, in ONE transaction:
   add the page's activities to the tallies, qualify each record (score threshold or CEL rule), queue
   the qualified or already linked records whose snapshot changed, and move the cursor past the page.
3. Write queued records in batches of the SFA's maximum (write.py): match on evidence (match.py), map
   and upsert keyed by the external id holding the MA id, then record links, states, errors, review
   cases and the follow-ups in one transaction. A doubtful match waits for an admin (`revloop review`);
   people newly linked to an existing record are written by the link lane, 200 updates a call.
4. Follow-ups: write back to the MA (Salesforce id, link status, lifecycle stage; writeback.py) and
   create a follow-up Task for the owner (tasks.py), each batched at its system's maximum.
A refused record never fails its batch: it gets a sync-error row and waits with back-off; schema drift
pauses the flow; a quota, auth or availability failure stops the run with everything still queued.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.config import Config, FlowSettings
from connector.flows.base import FlowSetup, Preview, RunContext
from connector.flows.handoff import checks
from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.handoff.preview import preview
from connector.flows.handoff.source import SourceReader
from connector.flows.handoff.tasks import FollowUpTasks
from connector.flows.handoff.write import STAGE, HandoffWriter, LinkWriter
from connector.flows.handoff.writeback import Writeback
from connector.flows.pipeline import ErrorReporter, Pipeline
from connector.mapping import load_mapping


class Handoff:
    """The handoff flow kind (see the module docstring)."""

    kind = "handoff"
    mapping_spec = HandoffMappingSpec
    counters = (
        "read", "qualified", "created", "updated", "linked", "review", "unchanged", "written_back", "failed",
    )  # fmt: skip

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.mapping = load_mapping(ctx.settings.mapping, spec=self.mapping_spec)
        errors = ErrorReporter(ctx, system=ctx.source.name, object=self.mapping.spec.source.object)
        self.writeback = Writeback(ctx, errors, self.mapping)
        self.tasks = FollowUpTasks(ctx, errors, self.mapping)
        self.writer = HandoffWriter(ctx, errors, self.mapping, writeback=self.writeback, tasks=self.tasks)
        self.links = LinkWriter(self.writer)
        self.reader = SourceReader(ctx, errors, self.mapping, stage=STAGE, direction=self.writer.direction)
        self.pipeline = Pipeline(ctx, self.reader, self.writer, [self.links, self.writeback, self.tasks])

    @classmethod
    def check_config(cls, config: Config, flows: Mapping[str, FlowSettings]) -> list[str]:
        return checks.key_collisions(config, flows)

    @classmethod
    def check_schemas(cls, setup: FlowSetup) -> list[str]:
        return checks.against_schemas(setup)

    def run(self) -> None:
        self.pipeline.run()

    def preview(self, limit: int) -> Preview:
        return preview(self, limit)
