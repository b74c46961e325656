"""Warehouses, stock per SKU and warehouse, and the ledger of every movement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_fk, utcnow


class Warehouse(TenantOwned, Base):
    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # None: the brand's; else the reseller customer whose stock it holds (core/channels). No
    # foreign key: customers already point at warehouses, and a cycle breaks table ordering.
    owner_customer_id: Mapped[int | None] = mapped_column(BigInteger)


class Stock(TenantOwned, Base):
    """Reserved is changed only by conditional UPDATEs; the CHECKs are the backstop."""

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("tenant_id", "warehouse_id", "product_id"),
        tenant_fk("warehouse_id", "warehouses", ondelete="CASCADE"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
        CheckConstraint("reserved >= 0", name="reserved_nonneg"),
        CheckConstraint("on_hand >= 0", name="on_hand_nonneg"),
        CheckConstraint("in_transit >= 0", name="in_transit_nonneg"),
    )

    warehouse_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    in_transit: Mapped[int] = mapped_column(Integer, default=0)
    low_threshold: Mapped[int | None] = mapped_column(Integer)


class StockMove(TenantOwned, Base):
    """Ledger: receipt, shipment, transfer, adjustment, stocktake, reservation, release."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        tenant_fk("warehouse_id", "warehouses", ondelete="CASCADE"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
    )

    warehouse_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0)
    in_transit_delta: Mapped[int] = mapped_column(Integer, default=0)
    order_number: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
