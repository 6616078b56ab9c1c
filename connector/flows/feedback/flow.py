"""SFA → MA: what sales does with a person in Salesforce goes back to that person's MA record.

One run, on the flow pipeline (connector/flows/pipeline.py):
1. Return in-flight outbox rows of a crashed run to pending (this process holds the flow lock).
2. Read Salesforce's Lead, Contact, Opportunity and contact-role changes since each stream's cursor
   (source.py). For each page, assemble the people it concerns (people.py: their Lead, Contact, open or
   latest Opportunity, owner) and, in ONE transaction, queue the people whose snapshot changed and move
   the stream's cursor past the page.
3. Write queued people in batches of the MA's maximum (write.py): find their MA record (the link, or the
   handoff's identity rules for people sales created; never a new record), map the translation tables,
   keep what conflict and forward-only rules protect, update the record by its id, then record links,
   states, the values written (so no flow takes them for an edit) and errors in one transaction.
4. Follow-up: disqualified people join the nurture list (nurture.py), batched.
A refused record never fails its batch: it gets a sync-error row and waits with back-off; schema drift
pauses the flow; a quota, auth or availability failure stops the run with everything still queued.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.config import Config, FlowSettings
from connector.flows.base import FlowSetup, Preview, RunContext
from connector.flows.feedback import checks
from connector.flows.feedback.mapping import FeedbackMapping, FeedbackMappingSpec
from connector.flows.feedback.nurture import NurtureList
from connector.flows.feedback.preview import preview
from connector.flows.feedback.source import FeedbackReader
from connector.flows.feedback.write import STAGE, FeedbackWriter
from connector.flows.pipeline import ErrorReporter, Pipeline
from connector.mapping import load_mapping


class Feedback:
    """The feedback flow kind (see the module docstring)."""

    kind = "feedback"
    mapping_spec = FeedbackMappingSpec
    counters = (
        "read", "updated", "linked", "unchanged", "in_sync", "nurtured", "unlinked", "not_in_ma", "failed",
    )  # fmt: skip

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        mapping = load_mapping(ctx.settings.mapping, spec=self.mapping_spec)
        assert isinstance(mapping, FeedbackMapping)
        self.mapping = mapping
        errors = ErrorReporter(ctx, system=ctx.source.name, object=mapping.spec.source.object)
        self.nurture = NurtureList(ctx, errors, mapping)
        self.writer = FeedbackWriter(ctx, errors, mapping, nurture=self.nurture)
        self.reader = FeedbackReader(ctx, mapping, stage=STAGE, direction=self.writer.direction)
        self.pipeline = Pipeline(ctx, self.reader, self.writer, [self.nurture])

    @classmethod
    def check_config(cls, config: Config, flows: Mapping[str, FlowSettings]) -> list[str]:
        return checks.source_is_salesforce(config, flows)

    @classmethod
    def check_schemas(cls, setup: FlowSetup) -> list[str]:
        return checks.against_schemas(setup)

    def run(self) -> None:
        self.pipeline.run()

    def preview(self, limit: int) -> Preview:
        return preview(self, limit)
