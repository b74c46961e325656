"""Catalog writes and reads shared by the API, the admin pages and imports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.catalog.search import search_key
from qudao.core.db.base import new_id
from qudao.core.errors import NotFound
from qudao.core.pricing.history import record_price_change
from qudao.core.validation import Fields, check_code, set_given, upsert_named


async def upsert_brand(session: AsyncSession, code: str, data: dict[str, Any]) -> tuple[Brand, bool]:
    return await upsert_named(session, Brand, code, data)


async def brand_by_code(session: AsyncSession, code: str) -> Brand | None:
    return await session.scalar(select(Brand).where(Brand.code == code))


@dataclass
class CatalogCache:
    """Preloaded lookups for bulk writes (imports): products, brands and categories by code,
    so a 10,000-row file costs a handful of queries and one flush instead of thousands."""

    products: dict[str, Product]
    brands: dict[str, Brand]
    categories: dict[str, Category]

    @classmethod
    async def load(cls, session: AsyncSession) -> CatalogCache:
        return cls(
            products={p.sku: p for p in (await session.scalars(select(Product))).all()},
            brands={b.code: b for b in (await session.scalars(select(Brand))).all()},
            categories={c.code: c for c in (await session.scalars(select(Category))).all()},
        )


async def category_for(session: AsyncSession, code: str, cache: CatalogCache | None = None) -> Category:
    cat = cache.categories.get(code) if cache else await session.scalar(select(Category).where(Category.code == code))
    if cat is None:
        cat = Category(id=new_id(), code=code, name=code)
        session.add(cat)
        if cache is not None:
            cache.categories[code] = cat
        else:
            await session.flush()
    return cat


async def upsert_product(session: AsyncSession, sku: str, data: dict[str, Any], *, currency: str,
                         user_id: int | None, cache: CatalogCache | None = None) -> tuple[Product, bool]:
    """Create or update a product; validates everything before touching the row.

    With a ``cache`` (bulk imports) lookups come from it and nothing is flushed; the
    caller flushes once at the end.
    """
    check_code(sku, "sku")
    if cache is not None:
        product = cache.products.get(sku)
    else:
        product = await session.scalar(select(Product).where(Product.sku == sku))
    f = Fields(data)
    name = f.text("name", required=product is None, max_len=300)
    price = f.money("price", currency, required=product is None)
    retail = f.money("retail_price", currency)
    floor = f.money("floor_price", currency)
    unit = f.text("unit", max_len=20)
    spec = f.text("spec", max_len=200)
    erp_code = f.text("erp_code", max_len=64)
    barcode = f.text("barcode", max_len=64)
    description = f.text("description", max_len=20000)
    active = f.boolean("active")
    featured = f.boolean("featured")
    min_qty = f.integer("min_qty", minimum=1, maximum=1_000_000)
    multiple = f.integer("order_multiple", minimum=1, maximum=1_000_000)
    pack_unit = f.text("pack_unit", max_len=20)
    pack_size = f.integer("pack_size", minimum=2, maximum=1_000_000)
    if (pack_unit is None) != (pack_size is None) and (f.has("pack_unit") or f.has("pack_size")):
        f.error("pack_size", "give pack_unit and pack_size together, e.g. 箱 and 12 (1 箱 = 12 瓶)")
    brand_code = f.text("brand", max_len=64)
    category_code = f.text("category", max_len=64)
    tags = data.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)):
        f.error("tags", "must be a list of strings")
    brand = None
    if brand_code:
        brand = cache.brands.get(brand_code) if cache else await brand_by_code(session, brand_code)
        if brand is None:
            f.error("brand", f"unknown brand '{brand_code}'")
    effective_floor = floor if f.has("floor_price") else (product.floor_price if product else None)
    effective_price = price if price is not None else (product.price if product else None)
    if effective_floor is not None and effective_price is not None and effective_price < effective_floor:
        f.error("price", f"is below the price floor {effective_floor}")
    f.check()
    created = product is None
    if product is None:
        product = Product(id=new_id(), sku=sku, name=name, price=price)
        session.add(product)
        if cache is not None:
            cache.products[sku] = product
    old_price, old_retail = (None, None) if created else (product.price, product.retail_price)
    old_floor = None if created else product.floor_price
    set_given(product, name=name, price=price, unit=unit, spec=spec, erp_code=erp_code, barcode=barcode,
              description=description, active=active, featured=featured, min_qty=min_qty, order_multiple=multiple,
              pack_unit=pack_unit, pack_size=pack_size, tags=tags)
    if f.has("retail_price"):  # a null clears these
        product.retail_price = retail
    if f.has("floor_price"):
        product.floor_price = floor
    if f.has("brand"):
        product.brand_id = brand.id if brand else None
    if f.has("category"):
        product.category_id = (await category_for(session, category_code, cache)).id if category_code else None
    product.search_key = search_key(product.name, product.sku, product.erp_code, product.barcode)
    if cache is None:
        await session.flush()
    if old_price != product.price:
        await record_price_change(session, "base", None, sku, old_price, product.price, user_id)
    if not created and f.has("floor_price") and old_floor != product.floor_price:
        await record_price_change(session, "floor", None, sku, old_floor, product.floor_price, user_id)
    if old_retail != product.retail_price and (old_retail is not None or product.retail_price is not None):
        await record_price_change(session, "retail", None, sku, old_retail, product.retail_price, user_id)
    return product, created


async def product_by_sku(session: AsyncSession, sku: str) -> Product:
    product = await session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound(f"no product with SKU '{sku}'")
    return product


def search_filter(q: str) -> Any:
    """Substring match on the search key (name, SKU, ERP code, barcode, pinyin); the user's
    text is matched literally (``%``, ``_`` and the escape character are escaped)."""
    text = q.replace(chr(0), "").strip().lower()
    for ch in ("~", "%", "_"):
        text = text.replace(ch, "~" + ch)
    needle = f"%{text}%"
    return or_(Product.search_key.like(needle, escape="~"), func.lower(Product.name).like(needle, escape="~"))


def as_decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


async def upsert_category(session: AsyncSession, code: str, data: dict[str, Any]) -> tuple[Category, bool]:
    """A node of the category tree: ``{name, parent?}``; a parent that is a descendant is a cycle."""
    check_code(code)
    f = Fields(data)
    name = f.text("name", required=True)
    parent_code = f.text("parent", max_len=64)
    cat = await session.scalar(select(Category).where(Category.code == code))
    parent = None
    if parent_code:
        parent = await session.scalar(select(Category).where(Category.code == parent_code))
        if parent is None:
            f.error("parent", f"unknown category '{parent_code}'")
        elif cat is not None:
            node: Category | None = parent
            seen: set[int] = set()
            while node is not None and node.id not in seen:
                if node.id == cat.id:
                    f.error("parent", f"'{parent_code}' is inside '{code}' (a cycle)")
                    break
                seen.add(node.id)
                node = (await session.get(Category, (node.tenant_id, node.parent_id))
                        if node.parent_id is not None else None)
    f.check()
    created = cat is None
    if cat is None:
        cat = Category(id=new_id(), code=code, name=name)
        session.add(cat)
    cat.name = name  # type: ignore[assignment]
    if f.has("parent"):
        cat.parent_id = parent.id if parent else None
    await session.flush()
    return cat, created
