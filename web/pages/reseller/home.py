"""Distributor back office: overview, stores, prices and stock pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.catalog.models import Product
from qudao.core.channels import backoffice as bo
from qudao.core.channels.prices import set_reseller_price
from qudao.core.customers.models import Customer
from qudao.core.errors import Conflict, InputError, NotFound, Refused
from qudao.core.orders.checkout import product_criteria
from qudao.core.pricing.engine import resolve_prices
from qudao.web.context import RequestContext
from qudao.web.pages.common import form_data
from qudao.web.pages.reseller.base import reseller_or_login, rpage, section_page
from qudao.web.pages.store.base import _, input_messages, rollback


async def _overview(ctx: RequestContext, reseller: Customer) -> Response[Any]:
    counts = await bo.order_counts(ctx, reseller)
    stock = await bo.stock(ctx, reseller)
    return await rpage(ctx, "reseller/home.html", "", counts=counts, stores=len(await bo.stores(ctx, reseller)),
                       units=sum(r["on_hand"] for r in stock), open_orders=sum(
                           counts.get(s, 0) for s in ("submitted", "approved", "picking", "shipped")))


async def _stores_page(ctx: RequestContext, reseller: Customer, status_code: int = 200, form: dict[str, Any] | None = None,
                       **context: Any) -> Response[Any]:
    """The stores page: the distributor's stores and the add/edit form (refilled after a refusal)."""
    return await rpage(ctx, "reseller/stores.html", "/stores", status_code=status_code,
                       stores=await bo.stores(ctx, reseller), form=form or {}, **context)


@post("/reseller/stores", status_code=200)
async def save_store(ctx: RequestContext, request: Request) -> Response[Any]:
    reseller = reseller_or_login(ctx)
    if isinstance(reseller, Redirect):
        return reseller
    form = await form_data(request)
    data = {k: (str(v).strip() or None) for k, v in form.items() if k in ("code", "name", "region", "email",
                                                                         "password")}
    try:
        store, created = await bo.save_store(ctx, reseller, data)
        name = store.name
        await ctx.session.commit()
    except InputError as exc:
        await rollback(ctx)
        return await _stores_page(ctx, reseller, 422, form=form, errors=input_messages(exc.errors))
    except Conflict as exc:
        await rollback(ctx)
        return await _stores_page(ctx, reseller, 409, form=form, errors=[_(str(exc.detail))])
    flash = _("Store %(name)s added.", name=name) if created else _("Store %(name)s saved.", name=name)
    return await _stores_page(ctx, reseller, flash=flash)


async def _price_rows(ctx: RequestContext, reseller: Any) -> list[dict[str, Any]]:
    """Every product the distributor may sell: the brand's price to it, the floor, its own price."""
    products = (await ctx.session.scalars(select(Product).where(Product.active.is_(True), *await product_criteria(ctx))
                                          .order_by(Product.sku).limit(300))).all()
    cost = await resolve_prices(ctx.session, products, customer=reseller, currency=ctx.tenant.currency)
    mine = {(p["sku"]): p["price"] for p in await bo.prices(ctx, reseller) if p["scope"] == "all"}
    return [{"sku": p.sku, "name": p.name, "cost": cost[p.id].price if cost.get(p.id) else None,
             "floor": p.floor_price, "mine": mine.get(p.sku)} for p in products]


async def _prices_page(ctx: RequestContext, reseller: Customer, status_code: int = 200, **context: Any) -> Response[Any]:
    """The prices page: every product with the distributor's price, its special prices, its stores."""
    return await rpage(ctx, "reseller/prices.html", "/prices", status_code=status_code,
                       rows=await _price_rows(ctx, reseller),
                       special=[p for p in await bo.prices(ctx, reseller) if p["scope"] != "all"],
                       stores=await bo.stores(ctx, reseller), **context)


def _price_form(form: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The posted SKU and the body ``set_reseller_price`` reads (a customer only when one is named)."""
    sku = str(form.get("sku") or "")
    body = {"price": str(form.get("price") or "").strip() or None}
    if str(form.get("customer") or "").strip():
        body["customer"] = str(form["customer"]).strip()
    return sku, body


@post("/reseller/prices", status_code=200)
async def save_price(ctx: RequestContext, request: Request) -> Response[Any]:
    reseller = reseller_or_login(ctx)
    if isinstance(reseller, Redirect):
        return reseller
    sku, body = _price_form(await form_data(request))
    errors: list[str] = []
    status = 200
    try:
        product = await bo.sellable_product(ctx, sku)
        await set_reseller_price(ctx, reseller, product, body)
        await ctx.session.commit()
    except InputError as exc:
        await rollback(ctx)
        errors, status = [f"{sku}: {m}" for m in input_messages(exc.errors)], 422
    except Refused as exc:
        await rollback(ctx)
        errors, status = [_("%(price)s is below the brand's price floor for %(sku)s; it was not saved.",
                            price=body["price"], sku=sku)], 422
        assert exc.violations
    except NotFound as exc:
        await rollback(ctx)
        errors, status = [_(str(exc.detail))], 404
    flash = None if errors else _("Price of %(sku)s saved.", sku=sku)
    return await _prices_page(ctx, reseller, status, errors=errors, flash=flash)


async def _stock_page(ctx: RequestContext, reseller: Customer) -> Response[Any]:
    return await rpage(ctx, "reseller/stock.html", "/stock", rows=await bo.stock(ctx, reseller))


HANDLERS = [section_page("/reseller", _overview), section_page("/reseller/stores", _stores_page), save_store,
            section_page("/reseller/prices", _prices_page), save_price, section_page("/reseller/stock", _stock_page)]
