"""Storefront "My orders": the buyer's orders, an order page with the timeline of every
status and note, cancel while submitted and confirm receipt after delivery (through
``core.orders.service.change_status``, the same rules as the API)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import func, select

from qudao.core.errors import Conflict, Forbidden, InputError
from qudao.core.orders.flow import STATUSES
from qudao.core.orders.models import Order
from qudao.core.orders.service import change_status, order_for, order_view
from qudao.web.context import RequestContext
from qudao.web.pages.store.base import STATUS_LABELS, _, buyer_required, page, rollback

PAGE_SIZE = 20
BUYER_ACTIONS = {"cancelled": "submitted", "received": "delivered"}


@get("/orders")
async def my_orders(ctx: RequestContext, status: str | None = None, page_no: str | None = None) -> Response[Any]:
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    assert ctx.customer is not None
    stmt = select(Order).where(Order.customer_id == ctx.customer.id)
    if status in STATUSES:
        stmt = stmt.where(Order.status == status)
    else:
        status = None
    try:
        n = min(max(int(page_no or 1), 1), 10_000)
    except ValueError:
        n = 1
    total = await ctx.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    orders = (await ctx.session.scalars(stmt.order_by(Order.created_at.desc(), Order.number.desc())
                                        .limit(PAGE_SIZE).offset((n - 1) * PAGE_SIZE))).all()
    return await page(ctx, "store/orders.html", orders=orders, status=status, statuses=STATUSES, page_no=n,
                      pages=max(1, -(-total // PAGE_SIZE)), total=total)


async def _order_page(ctx: RequestContext, order: Order, *, flash: str | None = None, flash_kind: str = "ok",
                      status_code: int = 200) -> Response[Any]:
    view = await order_view(ctx.session, order)
    return await page(ctx, "store/order.html", status_code=status_code, order=view, flash=flash,
                      flash_kind=flash_kind, can_cancel=order.status == "submitted",
                      can_receive=order.status == "delivered")


@get("/orders/{number:str}")
async def order_page(ctx: RequestContext, number: str, placed: str | None = None,
                     done: str | None = None) -> Response[Any]:
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    order = await order_for(ctx, number)
    flash = None
    if placed:
        flash = _("Thank you! Your order %(number)s has been placed.", number=order.number)
    elif done == "cancelled" and order.status == "cancelled":
        flash = _("The order is cancelled.")
    elif done == "received" and order.status == "received":
        flash = _("Thank you for confirming receipt.")
    return await _order_page(ctx, order, flash=flash)


@post("/orders/{number:str}/status", status_code=200)
async def order_action(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    """Cancel (while submitted) or confirm receipt (after delivery)."""
    if (redirect := buyer_required(ctx)) is not None:
        return redirect
    order = await order_for(ctx, number)
    form = await request.form()
    new = str(form.get("status") or "")
    note = str(form.get("note") or "").strip()
    if new not in BUYER_ACTIONS:
        return await _order_page(ctx, order, flash=_("You can cancel an order or confirm its receipt."),
                                 flash_kind="error", status_code=422)
    if len(note) > 1000:
        return await _order_page(ctx, order, flash=_("The note can be at most 1000 characters."),
                                 flash_kind="error", status_code=422)
    try:
        await change_status(ctx, order, new, note)
    except (Conflict, Forbidden, InputError):
        await rollback(ctx)
        order = await order_for(ctx, number)
        current = _(STATUS_LABELS.get(order.status, order.status))
        message = (_("This order is %(status)s now, so it can no longer be cancelled.", status=current)
                   if new == "cancelled" else
                   _("This order is %(status)s; you can confirm receipt once it is delivered.", status=current))
        return await _order_page(ctx, order, flash=message, flash_kind="error", status_code=409)
    return Redirect(f"/t/{ctx.tenant.slug}/orders/{number}?done={new}", status_code=303)


HANDLERS = [my_orders, order_page, order_action]
