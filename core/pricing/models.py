"""Tier prices, customer prices, price policies, quantity breaks and the price change history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantConfig, TenantOwned
from qudao.core.db.columns import (
    ActiveTimestamps,
    Code,
    Coded,
    CreatedAt,
    CustomerRef,
    Int32,
    Json,
    JsonList,
    ProductRef,
    TierRef,
)
from qudao.core.db.mixins import BuyerScope, ProductScope


class ProductPrice:
    """What a tier's and a customer's price of a product share: the product and the price."""

    product_id: Mapped[ProductRef]
    price: Mapped[Decimal]


class TierPrice(ProductPrice, TenantOwned, Base):
    __tablename__ = "tier_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "tier_id", "product_id"),)

    tier_id: Mapped[TierRef]


class CustomerPrice(ProductPrice, TenantOwned, Base):
    __tablename__ = "customer_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id", "product_id"),)

    customer_id: Mapped[CustomerRef]


class PriceChange(TenantOwned, Base):
    """Every price change (who, when, old, new), to answer 'what was X's price on date D'."""

    __tablename__ = "price_changes"

    scope: Mapped[str] = mapped_column(String(20))  # base | tier | customer | retail | floor | break | policy
    # tier or customer code; policy code; for a break "<min_qty>" or "<min_qty>@<tier>"
    scope_key: Mapped[Code | None]
    sku: Mapped[Code] = mapped_column(index=True)
    old_price: Mapped[Decimal | None]
    new_price: Mapped[Decimal | None]
    changed_by: Mapped[int | None]
    changed_at: Mapped[CreatedAt]
    # a policy change keeps the whole policy as it became (None when deleted) in ``detail["policy"]``,
    # so past answers can re-evaluate its scope and window; sku is "*" for policies
    detail: Mapped[Json | None]


class PricePolicy(Coded, ProductScope, BuyerScope, ActiveTimestamps, TenantConfig, TenantOwned, Base):
    """A priced rule for a scope of products × buyers, within a validity window.

    Product scope (any of them matches; all empty = every product): ``skus``,
    ``categories`` (a category matches its sub-categories too), ``brands``.
    Buyer scope (every non-empty list must match; all empty = every customer):
    ``customers``, ``tiers``, ``customer_types``, ``regions`` (path prefix:
    "浙江/杭州" matches "浙江/杭州" and "浙江/杭州/西湖区"). Lists hold codes, as
    the API shows them; the engine resolves them to ids in its own queries.
    The price is ``price`` (fixed) or ``percent`` of the base price.
    """

    __tablename__ = "price_policies"

    priority: Mapped[Int32] = mapped_column(default=0)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    customers: Mapped[JsonList[str]]
    tiers: Mapped[JsonList[str]]
    price: Mapped[Decimal | None]
    percent: Mapped[Decimal | None]


class PriceBreak(TenantOwned, Base):
    """A volume price: from ``min_qty`` units on a line, ``price`` (for one tier, or everyone)."""

    __tablename__ = "price_breaks"
    __table_args__ = (Index("ix_price_breaks_product", "tenant_id", "product_id"),)

    product_id: Mapped[ProductRef]
    tier_id: Mapped[TierRef | None]
    min_qty: Mapped[Int32]
    price: Mapped[Decimal]


class CustomerPricingChange(TenantOwned, Base):
    """A customer's pricing profile (tier, type, region) as it became at ``changed_at``.

    Written by a flush listener (``core/pricing/history.py``) whenever a customer is
    created or one of these changes, so past prices use the tier the customer had then.
    """

    __tablename__ = "customer_pricing_changes"
    __table_args__ = (
        Index("ix_customer_pricing_changes_customer", "tenant_id", "customer_id", "changed_at"),
    )

    customer_id: Mapped[int]
    tier_id: Mapped[int | None]
    type: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[CreatedAt]
