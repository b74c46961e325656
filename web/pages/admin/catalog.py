"""Admin: products (search, brand filter, paging, form with images), brands, and product images."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import File, Response
from sqlalchemy import String, cast, func, or_, select

from qudao.core.catalog.forms import save_product_form
from qudao.core.catalog.media import content_type, discard_images, image_path, safe_name, save_image
from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.catalog.service import product_by_sku, search_filter, upsert_brand
from qudao.core.errors import InputError, NotFound
from qudao.core.inventory.service import counts_in_transit, total_availability
from qudao.web.context import RequestContext
from qudao.web.pages.admin.base import N_, back, money_fmt, nul_free, page, read_form, recover, safe_back, say
from qudao.web.pages.admin.crud import CodedRecords, paginate, sort_order
from qudao.web.pages.common import staff_page

UNITS = ("件", "瓶", "箱", "袋", "盒", "包", "罐", "kg", "pcs")


def _like_escape(text: str) -> str:
    """LIKE pattern text with ~ as the escape (PostgreSQL treats backslash as one by default)."""
    return text.replace("~", "~~").replace("%", "~%").replace("_", "~_")


BRANDS = CodedRecords(Brand, "brand", "admin/brand_form.html", "brand", "/brands", N_("Saved brand %(code)s"),
                      upsert_brand)


async def _brands(ctx: RequestContext) -> list[Brand]:
    return await BRANDS.all(ctx)


@get("/admin/products")
@staff_page()
async def product_list(ctx: RequestContext, q: str | None = None, brand: str | None = None,
                       category: str | None = None, tag: str | None = None, p: str | None = None,
                       sort: str | None = None) -> Response[Any]:
    q, brand, category, tag, p = nul_free(q), nul_free(brand), nul_free(category), nul_free(tag), nul_free(p)
    sort, order = sort_order(nul_free(sort), {"sku": Product.sku, "name": Product.name, "price": Product.price}, "sku")
    stmt = select(Product, Brand.code).outerjoin(
        Brand, (Brand.id == Product.brand_id) & (Brand.tenant_id == Product.tenant_id))
    if q and q.strip():
        stmt = stmt.where(search_filter(q))
    if brand:
        stmt = stmt.where(Brand.code == brand)
    if category:
        stmt = stmt.join(Category, (Category.id == Product.category_id) & (Category.tenant_id == Product.tenant_id)) \
            .where(Category.code == category)
    if tag and tag.strip():
        tags_text = cast(Product.tags, String)  # JSON text; stored escaped or not depending on the driver
        patterns = [_like_escape(json.dumps(tag.strip(), ensure_ascii=ascii_)) for ascii_ in (True, False)]
        stmt = stmt.where(or_(*(tags_text.like(f"%{pat}%", escape="~") for pat in patterns)))
    rows, pg = await paginate(ctx, stmt, p, *order)
    avail = await total_availability(ctx.session, [pr.id for pr, _ in rows], counts_in_transit(ctx.tenant))
    categories = (await ctx.session.scalars(select(Category).order_by(Category.code))).all()
    return page(ctx, "admin/products.html", rows=rows, avail=avail, q=q or "", brand=brand or "", pg=pg,
                brands=await _brands(ctx), categories=categories, category=category or "", tag=tag or "",
                sort=sort)


@post("/admin/products/bulk")
@staff_page()
async def product_bulk(ctx: RequestContext, request: Request) -> Response[Any]:
    """Activate or deactivate the ticked products at once; back to the same filtered list."""
    form = await request.form()
    action = str(form.get("action") or "")
    skus = [str(v) for v in form.getall("sku")][:500] if "sku" in form else []
    target = safe_back(ctx, str(form.get("back") or ""), "/products")
    if action not in ("activate", "deactivate") or not skus:
        return back(ctx, target, say(ctx, N_("Tick at least one product and choose what to do.")), error=True)
    products = (await ctx.session.scalars(select(Product).where(Product.sku.in_(skus)))).all()
    for product in products:
        product.active = action == "activate"
    await ctx.session.commit()
    return back(ctx, target, say(ctx, N_("%(n)s product(s) updated"), n=len(products)))


async def _form_page(ctx: RequestContext, product: Product | None, form: dict[str, Any], *,
                     errors: list[dict[str, str]] | None = None, status_code: int = 200) -> Response[Any]:
    return page(ctx, "admin/product_form.html", status_code=status_code, product=product, form=form,
                errors=errors or [], units=UNITS,
                brand_opts=[("", "—"), *((b.code, f"{b.code} · {b.name}") for b in await _brands(ctx))])


async def _product_form_values(ctx: RequestContext, product: Product) -> dict[str, Any]:
    money = money_fmt(ctx.tenant.currency)
    brand = await ctx.session.get(Brand, (ctx.tenant.id, product.brand_id)) if product.brand_id else None
    category = await ctx.session.get(Category, (ctx.tenant.id, product.category_id)) if product.category_id else None
    return {
        "sku": product.sku, "name": product.name, "price": money(product.price),
        "retail_price": money(product.retail_price), "floor_price": money(product.floor_price), "brand": brand.code if brand else "",
        "category": category.code if category else "", "unit": product.unit, "spec": product.spec,
        "barcode": product.barcode, "erp_code": product.erp_code, "min_qty": product.min_qty,
        "order_multiple": product.order_multiple, "active": product.active, "featured": product.featured,
        "description": product.description, "tags": ", ".join(product.tags or []),
    }


@get("/admin/products/new")
@staff_page()
async def product_new(ctx: RequestContext) -> Response[Any]:
    return await _form_page(ctx, None, {"active": True, "unit": "件", "min_qty": 1, "order_multiple": 1})


@get("/admin/products/{sku:str}")
@staff_page()
async def product_edit(ctx: RequestContext, sku: str) -> Response[Any]:
    product = await product_by_sku(ctx.session, sku)
    return await _form_page(ctx, product, await _product_form_values(ctx, product))


async def _read_form(request: Request) -> tuple[dict[str, Any], list[UploadFile]]:
    form = await request.form()
    values = {k: v.replace("\x00", "") for k, v in form.items() if k != "_csrf_token" and isinstance(v, str)}
    files = [v for v in form.getall("image") if isinstance(v, UploadFile)] if "image" in form else []
    return values, files


async def _save(ctx: RequestContext, request: Request, sku: str, creating: bool) -> Response[Any]:
    assert ctx.user is not None
    form, files = await _read_form(request)
    existing = None if creating else await product_by_sku(ctx.session, sku)
    names: list[str] = []
    try:
        product, _ = await save_product_form(ctx.session, sku, form, currency=ctx.tenant.currency,
                                             user_id=ctx.user.id, creating=creating)
        for upload in files:
            data = await upload.read()
            if not data and not upload.filename:
                continue
            names.append(save_image(ctx.tenant.id, data))
        if names:
            product.images = [*(product.images or []), *names]
        await ctx.session.commit()
    except InputError as exc:
        await recover(ctx)
        discard_images(ctx.tenant.id, names)  # images stored before the refusal go too
        if existing is not None:
            existing = await product_by_sku(ctx.session, sku)
        form = {**form, "active": form.get("active") == "true", "featured": form.get("featured") == "true"}
        return await _form_page(ctx, existing, form, errors=exc.errors, status_code=422)
    return back(ctx, f"/products/{product.sku}", say(ctx, N_("Saved %(code)s"), code=product.sku))


@post("/admin/products/new")
@staff_page()
async def product_create(ctx: RequestContext, request: Request) -> Response[Any]:
    form = await read_form(request)
    return await _save(ctx, request, form.get("sku") or "", True)


@post("/admin/products/{sku:str}")
@staff_page()
async def product_update(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    return await _save(ctx, request, sku, False)


@post("/admin/products/{sku:str}/images/{name:str}/delete")
@staff_page()
async def product_image_delete(ctx: RequestContext, sku: str, name: str) -> Response[Any]:
    product = await product_by_sku(ctx.session, sku)
    if name not in (product.images or []):
        raise NotFound("no such image")
    product.images = [n for n in product.images if n != name]
    await ctx.session.commit()
    return back(ctx, f"/products/{sku}", say(ctx, N_("Image removed")))


@get("/media/{name:str}")
async def media(ctx: RequestContext, name: str) -> Response[Any]:
    """Product images of this brand; only names we generated are served."""
    if not safe_name(name):
        raise NotFound("not found")
    path = image_path(ctx.tenant.id, name)
    if path is None:
        raise NotFound("not found")
    return File(path=path, content_disposition_type="inline", media_type=content_type(name),
                headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


@get("/admin/brands")
@staff_page()
async def brand_list(ctx: RequestContext) -> Response[Any]:
    counts = dict((await ctx.session.execute(
        select(Product.brand_id, func.count()).group_by(Product.brand_id))).all())
    return page(ctx, "admin/brands.html", brands=await _brands(ctx), counts=counts)


HANDLERS = [product_list, product_bulk, product_new, product_edit, product_create, product_update, product_image_delete, media,
            brand_list, *BRANDS.handlers("/admin/brands")]
