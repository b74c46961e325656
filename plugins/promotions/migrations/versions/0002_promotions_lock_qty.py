"""promotions: lock_qty (the qualifying lines' quantities are locked once ordered)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # existing promotions keep their behaviour: nothing locked
    with op.batch_alter_table("promotions_promotions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lock_qty", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("promotions_promotions", schema=None) as batch_op:
        batch_op.drop_column("lock_qty")
