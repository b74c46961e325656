"""customer applications: stores apply on the storefront, staff approve (customer + login) or reject

Revision ID: ui_01
Revises: perf_01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.core.db.base

revision: str = "ui_01"
down_revision: str | None = "perf_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_applications",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("customer_code", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        sa.Column("reviewed_at", qudao.core.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", qudao.core.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_customer_applications_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_customer_applications")),
    )
    with op.batch_alter_table("customer_applications", schema=None) as batch_op:
        batch_op.create_index("ix_customer_applications_status", ["tenant_id", "status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_applications_status")
    op.drop_table("customer_applications")
