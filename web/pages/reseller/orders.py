"""Distributor back office: its stores' orders, approve → pick → ship → deliver (the brand's flow)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Response

from qudao.core.channels import backoffice as bo
from qudao.core.channels.scope import order_of
from qudao.core.errors import Conflict, Forbidden, InputError
from qudao.core.orders.flow import STATUSES, TRANSITIONS
from qudao.core.orders.service import change_status, order_view
from qudao.web.context import RequestContext
from qudao.web.pages.common import form_data
from qudao.web.pages.reseller.base import reseller_or_login, rpage
from qudao.web.pages.store.base import N_, STATUS_LABELS, _, rollback

# What the distributor may do next (the store itself cancels while submitted and confirms receipt).
ACTIONS = {"approved": N_("Approve"), "rejected": N_("Reject"), "picking": N_("Start picking"),
           "shipped": N_("Ship"), "delivered": N_("Mark delivered"), "cancelled": N_("Cancel order")}


def next_actions(status: str) -> list[tuple[str, str]]:
    return [(s, ACTIONS[s]) for s in ACTIONS if s in TRANSITIONS.get(status, set())]


@get("/reseller/orders")
async def orders_page(ctx: RequestContext, status: str | None = None) -> Response[Any]:
    reseller = reseller_or_login(ctx)
    if isinstance(reseller, Redirect):
        return reseller
    status = status if status in STATUSES else None
    return await rpage(ctx, "reseller/orders.html", "/orders", orders=await bo.orders(ctx, reseller, status),
                       status=status, statuses=STATUSES)


async def _order(ctx: RequestContext, order: Any, status_code: int = 200, **kw: Any) -> Response[Any]:
    view = await order_view(ctx.session, order)
    return await rpage(ctx, "reseller/order.html", "/orders", status_code=status_code, order=view,
                       actions=next_actions(order.status), **kw)


@get("/reseller/orders/{number:str}")
async def order_page(ctx: RequestContext, number: str) -> Response[Any]:
    reseller = reseller_or_login(ctx)
    if isinstance(reseller, Redirect):
        return reseller
    return await _order(ctx, await order_of(ctx, reseller, number))


@post("/reseller/orders/{number:str}/status", status_code=200)
async def order_action(ctx: RequestContext, request: Request, number: str) -> Response[Any]:
    reseller = reseller_or_login(ctx)
    if isinstance(reseller, Redirect):
        return reseller
    order = await order_of(ctx, reseller, number)
    form = await form_data(request)
    new = str(form.get("status") or "")
    note = str(form.get("note") or "").strip()[:1000]
    if new not in ACTIONS:
        return await _order(ctx, order, 422, flash=_("Choose one of the actions shown."), flash_kind="error")
    try:
        await change_status(ctx, order, new, note, as_seller=reseller)
    except (Conflict, Forbidden, InputError) as exc:
        await rollback(ctx)
        order = await order_of(ctx, reseller, number)
        return await _order(ctx, order, 409, flash=_(str(exc.detail)), flash_kind="error")
    return await _order(ctx, order, flash=_("Order %(number)s is now: %(status)s.", number=number,
                                             status=_(STATUS_LABELS[new])))


HANDLERS = [orders_page, order_page, order_action]
