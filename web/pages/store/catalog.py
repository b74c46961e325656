"""Storefront catalog (mobile first): product grid with the buyer's own prices and orderable
stock, search (name / SKU / pinyin initials), brand filter, paging; product page; add to cart.

The grid uses ``web.api.catalog.catalog_page``, the same code as ``GET /products``, so the
page and the API always agree on what a buyer sees and pays.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.catalog.models import Brand, Product
from qudao.core.errors import InputError, NotFound
from qudao.core.inventory.service import availability, counts_in_transit, warehouse_for
from qudao.core.orders import carts
from qudao.core.orders.checkout import product_criteria, visible_products
from qudao.core.plugins.host import gather_hook
from qudao.core.plugins.panels import collect_panels
from qudao.core.pricing.engine import resolve_prices
from qudao.web.api.catalog import catalog_page
from qudao.web.context import RequestContext
from qudao.web.pages.common import form_data
from qudao.web.pages.store.base import _, hx, ordering_rules, page, parse_qty, rollback, use_locale

PAGE_SIZE = 24


def _guest_catalog(ctx: RequestContext) -> bool:
    """Anonymous visitors see retail prices only when the guest plugin allows it."""
    if ctx.user is None and ctx.hooks.qudao_guest_checkout_allowed(ctx=ctx):
        ctx.guest = {}  # placeholder: only makes pricing use retail prices
        return True
    return False


async def _brands(ctx: RequestContext) -> list[tuple[str, str]]:
    """Brands that have at least one product this buyer may see."""
    stmt = (select(Brand.code, Brand.name).distinct()
            .join(Product, (Product.brand_id == Brand.id) & (Product.tenant_id == Brand.tenant_id))
            .where(Product.active.is_(True)))
    if not ctx.is_staff:
        stmt = stmt.where(*await product_criteria(ctx))
        if ctx.guest is not None:
            stmt = stmt.where(Product.retail_price.is_not(None))
    return [(code, name) for code, name in (await ctx.session.execute(stmt.order_by(Brand.name))).all()]


async def _badges(ctx: RequestContext, products: list[Product]) -> dict[int, list[str]]:
    """Plugins' short labels for the buyer's or guest's products ("满500减50"), one hook call per
    page; staff see list prices and no badges."""
    if ctx.is_staff or not products:
        return {}
    merged: dict[int, list[str]] = {}
    for found in await gather_hook(ctx.hooks.qudao_product_badges, ctx=ctx, products=products):
        for product_id, labels in (found or {}).items():
            into = merged.setdefault(product_id, [])
            into.extend(label for label in labels or [] if label and label not in into)
    return merged


def _page_number(raw: str | None) -> int:
    try:
        n = int(raw or 1)
    except ValueError:
        return 1
    return min(max(n, 1), 10_000)


@get("/")
async def store_home(ctx: RequestContext, q: str | None = None, brand: str | None = None,
                     page_no: str | None = None) -> Response[Any]:
    use_locale(ctx)
    guest = _guest_catalog(ctx)
    can_browse = ctx.user is not None or guest
    q = (q or "").strip()[:100]
    brand = (brand or "").strip()[:64]
    context: dict[str, Any] = {"q": q, "brand": brand, "items": [], "total": 0, "page_no": 1, "pages": 1,
                               "brands": [], "guest": guest, "can_browse": can_browse,
                               "can_order": ctx.customer is not None,
                               "rules": ordering_rules(ctx) if ctx.customer is not None else []}
    if can_browse:
        n = _page_number(page_no)
        result = await catalog_page(ctx, q or None, brand or None, PAGE_SIZE, (n - 1) * PAGE_SIZE)
        shown = {item["sku"] for item in result["items"]}
        products = [p for p in result["products"] if p.sku in shown]
        badges = await _badges(ctx, products)
        ids = {p.sku: p.id for p in products}
        items = [{**item, "badges": badges.get(ids[item["sku"]], [])} for item in result["items"]]
        context.update(items=items, total=result["total"], page_no=n,
                       pages=max(1, -(-result["total"] // PAGE_SIZE)), brands=await _brands(ctx))
    if ctx.customer is not None and not q and context["page_no"] == 1:
        context["panels"] = await collect_panels(ctx, "qudao_storefront_panels")
    return await page(ctx, "store/home.html", **context)


@get("/p/{sku:str}")
async def product_page(ctx: RequestContext, sku: str) -> Response[Any]:
    use_locale(ctx)
    guest = _guest_catalog(ctx)
    if ctx.user is None and not guest:
        from qudao.web.pages.common import login_redirect

        return login_redirect(ctx)
    if ctx.is_staff:
        product = await ctx.session.scalar(select(Product).where(Product.sku == sku))
        price = None
    else:
        product = (await visible_products(ctx, [sku])).get(sku)
        price = None
        if product is not None:
            price = (await resolve_prices(ctx.session, [product], customer=ctx.customer, guest=guest,
                                          currency=ctx.tenant.currency))[product.id]
            if price is None:
                product = None
    if product is None:
        raise NotFound(_("This product does not exist or is not available to you."))
    brand = await ctx.session.get(Brand, (ctx.tenant.id, product.brand_id)) if product.brand_id else None
    wh = await warehouse_for(ctx.session, ctx.customer)
    avail = (await availability(ctx.session, wh, [product.id], counts_in_transit(ctx.tenant))).get(product.id, 0)
    badges = (await _badges(ctx, [product])).get(product.id, [])
    return await page(ctx, "store/product.html", product=product, brand=brand, price=price, available=avail,
                      guest=guest, can_order=ctx.customer is not None, badges=badges)


def _toast(message: str, kind: str = "ok") -> str:
    from markupsafe import escape

    return f'<div class="flash {kind}" role="{"alert" if kind == "error" else "status"}">{escape(message)}</div>'


@post("/cart/add", status_code=200)
async def add_to_cart(ctx: RequestContext, request: Request) -> Response[Any]:
    """Add a product to the buyer's saved cart. HTMX answers with a toast and the new badge."""
    use_locale(ctx)
    base = f"/t/{ctx.tenant.slug}"
    if ctx.user is None:
        if hx(ctx):
            return Response("", headers={"HX-Redirect": f"{base}/login"})
        return Redirect(f"{base}/login")
    form = await form_data(request)
    sku = str(form.get("sku") or "").strip()
    error = None
    product = None
    qty = 0
    if ctx.customer is None:
        error = _("Only buyers can order. Staff manage orders in the back office.")
    else:
        try:
            qty = parse_qty(form.get("qty", "1"))
        except ValueError as exc:
            error = str(exc)
        if error is None:
            product = (await visible_products(ctx, [sku])).get(sku) if sku else None
            if product is None:
                error = _("This product does not exist or is not available to you.")
    if error is None and product is not None:
        try:
            await carts.add_items(ctx.session, ctx.user.id, [(product.id, qty)])
            await ctx.session.commit()
        except InputError as exc:
            await rollback(ctx)
            error = _("You cannot add that many: %(reason)s.", reason=_(exc.errors[0]["message"]))
    if not hx(ctx):
        if error:
            raise InputError(error, field="qty")
        return Redirect(f"{base}/cart", status_code=303)
    if error:
        return Response(_toast(error, "error"), media_type="text/html")
    count = await carts.cart_count(ctx.session, ctx.user.id)
    assert product is not None
    badge = (f'<span id="cart-badge" class="badge cart-badge" hx-swap-oob="true">{count}</span>')
    message = _("Added %(qty)s × %(name)s to the cart.", qty=qty, name=product.name)
    return Response(_toast(message) + badge, media_type="text/html",
                    headers={"HX-Trigger": "cart-changed"})


HANDLERS = [store_home, product_page, add_to_cart]
