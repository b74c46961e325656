"""Tier prices, customer prices, price policies, quantity breaks and the price change history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_fk, utcnow


class TierPrice(TenantOwned, Base):
    __tablename__ = "tier_prices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "tier_id", "product_id"),
        tenant_fk("tier_id", "tiers", ondelete="CASCADE"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
    )

    tier_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[Decimal] = mapped_column()


class CustomerPrice(TenantOwned, Base):
    __tablename__ = "customer_prices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "product_id"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    price: Mapped[Decimal] = mapped_column()


class PriceChange(TenantOwned, Base):
    """Every price change (who, when, old, new), to answer 'what was X's price on date D'."""

    __tablename__ = "price_changes"

    scope: Mapped[str] = mapped_column(String(20))  # base | tier | customer | retail | floor | break | policy
    # tier or customer code; policy code; for a break "<min_qty>" or "<min_qty>@<tier>"
    scope_key: Mapped[str | None] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64), index=True)
    old_price: Mapped[Decimal | None] = mapped_column()
    new_price: Mapped[Decimal | None] = mapped_column()
    changed_by: Mapped[int | None] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # a policy change keeps the whole policy as it became (None when deleted) in ``detail["policy"]``,
    # so past answers can re-evaluate its scope and window; sku is "*" for policies
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PricePolicy(TenantOwned, Base):
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
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[datetime | None] = mapped_column()
    valid_until: Mapped[datetime | None] = mapped_column()
    skus: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    brands: Mapped[list[str]] = mapped_column(JSON, default=list)
    customers: Mapped[list[str]] = mapped_column(JSON, default=list)
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    customer_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    price: Mapped[Decimal | None] = mapped_column()
    percent: Mapped[Decimal | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PriceBreak(TenantOwned, Base):
    """A volume price: from ``min_qty`` units on a line, ``price`` (for one tier, or everyone)."""

    __tablename__ = "price_breaks"
    __table_args__ = (
        tenant_fk("product_id", "products", ondelete="CASCADE"),
        tenant_fk("tier_id", "tiers", ondelete="CASCADE"),
        Index("ix_price_breaks_product", "tenant_id", "product_id"),
    )

    product_id: Mapped[int] = mapped_column(BigInteger)
    tier_id: Mapped[int | None] = mapped_column(BigInteger)
    min_qty: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column()


class CustomerPricingChange(TenantOwned, Base):
    """A customer's pricing profile (tier, type, region) as it became at ``changed_at``.

    Written by a flush listener (``core/pricing/history.py``) whenever a customer is
    created or one of these changes, so past prices use the tier the customer had then.
    """

    __tablename__ = "customer_pricing_changes"
    __table_args__ = (
        Index("ix_customer_pricing_changes_customer", "tenant_id", "customer_id", "changed_at"),
    )

    customer_id: Mapped[int] = mapped_column(BigInteger)
    tier_id: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
