"""Brands, the category tree and products."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.db.base import Base, TenantOwned, tenant_fk, utcnow


class Brand(TenantOwned, Base):
    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class Category(TenantOwned, Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("tenant_id", "code"), tenant_fk("parent_id", "categories"))

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(BigInteger)


class Product(TenantOwned, Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        tenant_fk("brand_id", "brands"),
        tenant_fk("category_id", "categories"),
        # The catalog listing (count, and the page's ids at any OFFSET) reads only this index:
        # SKU order, plus every column its filters test (active, featured, brand and category for
        # brand access and guests, guests' retail price) and the id to fetch the page's rows by,
        # so no product row is read but the page's (web/api/catalog.py, catalog_page).
        Index("ix_products_listing", "tenant_id", "sku", "id", "active", "featured", "brand_id", "category_id",
              "retail_price"),
    )

    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(600), default="")
    erp_code: Mapped[str | None] = mapped_column(String(64))
    spec: Mapped[str | None] = mapped_column(String(200))
    barcode: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(20), default="件")
    pack_unit: Mapped[str | None] = mapped_column(String(20))
    pack_size: Mapped[int | None] = mapped_column(Integer)
    brand_id: Mapped[int | None] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    price: Mapped[Decimal] = mapped_column()
    retail_price: Mapped[Decimal | None] = mapped_column()
    floor_price: Mapped[Decimal | None] = mapped_column()
    min_qty: Mapped[int] = mapped_column(Integer, default=1)
    order_multiple: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def extra(self) -> dict[str, Any]:
        return {"spec": self.spec, "unit": self.unit}
