"""Brand authorizations: which product brands a customer (or every customer of a tier, or of a
customer group) may see."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.plugin_api import Base, CatalogVisibility, Created, TenantOwned, TierOrCustomer, tenant_ref


class BrandAccess(CatalogVisibility, TierOrCustomer, Created, TenantOwned, Base):
    """One authorization row: exactly one of ``customer_id`` / ``tier_id`` is set."""

    __tablename__ = "brand_isolation_access"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "brand_id"),
        UniqueConstraint("tenant_id", "tier_id", "brand_id"),
        CheckConstraint("(customer_id IS NULL) <> (tier_id IS NULL)", name="one_target"),
        Index("ix_brand_isolation_access_brand", "tenant_id", "brand_id"),
    )

    brand_id: Mapped[int] = tenant_ref("brands", ondelete="CASCADE")


class BrandGroupAccess(CatalogVisibility, Created, TenantOwned, Base):
    """Brands authorized to every customer in a customer group (``Customer.groups`` holds names)."""

    __tablename__ = "brand_isolation_group_access"
    __table_args__ = (
        UniqueConstraint("tenant_id", "group_name", "brand_id"),
        Index("ix_brand_isolation_group_access_brand", "tenant_id", "brand_id"),
    )

    group_name: Mapped[str] = mapped_column(String(64))
    brand_id: Mapped[int] = tenant_ref("brands", ondelete="CASCADE")
