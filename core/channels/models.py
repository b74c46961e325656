"""A reseller's own selling prices and the refused below-floor attempts.

Orders, warehouses and stock carry their seller/owner themselves (``Order.seller_customer_id``,
``Warehouse.owner_customer_id``); sell-through is read from the reseller-sold order lines.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned
from qudao.core.db.columns import Code, CreatedAt, CustomerRef, ProductRef, UpdatedAt

SCOPES = ("all", "tier", "customer")


class ResellerPrice(TenantOwned, Base):
    """A reseller's price of a product to its stores: for all of them, a tier, or one store.

    ``target_id`` is 0 for ``all``, else the tier's or the store's id.
    """

    __tablename__ = "reseller_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "seller_id", "product_id", "scope", "target_id"),)

    seller_id: Mapped[CustomerRef]
    product_id: Mapped[ProductRef]
    scope: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(default=0)
    price: Mapped[Decimal]
    updated_at: Mapped[UpdatedAt]


class FloorAttempt(TenantOwned, Base):
    """A reseller price write refused for being below the brand's HQ floor (counted in reports)."""

    __tablename__ = "reseller_floor_attempts"
    __table_args__ = (Index("ix_reseller_floor_attempts_seller", "tenant_id", "seller_id", "at"),)

    seller_id: Mapped[CustomerRef]
    sku: Mapped[Code]
    price: Mapped[Decimal]
    floor: Mapped[Decimal]
    user_id: Mapped[int | None]
    at: Mapped[CreatedAt]
