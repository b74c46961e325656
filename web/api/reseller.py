"""Tenant API for a distributor acting as a seller (``/reseller/…``) and the brand's channel settings.

Every handler starts from :func:`acting_reseller`; the service layer (core/channels/backoffice.py)
scopes each query to that reseller's tree, so another distributor's codes and numbers are 404.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post, put

from qudao.core.catalog.models import Product
from qudao.core.channels import backoffice as bo
from qudao.core.channels.prices import set_reseller_price
from qudao.core.channels.scope import acting_reseller, order_of
from qudao.core.channels.sellers import SELLER_CHOICES, default_seller_setting
from qudao.core.customers.models import Customer
from qudao.core.errors import InputError
from qudao.core.money import fmt
from qudao.core.orders.service import change_status, order_view
from qudao.core.validation import Fields
from qudao.tenants.models import Tenant
from qudao.web.api.common import json_body, listing, upserted
from qudao.web.context import RequestContext, require_admin, require_user

TAGS = ["reseller"]


@get("/reseller/customers", tags=TAGS)
async def list_stores(ctx: RequestContext) -> list[dict[str, Any]]:
    """The distributor's stores (the customers whose parent it is)."""
    return await bo.stores(ctx, acting_reseller(ctx))


@post("/reseller/customers", tags=TAGS)
async def post_store(request: Request, ctx: RequestContext) -> Response[Any]:
    """``{code, name, region?, email?, password?}``: a new store under the distributor (201), or an
    update of one of its own (200); ``email`` + ``password`` give the store a buyer login."""
    reseller = acting_reseller(ctx)
    store, created = await bo.save_store(ctx, reseller, await json_body(request))
    view = bo.store_view(store)
    await ctx.session.commit()
    return upserted(view, created)


@get("/reseller/prices", tags=TAGS)
async def list_prices(ctx: RequestContext) -> list[dict[str, Any]]:
    return await bo.prices(ctx, acting_reseller(ctx))


async def _put_product(request: Request, ctx: RequestContext, sku: str,
                       read: Callable[[dict[str, Any]], Any],
                       write: Callable[[Customer, Product, Any], Awaitable[tuple[dict[str, Any], bool]]]) -> Response[Any]:
    """A distributor's ``PUT`` on one of the brand's products (its price, its stock): ``read``
    checks the body (422) before the product is looked up (404), ``write`` stores it and gives
    the answer (made before the commit expires the rows); 201 when created."""
    reseller = acting_reseller(ctx)
    data = read(await json_body(request))
    product = await bo.sellable_product(ctx, sku)
    view, created = await write(reseller, product, data)
    await ctx.session.commit()
    return upserted(view, created)


@put("/reseller/prices/{sku:str}", tags=TAGS)
async def put_price(request: Request, ctx: RequestContext, sku: str) -> Response[Any]:
    """``{price, customer?, tier?}``: the distributor's price to all its stores, a tier or one store.
    Below the brand's HQ floor: 422 ``below_floor`` (and the attempt is counted)."""
    async def write(reseller: Customer, product: Product, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        row, created = await set_reseller_price(ctx, reseller, product, body)
        return {"sku": product.sku, "price": fmt(row.price, ctx.tenant.currency), "scope": row.scope,
                "customer": body.get("customer") if row.scope == "customer" else None,
                "tier": body.get("tier") if row.scope == "tier" else None}, created

    return await _put_product(request, ctx, sku, lambda body: body, write)


@get("/reseller/stock", tags=TAGS)
async def list_stock(ctx: RequestContext) -> list[dict[str, Any]]:
    """The distributor's own stock (received brand orders, its counts, less what it shipped)."""
    return await bo.stock(ctx, acting_reseller(ctx))


def _counted(body: dict[str, Any]) -> int:
    f = Fields(body)
    on_hand = f.integer("on_hand", required=True, minimum=0, maximum=1_000_000_000)
    f.check()
    assert on_hand is not None
    return on_hand


@put("/reseller/stock/{sku:str}", tags=TAGS)
async def put_stock(request: Request, ctx: RequestContext, sku: str) -> Response[Any]:
    """``{on_hand}``: a counted quantity in the distributor's warehouse (ledger: the difference)."""
    async def write(reseller: Customer, product: Product, on_hand: int) -> tuple[dict[str, Any], bool]:
        row, created = await bo.set_stock(ctx, reseller, product, on_hand)
        return {"sku": product.sku, "on_hand": row.on_hand, "reserved": row.reserved,
                "available": row.on_hand - row.reserved}, created

    return await _put_product(request, ctx, sku, _counted, write)


@get("/reseller/orders", tags=TAGS)
async def list_orders(ctx: RequestContext, status: str | None = None) -> dict[str, Any]:
    """Orders the distributor's stores placed with it (newest first, at most 200)."""
    items = await bo.orders(ctx, acting_reseller(ctx), status)
    return listing(items, len(items))


@get("/reseller/orders/{number:str}", tags=TAGS)
async def get_order(ctx: RequestContext, number: str) -> dict[str, Any]:
    reseller = acting_reseller(ctx)
    return await order_view(ctx.session, await order_of(ctx, reseller, number))


@post("/reseller/orders/{number:str}/status", status_code=200, tags=TAGS)
async def post_order_status(request: Request, ctx: RequestContext, number: str) -> dict[str, Any]:
    """``{status, note?, carrier?, tracking_number?}``: the same flow as the brand's
    (approve → pick → ship → deliver); shipping takes the goods off the distributor's stock."""
    reseller = acting_reseller(ctx)
    f = Fields(await json_body(request))
    status = f.text("status", required=True, max_len=20)
    note = f.text("note", max_len=1000) or ""
    carrier = f.text("carrier", max_len=100)
    tracking = f.text("tracking_number", max_len=100)
    f.check()
    order = await order_of(ctx, reseller, number)
    if carrier is not None:
        order.carrier = carrier
    if tracking is not None:
        order.tracking_number = tracking
    await change_status(ctx, order, status or "", note, as_seller=reseller)
    return await order_view(ctx.session, order)


@get("/settings/channels", tags=TAGS)
async def get_channel_settings(ctx: RequestContext) -> dict[str, Any]:
    require_user(ctx)
    return {"default_seller": default_seller_setting(ctx)}


@put("/settings/channels", tags=TAGS)
async def put_channel_settings(request: Request, ctx: RequestContext) -> dict[str, Any]:
    """``{default_seller: "parent"|"brand"}``: whom a store under a distributor orders from by default."""
    require_admin(ctx)
    f = Fields(await json_body(request))
    seller = f.text("default_seller", required=True, max_len=10)
    if seller is not None and seller not in SELLER_CHOICES:
        raise InputError("must be 'brand' or 'parent'", field="default_seller")
    f.check()
    tenant = await ctx.session.get(Tenant, ctx.tenant.id)
    assert tenant is not None
    settings = copy.deepcopy(tenant.settings or {})
    settings["channels"] = {**(settings.get("channels") or {}), "default_seller": seller}
    tenant.settings = settings
    await ctx.session.commit()
    return {"default_seller": seller}


HANDLERS = [list_stores, post_store, list_prices, put_price, list_stock, put_stock, list_orders, get_order,
            post_order_status, get_channel_settings, put_channel_settings]
