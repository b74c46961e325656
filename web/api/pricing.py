"""Tenant API: price policies, quantity breaks, price history and the price checker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, delete, get, put
from sqlalchemy import select

from qudao.core.auth.models import User
from qudao.core.catalog.models import Brand, Category
from qudao.core.catalog.service import product_by_sku
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import InputError
from qudao.core.pricing.engine import PolicyRule, category_ancestry, resolve_prices
from qudao.core.pricing.history import changes_for, price_on
from qudao.core.pricing.policies import delete_policy, list_policies, policy_by_code, snapshot, upsert_policy
from qudao.core.pricing.service import break_view, breaks_of, set_breaks
from qudao.web.api.common import json_body, upserted
from qudao.web.context import RequestContext, require_staff


@put("/price-policies/{code:str}", tags=["pricing"])
async def put_price_policy(request: Request, ctx: RequestContext, code: str) -> Response[Any]:
    """Create or replace a price policy (see ``core/pricing/policies.py`` for the body)."""
    user = require_staff(ctx)
    policy, created = await upsert_policy(ctx.session, code, await json_body(request),
                                          currency=ctx.tenant.currency, user_id=user.id)
    view = snapshot(policy)
    await ctx.session.commit()
    return upserted(view, created)


@get("/price-policies", tags=["pricing"])
async def get_price_policies(ctx: RequestContext) -> list[dict[str, Any]]:
    """Every policy, highest priority first."""
    require_staff(ctx)
    return [snapshot(p) for p in await list_policies(ctx.session)]


@get("/price-policies/{code:str}", tags=["pricing"])
async def get_price_policy(ctx: RequestContext, code: str) -> dict[str, Any]:
    require_staff(ctx)
    return snapshot(await policy_by_code(ctx.session, code))


@delete("/price-policies/{code:str}", tags=["pricing"], status_code=204)
async def delete_price_policy(ctx: RequestContext, code: str) -> None:
    user = require_staff(ctx)
    await delete_policy(ctx.session, code, user_id=user.id)
    await ctx.session.commit()


@put("/prices/breaks/{sku:str}", tags=["pricing"])
async def put_price_breaks(request: Request, ctx: RequestContext, sku: str) -> Response[Any]:
    """Replace the SKU's quantity breaks: ``{breaks: [{min_qty, price, tier?}]}`` (``[]`` removes them)."""
    user = require_staff(ctx)
    rows, created = await set_breaks(ctx.session, sku, await json_body(request), currency=ctx.tenant.currency,
                                     user_id=user.id)
    await ctx.session.commit()
    return upserted({"sku": sku, "breaks": rows}, created and bool(rows))


@get("/prices/breaks/{sku:str}", tags=["pricing"])
async def get_price_breaks(ctx: RequestContext, sku: str) -> dict[str, Any]:
    require_staff(ctx)
    product = await product_by_sku(ctx.session, sku)
    return {"sku": sku, "breaks": [break_view(b, code) for b, code in await breaks_of(ctx.session, product.id)]}


@get("/prices/history/{sku:str}", tags=["pricing"])
async def get_price_history(ctx: RequestContext, sku: str) -> list[dict[str, Any]]:
    """Every change of the SKU's prices, oldest first: base, retail, floor, tier, customer, break, and the
    changes of policies whose product scope covered the SKU before or after the change."""
    require_staff(ctx)
    product = await product_by_sku(ctx.session, sku)
    changes = await changes_for(ctx.session, sku)
    brand = await ctx.session.scalar(select(Brand.code).where(Brand.id == product.brand_id)) \
        if product.brand_id is not None else None
    parents = {cid: (code, parent) for cid, code, parent in (await ctx.session.execute(
        select(Category.id, Category.code, Category.parent_id))).all()} if product.category_id is not None else {}
    categories = category_ancestry(parents, product.category_id)
    users = {c.changed_by for c in changes if c.changed_by is not None}
    emails = dict((await ctx.session.execute(select(User.id, User.email).where(User.id.in_(users)))).all()) \
        if users else {}
    out = []
    for c in changes:
        if c.scope == "policy":
            snaps = [s for s in ((c.detail or {}).get("policy"), (c.detail or {}).get("previous")) if s]
            if not any(PolicyRule.from_snapshot(s).covers_product(sku, brand, categories) for s in snaps):
                continue
        item = {"scope": c.scope, "key": c.scope_key,
                "old_price": None if c.old_price is None else str(c.old_price),
                "new_price": None if c.new_price is None else str(c.new_price),
                "changed_at": c.changed_at.isoformat(), "changed_by": emails.get(c.changed_by)}
        if c.scope == "policy":
            item["policy"] = (c.detail or {}).get("policy")
            item["previous"] = (c.detail or {}).get("previous")
        out.append(item)
    return out


def _parse_at(raw: str | None) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InputError("must be an ISO 8601 date-time with offset", field="at") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError("must include a UTC offset (e.g. +08:00 or Z)", field="at")
    return value.astimezone(UTC)


def _parse_qty(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or not 1 <= int(raw.strip()) <= 1_000_000:
        raise InputError("must be a whole number from 1 to 1000000", field="qty")
    return int(raw.strip())


@get("/prices/check", tags=["pricing"])
async def check_price(ctx: RequestContext, customer: str | None = None, sku: str | None = None,
                      at: str | None = None, qty: str | None = None) -> dict[str, Any]:
    """The price checker: customer X, SKU Y (at moment D, for qty N) → price and which rule set it.

    Without ``at``: today's price from the engine. With ``at``: replayed from the price history
    (the customer's tier, type and region are today's)."""
    require_staff(ctx)
    errors = [{"field": name, "message": "is required"} for name, v in (("customer", customer), ("sku", sku))
              if not v or not v.strip()]
    if errors:
        raise InputError(errors)
    assert customer is not None and sku is not None
    when, n = _parse_at(at), _parse_qty(qty)
    buyer = await customer_by_code(ctx.session, customer.strip())
    product = await product_by_sku(ctx.session, sku.strip())
    currency = ctx.tenant.currency
    if when is None:
        resolved = (await resolve_prices(ctx.session, [product], customer=buyer, currency=currency,
                                         quantities={product.id: n} if n else None))[product.id]
    else:
        resolved = await price_on(ctx.session, buyer, product.sku, when, qty=n, currency=currency)
    return {"customer": buyer.code, "sku": product.sku, "at": (when or datetime.now(UTC)).isoformat(), "qty": n,
            "price": None if resolved is None else str(resolved.price),
            "source": None if resolved is None else resolved.source,
            "label": "No price at that moment" if resolved is None else resolved.label,
            "floored": False if resolved is None else resolved.floored}


HANDLERS = [put_price_policy, get_price_policies, get_price_policy, delete_price_policy, put_price_breaks,
            get_price_breaks, get_price_history, check_price]
