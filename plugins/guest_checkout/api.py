"""API: share links and guest → customer conversion."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from sqlalchemy.exc import IntegrityError

from qudao.core.errors import Conflict
from qudao.core.validation import Fields
from qudao.plugins.guest_checkout import service
from qudao.web.api.common import json_body
from qudao.web.context import RequestContext, require_staff, require_user

TAGS = ["guest_checkout"]


def link_view(ctx: RequestContext, link: Any) -> dict[str, Any]:
    return {"code": link.code, "sku": link.sku, "clicks": link.clicks,
            "url": f"/t/{ctx.tenant.slug}/s/{link.code}"}


@post("/share-links", tags=TAGS)
async def create_share_link(request: Request, ctx: RequestContext) -> Response[Any]:
    """A share link for one product, carrying the caller (a buyer or a staff member) as sharer."""
    user = require_user(ctx)
    f = Fields(await json_body(request))
    sku = f.text("sku", required=True, max_len=64)
    f.check()
    link, created = await service.create_link(ctx, user, sku or "")
    view = link_view(ctx, link)
    await ctx.session.commit()
    return Response(view, status_code=201 if created else 200)


@get("/share-links", tags=TAGS)
async def list_share_links(ctx: RequestContext) -> dict[str, Any]:
    """Staff: every link with clicks and attributed orders; a buyer: its own links."""
    user = require_user(ctx)
    items = await service.link_stats(ctx.session, currency=ctx.tenant.currency,
                                     sharer_user_id=None if user.kind == "staff" else user.id)
    for item in items:
        item["url"] = f"/t/{ctx.tenant.slug}/s/{item['code']}"
    return {"items": items, "total": len(items)}


@get("/guest-orders", tags=TAGS)
async def list_guest_orders(ctx: RequestContext) -> dict[str, Any]:
    require_staff(ctx)
    items = await service.guest_orders(ctx.session, ctx.tenant.currency)
    for item in items:
        item["created_at"] = item["created_at"].isoformat()
    return {"items": items, "total": len(items)}


@post("/guest-orders/{number:str}/customer", tags=TAGS)
async def convert_guest(request: Request, ctx: RequestContext, number: str) -> Response[Any]:
    """Turn a guest order's contact details into a customer: ``{code, name?, tier?, warehouse?, region?}``."""
    user = require_staff(ctx, ("sales",))
    order = await service.guest_order(ctx.session, number)
    customer = await service.convert(ctx, order, await json_body(request), user.id)
    view = {"code": customer.code, "name": customer.name, "contacts": customer.contacts,
            "addresses": customer.addresses, "from_order": order.number}
    try:
        await ctx.session.commit()
    except IntegrityError:  # a concurrent conversion of the same order or code won
        await ctx.session.rollback()
        raise Conflict("this guest or customer code was just taken; reload and try again") from None
    return Response(view, status_code=201)


HANDLERS = [create_share_link, list_share_links, list_guest_orders, convert_guest]
