"""The state store's tables (SQLAlchemy Core). Schema changes go through Alembic migrations.

All timestamps are naive UTC. JSON columns hold plain data; payload snapshots in ``sync_errors`` are
redacted before they are written.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys

links = Table(
    "links",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entity", String(16), nullable=False),  # person, company, deal
    Column(
        "status", String(16), nullable=False, default="created"
    ),  # how revloop linked it: created, linked, converted
    Column("made_by", String(96)),  # the flow whose write made the link (NULL: made before revision 0004)
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
"""One row per real-world person, company or deal."""

link_keys = Table(
    "link_keys",
    metadata,
    Column("link_id", ForeignKey("links.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("system", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("status", String(16), nullable=False, default="active"),  # active, converted, deleted
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("system", "object", "record_id"),
)
"""The link's id in each system (a Lead converted to a Contact keeps both rows)."""

sync_states = Table(
    "sync_states",
    metadata,
    Column("direction", String(96), nullable=False),  # e.g. "handoff:write", "handoff:writeback"
    Column("record_key", String(128), nullable=False),  # the source record the payload came from
    Column("link_id", ForeignKey("links.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("payload", Json, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("previous_payload", Json),
    Column("source_hash", String(64)),
    Column("run_id", Id),
    Column("synced_at", DateTime, nullable=False),
    UniqueConstraint("direction", "record_key"),
)
"""The last payload written per link, source record and direction.

It lets a run skip unchanged records, show field diffs, and undo a bad run (``previous_payload``).
"""

cursors = Table(
    "cursors",
    metadata,
    Column("flow", String(64), primary_key=True),
    Column("stream", String(128), primary_key=True),
    Column("value", Json, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("flow", String(64), nullable=False),
    Column("window", String(64), nullable=False),  # the schedule slot, or "manual:<uuid>"
    Column("owner", String(128), nullable=False),
    # running, ok, record_errors, paused, stopped, failed, crashed (a killed run, marked by the next one)
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("counts", Json, nullable=False, default=dict),
    Column("api_calls", Json, nullable=False, default=dict),
    Column("message", Text),
    UniqueConstraint("flow", "window"),
)

sync_errors = Table(
    "sync_errors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("flow", String(64), nullable=False),
    Column("stage", String(16), nullable=False),  # read, map, match, write, writeback
    Column("record_key", String(128), nullable=False),
    Column("system", String(32), nullable=False),
    Column("object", String(64), nullable=False),
    Column("category", String(32), nullable=False),
    Column("code", String(128), nullable=False),
    Column("message", Text, nullable=False),
    Column("fields", Json, nullable=False, default=list),
    Column("payload", Json),
    Column("attempts", Integer, nullable=False, default=1),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("next_attempt_at", DateTime),
    Column("status", String(16), nullable=False),  # open, retrying, resolved, ignored
    Column("run_id", Id),
    UniqueConstraint("flow", "stage", "record_key"),
    Index("ix_sync_errors_status_flow", "status", "flow"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("flow", String(64), nullable=False),
    Column("stage", String(16), nullable=False),  # write, writeback
    Column("record_key", String(128), nullable=False),
    Column("payload", Json, nullable=False),
    Column("source_hash", String(64), nullable=False),
    # pending, in_flight, ignored (parked by an admin), review (waits for a review decision)
    Column("state", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, default=0),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", DateTime),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("flow", "stage", "record_key"),
    Index("ix_outbox_claim", "flow", "stage", "state", "next_attempt_at"),
)
"""Records accepted from a source but not yet written: the intent half of intent-then-commit."""

identity_index = Table(
    "identity_index",
    metadata,
    Column("system", String(32), primary_key=True),
    Column("object", String(64), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("email", String(320), index=True),
    Column("company_name", String(512), index=True),
    Column("phone", String(32), index=True),
    Column("company", String(512), index=True),
    Column("account_id", String(64)),
    Column("converted_contact_id", String(64), index=True),  # a Contact's Lead (revision 0003)
    Column("is_converted", Boolean, nullable=False, default=False),
    Column("is_customer", Boolean, nullable=False, default=False),
    Column("fields", Json, nullable=False, default=dict),
    Column("modified_at", String(40)),
    Column("mailbox", String(320), index=True),
    Column("name_key", String(256), index=True),
    Column("company_name_key", String(768), index=True),
    Column("person_name", String(512)),
    Column("company_form", String(32)),
)
"""Normalised match keys of the target's people and accounts, mirrored incrementally (名寄せ).
mailbox, name_key and company_name_key are lookup keys of the evidence-based engine; person_name and
company_form are what it compares (connector.matching.index_columns)."""

activity_tallies = Table(
    "activity_tallies",
    metadata,
    Column("flow", String(64), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("metric", String(64), primary_key=True),
    Column("count", Integer, nullable=False, default=0),
    Column("last_at", String(40)),
)

source_context = Table(
    "source_context",
    metadata,
    Column("flow", String(64), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("recent", Json, nullable=False, default=list),  # the latest distinct pages/assets engaged with
    Column("qualification", Text),  # why the record first qualified; kept while it stays in sync
    Column("qualified_at", DateTime),
    Column("updated_at", DateTime, nullable=False),
)
"""What a salesperson should know about a source record beyond its fields."""

flow_states = Table(
    "flow_states",
    metadata,
    Column("flow", String(64), primary_key=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("reason", Text),
    Column("changed_at", DateTime, nullable=False),
)

api_usage = Table(
    "api_usage",
    metadata,
    Column("system", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("calls", Integer, nullable=False, default=0),
)

review_cases = Table(
    "review_cases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("flow", String(64), nullable=False),
    Column("stage", String(16), nullable=False),  # the outbox stage the source record waits in
    Column("source_system", String(32), nullable=False),
    Column("source_object", String(64), nullable=False),
    Column("source_key", String(128), nullable=False),
    Column("target_system", String(32), nullable=False),
    Column("candidates", Json, nullable=False, default=list),  # [{object, record_id, code, reason}]
    Column("code", String(64), nullable=False),  # the engine's reason code: email_near, linked_elsewhere, ...
    Column("reason", Text, nullable=False),  # evidence kinds and record ids, never personal data
    Column("status", String(16), nullable=False),  # open, linked, created, rejected
    Column("target_object", String(64)),  # a link decision: the record chosen
    Column("target_id", String(64)),
    Column("decided_by", String(128)),  # an admin's login, or "revloop" when a changed record settled it
    Column("decided_at", DateTime),
    Column("applied_at", DateTime),  # when a run wrote the decision
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_review_cases_flow_source_key", "flow", "source_key"),
    Index("ix_review_cases_status_flow", "status", "flow"),
)
"""Matches the identity engine found plausible but not conclusive, waiting for (or with) an admin's decision.

The source record waits in the outbox (state ``review``) while its case is open; a decision makes it
due, and the next run writes it as decided."""

review_rejections = Table(
    "review_rejections",
    metadata,
    Column("source_system", String(32), primary_key=True),
    Column("source_object", String(64), primary_key=True),
    Column("source_key", String(128), primary_key=True),
    Column("target_system", String(32), primary_key=True),
    Column("target_id", String(64), primary_key=True),
    Column("case_id", Id, nullable=False),
    Column("rejected_at", DateTime, nullable=False),
)
"""(source record, target record) pairs an admin said are different people: never proposed again."""
