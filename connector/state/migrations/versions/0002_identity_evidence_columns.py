"""identity index: lookup keys and compared values of the evidence-based matcher

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000

Existing rows get NULL in the new columns: they are filled when the mirror next reads the record. A
store upgraded from 0001 should re-read its target once (reset the identity cursors) so every record
can be found by the new keys.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

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


def downgrade() -> None:
    with op.batch_alter_table("identity_index", schema=None) as batch_op:
        for name, _ in reversed(_INDEXED):
            batch_op.drop_index(batch_op.f(f"ix_identity_index_{name}"))
        for name in ("company_form", "person_name", *(name for name, _ in reversed(_INDEXED))):
            batch_op.drop_column(name)
