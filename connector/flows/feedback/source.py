"""The reading half of the feedback: Salesforce changes → people's snapshots in the outbox, cursors moved
with them.

Four change streams, each with its own cursor: Leads, Contacts, Opportunities and their contact roles
(SystemModstamp with the adapter's overlap). A first load (no cursor yet) of more than
``BULK_FIRST_LOAD_ABOVE`` records is read by one Bulk API 2.0 query job. Each page names the people it
concerns; their snapshots are assembled (:mod:`.people`, reads in batches) and the page is accepted in
ONE transaction: outbox rows and the stream's cursor commit together. A snapshot equal to what was last
written (or is already waiting) costs nothing; with ``[match] unlinked = "skip"`` people revloop has not
linked are not queued at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from connector.flows.base import RunContext
from connector.flows.feedback.mapping import CONTEXT_NAMES, FeedbackMapping
from connector.flows.feedback.people import CONTACT_FIELDS, LEAD_FIELDS, ROLE_FIELDS, PeopleReader, Person
from connector.flows.feedback.snapshot import echoes, records_of, snapshot, snapshot_hash
from connector.records import Page, Record
from connector.state import links, outbox, runs
from connector.state.written import values_written

STREAMS: dict[str, tuple[str, ...]] = {
    "Lead": LEAD_FIELDS,
    "Contact": CONTACT_FIELDS,
    "Opportunity": (),
    "OpportunityContactRole": ROLE_FIELDS,
}
"""The change streams in reading order, with the fields each page needs to name its people."""
BULK_FIRST_LOAD_ABOVE = 10_000
"""A first load larger than this is read by a Bulk API 2.0 query job: create, poll and a results page per
50,000 rows cost a few calls where SOQL costs one per 2,000 records; smaller loads are not worth the
job's polling delay."""


def person_fields(mapping: FeedbackMapping) -> list[str]:
    """The mapping's own fields of the person's record (what is not a context name or the key)."""
    return sorted(set(mapping.source_fields) - set(CONTEXT_NAMES) - {mapping.spec.source.key})


class FeedbackReader:
    """Accepts pages of Salesforce changes into the outbox under ``stage``; ``direction`` names the
    synced states of the write stage (what was last written per person)."""

    def __init__(self, ctx: RunContext, mapping: FeedbackMapping, *, stage: str, direction: str) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.stage = stage
        self.direction = direction
        self.fields = person_fields(mapping)
        self.people = PeopleReader(ctx.source, self.fields)
        nurture = mapping.spec.nurture
        self.disqualifying = frozenset(nurture.lead_statuses if nurture else ())
        self.skip_unlinked = mapping.spec.match.unlinked == "skip"

    def pages(self) -> Iterator[Page]:
        """Read and accept every stream's changes since its cursor; yields each page once it is durable."""
        for stream in STREAMS:
            with self.ctx.engine.connect() as connection:
                pages = self.read_pages(connection, stream)
            for page in pages:
                people = self.assemble(stream, page.records)
                with self.ctx.engine.begin() as connection:
                    self.accept(connection, stream, page, people)
                yield page

    def read_pages(self, connection: Connection, stream: str, *, dry_run: bool = False) -> Iterator[Page]:
        """One stream's changes from its cursor; a first load may go through Bulk API 2.0, unless
        ``dry_run`` (a preview starts no job on the vendor's side)."""
        cursor = runs.get_cursor(connection, self.ctx.flow, stream)
        fields = [*STREAMS[stream], *(self.fields if stream in ("Lead", "Contact") else ())]
        read_all = getattr(self.ctx.source, "read_all", None)
        if cursor is None and read_all is not None:
            return read_all(stream, fields, bulk_above=BULK_FIRST_LOAD_ABOVE, dry_run=dry_run)
        return self.ctx.source.read_changes(stream, cursor, fields, dry_run=dry_run)

    def assemble(self, stream: str, records: Sequence[Record]) -> list[Person]:
        """The people a page of ``stream`` concerns, with everything their snapshots need."""
        if not records:
            return []
        if stream == "Lead":
            return self.people.from_leads(records)
        if stream == "Contact":
            return self.people.from_contacts(records)
        if stream == "Opportunity":
            return self.people.from_opportunities(records)
        return self.people.from_roles(records)

    def accept(
        self, connection: Connection, stream: str, page: Page, people: Sequence[Person]
    ) -> list[tuple[str, dict[str, Any], str]]:
        """Queue the changed people of one page and move the stream's cursor; returns the rows queued."""
        ctx = self.ctx
        items = {person.key: snapshot(person, self.fields, self.disqualifying) for person in people}
        rows = self._changed(connection, items)
        outbox.enqueue(connection, ctx.flow, self.stage, rows)
        runs.set_cursor(connection, ctx.flow, stream, page.cursor)
        ctx.counts["read"] += len(page.records)
        return rows

    def _changed(
        self, connection: Connection, items: dict[str, dict[str, Any]]
    ) -> list[tuple[str, dict, str]]:
        ctx, keys = self.ctx, list(items)
        linked = self._linked(connection, items) if self.skip_unlinked else set(keys)
        synced = links.synced_states(connection, self.direction, keys)
        pending = outbox.pending_hashes(connection, ctx.flow, self.stage, keys)
        ours = {obj: values_written(connection, ctx.source.name, obj, sorted(ids))
                for obj, ids in records_of(list(items.values())).items()}  # fmt: skip
        rows = []
        for key, item in items.items():
            if key not in linked:
                ctx.counts["unlinked"] += 1
                continue
            item["echoes"] = echoes(item, ours)
            source_hash = snapshot_hash(item)
            state = synced.get(key)
            if source_hash in (state.source_hash if state else None, pending.get(key)):
                ctx.counts["unchanged"] += 1
                continue
            rows.append((key, item, source_hash))
        return rows

    def _linked(self, connection: Connection, items: dict[str, dict[str, Any]]) -> set[str]:
        """The people linked to an MA record, through their Contact or the Lead it was converted from."""
        ctx, found = self.ctx, set()
        for obj, name in (("Contact", "contact_id"), ("Lead", "lead_id")):
            by_id = {str(i["values"][name]): key for key, i in items.items() if i["values"].get(name)}
            targets = links.targets_of(connection, ctx.source.name, obj, list(by_id), ctx.target.name)
            found.update(by_id[record_id] for record_id in targets)
        return found
