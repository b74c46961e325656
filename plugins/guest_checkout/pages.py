"""Pages: share-link redirect, the guest product/order page, the buyer's links and the admin page."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect, Response
from sqlalchemy import inspect as sa_inspect

from qudao.core.errors import Conflict, InputError, NotFound, Refused
from qudao.core.orders.checkout import visible_products
from qudao.core.orders.service import place_order
from qudao.core.pricing.engine import resolve_prices
from qudao.core.validation import form_value as _one
from qudao.plugins.guest_checkout import service
from qudao.web.api.catalog import catalog_page
from qudao.web.api.orders import parse_guest
from qudao.web.context import RequestContext
from qudao.web.pages.common import form_data, render, staff_page

SHARE_COOKIE_DAYS = 30
PAGE_SIZE = 24


@get("/s/{code:str}")
async def share_redirect(ctx: RequestContext, code: str) -> Response[Any]:
    """Count a click on a share link, remember the code in a cookie, go to the product."""
    link = await service.click(ctx.session, code)
    if link is None:
        raise NotFound("this share link does not exist")
    await ctx.session.commit()
    base = f"/t/{ctx.tenant.slug}"
    # signed-in users land on the storefront's product page, visitors on the guest order page
    target = f"{base}/p/" if ctx.user is not None else f"{base}/guest/p/"
    return Redirect(target + quote(link.sku, safe=""), status_code=303, cookies=[
        Cookie(key=service.SHARE_COOKIE, value=link.code, path=base, max_age=SHARE_COOKIE_DAYS * 86400,
               httponly=True, samesite="lax")])


async def _guest_product(ctx: RequestContext, sku: str) -> tuple[Any, Any]:
    """The product as a guest sees it (guest settings apply; no retail price = not for sale)."""
    saved = ctx.guest
    ctx.guest = {}
    try:
        product = (await visible_products(ctx, [sku])).get(sku)
        price = (await resolve_prices(ctx.session, [product], customer=None, guest=True,
                                      currency=ctx.tenant.currency))[product.id] if product else None
    finally:
        ctx.guest = saved
    if product is None or price is None:
        raise NotFound(f"no product with SKU '{sku}'")
    return product, price


async def _product_page(ctx: RequestContext, sku: str, *, status_code: int = 200, values: dict[str, Any] | None = None,
                        errors: list[dict[str, str]] | None = None,
                        violations: list[dict[str, str]] | None = None) -> Response[Any]:
    product, price = await _guest_product(ctx, sku)
    return render(ctx, "guest_checkout/product.html", status_code=status_code, product=product, price=price,
                  values=values or {"qty": str(max(product.min_qty or 1, 1))}, errors=errors or [],
                  violations=violations or [], form_key=secrets.token_urlsafe(16))


@get("/guest")
async def guest_catalog(ctx: RequestContext, q: str | None = None, page_no: str | None = None) -> Response[Any]:
    """What a guest may order, at retail prices, each with a link to its order page."""
    if ctx.user is not None:
        return Redirect(f"/t/{ctx.tenant.slug}/")
    try:
        n = min(max(int(page_no or 1), 1), 10_000)
    except ValueError:
        n = 1
    q = (q or "").strip()[:100]
    ctx.guest = {}
    try:
        result = await catalog_page(ctx, q or None, None, PAGE_SIZE, (n - 1) * PAGE_SIZE)
    finally:
        ctx.guest = None
    return render(ctx, "guest_checkout/catalog.html", items=result["items"], total=result["total"], q=q,
                  page_no=n, pages=max(1, -(-result["total"] // PAGE_SIZE)))


@get("/guest/p/{sku:str}")
async def guest_product(ctx: RequestContext, sku: str) -> Response[Any]:
    return await _product_page(ctx, sku)


@post("/guest/p/{sku:str}")
async def guest_order(ctx: RequestContext, request: Request, sku: str) -> Response[Any]:
    """Place a guest order for one product (signed-in users order from the storefront)."""
    if ctx.user is not None:
        return Redirect(f"/t/{ctx.tenant.slug}/")
    form = await form_data(request)
    values = {k: _one(form, k) for k in ("qty", "name", "phone", "address", "note", "form_key")}
    await _guest_product(ctx, sku)
    try:
        qty_text = values["qty"]
        if not qty_text.isdigit():
            raise InputError("must be a whole number", field="qty")
        ctx.guest = parse_guest({k: values[k] for k in ("name", "phone", "address")})
        body = {"lines": [{"sku": sku, "qty": int(qty_text)}], "note": values["note"] or None}
        order, _ = await place_order(ctx, body, values["form_key"] or None)
    except InputError as exc:
        return await _retry(ctx, sku, values, errors=exc.errors)
    except Refused as exc:
        return await _retry(ctx, sku, values, violations=exc.violations)
    return render(ctx, "guest_checkout/placed.html", order=order)


async def _retry(ctx: RequestContext, sku: str, values: dict[str, Any], **problems: Any) -> Response[Any]:
    """Show the form again. A refusal may have rolled the session back (place_order does on a
    late refusal), which expires the tenant the layout reads: reload it then."""
    ctx.guest = None
    if sa_inspect(ctx.tenant).expired_attributes:
        await ctx.session.refresh(ctx.tenant)
    return await _product_page(ctx, sku, status_code=422, values=values, **problems)


@get("/share-links")
async def my_links(ctx: RequestContext) -> Response[Any]:
    if ctx.user is None:
        return Redirect(f"/t/{ctx.tenant.slug}/login?next={quote(f'/t/{ctx.tenant.slug}/share-links')}")
    links = await service.link_stats(ctx.session, currency=ctx.tenant.currency, sharer_user_id=ctx.user.id)
    return render(ctx, "guest_checkout/my_links.html", links=links, errors=[], values={})


@post("/share-links")
async def my_links_create(ctx: RequestContext, request: Request) -> Response[Any]:
    if ctx.user is None:
        return Redirect(f"/t/{ctx.tenant.slug}/login")
    form = await form_data(request)
    sku = _one(form, "sku")
    try:
        if not sku:
            raise InputError("is required", field="sku")
        await service.create_link(ctx, ctx.user, sku)
    except InputError as exc:
        links = await service.link_stats(ctx.session, currency=ctx.tenant.currency, sharer_user_id=ctx.user.id)
        return render(ctx, "guest_checkout/my_links.html", status_code=422, links=links, errors=exc.errors,
                      values={"sku": sku})
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/share-links")


async def _admin_page(ctx: RequestContext, *, status_code: int = 200, errors: list[dict[str, str]] | None = None,
                      flash: str | None = None) -> Response[Any]:
    return render(ctx, "guest_checkout/admin.html", status_code=status_code, errors=errors or [], flash=flash,
                  orders=await service.guest_orders(ctx.session, ctx.tenant.currency),
                  links=await service.link_stats(ctx.session, currency=ctx.tenant.currency),
                  settings=ctx.settings(service.PLUGIN))


@get("/admin/guest-checkout")
@staff_page()
async def admin_page(ctx: RequestContext, done: str | None = None) -> Response[Any]:
    return await _admin_page(ctx, flash=done)


@post("/admin/guest-checkout/orders/{number:str}/customer")
@staff_page(("sales_rep",))
async def admin_convert(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    form = await form_data(request)
    order = await service.guest_order(ctx.session, number)
    try:
        customer = await service.convert(ctx, order, {"code": _one(form, "code"), "name": _one(form, "name")},
                                         ctx.user.id if ctx.user else None)
    except (InputError, Conflict) as exc:
        # convert() refuses before writing anything, so no rollback is needed (it would expire
        # the tenant and user objects the layout reads).
        errors = exc.errors if isinstance(exc, InputError) else [{"field": "code", "message": exc.detail}]
        return await _admin_page(ctx, status_code=422, errors=errors)
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/admin/guest-checkout?done={quote(customer.code, safe='')}")


HANDLERS = [share_redirect, guest_catalog, guest_product, guest_order, my_links, my_links_create, admin_page, admin_convert]
