"""Products in a file: one row per SKU, applied with ``upsert_product`` (the API's own)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.catalog.service import CatalogCache, upsert_product
from qudao.core.imports.rows import Domain, ImportResult, Progress, Record, each_row, parse_bool

COLUMNS = ("sku", "name", "price", "retail_price", "floor_price", "brand", "category", "unit", "spec",
           "barcode", "erp_code", "min_qty", "order_multiple", "active", "featured", "description")
BOOLEAN = ("active", "featured")


async def apply(session: AsyncSession, recs: list[Record], result: ImportResult, *, currency: str,
                user_id: int | None, progress: Progress | None) -> None:
    cache = await CatalogCache.load(session)
    existing = set(cache.products)

    async def one(number: int, rec: dict[str, str]) -> bool:
        sku = rec.get("sku", "")
        data: dict[str, Any] = {}
        for col, value in rec.items():
            if col == "sku" or value == "":
                continue
            if col in BOOLEAN:
                parsed = parse_bool(value)
                if isinstance(parsed, str):
                    result.error(number, col, "must be true or false (1/0, yes/no)")
                    continue
                data[col] = parsed
            else:
                data[col] = value
        await upsert_product(session, sku, data, currency=currency, user_id=user_id, cache=cache)
        created = sku not in existing
        existing.add(sku)
        return created

    await each_row(recs, result, one, progress)
    await session.flush()


async def export(session: AsyncSession) -> list[list[Any]]:
    brands = dict((await session.execute(select(Brand.id, Brand.code))).all())
    cats = dict((await session.execute(select(Category.id, Category.code))).all())
    return [[p.sku, p.name, p.price, p.retail_price, p.floor_price, brands.get(p.brand_id), cats.get(p.category_id),
             p.unit, p.spec, p.barcode, p.erp_code, p.min_qty, p.order_multiple, p.active, p.featured, p.description]
            for p in (await session.scalars(select(Product).order_by(Product.sku))).all()]


DOMAIN = Domain(
    kind="products", columns=COLUMNS, required=("sku",), key="sku", apply=apply, export=export,
    example=[["SKU-001", "绿茶 500ml", "12.50", "18.00", "10.00", "", "drinks", "瓶", "500ml", "", "",
              "1", "6", "true", "false", ""]],
)
