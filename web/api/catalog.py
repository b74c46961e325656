"""Tenant API: brands and products."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from sqlalchemy import select

from qudao.core.catalog.listing import visible_ids
from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.catalog.offer import offers
from qudao.core.catalog.service import (
    as_decimal,
    product_by_sku,
    search_filter,
    upsert_brand,
    upsert_category,
    upsert_product,
)
from qudao.core.db.prepared import in_list, prepared
from qudao.core.db.session import on_postgresql
from qudao.core.errors import NotFound
from qudao.core.inventory.service import (
    counts_in_transit,
    stock_rows,
)
from qudao.core.orders.checkout import product_criteria, visible_products
from qudao.web.api.common import coded_routes, json_body, listing, paging, upserted
from qudao.web.context import RequestContext, require_staff, require_user


async def product_view(ctx: RequestContext, p: Product, brand_code: str | None) -> dict[str, Any]:
    return {
        "sku": p.sku, "name": p.name, "brand": brand_code, "price": str(p.price),
        "retail_price": as_decimal(p.retail_price), "floor_price": as_decimal(p.floor_price), "unit": p.unit,
        "spec": p.spec, "erp_code": p.erp_code, "barcode": p.barcode, "active": p.active,
        "min_qty": p.min_qty, "order_multiple": p.order_multiple, "tags": p.tags, "featured": p.featured,
        "pack_unit": p.pack_unit, "pack_size": p.pack_size,
    }


put_brand, list_brands = coded_routes("/brands", Brand, upsert_brand, "catalog", "brand")


@put("/products/{sku:str}", tags=["catalog"])
async def put_product(request: Request, ctx: RequestContext, sku: str) -> Response[Any]:
    """Create or update a product (``price`` is the base wholesale price)."""
    user = require_staff(ctx)
    product, created = await upsert_product(ctx.session, sku, await json_body(request),
                                            currency=ctx.tenant.currency, user_id=user.id)
    brand = await ctx.session.get(Brand, (ctx.tenant.id, product.brand_id)) if product.brand_id else None
    view = await product_view(ctx, product, brand.code if brand else None)
    await ctx.session.commit()
    return upserted(view, created)


async def catalog_page(ctx: RequestContext, q: str | None, brand: str | None, limit: int, offset: int,
                       *, featured: bool = False, category: str | None = None) -> dict[str, Any]:
    """One page of the catalog as the caller sees it, in a constant number of queries.

    The visible products' ids in SKU order come from the per-process listing cache
    (core/catalog/listing.py: read again only when the tenant's catalog changed); ``total`` is
    their number and the page is a slice of them, so neither costs a walk over the catalog. The
    filters test only ``products`` columns (the brand filter is an ``IN`` on the brand's id) and,
    but for a search, all of them are in the narrow ``ix_products_listing`` index, so reading the
    ids is an index-only scan. The page's rows are then read by id with their brand codes. The
    ORM adds ``tenant_id`` to every part; RLS backs it.
    """
    where: list[Any] = []
    if not ctx.is_staff:
        where.append(Product.active.is_(True))
        where.extend(await product_criteria(ctx))
        if ctx.guest is not None:
            where.append(Product.retail_price.is_not(None))
    if q:
        where.append(search_filter(q))
    if brand:
        where.append(Product.brand_id.in_(
            select(Brand.id).where(Brand.tenant_id == ctx.tenant.id, Brand.code == brand)))
    if category:  # the category and its direct sub-categories (the storefront's category rail)
        chosen = select(Category.id).where(Category.tenant_id == ctx.tenant.id, Category.code == category)
        where.append(Product.category_id.in_(chosen.union(
            select(Category.id).where(Category.tenant_id == ctx.tenant.id, Category.parent_id.in_(chosen)))))
    if featured:
        where.append(Product.featured.is_(True))
    ids = await visible_ids(ctx.session, select(Product.id).where(*where).order_by(Product.sku))
    page = ids[offset:offset + limit].tolist()
    rows: list[tuple[Product, str | None]] = []
    if page:
        position = {pid: i for i, pid in enumerate(page)}
        rows = sorted(((p, code) for p, code in (await ctx.session.execute(_page_rows(on_postgresql(ctx.session)),
                                                                              {"ids": page})).all()),
                      key=lambda row: position[row[0].id])
    total = len(ids)
    products = [p for p, _ in rows]
    offered = await offers(ctx, products)
    items = [{"sku": p.sku, "name": p.name, "brand": code, "price": str(o.price),
              "price_source": o.source, "available": o.available, "unit": p.unit, "spec": p.spec,
              "images": p.images, "min_qty": p.min_qty, "order_multiple": p.order_multiple}
             for p, code in rows if (o := offered.get(p.id)) is not None]
    return {"items": items, "total": total or 0, "products": products}


@prepared
def _page_rows(postgresql: bool) -> Any:
    """The page's products (by id, ``:ids``) with their brand codes."""
    return (select(Product, Brand.code).where(in_list(Product.id, "ids", postgresql))
            .outerjoin(Brand, (Brand.id == Product.brand_id) & (Brand.tenant_id == Product.tenant_id)))


@get("/products", tags=["catalog"])
async def list_products(ctx: RequestContext, q: str | None = None, brand: str | None = None,
                        limit: str | None = None, offset: str | None = None) -> dict[str, Any]:
    """Staff see every product at its base price; a customer sees what it may order at its own price."""
    require_user(ctx)
    paged = paging(limit, offset)
    page = await catalog_page(ctx, q, brand, paged.limit, paged.offset)
    return listing(page["items"], page["total"])


@get("/products/{sku:str}", tags=["catalog"])
async def get_product(ctx: RequestContext, sku: str) -> dict[str, Any]:
    require_user(ctx)
    if ctx.is_staff:
        product = await product_by_sku(ctx.session, sku)
        brand = await ctx.session.get(Brand, (ctx.tenant.id, product.brand_id)) if product.brand_id else None
        view = await product_view(ctx, product, brand.code if brand else None)
        view["stock"] = await stock_rows(ctx.session, product.id, counts_in_transit(ctx.tenant))
        return view
    found = (await visible_products(ctx, [sku])).get(sku)
    if found is None:
        raise NotFound(f"no product with SKU '{sku}'")
    offer = (await offers(ctx, [found])).get(found.id)
    if offer is None:
        raise NotFound(f"no product with SKU '{sku}'")
    return {"sku": found.sku, "name": found.name, "price": str(offer.price), "price_source": offer.source,
            "available": offer.available, "unit": found.unit, "spec": found.spec,
            "description": found.description, "images": found.images}


@put("/categories/{code:str}", tags=["catalog"])
async def put_category(request: Request, ctx: RequestContext, code: str) -> Response[Any]:
    """A node of the category tree: ``{name, parent?}``."""
    require_staff(ctx)
    cat, created = await upsert_category(ctx.session, code, await json_body(request))
    parent = await ctx.session.get(Category, (ctx.tenant.id, cat.parent_id)) if cat.parent_id else None
    await ctx.session.commit()
    return upserted({"code": cat.code, "name": cat.name, "parent": parent.code if parent else None}, created)


@get("/categories", tags=["catalog"])
async def list_categories(ctx: RequestContext) -> list[dict[str, Any]]:
    require_staff(ctx)
    cats = (await ctx.session.scalars(select(Category).order_by(Category.code))).all()
    codes = {c.id: c.code for c in cats}
    return [{"code": c.code, "name": c.name, "parent": codes.get(c.parent_id)} for c in cats]


HANDLERS = [put_category, list_categories, put_brand, list_brands, put_product, list_products, get_product]
