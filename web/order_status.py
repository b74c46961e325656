"""The status change the JSON API (``POST /orders/{number}/status``) and the admin order pages
both make, written once so that the two cannot drift apart."""

from __future__ import annotations

from qudao.core.orders.models import Order
from qudao.core.orders.service import change_status, order_for
from qudao.web.context import RequestContext


async def move_order(ctx: RequestContext, number: str, status: str, note: str, *,
                     carrier: str | None = None, tracking_number: str | None = None) -> Order:
    """Move the order ``number`` on to ``status``; a carrier or tracking number given (on shipping)
    is stored with it. Core refuses what is not allowed (404 unknown, 409 illegal step, 403 role)."""
    order = await order_for(ctx, number)
    if carrier is not None:
        order.carrier = carrier
    if tracking_number is not None:
        order.tracking_number = tracking_number
    await change_status(ctx, order, status, note)
    return order
