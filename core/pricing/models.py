"""Tier prices, customer prices and the price change history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from qudao.core.db.base import Base, TenantOwned, tenant_fk, utcnow
from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


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

    scope: Mapped[str] = mapped_column(String(20))  # base | tier | customer | retail | floor
    scope_key: Mapped[str | None] = mapped_column(String(64))  # tier or customer code
    sku: Mapped[str] = mapped_column(String(64), index=True)
    old_price: Mapped[Decimal | None] = mapped_column()
    new_price: Mapped[Decimal | None] = mapped_column()
    changed_by: Mapped[int | None] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
