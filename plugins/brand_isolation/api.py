"""API: ``PUT/GET /brand-access/{customer}`` (contract), ``PUT/GET /brand-access/tier/{tier}`` and
``PUT/GET /brand-access/group/{group}`` (a customer group, ``Customer.groups``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, put
from sqlalchemy import select

from qudao.core.customers.models import Tier
from qudao.core.customers.service import customer_by_code
from qudao.core.errors import NotFound
from qudao.plugins.brand_isolation import service
from qudao.web.api.common import json_body
from qudao.web.context import RequestContext, require_staff

TAGS = ["brand_isolation"]


async def _replace(ctx: RequestContext, request: Request, **owner: int) -> tuple[list[str], int]:
    """Replace the brands of a customer or a tier (``owner``) with the body's; the codes given and
    the status to answer (201 when grants were created)."""
    codes = service.parse_brand_codes(await json_body(request))
    brands = await service.brands_by_code(ctx.session, codes)
    created = await service.replace_access(ctx.session, brands, **owner)
    return codes, 201 if created and brands else 200


@put("/brand-access/{customer:str}", tags=TAGS)
async def put_access(request: Request, ctx: RequestContext, customer: str) -> Response[Any]:
    """Replace the brands a customer is authorized for (``{brands: [code, …]}``)."""
    require_staff(ctx)
    found = await customer_by_code(ctx.session, customer)
    _codes, status = await _replace(ctx, request, customer_id=found.id)
    view = await service.access_view(ctx.session, found)
    await ctx.session.commit()
    return Response(view, status_code=status)


@get("/brand-access/{customer:str}", tags=TAGS)
async def get_access(ctx: RequestContext, customer: str) -> dict[str, Any]:
    require_staff(ctx)
    return await service.access_view(ctx.session, await customer_by_code(ctx.session, customer))


async def _tier(ctx: RequestContext, code: str) -> Tier:
    tier = await ctx.session.scalar(select(Tier).where(Tier.code == code))
    if tier is None:
        raise NotFound(f"no tier with code '{code}'")
    return tier


@put("/brand-access/tier/{tier:str}", tags=TAGS)
async def put_tier_access(request: Request, ctx: RequestContext, tier: str) -> Response[Any]:
    """Brands every customer of a tier is authorized for (added to each customer's own list)."""
    require_staff(ctx)
    found = await _tier(ctx, tier)
    codes, status = await _replace(ctx, request, tier_id=found.id)
    await ctx.session.commit()
    return Response({"tier": found.code, "brands": sorted(codes)}, status_code=status)


@get("/brand-access/tier/{tier:str}", tags=TAGS)
async def get_tier_access(ctx: RequestContext, tier: str) -> dict[str, Any]:
    require_staff(ctx)
    found = await _tier(ctx, tier)
    return {"tier": found.code, "brands": await service.brand_codes_for(ctx.session, tier_id=found.id)}


@put("/brand-access/group/{group:str}", tags=TAGS)
async def put_group_access(request: Request, ctx: RequestContext, group: str) -> Response[Any]:
    """Brands every customer of a customer group is authorized for (added to its own and tier's).

    The group must exist (some customer is in it): an unknown group or brand is a 422, nothing stored.
    """
    require_staff(ctx)
    codes = service.parse_brand_codes(await json_body(request))
    name = service.parse_group_name(group)
    if codes or name not in await service.groups_with_access(ctx.session):
        await service.group_by_name(ctx.session, name)  # a group nobody is in any more can only be cleared
    brands = await service.brands_by_code(ctx.session, codes)
    created = await service.replace_group_access(ctx.session, name, brands)
    view = await service.group_view(ctx.session, name)
    await ctx.session.commit()
    return Response(view, status_code=201 if created and brands else 200)


@get("/brand-access/group/{group:str}", tags=TAGS)
async def get_group_access(ctx: RequestContext, group: str) -> dict[str, Any]:
    require_staff(ctx)
    name = service.parse_group_name(group)
    view = await service.group_view(ctx.session, name)
    if not view["brands"] and name not in await service.known_groups(ctx.session):
        raise NotFound(f"no customer group '{name}'")
    return view


HANDLERS = [put_access, get_access, put_tier_access, get_tier_access, put_group_access, get_group_access]
