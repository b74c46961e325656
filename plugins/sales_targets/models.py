"""Sales targets: one row per period × who (dimension) × what (product group) × measure."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import Base, TenantOwned, tenant_fk, utcnow

DIMENSIONS = ("all", "region", "customer_type", "customer", "sales_rep")
SCOPES = ("all", "brand", "category", "skus")
MEASURES = ("amount", "qty")
RULES = ("placed", "approved", "received")


class SalesTarget(TenantOwned, Base):
    """``dim_key`` is the region path, the customer type, or the customer's / rep's id as text
    ("" for all); ``scope_key`` the brand or category code or the sorted SKU list ("" for all).
    The unique key makes a second target for the same thing in the same period impossible."""

    __tablename__ = "sales_targets_targets"
    __table_args__ = (
        UniqueConstraint("tenant_id", "period_kind", "period_start", "dimension", "dim_key", "scope_kind",
                         "scope_key", "measure", name="uq_sales_targets_targets_same_thing"),
        tenant_fk("customer_id", "customers", ondelete="CASCADE"),
        tenant_fk("rep_id", "users", ondelete="CASCADE"),
        Index("ix_sales_targets_targets_period", "tenant_id", "period_start", "period_kind"),
    )

    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(16))
    dim_key: Mapped[str] = mapped_column(String(200), default="")
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    rep_id: Mapped[int | None] = mapped_column(BigInteger)
    scope_kind: Mapped[str] = mapped_column(String(10), default="all")
    scope_key: Mapped[str] = mapped_column(String(1000), default="")
    scope_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # brand / category (+ subtree) / product ids
    measure: Mapped[str] = mapped_column(String(8), default="amount")
    rule: Mapped[str] = mapped_column(String(10), default="placed")
    target: Mapped[Decimal] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
