"""What the storefront's catalog pages show around the grid: who may browse and at which prices,
the category rail, badges, and search suggestions (no routes here).

A brand chooses what a visitor who is not signed in sees (tenant setting ``storefront_visitors``):
``hidden`` (sign in first; the default), ``catalog`` (products without prices) or ``retail``
(products at retail prices). The guest-checkout plugin, when on, also shows retail prices.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from qudao.core.catalog.models import Brand, Category, Product
from qudao.core.orders.checkout import product_criteria
from qudao.core.plugins.host import gather_hook
from qudao.web.context import RequestContext

VISITOR_MODES = ("hidden", "catalog", "retail")


def visitor_mode(ctx: RequestContext) -> str:
    mode = ctx.tenant.setting("storefront_visitors", default="hidden")
    return mode if mode in VISITOR_MODES else "hidden"


def browse_as(ctx: RequestContext) -> dict[str, bool]:
    """``can_browse``, ``show_prices``, ``guest`` (priced as a guest, at retail) for this visitor."""
    if ctx.user is not None:
        return {"can_browse": True, "show_prices": True, "guest": False}
    guest_plugin = bool(ctx.hooks.qudao_guest_checkout_allowed(ctx=ctx))
    mode = visitor_mode(ctx)
    if guest_plugin or mode in ("catalog", "retail"):
        ctx.guest = {}  # prices as for a guest: retail; only products that have one
        return {"can_browse": True, "show_prices": guest_plugin or mode == "retail", "guest": True}
    return {"can_browse": False, "show_prices": False, "guest": False}


def _visible(ctx: RequestContext) -> list[Any]:
    return [Product.active.is_(True)]


async def brands(ctx: RequestContext) -> list[tuple[str, str]]:
    """Brands that have at least one product this buyer may see."""
    stmt = (select(Brand.code, Brand.name).distinct()
            .join(Product, (Product.brand_id == Brand.id) & (Product.tenant_id == Brand.tenant_id))
            .where(*_visible(ctx)))
    if not ctx.is_staff:
        stmt = stmt.where(*await product_criteria(ctx))
        if ctx.guest is not None:
            stmt = stmt.where(Product.retail_price.is_not(None))
    return [(code, name) for code, name in (await ctx.session.execute(stmt.order_by(Brand.name))).all()]


async def categories(ctx: RequestContext) -> list[dict[str, Any]]:
    """Top-level categories with how many visible products they (and their sub-categories) hold."""
    stmt = select(Product.category_id, func.count()).where(*_visible(ctx), Product.category_id.is_not(None))
    if not ctx.is_staff:
        stmt = stmt.where(*await product_criteria(ctx))
        if ctx.guest is not None:
            stmt = stmt.where(Product.retail_price.is_not(None))
    counts = dict((await ctx.session.execute(stmt.group_by(Product.category_id))).all())
    cats = (await ctx.session.scalars(select(Category).order_by(Category.code))).all()
    parent = {c.id: c.parent_id for c in cats}
    totals: dict[int, int] = {}
    for cid, n in counts.items():
        top = cid
        for _ in range(10):  # up the tree to its top (a bounded walk, whatever the data)
            if parent.get(top) is None or parent[top] not in parent:
                break
            top = parent[top]  # type: ignore[assignment]
        totals[top] = totals.get(top, 0) + int(n)
    return [{"code": c.code, "name": c.name, "count": totals[c.id]} for c in cats
            if c.parent_id is None and totals.get(c.id)]


async def badges(ctx: RequestContext, products: list[Product]) -> dict[int, list[str]]:
    """Plugins' short labels for the buyer's or guest's products ("满500减50"), one hook call per
    page; staff see list prices and no badges."""
    if ctx.is_staff or not products:
        return {}
    merged: dict[int, list[str]] = {}
    for found in await gather_hook(ctx.hooks.qudao_product_badges, ctx=ctx, products=products):
        for product_id, labels in (found or {}).items():
            into = merged.setdefault(product_id, [])
            into.extend(label for label in labels or [] if label and label not in into)
    return merged


def step_of(item: dict[str, Any]) -> tuple[int, int]:
    """(first quantity, step) for the −/+ stepper: the order multiple, from the minimum up."""
    step = max(int(item.get("order_multiple") or 1), 1)
    least = max(int(item.get("min_qty") or 1), 1)
    first = -(-least // step) * step
    return first, step


def media_url(base: str, name: str) -> str:
    return name if "/" in name else f"{base}/media/{name}"
