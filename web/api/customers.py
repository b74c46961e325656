"""Tenant API: tiers, customers, buyer logins, tier and customer prices."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from sqlalchemy import select

from qudao.core.customers.models import Customer, Tier
from qudao.core.customers.scope import customer_criteria, is_sales_rep
from qudao.core.customers.service import customer_by_code, upsert_buyer, upsert_customer, upsert_tier
from qudao.core.errors import NotFound
from qudao.core.inventory.models import Warehouse
from qudao.core.pricing.service import set_customer_price, set_tier_price
from qudao.web.api.common import coded_routes, json_body, upserted
from qudao.web.context import RequestContext, require_staff


async def customer_view(ctx: RequestContext, c: Customer) -> dict[str, Any]:
    async def code_of(model: Any, id_: int | None) -> str | None:
        if id_ is None:
            return None
        row = await ctx.session.get(model, (ctx.tenant.id, id_))
        return row.code if row else None

    async def rep_email(id_: int | None) -> str | None:
        from qudao.core.auth.models import User

        rep = await ctx.session.get(User, (ctx.tenant.id, id_)) if id_ is not None else None
        return rep.email if rep else None

    return {"code": c.code, "name": c.name, "type": c.type, "tier": await code_of(Tier, c.tier_id),
            "region": c.region, "parent": await code_of(Customer, c.parent_id),
            "warehouse": await code_of(Warehouse, c.warehouse_id), "status": c.status,
            "addresses": c.addresses or [], "groups": c.groups or [],
            "sales_rep": await rep_email(c.sales_rep_id), "can_resell": bool(c.can_resell),
            "direct_from_brand": bool(c.direct_from_brand)}


put_tier, list_tiers = coded_routes("/tiers", Tier, upsert_tier, "customers", "tier")


@put("/customers/{code:str}", tags=["customers"])
async def put_customer(request: Request, ctx: RequestContext, code: str) -> Response[Any]:
    require_staff(ctx)
    customer, created = await upsert_customer(ctx.session, code, await json_body(request))
    view = await customer_view(ctx, customer)
    await ctx.session.commit()
    return upserted(view, created)


@get("/customers", tags=["customers"])
async def list_customers(ctx: RequestContext) -> list[dict[str, Any]]:
    require_staff(ctx)
    rows = (await ctx.session.scalars(select(Customer).where(*customer_criteria(ctx))
                                      .order_by(Customer.code).limit(1000))).all()
    return [await customer_view(ctx, c) for c in rows]


@get("/customers/{code:str}", tags=["customers"])
async def get_customer(ctx: RequestContext, code: str) -> dict[str, Any]:
    require_staff(ctx)
    customer = await customer_by_code(ctx.session, code)
    if is_sales_rep(ctx) and customer.sales_rep_id != ctx.user.id:  # type: ignore[union-attr]
        raise NotFound(f"no customer with code '{code}'")
    return await customer_view(ctx, customer)


@put("/customers/{code:str}/users/{email:str}", tags=["customers"])
async def put_customer_user(request: Request, ctx: RequestContext, code: str, email: str) -> Response[Any]:
    """A buyer login for the customer (several per customer)."""
    require_staff(ctx)
    user, created = await upsert_buyer(ctx.session, code, email, await json_body(request))
    await ctx.session.commit()
    return upserted({"email": user.email, "customer": code, "kind": "customer"}, created)


async def _put_price(request: Request, ctx: RequestContext, setter: Any, target_field: str, target: str,
                     sku: str) -> Response[Any]:
    """A tier's or a customer's own price of one SKU (``{price}``)."""
    user = require_staff(ctx)
    row, created = await setter(ctx.session, target, sku, await json_body(request),
                                currency=ctx.tenant.currency, user_id=user.id)
    await ctx.session.commit()
    return upserted({target_field: target, "sku": sku, "price": str(row.price)}, created)


@put("/prices/tier/{tier:str}/{sku:str}", tags=["pricing"])
async def put_tier_price(request: Request, ctx: RequestContext, tier: str, sku: str) -> Response[Any]:
    return await _put_price(request, ctx, set_tier_price, "tier", tier, sku)


@put("/prices/customer/{code:str}/{sku:str}", tags=["pricing"])
async def put_customer_price(request: Request, ctx: RequestContext, code: str, sku: str) -> Response[Any]:
    return await _put_price(request, ctx, set_customer_price, "customer", code, sku)


HANDLERS = [put_tier, list_tiers, put_customer, list_customers, get_customer, put_customer_user, put_tier_price,
            put_customer_price]
