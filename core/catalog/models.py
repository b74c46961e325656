"""Brands, the category tree and products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qudao.core.catalog.version import CatalogVisibility
from qudao.core.db.base import Base, TenantOwned, tenant_ref
from qudao.core.db.columns import ActiveTimestamps, Code, Coded, Int32, JsonList


class Brand(Coded, CatalogVisibility, TenantOwned, Base):
    __tablename__ = "brands"


class Category(Coded, CatalogVisibility, TenantOwned, Base):
    __tablename__ = "categories"

    parent_id: Mapped[int | None] = tenant_ref("categories")


class Product(ActiveTimestamps, CatalogVisibility, TenantOwned, Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        # The catalog listing (count, and the page's ids at any OFFSET) reads only this index:
        # SKU order, plus every column its filters test (active, featured, brand and category for
        # brand access and guests, guests' retail price) and the id to fetch the page's rows by,
        # so no product row is read but the page's (web/api/catalog.py, catalog_page).
        Index("ix_products_listing", "tenant_id", "sku", "id", "active", "featured", "brand_id", "category_id",
              "retail_price"),
    )

    sku: Mapped[Code]
    name: Mapped[str] = mapped_column(String(300))
    search_key: Mapped[str] = mapped_column(String(600), default="")
    erp_code: Mapped[Code | None]
    spec: Mapped[str | None] = mapped_column(String(200))
    barcode: Mapped[Code | None]
    unit: Mapped[str] = mapped_column(String(20), default="件")
    pack_unit: Mapped[str | None] = mapped_column(String(20))
    pack_size: Mapped[Int32 | None]
    brand_id: Mapped[int | None] = tenant_ref("brands")
    category_id: Mapped[int | None] = tenant_ref("categories")
    price: Mapped[Decimal]
    retail_price: Mapped[Decimal | None]
    floor_price: Mapped[Decimal | None]
    min_qty: Mapped[Int32] = mapped_column(default=1)
    order_multiple: Mapped[Int32] = mapped_column(default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[JsonList[str]]
    images: Mapped[JsonList[str]]
    featured: Mapped[bool] = mapped_column(default=False)

    def extra(self) -> dict[str, Any]:
        return {"spec": self.spec, "unit": self.unit}
