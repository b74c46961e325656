"""Warehouses, stock per SKU and warehouse, and the ledger of every movement."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_ref
from qudao.core.db.columns import Coded, Count, CreatedAt, Int32, Note, OrderNumber, ProductRef


class Warehouse(Coded, TenantOwned, Base):
    __tablename__ = "warehouses"

    # None: the brand's; else the reseller customer whose stock it holds (core/channels). No
    # foreign key: customers already point at warehouses, and a cycle breaks table ordering.
    owner_customer_id: Mapped[int | None]


class Stock(TenantOwned, Base):
    """Reserved is changed only by conditional UPDATEs; the CHECKs are the backstop."""

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("tenant_id", "warehouse_id", "product_id"),
        CheckConstraint("reserved >= 0", name="reserved_nonneg"),
        CheckConstraint("on_hand >= 0", name="on_hand_nonneg"),
        CheckConstraint("in_transit >= 0", name="in_transit_nonneg"),
    )

    warehouse_id: Mapped[int] = tenant_ref("warehouses", ondelete="CASCADE")
    product_id: Mapped[ProductRef]
    on_hand: Mapped[Count]
    reserved: Mapped[Count]
    in_transit: Mapped[Count]
    low_threshold: Mapped[Int32 | None]


class StockMove(TenantOwned, Base):
    """Ledger: receipt, shipment, transfer, adjustment, stocktake, reservation, release."""

    __tablename__ = "stock_moves"
    __tenant_parent__ = "warehouses"

    warehouse_id: Mapped[int] = tenant_ref("warehouses", ondelete="CASCADE")
    product_id: Mapped[ProductRef]
    kind: Mapped[str] = mapped_column(String(20))
    on_hand_delta: Mapped[Count]
    reserved_delta: Mapped[Count]
    in_transit_delta: Mapped[Count]
    order_number: Mapped[OrderNumber | None]
    user_id: Mapped[int | None]
    note: Mapped[Note]
    at: Mapped[CreatedAt]
