"""brand_isolation: brands authorized to a customer group

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:17:14.076595
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.core.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "brand_isolation_group_access",
        sa.Column("group_name", sa.String(length=64), nullable=False),
        sa.Column("brand_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", qudao.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "brand_id"],
            ["brands.tenant_id", "brands.id"],
            name=op.f("fk_brand_isolation_group_access_tenant_id_brand_id_brands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_brand_isolation_group_access_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_brand_isolation_group_access")),
        sa.UniqueConstraint(
            "tenant_id",
            "group_name",
            "brand_id",
            name=op.f("uq_brand_isolation_group_access_tenant_id_group_name_brand_id"),
        ),
    )
    with op.batch_alter_table("brand_isolation_group_access", schema=None) as batch_op:
        batch_op.create_index("ix_brand_isolation_group_access_brand", ["tenant_id", "brand_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("brand_isolation_group_access", schema=None) as batch_op:
        batch_op.drop_index("ix_brand_isolation_group_access_brand")

    op.drop_table("brand_isolation_group_access")
