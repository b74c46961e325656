"""Storefront catalog (mobile first): product grid with the buyer's own prices and orderable
stock, category rail, search (name / SKU / pinyin initials) with suggestions, brand filter, more
pages as the buyer scrolls; product page with gallery and price breaks; add to cart.

The grid uses ``web.api.catalog.catalog_page``, the same code as ``GET /products``, so the
page and the API always agree on what a buyer sees and pays.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.catalog.models import Brand, Product
from qudao.core.channels.prices import resolve_for
from qudao.core.channels.sellers import seller_for
from qudao.core.errors import InputError, NotFound
from qudao.core.inventory.service import availability, counts_in_transit
from qudao.core.orders import carts
from qudao.core.orders.checkout import visible_products
from qudao.core.plugins.panels import collect_panels
from qudao.core.pricing.models import PriceBreak
from qudao.web.api.catalog import catalog_page
from qudao.web.context import RequestContext
from qudao.web.pages.common import form_data
from qudao.web.pages.store.base import _, hx, ordering_rules, page, parse_qty, rollback, use_locale
from qudao.web.pages.store.browse import badges, brands, browse_as, categories, step_of

PAGE_SIZE = 24


def _page_number(raw: str | None) -> int:
    try:
        n = int(raw or 1)
    except ValueError:
        return 1
    return min(max(n, 1), 10_000)


async def _grid(ctx: RequestContext, q: str, brand: str, category: str, n: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    result = await catalog_page(ctx, q or None, brand or None, size, (n - 1) * size, category=category or None)
    shown = {item["sku"] for item in result["items"]}
    products = {p.sku: p for p in result["products"] if p.sku in shown}
    found = await badges(ctx, list(products.values()))
    items = []
    for item in result["items"]:
        product = products[item["sku"]]
        first, step = step_of(item)
        list_price = product.price if ctx.customer is not None else None
        items.append({**item, "badges": found.get(product.id, []), "first_qty": first, "step": step,
                      "list_price": list_price if list_price is not None and list_price > Decimal(item["price"])
                      else None})
    return {"items": items, "total": result["total"], "page_no": n,
            "pages": max(1, -(-result["total"] // size))}


@get("/")
async def store_home(ctx: RequestContext, q: str | None = None, brand: str | None = None,
                     category: str | None = None, page_no: str | None = None) -> Response[Any]:
    use_locale(ctx)
    seen = browse_as(ctx)
    q = (q or "").strip()[:100]
    brand = (brand or "").strip()[:64]
    category = (category or "").strip()[:64]
    context: dict[str, Any] = {"q": q, "brand": brand, "category": category, "items": [], "total": 0,
                               "page_no": 1, "pages": 1, "brands": [], "categories": [], **seen,
                               "can_order": ctx.customer is not None,
                               "rules": ordering_rules(ctx) if ctx.customer is not None else []}
    if seen["can_browse"]:
        context.update(await _grid(ctx, q, brand, category, _page_number(page_no)))
        context.update(brands=await brands(ctx), categories=await categories(ctx))
    if ctx.customer is not None and not q and not category and context["page_no"] == 1:
        context["panels"] = await collect_panels(ctx, "qudao_storefront_panels")
    template = "store/_grid_more.html" if hx(ctx) and context["page_no"] > 1 else "store/home.html"
    return await page(ctx, template, **context)


@get("/search/suggest")
async def suggest(ctx: RequestContext, q: str | None = None) -> Response[Any]:
    """HTMX: up to six products matching what the buyer typed so far (name, SKU or pinyin initials)."""
    use_locale(ctx)
    q = (q or "").strip()[:100]
    seen = browse_as(ctx)
    items: list[dict[str, Any]] = []
    if q and seen["can_browse"]:
        items = (await _grid(ctx, q, "", "", 1, size=6))["items"]
    return await page(ctx, "store/_suggest.html", q=q, items=items, **seen)


@get("/p/{sku:str}")
async def product_page(ctx: RequestContext, sku: str) -> Response[Any]:
    use_locale(ctx)
    seen = browse_as(ctx)
    if not seen["can_browse"]:
        from qudao.web.pages.common import login_redirect

        return login_redirect(ctx)
    guest = seen["guest"]
    seller = await seller_for(ctx)  # a store under a distributor: its price and stock (core/channels)
    if ctx.is_staff:
        product = await ctx.session.scalar(select(Product).where(Product.sku == sku))
        price = None
    else:
        product = (await visible_products(ctx, [sku])).get(sku)
        price = None
        if product is not None:
            price = (await resolve_for(ctx, [product], reseller=seller.customer))[product.id]
            if price is None:
                product = None
    if product is None:
        raise NotFound(_("This product does not exist or is not available to you."))
    brand = await ctx.session.get(Brand, (ctx.tenant.id, product.brand_id)) if product.brand_id else None
    avail = (await availability(ctx.session, seller.warehouse_id, [product.id],
                                counts_in_transit(ctx.tenant))).get(product.id, 0)
    found = (await badges(ctx, [product])).get(product.id, [])
    first, step = step_of({"min_qty": product.min_qty, "order_multiple": product.order_multiple})
    return await page(ctx, "store/product.html", product=product, brand=brand, price=price, available=avail,
                      guest=guest, show_prices=seen["show_prices"], can_order=ctx.customer is not None,
                      badges=found, first_qty=first, step=step, seller=seller,
                      breaks=await price_breaks(ctx, product, price) if seller.is_brand else [])


async def price_breaks(ctx: RequestContext, product: Product, price: Any) -> list[dict[str, Any]]:
    """The volume prices this buyer can reach (its tier's ladder or everyone's), below its price."""
    if ctx.customer is None or price is None:
        return []
    tier_id = ctx.customer.tier_id
    rows = (await ctx.session.execute(select(PriceBreak.min_qty, PriceBreak.price, PriceBreak.tier_id).where(
        PriceBreak.product_id == product.id))).all()
    mine = [r for r in rows if r.tier_id == tier_id] if any(r.tier_id == tier_id for r in rows if tier_id) else \
        [r for r in rows if r.tier_id is None]
    base = Decimal(str(price.price))
    return [{"min_qty": r.min_qty, "price": r.price, "save": base - r.price}
            for r in sorted(mine, key=lambda r: r.min_qty) if r.price < base]


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
            elif qty % max(product.order_multiple or 1, 1) or qty < (product.min_qty or 1):
                first, step = step_of({"min_qty": product.min_qty, "order_multiple": product.order_multiple})
                error = _("%(name)s is sold in multiples of %(n)s, from %(first)s.", name=product.name, n=step,
                          first=first)
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


HANDLERS = [store_home, suggest, product_page, add_to_cart]
