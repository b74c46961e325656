"""Promotions tables (all prefixed ``promotions_``, all tenant-owned)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import Base, TenantOwned, tenant_fk, utcnow


class Promotion(TenantOwned, Base):
    """One promotion. Which fields matter depends on ``kind`` (see rules.py)."""

    __tablename__ = "promotions_promotions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "coupon_key"),
    )

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[Decimal | None] = mapped_column()
    amount: Mapped[Decimal | None] = mapped_column()
    percent: Mapped[Decimal | None] = mapped_column()
    sku: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[Decimal | None] = mapped_column()
    gift_sku: Mapped[str | None] = mapped_column(String(64))
    gift_qty: Mapped[int | None] = mapped_column(Integer)
    buy_qty: Mapped[int | None] = mapped_column(Integer)
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # coupons: the code a buyer enters (coupon_key is its upper-cased form, unique per tenant)
    coupon: Mapped[str | None] = mapped_column(String(64))
    coupon_key: Mapped[str | None] = mapped_column(String(64))
    uses_limit: Mapped[int | None] = mapped_column(Integer)
    uses_per_customer: Mapped[int | None] = mapped_column(Integer)
    used_count: Mapped[int] = mapped_column(Integer, default=0)
    # purchase limits (限购) on the promotional item
    limit_per_order: Mapped[int | None] = mapped_column(Integer)
    limit_per_customer: Mapped[int | None] = mapped_column(Integer)
    # the quantities of the lines that qualified ("main items") cannot be changed once ordered
    lock_qty: Mapped[bool] = mapped_column(Boolean, default=False)
    # stacking
    stack_group: Mapped[str] = mapped_column(String(64), default="default")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # targeting: tiers/customers live in promotions_targets; the flags say a list was given,
    # so a promotion never widens to everyone when its targets disappear
    target_tiers: Mapped[bool] = mapped_column(Boolean, default=False)
    target_customers: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PromotionTarget(TenantOwned, Base):
    """A tier or a named customer a promotion is meant for."""

    __tablename__ = "promotions_targets"
    __table_args__ = (
        tenant_fk("promotion_id", "promotions_promotions", ondelete="CASCADE"),
        tenant_fk("tier_id", "tiers", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        Index("ix_promotions_targets_promotion", "tenant_id", "promotion_id"),
    )

    promotion_id: Mapped[int] = mapped_column(BigInteger)
    tier_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)


class Redemption(TenantOwned, Base):
    """A promotion applied to a placed order: the report, coupon uses and purchase limits.

    ``released`` is set when the order is cancelled or rejected; released rows no longer
    count towards usage or purchase limits (nor towards the discount report).
    """

    __tablename__ = "promotions_redemptions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id", "promotion_id"),
        tenant_fk("promotion_id", "promotions_promotions", ondelete="CASCADE"),
        tenant_fk("order_id", "orders", ondelete="CASCADE"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        Index("ix_promotions_redemptions_customer", "tenant_id", "promotion_id", "customer_id"),
    )

    promotion_id: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column()
    qty: Mapped[int] = mapped_column(Integer, default=0)
    coupon: Mapped[bool] = mapped_column(Boolean, default=False)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
