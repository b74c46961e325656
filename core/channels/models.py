"""A reseller's own selling prices and the refused below-floor attempts.

Orders, warehouses and stock carry their seller/owner themselves (``Order.seller_customer_id``,
``Warehouse.owner_customer_id``); sell-through is read from the reseller-sold order lines.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_fk, utcnow

SCOPES = ("all", "tier", "customer")


class ResellerPrice(TenantOwned, Base):
    """A reseller's price of a product to its stores: for all of them, a tier, or one store.

    ``target_id`` is 0 for ``all``, else the tier's or the store's id.
    """

    __tablename__ = "reseller_prices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "seller_id", "product_id", "scope", "target_id"),
        tenant_fk("seller_id", "customers", ondelete="CASCADE"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
    )

    seller_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(BigInteger, default=0)
    price: Mapped[Decimal] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FloorAttempt(TenantOwned, Base):
    """A reseller price write refused for being below the brand's HQ floor (counted in reports)."""

    __tablename__ = "reseller_floor_attempts"
    __table_args__ = (
        tenant_fk("seller_id", "customers", ondelete="CASCADE"),
        Index("ix_reseller_floor_attempts_seller", "tenant_id", "seller_id", "at"),
    )

    seller_id: Mapped[int] = mapped_column(BigInteger)
    sku: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal] = mapped_column()
    floor: Mapped[Decimal] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)
