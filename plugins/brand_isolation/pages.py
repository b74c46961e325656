"""Admin pages: brand authorizations per customer, per tier and per customer group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.response import Redirect, Response
from sqlalchemy import select

from qudao.core.customers.models import Customer, Tier
from qudao.core.errors import InputError, NotFound
from qudao.plugins.brand_isolation import service
from qudao.web.context import RequestContext
from qudao.web.pages.common import render, staff_page

KINDS = ("customer", "tier", "group")


@dataclass(frozen=True)
class Group:
    """A customer group as an edit target (groups are names on customers, not rows)."""

    code: str
    name: str = ""
    id: None = None


async def _target(ctx: RequestContext, kind: str, code: str) -> Customer | Tier | Group:
    if kind not in KINDS:
        raise NotFound("not found")
    if kind == "group":
        try:
            name = service.parse_group_name(code)
        except InputError:
            raise NotFound("no such customer group") from None
        if name not in await service.known_groups(ctx.session) and \
                name not in await service.groups_with_access(ctx.session):
            raise NotFound(f"no customer group '{name}'")
        return Group(name)
    model = Customer if kind == "customer" else Tier
    found = await ctx.session.scalar(select(model).where(model.code == code))
    if found is None:
        raise NotFound(f"no {kind} with code '{code}'")
    return found


async def _selected(ctx: RequestContext, kind: str, target: Customer | Tier | Group) -> list[str]:
    if isinstance(target, Group):
        return await service.group_brand_codes(ctx.session, target.code)
    return await service.brand_codes_for(ctx.session, **{f"{kind}_id": target.id})


@get("/admin/brand-access")
@staff_page()
async def access_list(ctx: RequestContext, done: str | None = None) -> Response[Any]:
    return render(ctx, "brand_isolation/list.html", flash=done, **await service.overview(ctx.session))


async def _edit_page(ctx: RequestContext, kind: str, target: Customer | Tier | Group, selected: list[str], *,
                     errors: list[dict[str, str]] | None = None, status_code: int = 200) -> Response[Any]:
    brands = (await service.overview(ctx.session))["brands"]
    tier_brands: list[str] = []
    group_brands: list[str] = []
    if isinstance(target, Customer):
        if target.tier_id:
            tier_brands = await service.brand_codes_for(ctx.session, tier_id=target.tier_id)
        group_brands = (await service.access_view(ctx.session, target))["group_brands"]
    return render(ctx, "brand_isolation/edit.html", status_code=status_code, kind=kind, target=target,
                  brands=brands, selected=set(selected), tier_brands=tier_brands, group_brands=group_brands,
                  errors=errors or [])


@get("/admin/brand-access/{kind:str}/{code:str}")
@staff_page()
async def access_edit(ctx: RequestContext, kind: str, code: str) -> Response[Any]:
    target = await _target(ctx, kind, code)
    return await _edit_page(ctx, kind, target, await _selected(ctx, kind, target))


@post("/admin/brand-access/{kind:str}/{code:str}")
@staff_page()
async def access_save(ctx: RequestContext, request: Request, kind: str, code: str) -> Response[Any]:
    target = await _target(ctx, kind, code)
    form = await request.form()
    codes = [str(v) for v in form.getall("brands")] if "brands" in form else []
    try:
        if isinstance(target, Group):
            # a group nobody is in any more can only be cleared
            if codes:
                await service.group_by_name(ctx.session, target.code)
        brands = await service.brands_by_code(ctx.session, service.parse_brand_codes({"brands": codes}))
    except InputError as exc:
        return await _edit_page(ctx, kind, target, codes, errors=exc.errors, status_code=422)
    if isinstance(target, Group):
        await service.replace_group_access(ctx.session, target.code, brands)
    else:
        await service.replace_access(ctx.session, brands, **{f"{kind}_id": target.id})
    await ctx.session.commit()
    return Redirect(f"/t/{ctx.tenant.slug}/admin/brand-access?done={quote(kind)}")


HANDLERS = [access_list, access_edit, access_save]
