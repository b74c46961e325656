"""Tiers and channel customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_fk, utcnow

CUSTOMER_TYPES = ("l1_distributor", "l2_distributor", "store", "key_account")


class Tier(TenantOwned, Base):
    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class Customer(TenantOwned, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("tier_id", "tiers"),
        tenant_fk("parent_id", "customers"),
        tenant_fk("warehouse_id", "warehouses"),
    )

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20), default="store")
    tier_id: Mapped[int | None] = mapped_column(BigInteger)
    parent_id: Mapped[int | None] = mapped_column(BigInteger)
    region: Mapped[str | None] = mapped_column(String(200))
    warehouse_id: Mapped[int | None] = mapped_column(BigInteger)
    sales_rep_id: Mapped[int | None] = mapped_column(BigInteger)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Channel levels (core/channels): the brand lets this customer sell to the stores under it,
    # and lets a store under a distributor order from the brand directly.
    can_resell: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    direct_from_brand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
