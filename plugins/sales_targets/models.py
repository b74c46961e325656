"""Sales targets: one row per period × who (dimension) × what (product group) × measure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import Base, CustomerRef, JsonList, TenantOwned, Timestamps, UserRef

DIMENSIONS = ("all", "region", "customer_type", "customer", "sales_rep")
SCOPES = ("all", "brand", "category", "skus")
MEASURES = ("amount", "qty")
RULES = ("placed", "approved", "received")


class SalesTarget(Timestamps, TenantOwned, Base):
    """``dim_key`` is the region path, the customer type, or the customer's / rep's id as text
    ("" for all); ``scope_key`` the brand or category code or the sorted SKU list ("" for all).
    The unique key makes a second target for the same thing in the same period impossible."""

    __tablename__ = "sales_targets_targets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period_kind", "period_start", "dimension", "dim_key", "scope_kind",
                         "scope_key", "measure", name="uq_sales_targets_targets_same_thing"),
        Index("ix_sales_targets_targets_period", "tenant_id", "period_start", "period_kind"),
    )

    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date]
    dimension: Mapped[str] = mapped_column(String(16))
    dim_key: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[CustomerRef | None]
    rep_id: Mapped[UserRef | None]
    scope_kind: Mapped[str] = mapped_column(String(10), default="all")
    scope_key: Mapped[str] = mapped_column(String(1000), default="")
    scope_ids: Mapped[JsonList[int]]  # brand / category (+ subtree) / product ids
    measure: Mapped[str] = mapped_column(String(8), default="amount")
    rule: Mapped[str] = mapped_column(String(10), default="placed")
    target: Mapped[Decimal]
    note: Mapped[str] = mapped_column(String(200), default="")
