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
from qudao.web.api.common import json_body, upserted
from qudao.web.context import RequestContext, require_staff


@put("/tiers/{code:str}", tags=["customers"])
async def put_tier(request: Request, ctx: RequestContext, code: str) -> Response[Any]:
    require_staff(ctx)
    tier, created = await upsert_tier(ctx.session, code, await json_body(request))
    await ctx.session.commit()
    return upserted({"code": tier.code, "name": tier.name}, created)


@get("/tiers", tags=["customers"])
async def list_tiers(ctx: RequestContext) -> list[dict[str, Any]]:
    require_staff(ctx)
    return [{"code": t.code, "name": t.name} for t in (await ctx.session.scalars(select(Tier).order_by(Tier.code)))]


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


@put("/prices/tier/{tier:str}/{sku:str}", tags=["pricing"])
async def put_tier_price(request: Request, ctx: RequestContext, tier: str, sku: str) -> Response[Any]:
    user = require_staff(ctx)
    row, created = await set_tier_price(ctx.session, tier, sku, await json_body(request),
                                        currency=ctx.tenant.currency, user_id=user.id)
    await ctx.session.commit()
    return upserted({"tier": tier, "sku": sku, "price": str(row.price)}, created)


@put("/prices/customer/{code:str}/{sku:str}", tags=["pricing"])
async def put_customer_price(request: Request, ctx: RequestContext, code: str, sku: str) -> Response[Any]:
    user = require_staff(ctx)
    row, created = await set_customer_price(ctx.session, code, sku, await json_body(request),
                                            currency=ctx.tenant.currency, user_id=user.id)
    await ctx.session.commit()
    return upserted({"customer": code, "sku": sku, "price": str(row.price)}, created)


HANDLERS = [put_tier, list_tiers, put_customer, list_customers, get_customer, put_customer_user, put_tier_price,
            put_customer_price]
