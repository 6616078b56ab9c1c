"""review queue: cases the identity engine could not decide, and the pairs admins rejected

Revision ID: 0003_review_cases
Revises: 0002
Create Date: 2026-12-08 09:00:00.000000

Also indexes the identity index's converted_contact_id: the planner finds the Lead a converted Contact
came from (did revloop create that Lead, or link it?).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_review_cases"
down_revision = "0002"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_REJECTION_KEY = ("source_system", "source_object", "source_key", "target_system", "target_id")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("identity_index", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_index_converted_contact_id"), ["converted_contact_id"], unique=False
        )
    op.create_table(
        "review_cases",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_object", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=128), nullable=False),
        sa.Column("target_system", sa.String(length=32), nullable=False),
        sa.Column("candidates", _JSON, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("target_object", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cases")),
    )
    with op.batch_alter_table("review_cases", schema=None) as batch_op:
        batch_op.create_index("ix_review_cases_flow_source_key", ["flow", "source_key"], unique=False)
        batch_op.create_index("ix_review_cases_status_flow", ["status", "flow"], unique=False)
    op.create_table(
        "review_rejections",
        sa.Column("source_system", sa.String(length=32), nullable=False),
        sa.Column("source_object", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=128), nullable=False),
        sa.Column("target_system", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("rejected_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint(*_REJECTION_KEY, name=op.f("pk_review_rejections")),
    )


def downgrade() -> None:
    op.drop_table("review_rejections")
    with op.batch_alter_table("review_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_review_cases_status_flow")
        batch_op.drop_index("ix_review_cases_flow_source_key")
    op.drop_table("review_cases")
    with op.batch_alter_table("identity_index", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_index_converted_contact_id"))
