"""tenants.config_version: lets every web process cache a tenant's settings and plugin states

Revision ID: perf_01
Revises: security_03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf_01"
down_revision: str | None = "security_03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("config_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("config_version")
