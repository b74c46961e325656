"""Tenant API: ordering settings, quotes, orders and status changes."""

from __future__ import annotations

import copy
import re
from typing import Any

from litestar import Request, Response, get, patch, post, put
from sqlalchemy import select

from qudao.core.customers.scope import order_customer_criteria
from qudao.core.errors import InputError, Unauthorized
from qudao.core.orders.checkout import build_cart
from qudao.core.orders.edit import edit_order
from qudao.core.orders.models import Order
from qudao.core.orders.rules import ordering_view, parse_ordering
from qudao.core.orders.service import order_for, order_view, place_order
from qudao.core.validation import Fields
from qudao.tenants.models import Tenant
from qudao.web.api.common import json_body, paging
from qudao.web.context import RequestContext, require_admin, require_staff
from qudao.web.order_status import move_order

PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,19}$")


@put("/settings/ordering", tags=["orders"])
async def put_ordering(request: Request, ctx: RequestContext) -> dict[str, Any]:
    require_admin(ctx)
    data = await json_body(request)
    tenant = await ctx.session.get(Tenant, ctx.tenant.id)
    assert tenant is not None
    settings = copy.deepcopy(tenant.settings or {})
    settings["ordering"] = parse_ordering(data, tenant.currency, settings.get("ordering") or {})
    tenant.settings = settings
    await ctx.session.commit()
    return ordering_view(settings["ordering"])


@get("/settings/ordering", tags=["orders"])
async def get_ordering(ctx: RequestContext) -> dict[str, Any]:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    return ordering_view(ctx.tenant.setting("ordering", default={}) or {})


def parse_guest(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InputError("name, phone and address are required to order as a guest", field="guest")
    f = Fields(raw)
    name = f.text("name", required=True, max_len=100)
    phone = f.text("phone", required=True, max_len=30)
    address = f.text("address", required=True, max_len=500)
    if phone and not PHONE_RE.match(phone):
        f.error("phone", "must be a phone number")
    f.errors = [{"field": f"guest.{e['field']}", "message": e["message"]} for e in f.errors]
    f.check()
    return {"name": name or "", "phone": phone or "", "address": address or ""}


def buyer_or_guest(ctx: RequestContext, body: dict[str, Any]) -> None:
    """A customer buyer, or (with guest checkout on) an anonymous guest; staff cannot order."""
    if ctx.user is None:
        if not ctx.hooks.qudao_guest_checkout_allowed(ctx=ctx):
            raise Unauthorized("sign in first")
        ctx.guest = parse_guest(body.get("guest"))
        return
    if ctx.customer is None:
        from qudao.core.errors import Forbidden

        raise Forbidden("only customer buyers place orders")


@post("/cart/quote", status_code=200, tags=["orders"])
async def quote(request: Request, ctx: RequestContext) -> dict[str, Any]:
    """Price a cart exactly as an order would be priced, with the reasons and any violations."""
    body = await json_body(request)
    buyer_or_guest(ctx, body)
    cart = await build_cart(ctx, body)
    return cart.as_quote()


@post("/orders", tags=["orders"])
async def create_order(request: Request, ctx: RequestContext) -> Response[Any]:
    body = await json_body(request)
    buyer_or_guest(ctx, body)
    order, created = await place_order(ctx, body, request.headers.get("idempotency-key"))
    if created:
        from qudao.web import metrics

        metrics.ORDERS.inc()
    return Response(await order_view(ctx.session, order), status_code=201 if created else 200)


@get("/orders", tags=["orders"])
async def list_orders(ctx: RequestContext, status: str | None = None, limit: int = 50,
                      offset: int = 0) -> dict[str, Any]:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    paging(limit, offset)
    stmt = select(Order).where(*order_customer_criteria(ctx, Order.customer_id))
    if ctx.user.kind != "staff":
        if ctx.customer is None:
            return {"items": [], "total": 0}
        stmt = stmt.where(Order.customer_id == ctx.customer.id)
    if status:
        stmt = stmt.where(Order.status == status)
    orders = (await ctx.session.scalars(stmt.order_by(Order.created_at.desc()).limit(limit).offset(offset))).all()
    return {"items": [{"number": o.number, "status": o.status, "total": str(o.total),
                       "created_at": o.created_at.isoformat()} for o in orders], "total": len(orders)}


@get("/orders/{number:str}", tags=["orders"])
async def get_order(ctx: RequestContext, number: str) -> dict[str, Any]:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    return await order_view(ctx.session, await order_for(ctx, number))


@post("/orders/{number:str}/status", status_code=200, tags=["orders"])
async def post_status(request: Request, ctx: RequestContext, number: str) -> dict[str, Any]:
    if ctx.user is None:
        raise Unauthorized("sign in first")
    body = await json_body(request)
    f = Fields(body)
    status = f.text("status", required=True, max_len=20)
    note = f.text("note", max_len=1000) or ""
    carrier = f.text("carrier", max_len=100)
    tracking = f.text("tracking_number", max_len=100)
    f.check()
    order = await move_order(ctx, number, status or "", note, carrier=carrier, tracking_number=tracking)
    return await order_view(ctx.session, order)


@patch("/orders/{number:str}", status_code=200, tags=["orders"])
async def patch_order(request: Request, ctx: RequestContext, number: str) -> dict[str, Any]:
    """Staff change quantities/prices of a submitted order before approving it (audited)."""
    if ctx.user is None:
        raise Unauthorized("sign in first")
    body = await json_body(request)
    order = await edit_order(ctx, await order_for(ctx, number), body)
    return await order_view(ctx.session, order)


@get("/erp/sales-orders", tags=["orders"])
async def erp_sales_orders(ctx: RequestContext, status: str | None = None, start: str | None = None,
                           end: str | None = None, format: str | None = None) -> Response[Any]:  # noqa: A002
    """ERP sales-order drafts, one row per order line (approved orders by default).

    ``format``: ``json`` (default), ``csv`` or ``xlsx``; ``status`` a status or ``all``;
    ``start``/``end`` placement days (YYYY-MM-DD) in the tenant's time zone.
    """
    from decimal import Decimal

    from qudao.core.imports import to_csv, to_xlsx
    from qudao.core.orders.export import COLUMNS, order_rows, parse_filters

    require_staff(ctx)
    fmt_name = (format or "json").lower()
    if fmt_name not in ("json", "csv", "xlsx"):
        raise InputError("must be json, csv or xlsx", field="format")
    st, day_from, day_to = parse_filters(status, start, end)
    rows = await order_rows(ctx.session, ctx.tenant.timezone, st, day_from, day_to)
    if fmt_name == "csv":
        return Response(to_csv(COLUMNS, rows), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="sales-orders.csv"'})
    if fmt_name == "xlsx":
        return Response(to_xlsx(COLUMNS, rows, "sales orders"),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="sales-orders.xlsx"'})
    items = [{col: (str(v) if isinstance(v, Decimal) else v) for col, v in zip(COLUMNS, row, strict=True)}
             for row in rows]
    return Response({"items": items, "total": len(items)})


HANDLERS = [erp_sales_orders, put_ordering, get_ordering, quote, create_order, list_orders, get_order, post_status,
            patch_order]
