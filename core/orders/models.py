"""Orders with their lines, adjustments and status events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_ref
from qudao.core.db.columns import (
    Code,
    Count,
    CreatedAt,
    Currency,
    Int32,
    Json,
    JsonDict,
    OrderNumber,
    OrderRef,
)


class Order(TenantOwned, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_scope", "idempotency_key"),
        Index("ix_orders_seller", "tenant_id", "seller_customer_id", "created_at"),
    )

    number: Mapped[OrderNumber]
    customer_id: Mapped[int | None] = tenant_ref("customers", index=True)
    guest: Mapped[Json | None]
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    currency: Mapped[Currency]
    subtotal: Mapped[Decimal]
    discount: Mapped[Decimal]
    total: Mapped[Decimal]
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    warehouse_id: Mapped[int | None] = tenant_ref("warehouses")
    idempotency_scope: Mapped[str | None] = mapped_column(String(80))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    delivery_date: Mapped[date | None]
    delivery_address: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(1000))
    placed_by: Mapped[int | None]
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    extra: Mapped[JsonDict]
    created_at: Mapped[CreatedAt] = mapped_column(index=True)
    # None: the brand sells; else the reseller customer selling to its store (core/channels).
    seller_customer_id: Mapped[int | None] = tenant_ref("customers")


class OrderLine(TenantOwned, Base):
    __tablename__ = "order_lines"
    __tenant_parent__ = "orders"

    order_id: Mapped[OrderRef] = mapped_column(index=True)
    line_no: Mapped[Int32]
    product_id: Mapped[int] = tenant_ref("products")
    sku: Mapped[Code]
    name: Mapped[str] = mapped_column(String(300))
    qty: Mapped[Int32]
    unit_price: Mapped[Decimal]
    line_total: Mapped[Decimal]
    gift: Mapped[bool] = mapped_column(default=False)
    price_source: Mapped[str] = mapped_column(String(100), default="base")
    locked_by: Mapped[str | None] = mapped_column(String(100))  # a promotion locked this quantity


class OrderAdjustment(TenantOwned, Base):
    __tablename__ = "order_adjustments"
    __tenant_parent__ = "orders"

    order_id: Mapped[OrderRef] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal]


class OrderEvent(TenantOwned, Base):
    __tablename__ = "order_events"
    __tenant_parent__ = "orders"

    order_id: Mapped[OrderRef] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(1000), default="")
    user_id: Mapped[int | None]
    at: Mapped[CreatedAt]
    # The audit of a staff edit (status "edited"): each changed line's before/after, totals.
    detail: Mapped[Json | None]


class OrderCounter(TenantOwned, Base):
    """Per-tenant, per-day order number sequence (SO20261122-0001)."""

    __tablename__ = "order_counters"
    # The primary key (tenant_id, id = the day as a number) is the only unique key, so the
    # counter's INSERT … ON CONFLICT has one arbiter: with a second unique index, two first
    # orders of a day could collide on the index that is not the arbiter and fail.

    day: Mapped[str] = mapped_column(String(8))
    last: Mapped[Count]
