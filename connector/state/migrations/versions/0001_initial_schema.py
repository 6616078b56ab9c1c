"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 06:42:43.463094
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_tallies",
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("flow", "record_id", "metric", name=op.f("pk_activity_tallies")),
    )
    op.create_table(
        "api_usage",
        sa.Column("system", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("system", "day", name=op.f("pk_api_usage")),
    )
    op.create_table(
        "cursors",
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=128), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "stream", name=op.f("pk_cursors")),
    )
    op.create_table(
        "flow_states",
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("flow", name=op.f("pk_flow_states")),
    )
    op.create_table(
        "identity_index",
        sa.Column("system", sa.String(length=32), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("company_name", sa.String(length=512), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("company", sa.String(length=512), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("converted_contact_id", sa.String(length=64), nullable=True),
        sa.Column("is_converted", sa.Boolean(), nullable=False),
        sa.Column("is_customer", sa.Boolean(), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("modified_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("system", "object", "record_id", name=op.f("pk_identity_index")),
    )
    with op.batch_alter_table("identity_index", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_index_company"), ["company"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_index_company_name"), ["company_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_index_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_index_phone"), ["phone"], unique=False)

    op.create_table(
        "links",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("record_key", sa.String(length=128), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("flow", "stage", "record_key", name=op.f("uq_outbox_flow_stage_record_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_claim", ["flow", "stage", "state", "next_attempt_at"], unique=False)

    op.create_table(
        "runs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("window", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "api_calls",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("flow", "window", name=op.f("uq_runs_flow_window")),
    )
    op.create_table(
        "source_context",
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column(
            "recent",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("qualification", sa.Text(), nullable=True),
        sa.Column("qualified_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "record_id", name=op.f("pk_source_context")),
    )
    op.create_table(
        "sync_errors",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("record_key", sa.String(length=128), nullable=False),
        sa.Column("system", sa.String(length=32), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=128), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_errors")),
        sa.UniqueConstraint("flow", "stage", "record_key", name=op.f("uq_sync_errors_flow_stage_record_key")),
    )
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.create_index("ix_sync_errors_status_flow", ["status", "flow"], unique=False)

    op.create_table(
        "link_keys",
        sa.Column("link_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("system", sa.String(length=32), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_link_keys_link_id_links"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint(
            "system", "object", "record_id", name=op.f("uq_link_keys_system_object_record_id")
        ),
    )
    with op.batch_alter_table("link_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_keys_link_id"), ["link_id"], unique=False)

    op.create_table(
        "sync_states",
        sa.Column("direction", sa.String(length=96), nullable=False),
        sa.Column("record_key", sa.String(length=128), nullable=False),
        sa.Column("link_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "previous_payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("source_hash", sa.String(length=64), nullable=True),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_sync_states_link_id_links"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("direction", "record_key", name=op.f("uq_sync_states_direction_record_key")),
    )
    with op.batch_alter_table("sync_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_states_link_id"), ["link_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_states_link_id"))

    op.drop_table("sync_states")
    with op.batch_alter_table("link_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_keys_link_id"))

    op.drop_table("link_keys")
    with op.batch_alter_table("sync_errors", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_errors_status_flow")

    op.drop_table("sync_errors")
    op.drop_table("source_context")
    op.drop_table("runs")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_claim")

    op.drop_table("outbox")
    op.drop_table("links")
    with op.batch_alter_table("identity_index", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_index_phone"))
        batch_op.drop_index(batch_op.f("ix_identity_index_email"))
        batch_op.drop_index(batch_op.f("ix_identity_index_company_name"))
        batch_op.drop_index(batch_op.f("ix_identity_index_company"))

    op.drop_table("identity_index")
    op.drop_table("flow_states")
    op.drop_table("cursors")
    op.drop_table("api_usage")
    op.drop_table("activity_tallies")
