"""API: ``GET /replenishment/{customer}`` — the suggestion for a customer (staff: any customer they
may see; a buyer: only its own, else 404)."""

from __future__ import annotations

from typing import Any

from litestar import get
from sqlalchemy import select

from qudao.core.customers.models import Customer
from qudao.core.customers.scope import customer_criteria
from qudao.core.errors import NotFound
from qudao.core.plugin_api import TenantContext
from qudao.plugins.replenishment import service
from qudao.web.context import RequestContext, require_user

TAGS = ["replenishment"]


async def customer_for(ctx: TenantContext, code: str) -> Customer:
    """The customer by code, as the current user may see it (a buyer: itself; a rep: theirs)."""
    if ctx.user is None or ctx.user.kind != "staff":
        if ctx.customer is None or ctx.customer.code != code:
            raise NotFound(f"no customer with code '{code}'")
        return ctx.customer
    found = await ctx.session.scalar(select(Customer).where(Customer.code == code, *customer_criteria(ctx)))
    if found is None:
        raise NotFound(f"no customer with code '{code}'")
    return found


@get("/replenishment/{customer:str}", tags=TAGS)
async def suggestion(ctx: RequestContext, customer: str) -> dict[str, Any]:
    """``{customer, settings, lines: [{sku, daily, stock, stock_source, on_order, cover_days,
    suggested_qty, explanation, …}]}``."""
    require_user(ctx)
    return await service.suggest(ctx, await customer_for(ctx, customer))


HANDLERS = [suggestion]
