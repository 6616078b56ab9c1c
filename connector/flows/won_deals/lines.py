"""Line items of won deals: upserted on the source line's id, associated with their deal, archived when
the source line is deleted.

The deals stage queues a row per line item whose mapped values (product and deal included) changed since
its last sync, and an archive row per line that left the opportunity. A batch is one upsert call, one
association call and, for removed lines, one archive call (100 each, the CRM's maximum).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from connector.flows.won_deals.stages import FollowUpStage
from connector.flows.won_deals.writes import DealWrite, LineWrite, state_row
from connector.mapping import payload_hash
from connector.records import Outcome, Outgoing, WriteResult
from connector.state import links, outbox
from connector.state.links import RecordRef, SyncedState
from connector.state.outbox import OutboxRow
from connector.systems.base import Associations, Removals

STAGE = "lines"


class LineItems(FollowUpStage):
    name = STAGE

    # ---- queued by the deals stage -----------------------------------------------------------------
    def enqueue(
        self, connection: Connection, deals: Sequence[tuple[DealWrite, str]], products: Mapping[str, str]
    ) -> dict[str, list[str]]:
        """Queue the changed line items of the written ``deals`` ((write, deal id)) and the removal of lines
        that left them; returns each opportunity's line ids."""
        ids = [line.line_id for write, _ in deals for line in write.lines]
        states = links.synced_states(connection, self.direction, ids)
        rows, current = [], {}
        for write, deal_id in deals:
            rows += [
                self._row(write, line, deal_id, products, states.get(line.line_id)) for line in write.lines
            ]
            current[write.opportunity_id] = [line.line_id for line in write.lines]
            for removed in sorted(set(write.previous.get("lines", ())) - set(current[write.opportunity_id])):
                rows.append((removed, {"archive": True, "opportunity_id": write.opportunity_id}, "archive"))
        outbox.enqueue(connection, self.ctx.flow, STAGE, [row for row in rows if row is not None])
        return current

    def _row(self, write: DealWrite, line: LineWrite, deal_id: str, products, state: SyncedState | None):
        """The outbox row of one line item, or None when it is as last synced (product and deal too)."""
        spec = self.mapping.spec.line_items
        fields = {**line.mapped.fields, spec.product_field: products[line.product_ref]}
        digest = payload_hash(spec.object, {**line.mapped.payload, **fields, "_deal": deal_id})
        if state is not None and state.payload_hash == digest:
            return None
        before = state.payload if state else {}
        payload = {
            "fields": fields,
            "written": {"fields": {**before.get("fields", {}), **fields}, "deal_id": deal_id},
            "hash": digest,
            "deal_id": deal_id,
            "associate": before.get("deal_id") != deal_id,  # a new line, or its deal changed
            "opportunity_id": write.opportunity_id,
        }
        return (line.line_id, payload, digest)

    # ---- sending -------------------------------------------------------------------------------------
    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        upserts = [row for row in rows if not row.payload.get("archive")]
        results = self._upsert(upserts) if upserts else {}
        results.update(self._archive([row for row in rows if row.payload.get("archive")]))
        return results

    def _upsert(self, rows: Sequence[OutboxRow]) -> dict[str, WriteResult]:
        spec, target = self.mapping.spec.line_items, self.ctx.target
        outgoing = [Outgoing(row.record_key, row.payload["fields"]) for row in rows]
        results = {result.key: result for result in target.upsert(spec.object, spec.upsert_key, outgoing)}
        linking = [row for row in rows if results[row.record_key].ok and row.payload.get("associate", True)]
        pairs = [(str(results[row.record_key].id), row.payload["deal_id"]) for row in linking]
        if pairs and isinstance(target, Associations):
            owners = {pair: row.record_key for pair, row in zip(pairs, linking, strict=True)}
            answers = target.associate(
                spec.object, self.mapping.spec.target.object, pairs, type_id=spec.association_type
            )
            for pair, answer in zip(pairs, answers, strict=True):
                if not answer.ok:
                    results[owners[pair]] = WriteResult(owners[pair], Outcome.FAILED, error=answer.error)
        return results

    def _archive(self, rows: Sequence[OutboxRow]) -> dict[str, WriteResult]:
        """Archive the CRM line items of removed source lines (a line never synced needs nothing)."""
        if not rows:
            return {}
        spec, ctx = self.mapping.spec.line_items, self.ctx
        with ctx.engine.connect() as connection:
            linked = links.targets_of(
                connection, ctx.source.name, spec.source, [r.record_key for r in rows], ctx.target.name
            )
        ids = [target.record_id for target in linked.values()]
        if ids and isinstance(ctx.target, Removals):
            ctx.target.remove(spec.object, ids)
        return {key: WriteResult(key, Outcome.UPDATED, id=target.record_id) for key, target in linked.items()}

    # ---- bookkeeping ---------------------------------------------------------------------------------
    def succeeded(
        self, connection: Connection, rows: Sequence[OutboxRow], results: Mapping[str, WriteResult]
    ) -> None:
        spec, ctx = self.mapping.spec.line_items, self.ctx
        archived = [row for row in rows if row.payload.get("archive") and row.record_key in results]
        links.retire(
            connection,
            [RecordRef(ctx.target.name, spec.object, str(results[r.record_key].id)) for r in archived],
        )
        links.retire(connection, [RecordRef(ctx.source.name, spec.source, r.record_key) for r in archived])
        written = [row for row in rows if not row.payload.get("archive") and row.record_key in results]
        pairs = [
            (RecordRef(ctx.source.name, spec.source, row.record_key),
             RecordRef(ctx.target.name, spec.object, str(results[row.record_key].id)))
            for row in written
        ]  # fmt: skip
        link_ids = links.connect(connection, pairs, "line_item", status="created", made_by=ctx.flow)
        states = [
            state_row(row.record_key, link_ids[row.record_key], row.payload["written"], row.payload["hash"])
            for row in written
        ]
        links.save_states(connection, self.direction, states, ctx.run_id)
        ctx.counts["line_items"] += len(written)
        ctx.counts["line_items_removed"] += len(archived)
