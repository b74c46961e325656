"""Tiers and channel customers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_ref
from qudao.core.db.columns import Coded, CreatedAt, JsonList

CUSTOMER_TYPES = ("l1_distributor", "l2_distributor", "store", "key_account")


class Tier(Coded, TenantOwned, Base):
    __tablename__ = "tiers"


class Customer(Coded, TenantOwned, Base):
    __tablename__ = "customers"

    type: Mapped[str] = mapped_column(String(20), default="store")
    tier_id: Mapped[int | None] = tenant_ref("tiers")
    parent_id: Mapped[int | None] = tenant_ref("customers")
    region: Mapped[str | None] = mapped_column(String(200))
    warehouse_id: Mapped[int | None] = tenant_ref("warehouses")
    sales_rep_id: Mapped[int | None]
    groups: Mapped[JsonList[str]]
    contacts: Mapped[JsonList[dict[str, Any]]]
    addresses: Mapped[JsonList[dict[str, Any]]]
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[CreatedAt]
    # Channel levels (core/channels): the brand lets this customer sell to the stores under it,
    # and lets a store under a distributor order from the brand directly.
    can_resell: Mapped[bool] = mapped_column(default=False, server_default=false())
    direct_from_brand: Mapped[bool] = mapped_column(default=False, server_default=false())
