"""Orders with their lines, adjustments and status events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_fk, utcnow


class Order(TenantOwned, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        UniqueConstraint("tenant_id", "idempotency_scope", "idempotency_key"),
        tenant_fk("customer_id", "customers"),
        tenant_fk("warehouse_id", "warehouses"),
        tenant_fk("seller_customer_id", "customers"),
        Index("ix_orders_seller", "tenant_id", "seller_customer_id", "created_at"),
    )

    number: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    guest: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column()
    discount: Mapped[Decimal] = mapped_column()
    total: Mapped[Decimal] = mapped_column()
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    warehouse_id: Mapped[int | None] = mapped_column(BigInteger)
    idempotency_scope: Mapped[str | None] = mapped_column(String(80))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    delivery_date: Mapped[date | None] = mapped_column(Date)
    delivery_address: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(1000))
    placed_by: Mapped[int | None] = mapped_column(BigInteger)
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # None: the brand sells; else the reseller customer selling to its store (core/channels).
    seller_customer_id: Mapped[int | None] = mapped_column(BigInteger)


class OrderLine(TenantOwned, Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
        tenant_fk("product_id", "products"),
    )

    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column()
    line_total: Mapped[Decimal] = mapped_column()
    gift: Mapped[bool] = mapped_column(Boolean, default=False)
    price_source: Mapped[str] = mapped_column(String(100), default="base")
    locked_by: Mapped[str | None] = mapped_column(String(100))  # a promotion locked this quantity


class OrderAdjustment(TenantOwned, Base):
    __tablename__ = "order_adjustments"
    __table_args__ = (tenant_fk("order_id", "orders", ondelete="CASCADE"),)

    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    source: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column()


class OrderEvent(TenantOwned, Base):
    __tablename__ = "order_events"
    __table_args__ = (tenant_fk("order_id", "orders", ondelete="CASCADE"),)

    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(1000), default="")
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The audit of a staff edit (status "edited"): each changed line's before/after, totals.
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OrderCounter(TenantOwned, Base):
    """Per-tenant, per-day order number sequence (SO20261122-0001)."""

    __tablename__ = "order_counters"
    # The primary key (tenant_id, id = the day as a number) is the only unique key, so the
    # counter's INSERT … ON CONFLICT has one arbiter: with a second unique index, two first
    # orders of a day could collide on the index that is not the arbiter and fail.

    day: Mapped[str] = mapped_column(String(8))
    last: Mapped[int] = mapped_column(Integer, default=0)
