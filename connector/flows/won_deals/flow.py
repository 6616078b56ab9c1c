"""SFA → CRM: opportunities that become Closed Won go to the CRM as deals with their company, line items
and customers, exactly once.

One run, on the flow pipeline (connector/flows/pipeline.py):
1. Return in-flight outbox rows of a crashed run to pending (this process holds the flow lock).
2. Read opportunity, line item and contact role changes since their cursors (source.py); each page's
   changed snapshots of won (or already synced, or waiting) opportunities are queued with the cursor.
3. Write queued opportunities in batches of the CRM's maximum (deals.py): companies found by link, domain
   or normalised name or created, products found by code or created, deals upserted on the opportunity
   id, each deal associated with its company; a reversed deal moves to the reversal stage or errors.
4. Follow-ups, each batched at the CRM's maximum: line items upserted on their source id, associated with
   the deal, archived when deleted at the source (lines.py); the contact roles' people found by link or
   email (created if absent), moved to lifecycle customer and associated with the deal (people.py).
A refused record never fails its batch: it gets a sync-error row and waits with back-off; schema drift
pauses the flow; a quota, auth or availability failure stops the run with everything still queued.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.config import Config, FlowSettings
from connector.flows.base import FlowSetup, Preview, RunContext
from connector.flows.pipeline import ErrorReporter, Pipeline
from connector.flows.won_deals import checks
from connector.flows.won_deals.deals import Deals
from connector.flows.won_deals.lines import LineItems
from connector.flows.won_deals.mapping import WonDealsMapping, WonDealsMappingSpec
from connector.flows.won_deals.people import People
from connector.flows.won_deals.preview import preview
from connector.flows.won_deals.source import OpportunityReader
from connector.mapping import load_mapping


class WonDeals:
    """The won-deals flow kind (see the module docstring)."""

    kind = "won_deals"
    mapping_spec = WonDealsMappingSpec
    counters = (
        "read", "deals_created", "deals_updated", "line_items", "line_items_removed", "people",
        "people_removed", "companies_created", "companies_linked", "products_created", "products_linked",
        "reversed", "unchanged", "failed",
    )  # fmt: skip

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        mapping = load_mapping(ctx.settings.mapping, spec=self.mapping_spec)
        assert isinstance(mapping, WonDealsMapping)
        self.mapping = mapping
        spec, source = mapping.spec, ctx.source.name
        self.lines = LineItems(ctx, ErrorReporter(ctx, system=source, object=spec.line_items.source), mapping)
        self.people = People(ctx, ErrorReporter(ctx, system=source, object=spec.people.source), mapping)
        errors = ErrorReporter(ctx, system=source, object=spec.source.object)
        self.deals = Deals(ctx, errors, mapping, lines=self.lines, people=self.people)
        self.reader = OpportunityReader(ctx, mapping, direction=self.deals.direction)
        self.pipeline = Pipeline(ctx, self.reader, self.deals, [self.lines, self.people])

    @classmethod
    def check_config(cls, config: Config, flows: Mapping[str, FlowSettings]) -> list[str]:
        return checks.offline(config, flows)

    @classmethod
    def check_schemas(cls, setup: FlowSetup) -> list[str]:
        return checks.against_schemas(setup)

    def run(self) -> None:
        self.pipeline.run()

    def preview(self, limit: int) -> Preview:
        return preview(self, limit)
