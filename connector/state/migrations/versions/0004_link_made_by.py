"""links: the flow whose write made each link, so reports tell what each flow moved

Revision ID: 0004_link_made_by
Revises: 0003_review_cases
Create Date: 2026-12-07 02:00:00.000000

Links made before this revision keep NULL: reports show them as before (by their status).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_link_made_by"
down_revision = "0003_review_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("made_by", sa.String(length=96), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_column("made_by")
