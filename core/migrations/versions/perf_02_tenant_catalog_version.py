"""tenants.catalog_version: lets every web process cache which products a buyer sees

Revision ID: perf_02
Revises: ui_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf_02"
down_revision: str | None = "ui_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("catalog_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("catalog_version")
