"""Admin pages: brand authorizations per customer and per tier."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer, Tier
from qudao.core.errors import InputError, NotFound
from qudao.plugins.brand_isolation import service
from qudao.web.context import RequestContext
from qudao.web.pages.common import render, staff_or_login

KINDS = ("customer", "tier")


async def _target(ctx: RequestContext, kind: str, code: str) -> Customer | Tier:
    if kind not in KINDS:
        raise NotFound("not found")
    model = Customer if kind == "customer" else Tier
    found = await ctx.session.scalar(select(model).where(model.code == code))
    if found is None:
        raise NotFound(f"no {kind} with code '{code}'")
    return found


@get("/admin/brand-access")
async def access_list(ctx: RequestContext, done: str | None = None) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    return render(ctx, "brand_isolation/list.html", flash=done, **await service.overview(ctx.session))


async def _edit_page(ctx: RequestContext, kind: str, target: Customer | Tier, selected: list[str], *,
                     errors: list[dict[str, str]] | None = None, status_code: int = 200) -> Response[Any]:
    brands = (await service.overview(ctx.session))["brands"]
    tier_brands: list[str] = []
    if isinstance(target, Customer) and target.tier_id:
        tier_brands = await service.brand_codes_for(ctx.session, tier_id=target.tier_id)
    return render(ctx, "brand_isolation/edit.html", status_code=status_code, kind=kind, target=target,
                  brands=brands, selected=set(selected), tier_brands=tier_brands, errors=errors or [])


@get("/admin/brand-access/{kind:str}/{code:str}")
async def access_edit(ctx: RequestContext, kind: str, code: str) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    target = await _target(ctx, kind, code)
    selected = await service.brand_codes_for(ctx.session, **{f"{kind}_id": target.id})
    return await _edit_page(ctx, kind, target, selected)


@post("/admin/brand-access/{kind:str}/{code:str}")
async def access_save(ctx: RequestContext, request: Request, kind: str, code: str) -> Response[Any]:
    if (redirect := staff_or_login(ctx)) is not None:
        return redirect
    target = await _target(ctx, kind, code)
    form = await request.form()
    codes = [str(v) for v in form.getall("brands")] if "brands" in form else []
    try:
        brands = await service.brands_by_code(ctx.session, service.parse_brand_codes({"brands": codes}))
    except InputError as exc:
        return await _edit_page(ctx, kind, target, codes, errors=exc.errors, status_code=422)
    await service.replace_access(ctx.session, brands, **{f"{kind}_id": target.id})
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/admin/brand-access?done={quote(kind)}")


HANDLERS = [access_list, access_edit, access_save]
