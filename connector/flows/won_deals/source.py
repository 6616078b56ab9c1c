"""The reading half of won deals: opportunity changes → snapshots in the outbox, cursors moved with them.

Three change streams, each with its own cursor: opportunities (the primary one), their line items and
their contact roles, since a product or a contact role can change while the opportunity does not (a
deleted line item changes the opportunity's Amount, so the opportunity stream sees it). An opportunity
is kept when it is won, already has a deal, or already waits in the outbox (it may have been reopened
before its deal was written). Its snapshot (fields, line items, contact roles) is queued when its hash
differs from what was last synced; the page's records and the cursor past them commit together.

On the first run the child streams start where the opportunity stream ends: reading every opportunity
read their children too. A first run reads opportunities with the source's first-load read
(``read_all``: Salesforce reads more than ``[read] bulk_above`` of them with one Bulk API 2.0 query job).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from connector.flows.base import RunContext
from connector.flows.won_deals.mapping import WonDealsMapping
from connector.flows.won_deals.snapshot import (
    build,
    children_hashes,
    fields_hash,
    flatten,
    is_won,
    pick,
    snapshot_hash,
)
from connector.records import Cursor, Page, Record
from connector.state import links, outbox, runs
from connector.systems.base import DeletedReads

STAGE = "deals"
SEEN_CAP = 50_000
"""Children of this run's snapshots remembered (so a child stream does not read their parents again);
beyond it, memory stays flat and a re-read child is compared with what was synced instead."""
OPPORTUNITIES, LINES, ROLES = "opportunities", "lines", "roles"
T = TypeVar("T")


@dataclass(frozen=True)
class Child:
    stream: str
    object: str
    parent_field: str
    fields: tuple[str, ...]
    deletions: bool = False
    """Read deleted records too, where the source can (a deleted contact role leaves its opportunity
    unchanged; a deleted line item changes its Amount, so the opportunity stream sees that one)."""


def with_last(items: Iterable[T]) -> Iterator[tuple[T, bool]]:
    """Each item with whether it is the last one (one item of lookahead)."""
    iterator = iter(items)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for following in iterator:
        yield current, False
        current = following
    yield current, True


class OpportunityReader:
    """Accepts opportunity snapshots into the ``deals`` stage; ``direction`` names their synced states."""

    def __init__(self, ctx: RunContext, mapping: WonDealsMapping, *, direction: str) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.direction = direction
        spec = mapping.spec
        self.fields = mapping.opportunity_fields()
        self.children = (
            Child(LINES, spec.line_items.source, spec.line_items.parent_field, mapping.line_fields()),
            Child(
                ROLES, spec.people.source, spec.people.parent_field, mapping.people_fields(), deletions=True
            ),
        )
        self._seen: dict[str, str] = {}  # child id → fields_hash in a snapshot taken this run (capped)

    # ---- the run ---------------------------------------------------------------------------------
    def pages(self) -> Iterator[Page]:
        """Read and accept every stream's changes since its cursor; yields each page once it is durable."""
        with self.ctx.engine.connect() as connection:
            cursor = runs.get_cursor(connection, self.ctx.flow, OPPORTUNITIES)
            unread = [
                c.stream
                for c in self.children
                if runs.get_cursor(connection, self.ctx.flow, c.stream) is None
            ]
        adopt = unread if not cursor else []
        for page, last in with_last(self.opportunity_stream(cursor)):
            self.accept(
                page.records, OPPORTUNITIES, page.cursor, also=adopt if last else (), own_changes=True
            )
            yield page
        for child in self.children:
            yield from self._child_pages(child)

    def opportunity_stream(self, cursor: Cursor | None, *, dry_run: bool = False) -> Iterator[Page]:
        """Changes since ``cursor``; without one, the source's first load (``read_all``, which reads a
        large one with a bulk job) where it has one. ``dry_run`` (a preview) starts no job."""
        source, obj = self.ctx.source, self.mapping.spec.source.object
        read_all = getattr(source, "read_all", None)
        if not cursor and read_all is not None:
            return read_all(obj, self.fields, bulk_above=self.mapping.spec.read.bulk_above, dry_run=dry_run)
        return source.read_changes(obj, cursor, self.fields, dry_run=dry_run)

    def _child_pages(self, child: Child) -> Iterator[Page]:
        with self.ctx.engine.connect() as connection:
            cursor = runs.get_cursor(connection, self.ctx.flow, child.stream)
        source = self.ctx.source
        if child.deletions and isinstance(source, DeletedReads):
            pages = source.read_changes_with_deleted(child.object, cursor, child.fields)
        else:
            pages = source.read_changes(child.object, cursor, child.fields)
        for page in pages:
            parents = self._parents_to_read(child, page.records)
            spec = self.mapping.spec.source
            records = (
                list(self.ctx.source.read_by_keys(spec.object, spec.key, parents, self.fields))
                if parents
                else []
            )
            self.accept(records, child.stream, page.cursor)
            yield page

    def _parents_to_read(self, child: Child, records: Sequence[Record]) -> list[str]:
        """Opportunities whose child is not as in this run's snapshot, nor as last synced (unless the
        opportunity waits in the outbox: its queued snapshot may hold a newer version of the child), and
        those a synced child was deleted from."""
        changed: dict[str, tuple[str, str | None]] = {}  # child id → (its opportunity, fields' hash)
        for record in records:
            fields = pick(flatten(record.fields), child.fields)
            gone = record.fields.get("IsDeleted") is True
            digest = None if gone else fields_hash(fields)  # None: no synced snapshot holds it any more
            if (gone or self._seen.get(record.id) != digest) and fields.get(child.parent_field):
                changed[record.id] = (str(fields[child.parent_field]), digest)
        ctx, parents = self.ctx, sorted({parent for parent, _ in changed.values()})
        with ctx.engine.connect() as connection:
            synced = links.synced_states(connection, self.direction, parents)
            waiting = outbox.pending_hashes(connection, ctx.flow, STAGE, parents)
        needed = set()
        for child_id, (parent, digest) in changed.items():
            known = (synced[parent].payload.get("children") or {}) if parent in synced else {}
            if parent in waiting or known.get(child_id) != digest:
                needed.add(parent)
        return sorted(needed)

    # ---- accepting a page --------------------------------------------------------------------------
    def accept(
        self,
        records: Sequence[Record],
        stream: str,
        cursor: Cursor,
        *,
        also: Iterable[str] = (),
        own_changes: bool = False,
    ) -> None:
        """Queue the changed snapshots of ``records``; move ``stream``'s cursor (and ``also``'s) past them.

        ``own_changes``: the records were read for changes of their own, so one whose fields are as last
        synced needs no snapshot (a change of its children comes through the children's streams).
        """
        ctx = self.ctx
        rows = self.changed(self.snapshots(records, own_changes=own_changes))
        with ctx.engine.begin() as connection:
            pending = outbox.pending_hashes(connection, ctx.flow, STAGE, [key for key, _, _ in rows])
            rows = [row for row in rows if pending.get(row[0]) != row[2]]
            outbox.enqueue(connection, ctx.flow, STAGE, rows)
            for name in (stream, *also):
                runs.set_cursor(connection, ctx.flow, name, cursor)
        ctx.counts["read"] += len(records)

    def snapshots(
        self, records: Sequence[Record], *, own_changes: bool = False
    ) -> list[tuple[str, dict[str, Any]]]:
        """Snapshots of the records the flow keeps (won, with a deal, or waiting), children read in bulk."""
        ctx, spec = self.ctx, self.mapping.spec
        ids = [record.id for record in records]
        with ctx.engine.connect() as connection:
            linked = links.targets_of(connection, ctx.source.name, spec.source.object, ids, ctx.target.name)
            waiting = outbox.pending_hashes(connection, ctx.flow, STAGE, ids)
            synced = links.synced_states(connection, self.direction, ids) if own_changes else {}
        kept = []
        for record in records:
            fields = pick(flatten(record.fields), self.fields)
            if not (
                record.id in linked or record.id in waiting or is_won({"fields": fields}, spec.won.field)
            ):
                continue
            state = synced.get(record.id)
            if (
                record.id not in waiting
                and state is not None
                and state.payload.get("fields_hash") == fields_hash(fields)
            ):
                ctx.counts["unchanged"] += 1
                continue
            kept.append(record)
        if not kept:
            return []
        lines, roles = (self._children_of(child, [record.id for record in kept]) for child in self.children)
        snapshots = []
        for record in kept:
            snapshot = build(record, lines.get(record.id, ()), self._roles(roles.get(record.id, ())),
                             fields=self.fields, line_fields=self.children[0].fields,
                             role_fields=self.children[1].fields)  # fmt: skip
            snapshots.append((record.id, snapshot))
            if len(self._seen) < SEEN_CAP:
                self._seen.update(children_hashes(snapshot))
        return snapshots

    def changed(
        self, snapshots: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[tuple[str, dict[str, Any], str]]:
        """The (key, snapshot, hash) rows whose snapshot differs from what was last synced."""
        with self.ctx.engine.connect() as connection:
            synced = links.synced_states(connection, self.direction, [key for key, _ in snapshots])
        rows = []
        for key, snapshot in snapshots:
            source_hash = snapshot_hash(snapshot)
            state = synced.get(key)
            if state is not None and state.source_hash == source_hash:
                self.ctx.counts["unchanged"] += 1
                continue
            rows.append((key, snapshot, source_hash))
        return rows

    def _children_of(self, child: Child, parent_ids: Sequence[str]) -> dict[str, list[Record]]:
        found: dict[str, list[Record]] = defaultdict(list)
        for record in self.ctx.source.read_by_keys(
            child.object, child.parent_field, parent_ids, child.fields
        ):
            found[str(record.fields.get(child.parent_field))].append(record)
        return found

    def _roles(self, roles: Sequence[Record]) -> list[Record]:
        wanted = self.mapping.spec.people.roles
        role_from = self.mapping.spec.people.role_from
        return [role for role in roles if not wanted or role.fields.get(role_from) in wanted]
