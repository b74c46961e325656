"""Promotions tables (all prefixed ``promotions_``, all tenant-owned)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import (
    ActiveTimestamps,
    Base,
    BuyerScope,
    Code,
    Count,
    Created,
    CustomerRef,
    Int32,
    JsonList,
    Name,
    OrderRef,
    TenantOwned,
    TierOrCustomer,
    tenant_ref,
)

PromotionRef = Annotated[int, tenant_ref("promotions_promotions", ondelete="CASCADE")]
"""The promotion a target or a redemption belongs to, gone with the promotion."""


class Promotion(BuyerScope, ActiveTimestamps, TenantOwned, Base):
    """One promotion. Which fields matter depends on ``kind`` (see rules.py)."""

    __tablename__ = "promotions_promotions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "coupon_key"),
    )

    code: Mapped[Code]
    name: Mapped[Name] = mapped_column(default="")
    kind: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[Decimal | None]
    amount: Mapped[Decimal | None]
    percent: Mapped[Decimal | None]
    sku: Mapped[Code | None]
    price: Mapped[Decimal | None]
    gift_sku: Mapped[Code | None]
    gift_qty: Mapped[Int32 | None]
    buy_qty: Mapped[Int32 | None]
    repeat: Mapped[bool] = mapped_column(default=False)
    items: Mapped[JsonList[dict[str, Any]]]
    # coupons: the code a buyer enters (coupon_key is its upper-cased form, unique per tenant)
    coupon: Mapped[Code | None]
    coupon_key: Mapped[Code | None]
    uses_limit: Mapped[Int32 | None]
    uses_per_customer: Mapped[Int32 | None]
    used_count: Mapped[Count]
    # purchase limits (限购) on the promotional item
    limit_per_order: Mapped[Int32 | None]
    limit_per_customer: Mapped[Int32 | None]
    # the quantities of the lines that qualified ("main items") cannot be changed once ordered
    lock_qty: Mapped[bool] = mapped_column(default=False)
    # stacking
    stack_group: Mapped[str] = mapped_column(String(64), default="default")
    priority: Mapped[Int32] = mapped_column(default=0)
    # targeting: tiers/customers live in promotions_targets; the flags say a list was given,
    # so a promotion never widens to everyone when its targets disappear
    target_tiers: Mapped[bool] = mapped_column(default=False)
    target_customers: Mapped[bool] = mapped_column(default=False)
    groups: Mapped[JsonList[str]]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]


class PromotionTarget(TierOrCustomer, TenantOwned, Base):
    """A tier or a named customer a promotion is meant for."""

    __tablename__ = "promotions_targets"
    __table_args__ = (Index("ix_promotions_targets_promotion", "tenant_id", "promotion_id"),)

    promotion_id: Mapped[PromotionRef]


class Redemption(Created, TenantOwned, Base):
    """A promotion applied to a placed order: the report, coupon uses and purchase limits.

    ``released`` is set when the order is cancelled or rejected; released rows no longer
    count towards usage or purchase limits (nor towards the discount report).
    """

    __tablename__ = "promotions_redemptions"
    __tenant_parent__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id", "promotion_id"),
        Index("ix_promotions_redemptions_customer", "tenant_id", "promotion_id", "customer_id"),
    )

    promotion_id: Mapped[PromotionRef]
    order_id: Mapped[OrderRef]
    customer_id: Mapped[CustomerRef | None]
    code: Mapped[Code]
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal]
    qty: Mapped[Count]
    coupon: Mapped[bool] = mapped_column(default=False)
    released: Mapped[bool] = mapped_column(default=False)
