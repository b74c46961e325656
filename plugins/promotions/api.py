"""Promotions API (mounted under ``/t/{slug}/api/v1``; 404 while the plugin is off)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put

from qudao.core.errors import NotFound
from qudao.plugins.promotions import editing, views
from qudao.web.api.common import json_body, upserted
from qudao.web.context import RequestContext, require_staff


@put("/promotions/{code:str}", status_code=200, tags=["promotions"], summary="Create or replace a promotion")
async def put_promotion(request: Request, ctx: RequestContext, code: str) -> Response[Any]:
    """Body: ``{kind, threshold?, amount?, percent?, sku?, price?, gift_sku?, gift_qty?, repeat?,
    tiers?, customers?, starts_at?, ends_at?, active?}`` plus the extras (``name``, ``coupon``,
    ``uses_limit``, ``uses_per_customer``, ``limit_per_order``, ``limit_per_customer``, ``buy_qty``,
    ``items``, ``group``, ``priority``, ``customer_types``, ``regions``, ``groups``, ``lock_qty``).
    201 when created, 200 when replaced; 422 with ``errors`` and nothing stored on bad input."""
    require_staff(ctx)
    data = await json_body(request)
    promo, created = await editing.upsert(ctx, code, data)
    await ctx.session.commit()
    body = (await views.views(ctx, [promo]))[0]
    return upserted(body, created)


@get("/promotions", tags=["promotions"], summary="List promotions")
async def list_promotions(ctx: RequestContext) -> list[dict[str, Any]]:
    require_staff(ctx)
    return await views.views(ctx, await views.list_promotions(ctx))


@get("/promotions/{code:str}", tags=["promotions"], summary="One promotion, with its use so far")
async def get_promotion(ctx: RequestContext, code: str) -> dict[str, Any]:
    require_staff(ctx)
    promo = await views.get_by_code(ctx, code)
    if promo is None:
        raise NotFound(f"no promotion '{code}'")
    return (await views.views(ctx, [promo]))[0]


HANDLERS = [put_promotion, list_promotions, get_promotion]
