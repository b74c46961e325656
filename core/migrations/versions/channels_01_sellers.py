"""channels: order sellers, warehouse owners, reseller prices and floor attempts

Revision ID: channels_01
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import qudao.core.db.base

revision: str = "channels_01"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Money = qudao.core.db.base.Money
UTC = qudao.core.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "reseller_floor_attempts",
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("price", Money(precision=18, scale=4), nullable=False),
        sa.Column("floor", Money(precision=18, scale=4), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "seller_id"], ["customers.tenant_id", "customers.id"],
                                name=op.f("fk_reseller_floor_attempts_tenant_id_seller_id_customers"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_reseller_floor_attempts_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reseller_floor_attempts")),
    )
    op.create_index("ix_reseller_floor_attempts_seller", "reseller_floor_attempts", ["tenant_id", "seller_id", "at"])
    op.create_table(
        "reseller_prices",
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("price", Money(precision=18, scale=4), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"],
                                name=op.f("fk_reseller_prices_tenant_id_product_id_products"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id", "seller_id"], ["customers.tenant_id", "customers.id"],
                                name=op.f("fk_reseller_prices_tenant_id_seller_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_reseller_prices_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_reseller_prices")),
        sa.UniqueConstraint("tenant_id", "seller_id", "product_id", "scope", "target_id",
                            name=op.f("uq_reseller_prices_tenant_id_seller_id_product_id_scope_target_id")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("can_resell", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("direct_from_brand", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seller_customer_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_orders_seller", ["tenant_id", "seller_customer_id", "created_at"], unique=False)
        batch_op.create_foreign_key(op.f("fk_orders_tenant_id_seller_customer_id_customers"), "customers",
                                    ["tenant_id", "seller_customer_id"], ["tenant_id", "id"])
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_customer_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.drop_column("owner_customer_id")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_orders_tenant_id_seller_customer_id_customers"), type_="foreignkey")
        batch_op.drop_index("ix_orders_seller")
        batch_op.drop_column("seller_customer_id")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("direct_from_brand")
        batch_op.drop_column("can_resell")
    op.drop_table("reseller_prices")
    op.drop_index("ix_reseller_floor_attempts_seller", table_name="reseller_floor_attempts")
    op.drop_table("reseller_floor_attempts")
