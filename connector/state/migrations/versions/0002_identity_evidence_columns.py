"""identity index: lookup keys and compared values of the evidence-based matcher

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000

Existing rows get NULL in the new columns. Without a name, a record could neither be found by name nor
contradict one, so the upgrade drops the identity mirror's cursors (flow "identity"): the next refresh
reads the target once from the start and fills every row (one read per 2,000 records, once).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_MIRROR_FLOW = "identity"  # connector.flows.identity_mirror.MIRROR_FLOW, as of this revision
_INDEXED = (
    ("mailbox", sa.String(length=320)),
    ("name_key", sa.String(length=256)),
    ("company_name_key", sa.String(length=768)),
)


def upgrade() -> None:
    with op.batch_alter_table("identity_index", schema=None) as batch_op:
        for name, column_type in _INDEXED:
            batch_op.add_column(sa.Column(name, column_type, nullable=True))
        batch_op.add_column(sa.Column("person_name", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("company_form", sa.String(length=32), nullable=True))
        for name, _ in _INDEXED:
            batch_op.create_index(batch_op.f(f"ix_identity_index_{name}"), [name], unique=False)
    cursors = sa.table("cursors", sa.column("flow", sa.String))
    op.execute(sa.delete(cursors).where(cursors.c.flow == _MIRROR_FLOW))


def downgrade() -> None:
    with op.batch_alter_table("identity_index", schema=None) as batch_op:
        for name, _ in reversed(_INDEXED):
            batch_op.drop_index(batch_op.f(f"ix_identity_index_{name}"))
        for name in ("company_form", "person_name", *(name for name, _ in reversed(_INDEXED))):
            batch_op.drop_column(name)
